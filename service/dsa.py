"""Deciding notices and appeals, shared by the JSON API and the moderators' page.

Each decision goes through ``ModerationStore.decide`` (claims, the compare-and-set on
the status, the training example, the author's counters, the ``comment.decided`` webhook
with its statement of reasons) and then records the outcome on the notice or appeal and
tells the site with a ``notice.decided`` or ``appeal.decided`` webhook event.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app

from service.moderation_store import moderation_store
from storage.dsa import (
    APPEAL_REASON,
    NOTICE_REASON,
    DsaSettings,
    DsaStore,
    NotFound,
    NoticeError,
    category_of,
    statement_of_reasons,
)
from storage.moderation import REASON_CODES, ClaimConflict, Moderator
from worker.webhooks import dsa_event, emit_events

log = logging.getLogger("service.dsa")


def dsa_store() -> DsaStore:
    rt = current_app.extensions["moderation"]
    return DsaStore(rt.redis, rt.keys, rt.settings)


def statements(records: list[dict[str, Any] | None]) -> list[dict[str, Any] | None]:
    """The statement of reasons of each record (None where it is not held or rejected), with
    one read of the templates of the tenants concerned, and none when no record needs one."""
    from core.tenants import tenant_of

    tenants = {tenant_of(r) for r in records if r and r.get("status") in ("held", "rejected")}
    settings = dsa_store().settings_of(tenants) if tenants else {}
    return [statement_of_reasons(r, settings.get(tenant_of(r)) or DsaSettings.from_hash(None))
            if r and r.get("status") in ("held", "rejected") else None for r in records]


def _redress(tenant: str) -> dict[str, Any]:
    options = dsa_store().tenant_settings(tenant).options
    return {"internal_appeal": options["appeal_route"] if options["appeals_enabled"] else None,
            "out_of_court_settlement": options["out_of_court"],
            "judicial_redress": options["judicial_redress"]}


def public_notice(notice: dict[str, Any]) -> dict[str, Any]:
    """A notice as the site and webhooks see it: the notifier's contact left out of events."""
    return {k: v for k, v in notice.items() if k not in ("notifier_name", "notifier_email")}


def _emit(events: list[dict[str, Any]]) -> None:
    rt = current_app.extensions["moderation"]
    try:
        emit_events(rt.redis, rt.keys, rt.settings, events)
    except Exception:
        # The decision is stored; a webhook hiccup must not turn it into an error.
        log.exception("dsa webhook events not queued", extra={"events": len(events)})


def decide_notice(ref: str, *, moderator: Moderator, illegal: bool, legal_ground: str | None,
                  explanation: str, action: str | None = None,
                  reason_code: str | None = None) -> dict[str, Any]:
    """Decide the legality of the comment behind notice ``ref`` (every open notice of that
    comment gets the outcome). ``action``: reject (take it down; the default when illegal),
    keep (leave its status; the default otherwise) or approve (publish a held comment)."""
    store = dsa_store()
    notice = store.notice(ref)
    if notice is None or not moderator.may_see(notice):
        raise NotFound(ref)
    if notice["status"] != "open":
        raise NoticeError("notice_decided", "This notice has been decided already.",
                          decision=notice["decision"])
    action = action or ("reject" if illegal else "keep")
    if illegal and action != "reject":
        raise NoticeError("invalid_notice_decision", "Illegal content is taken down: the "
                          "action is reject.", status=422)
    if illegal and not legal_ground:
        raise NoticeError("invalid_notice_decision", "Name the legal ground.", status=422)
    rt = current_app.extensions["moderation"]
    cid = notice["comment_id"]
    record = rt.comments.get(cid)
    if record is None or not moderator.may_see(record):
        raise NotFound(ref)
    mstore = moderation_store()
    if action == "keep":
        holder = mstore.claim_holder(cid)
        if holder is not None and holder != moderator.key_id:
            raise ClaimConflict(holder, holder)
        status = record["status"]
    else:
        code = "legal" if illegal else (reason_code or "other")
        if code not in REASON_CODES:
            raise NoticeError("invalid_notice_decision", "Unknown reason code.", status=422)
        # Written before the decision so its statement of reasons (read and webhook) names
        # the notice and the legal ground.
        rt.redis.hset(rt.keys.comment(cid), mapping={
            "legal_ground": legal_ground or "", "notice_decided_by": moderator.by})
        updated = mstore.decide(cid, moderator=moderator, action=action, reason_code=code,
                                note=explanation, expected_status=record["status"],
                                review=NOTICE_REASON)
        status = updated["status"]
    decided = store.resolve_notices(
        cid, tenant=notice["tenant"], moderator_by=moderator.by, moderator_name=moderator.name,
        illegal=illegal, legal_ground=legal_ground, explanation=explanation,
        action_taken={"reject": "removed", "keep": "kept", "approve": "published"}[action],
        status=status, article_id=record["article_id"])
    redress = _redress(notice["tenant"])
    _emit([dsa_event("notice.decided", n["tenant"],
                     {**public_notice(n), "automated": False, "redress": redress})
           for n in decided])
    return next((n for n in decided if n["id"] == ref), store.notice(ref) or notice)


def decide_appeal(ref: str, *, moderator: Moderator, outcome: str,
                  explanation: str) -> dict[str, Any]:
    """Uphold (the comment stays down: rejected) or reverse (it is published) an appeal. The
    moderator who made the appealed decision may not decide it (``same_moderator``); a
    decision of the model may be reviewed by any moderator."""
    store = dsa_store()
    appeal = store.appeal(ref)
    if appeal is None or not moderator.may_see(appeal):
        raise NotFound(ref)
    if appeal["status"] != "open":
        raise NoticeError("appeal_decided", "This appeal has been decided already.",
                          outcome=appeal["outcome"])
    original = appeal["original_decided_by"] or ""
    if original.startswith("moderator:") and original == moderator.by:
        raise NoticeError("same_moderator", "You made the decision under appeal; a colleague "
                          "must decide the appeal (Art. 20(6) DSA).", status=403)
    rt = current_app.extensions["moderation"]
    cid = appeal["comment_id"]
    record = rt.comments.get(cid)
    if record is None or not moderator.may_see(record):
        raise NotFound(ref)
    if outcome == "reverse":
        action, code = "approve", "other"
    else:
        action = "reject"
        code = appeal["original_reason"] or next(
            (category_of(r) for r in appeal["original_reasons"]
             if category_of(r) in REASON_CODES), "other")
        code = code if code in REASON_CODES else "other"
    updated = moderation_store().decide(cid, moderator=moderator, action=action, reason_code=code,
                                        note=explanation, expected_status=record["status"],
                                        review=APPEAL_REASON)
    decided = store.resolve_appeal(appeal, moderator_by=moderator.by,
                                   moderator_name=moderator.name, outcome=outcome,
                                   explanation=explanation, status=updated["status"],
                                   article_id=record["article_id"])
    options = store.tenant_settings(appeal["tenant"]).options
    _emit([dsa_event("appeal.decided", appeal["tenant"], {
        **{k: v for k, v in decided.items() if k != "statement"}, "automated": False,
        "redress": {"out_of_court_settlement": options["out_of_court"],
                    "judicial_redress": options["judicial_redress"]}})])
    return decided
