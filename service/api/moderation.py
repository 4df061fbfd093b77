"""The moderators' API: review queue, claims, decisions, history, and readers' reports."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from core.tenants import DEFAULT_TENANT, TENANT_PATTERN
from service import present, tenancy, threads
from service.auth import require
from service.errors import ApiError, ErrorSchema
from service.moderation_store import moderation_store
from service.schemas import ID_PATTERN, CommentSchema
from storage.comments import QUEUE_CATEGORIES, STATUSES
from storage.moderation import (
    ACTIONS,
    DEFAULT_HISTORY_PAGE,
    MAX_BULK,
    MAX_HISTORY_PAGE,
    MAX_NOTE_CHARS,
    REASON_CODES,
    ClaimConflict,
    DecisionConflict,
    InvalidCursor,
    InvalidDecision,
    ModerationStore,
    NotFound,
    ReportLimited,
    ReviewPending,
)

blp = Blueprint("moderation", __name__, url_prefix="/v1",
                description="Moderators: the review queue, claims, decisions and history; "
                            "readers' reports (site role).")

_ID = validate.Regexp(ID_PATTERN)


def store() -> ModerationStore:
    return moderation_store()


def _iso(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, UTC) if ts is not None else None


def present_item(record: dict[str, Any], with_statement: bool = False) -> dict[str, Any]:
    return {
        **present.comment(record, with_statement=with_statement),
        "tenant": record.get("tenant") or DEFAULT_TENANT,
        "decided_by_name": record.get("decided_by_name") or None,
        "claimed_by": record.get("claimed_by"),
        "claimed_by_key_id": record.get("claimed_by_key_id"),
        "claim_expires_at": _iso(record.get("claim_expires")),
        "report_count": record.get("report_count", 0),
        "decision_reason": record.get("decision_reason") or None,
        "decision_note": record.get("decision_note") or None,
    }


def not_found(comment_id: str) -> ApiError:
    return ApiError(404, "comment_not_found", f"No comment with id {comment_id!r}.")


def claimed_by_other(conflict: ClaimConflict) -> ApiError:
    return ApiError(409, "claimed_by_other",
                    f"Another moderator ({conflict.holder}) has claimed this comment.",
                    {"holder": conflict.holder, "holder_key_id": conflict.holder_key_id})


def already_decided(conflict: DecisionConflict) -> ApiError:
    return ApiError(409, "already_decided",
                    f"The comment was {conflict.status} by {conflict.decided_by or 'someone else'} "
                    "meanwhile; it was left unchanged. To change that decision, send the status "
                    "you are overriding as expected_status.",
                    {"status": conflict.status, "decided_by": conflict.decided_by})


# Schemas ----------------------------------------------------------------------------------------

class ModeratedCommentSchema(CommentSchema):
    tenant = ma.fields.String(required=True, metadata={"description": "The title it was posted to."})
    decided_by_name = ma.fields.String(allow_none=True, metadata={
        "description": "The deciding moderator's key name (`decided_by` names the key id)."})
    claimed_by = ma.fields.String(allow_none=True,
                                  metadata={"description": "Name of the key holding a claim, if any."})
    claimed_by_key_id = ma.fields.String(allow_none=True,
                                         metadata={"description": "Id of the key holding the claim."})
    claim_expires_at = ma.fields.DateTime(allow_none=True)
    report_count = ma.fields.Integer(metadata={"description": "Readers who reported it."})
    decision_reason = ma.fields.String(allow_none=True, validate=validate.OneOf(REASON_CODES),
                                       metadata={"description": "A moderator's reason code."})
    decision_note = ma.fields.String(allow_none=True)


class QueuedNoticeSchema(ma.Schema):
    id = ma.fields.String(required=True)
    law = ma.fields.String(required=True)
    explanation = ma.fields.String(allow_none=True)
    good_faith = ma.fields.Boolean()
    received_at = ma.fields.DateTime(required=True)


class QueuedAppealSchema(ma.Schema):
    id = ma.fields.String(required=True)
    statement = ma.fields.String(allow_none=True)
    filed_at = ma.fields.DateTime(required=True)
    original_status = ma.fields.String(allow_none=True)
    original_decided_by = ma.fields.String(allow_none=True)


class QueueItemSchema(ModeratedCommentSchema):
    notices = ma.fields.List(ma.fields.Nested(QueuedNoticeSchema), metadata={
        "description": "Open notices of illegal content (category `notice`): decide them with "
                       "POST /v1/notices/{id}/decision."})
    appeal = ma.fields.Nested(QueuedAppealSchema, allow_none=True, metadata={
        "description": "The open appeal (category `appeal`): POST /v1/appeals/{id}/decision."})


def with_reviews(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Queue items with their open notices and appeal (read only for items queued so)."""
    from service.dsa import dsa_store

    wanted = [i["id"] for i in items if {"notice", "appeal"} & set(i.get("reasons") or [])]
    if not wanted:
        return items
    store = dsa_store()
    notices = store.open_notices(wanted)
    appeals = store.open_appeals(wanted)
    out = []
    for item in items:
        if item["id"] in notices:
            item = {**item,
                    "notices": [{**n, "received_at": _iso(n["received"])} for n in notices[item["id"]]],
                    "appeal": ({**appeals[item["id"]], "filed_at": _iso(appeals[item["id"]]["filed"])}
                               if appeals[item["id"]] else None)}
        out.append(item)
    return out


class QueueQuerySchema(ma.Schema):
    tenant = ma.fields.String(
        validate=validate.Regexp(f"^{TENANT_PATTERN}$"), load_default=None,
        metadata={"description": "All-tenants keys: one tenant's queue (default: every tenant's; "
                                 "an article_id filter then means the default tenant's article). "
                                 "Other keys see their own tenant's queue only."})
    article_id = ma.fields.String(validate=_ID, load_default=None)
    # the categories the queue's indexes are counted from (storage/comments.py)
    category = ma.fields.String(validate=validate.OneOf(QUEUE_CATEGORIES), load_default=None)
    kind = ma.fields.String(
        validate=validate.Regexp(r"^[a-z_]{1,40}$"), load_default=None,
        metadata={"description": "Only comments whose hold reasons name this kind: the abuse "
                                 "kinds (threat, insult, profanity, identity_attack, "
                                 "severe_toxicity, sexually_explicit), an evidence kind (hate, "
                                 "slur, victim_blaming, sexual...; for victim identification "
                                 "name, school...). `abuse: threat + insult` names threat and "
                                 "insult."})
    min_score = ma.fields.Float(validate=validate.Range(min=0.0, max=1.0), load_default=None)
    max_score = ma.fields.Float(validate=validate.Range(min=0.0, max=1.0), load_default=None)
    cursor = ma.fields.String(validate=validate.Length(max=300), load_default=None)
    limit = ma.fields.Integer(validate=validate.Range(min=1, max=200), load_default=None)
    include_claimed = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Also list comments other moderators have claimed."})


class QueuePageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(QueueItemSchema), required=True)
    next_cursor = ma.fields.String(allow_none=True)
    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True,
                            metadata={"description": "Queued comments per category (a comment "
                                                     "held for two reasons counts under both)."})
    total = ma.fields.Integer(required=True)


class ClaimInSchema(ma.Schema):
    ids = ma.fields.List(ma.fields.String(validate=_ID), validate=validate.Length(min=1, max=MAX_BULK),
                         load_default=None,
                         metadata={"description": "Comments to claim; omit to claim the next batch."})
    limit = ma.fields.Integer(validate=validate.Range(min=1, max=MAX_BULK), load_default=20)


class ReleaseInSchema(ma.Schema):
    ids = ma.fields.List(ma.fields.String(validate=_ID), required=True,
                         validate=validate.Length(min=1, max=MAX_BULK))


class ClaimOutSchema(ma.Schema):
    claimed = ma.fields.List(ma.fields.String(), required=True)
    not_claimed = ma.fields.List(ma.fields.String(), required=True,
                                 metadata={"description": "Requested ids not claimed: decided "
                                                          "already or claimed by another."})
    expires_at = ma.fields.DateTime(allow_none=True)


class ReleaseOutSchema(ma.Schema):
    released = ma.fields.List(ma.fields.String(), required=True)


class DecisionInSchema(ma.Schema):
    action = ma.fields.String(required=True, validate=validate.OneOf(ACTIONS))
    reason_code = ma.fields.String(required=True, validate=validate.OneOf(REASON_CODES))
    note = ma.fields.String(validate=validate.Length(max=MAX_NOTE_CHARS), load_default=None)
    expected_status = ma.fields.String(
        validate=validate.OneOf(STATUSES), load_default=None,
        metadata={"description": "The status you saw: the decision is made only if the comment "
                                 "still has it (409 `already_decided` otherwise). Without it, a "
                                 "comment another moderator has decided is left unchanged (409)."})


class BulkDecisionInSchema(DecisionInSchema):
    ids = ma.fields.List(ma.fields.String(validate=_ID), required=True,
                         validate=validate.Length(min=1, max=MAX_BULK))


class BulkResultSchema(ma.Schema):
    id = ma.fields.String(required=True)
    ok = ma.fields.Boolean(required=True)
    status = ma.fields.String(metadata={"description": "New status, when ok."})
    error = ma.fields.String(metadata={"description": "claimed_by_other, already_decided or "
                                                      "comment_not_found."})
    holder = ma.fields.String(metadata={"description": "Who holds the claim (claimed_by_other) or "
                                                       "decided it (already_decided)."})


class BulkDecisionOutSchema(ma.Schema):
    results = ma.fields.List(ma.fields.Nested(BulkResultSchema), required=True)
    decided = ma.fields.Integer(required=True)
    failed = ma.fields.Integer(required=True)


class HistoryEventSchema(ma.Schema):
    event = ma.fields.String(required=True,
                             metadata={"description": "posted, scored, claimed, decided, reported…"})
    at = ma.fields.DateTime(required=True)
    by = ma.fields.String(allow_none=True, metadata={
        "description": "author id (posted), 'model', 'moderator:<key id>' or 'reader:<id>'"})
    by_name = ma.fields.String(allow_none=True, metadata={
        "description": "The moderator's key name (claimed, decided)."})
    status = ma.fields.String()
    previous_status = ma.fields.String()
    action = ma.fields.String()
    reason_code = ma.fields.String()
    note = ma.fields.String(allow_none=True)
    reason = ma.fields.String(metadata={"description": "A reader's report reason."})
    reasons = ma.fields.List(ma.fields.String())
    scores = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float())
    model_version = ma.fields.String(allow_none=True)


class HistorySchema(ma.Schema):
    comment_id = ma.fields.String(required=True)
    events = ma.fields.List(ma.fields.Nested(HistoryEventSchema), required=True)
    total = ma.fields.Integer(required=True, metadata={"description": "Events the comment has."})
    next_offset = ma.fields.Integer(allow_none=True, metadata={
        "description": "Pass as `offset` for the next page; null on the last."})


class HistoryQuerySchema(ma.Schema):
    offset = ma.fields.Integer(validate=validate.Range(min=0, max=10_000_000), load_default=0)
    limit = ma.fields.Integer(validate=validate.Range(min=1, max=MAX_HISTORY_PAGE),
                              load_default=DEFAULT_HISTORY_PAGE,
                              metadata={"description": f"Events per page (at most {MAX_HISTORY_PAGE})."})


class ReportInSchema(ma.Schema):
    reader_id = ma.fields.String(required=True, validate=_ID)
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=500))


class ReportOutSchema(ma.Schema):
    comment_id = ma.fields.String(required=True)
    report_count = ma.fields.Integer(required=True,
                                     metadata={"description": "Distinct readers who reported it."})
    queued = ma.fields.Boolean(required=True,
                               metadata={"description": "Whether it waits in the review queue."})
    status = ma.fields.String(required=True, metadata={"description": "Its (unchanged) status."})
    counted = ma.fields.Boolean(required=True, metadata={
        "description": "False when the reader had reported it before, or the comment already "
                       "keeps as many reports as MAX_REPORTS_PER_COMMENT allows."})


# Views ------------------------------------------------------------------------------------------

@blp.route("/moderation/queue")
class Queue(MethodView):
    @require("moderator")
    @blp.arguments(QueueQuerySchema, location="query")
    @blp.response(200, QueuePageSchema)
    def get(self, query: dict):
        """Held comments, most urgent first: victim identification, then score, then age.

        A key sees its own tenant's queue; an all-tenants key every tenant's (or
        one, with `tenant`). Comments another moderator has claimed are left out
        unless `include_claimed`. Pass `next_cursor` back as `cursor` for the next page.
        """
        rt = current_app.extensions["moderation"]
        tenant = tenancy.viewing_tenant()
        if tenant is None and query["article_id"] is not None:
            tenant = DEFAULT_TENANT  # article ids are a tenant's own
        try:
            page = store().queue(
                tenant=tenant, article_id=query["article_id"], category=query["category"],
                min_score=query["min_score"], max_score=query["max_score"],
                cursor=query["cursor"], limit=query["limit"] or rt.settings.page_size,
                moderator=None if query["include_claimed"] else tenancy.moderator(),
                kind=query["kind"],
            )
        except InvalidCursor as exc:
            raise ApiError(400, "invalid_cursor", str(exc)) from exc
        found = threads.contexts(page["items"])
        return {**page, "items": with_reviews([
            present.with_context(present_item(r), r, found.get(r["id"])) for r in page["items"]])}


@blp.route("/moderation/claims")
class Claims(MethodView):
    @require("moderator")
    @blp.arguments(ClaimInSchema)
    @blp.response(200, ClaimOutSchema)
    def post(self, body: dict):
        """Claim comments for review: the given `ids`, or the next `limit` unclaimed ones.

        A claim lasts CLAIM_SECONDS; claiming again renews it. Claimed comments
        are not handed to other moderators, who cannot decide them (409). Claims
        belong to the key (its id), not to its name.
        """
        rt = current_app.extensions["moderation"]
        ids = body.get("ids")
        claimed = store().claim(tenancy.moderator(), ids, body["limit"])
        requested = list(dict.fromkeys(ids or []))
        expires = datetime.now(UTC).timestamp() + rt.settings.claim_seconds if claimed else None
        return {"claimed": claimed, "not_claimed": [i for i in requested if i not in claimed],
                "expires_at": _iso(expires)}

    @require("moderator")
    @blp.arguments(ReleaseInSchema)
    @blp.response(200, ReleaseOutSchema)
    def delete(self, body: dict):
        """Release your claims on `ids` (others' claims are left alone)."""
        return {"released": store().release(tenancy.moderator(), body["ids"])}


@blp.route("/comments/<comment_id>/decision")
class Decision(MethodView):
    @require("moderator")
    @blp.arguments(DecisionInSchema)
    @blp.response(200, ModeratedCommentSchema)
    @blp.alt_response(409, schema=ErrorSchema,
                      description="Claimed by another moderator (code `claimed_by_other`), or "
                                  "decided by someone else meanwhile (code `already_decided`).")
    @blp.alt_response(404, schema=ErrorSchema, description="No such comment.")
    def post(self, body: dict, comment_id: str):
        """Approve or reject a comment; its status changes for the site at once.

        Re-deciding is allowed and recorded. Each decision is kept as a
        labelled example for retraining. Of two decisions at the same moment exactly
        one is made: see `expected_status`.
        """
        try:
            record = store().decide(comment_id, moderator=tenancy.moderator(),
                                    action=body["action"], reason_code=body["reason_code"],
                                    note=body.get("note"),
                                    expected_status=body.get("expected_status"))
        except ClaimConflict as conflict:
            raise claimed_by_other(conflict) from conflict
        except DecisionConflict as conflict:
            raise already_decided(conflict) from conflict
        except NotFound as exc:
            raise not_found(comment_id) from exc
        except InvalidDecision as exc:
            raise ApiError(422, "invalid_decision", str(exc)) from exc
        except ReviewPending as exc:
            raise ApiError(409, f"{exc.category}_pending",
                           f"The comment waits under an open {exc.category}: decide it through "
                           f"/v1/{exc.category}s/{{id}}/decision.", {"category": exc.category}) from exc
        return present_item(record, with_statement=True)


@blp.route("/moderation/decisions")
class BulkDecisions(MethodView):
    @require("moderator")
    @blp.arguments(BulkDecisionInSchema)
    @blp.response(200, BulkDecisionOutSchema)
    def post(self, body: dict):
        """Decide many comments at once, each on its own: see `results` for each id."""
        try:
            results = store().decide_many(body["ids"], moderator=tenancy.moderator(),
                                          action=body["action"], reason_code=body["reason_code"],
                                          note=body.get("note"),
                                          expected_status=body.get("expected_status"))
        except InvalidDecision as exc:
            raise ApiError(422, "invalid_decision", str(exc)) from exc
        decided = sum(1 for r in results if r["ok"])
        return {"results": results, "decided": decided, "failed": len(results) - decided}


@blp.route("/comments/<comment_id>/history")
class History(MethodView):
    @require("moderator")
    @blp.arguments(HistoryQuerySchema, location="query")
    @blp.response(200, HistorySchema)
    def get(self, query: dict, comment_id: str):
        """A comment's events, oldest first (append-only), a page at a time: `limit` events
        (at most 500, default 100) from `offset`; `next_offset` reads on."""
        offset, limit = query["offset"], query["limit"]
        try:
            events, total = store().history(comment_id, tenant=tenancy.key().tenant,
                                            offset=offset, limit=limit)
        except NotFound as exc:
            raise not_found(comment_id) from exc
        following = offset + len(events)
        return {"comment_id": comment_id, "total": total,
                "next_offset": following if following < total else None,
                "events": [{**e, "at": _iso(e.get("at"))} for e in events]}


@blp.route("/comments/<comment_id>/reports")
class Reports(MethodView):
    @require("site")
    @blp.arguments(ReportInSchema)
    @blp.response(200, ReportOutSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such comment in the key's tenant.")
    @blp.alt_response(429, schema=ErrorSchema,
                      description="`report_limit_reached`: the reader made MAX_REPORTS_PER_READER "
                                  "reports in REPORT_WINDOW_SECONDS (or the key hit "
                                  "RATE_LIMIT_REPORTS: `rate_limited`).")
    def post(self, body: dict, comment_id: str):
        """A reader reports a comment of the key's tenant: a published one goes back to the
        moderators' queue (reason `reader_report`) but stays published until a moderator
        decides. A reader's repeated reports count once; a comment keeps at most
        MAX_REPORTS_PER_COMMENT reports."""
        try:
            result = store().report(comment_id, tenant=tenancy.acting_tenant(),
                                    reader_id=body["reader_id"], reason=body["reason"])
        except NotFound as exc:
            raise not_found(comment_id) from exc
        except ReportLimited as exc:
            window = current_app.extensions["moderation"].settings.report_window_seconds
            raise ApiError(429, "report_limit_reached",
                           "This reader has made as many reports as one window allows.",
                           {"retry_after": window}) from exc
        return {"comment_id": comment_id, **result}

