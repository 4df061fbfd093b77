"""The EU Digital Services Act's duties of a comment desk, in Redis.

- Notices of illegal content (Art. 16): a site files one for a reader; it puts the comment
  in the moderators' queue under the category ``notice`` (the same held-queue indexes as
  readers' reports: the reason ``notice`` on the record); a moderator decides legality, with
  a legal ground, and may take the comment down; the outcome is kept for the site.
- Appeals (Art. 20, an option a tenant switches on): the author contests a hold or a
  rejection; the comment is queued under ``appeal``; a moderator other than the one who made
  the contested decision upholds or reverses it.
- Statements of reasons (Art. 17): built when a comment is read or its event is sent, from
  the decision stored on the record and the tenant's templates (``statement_of_reasons``):
  nothing is written on the scoring path for them.
- Transparency (Art. 15/24): per tenant and UTC day, a hash of counters and lists of
  handling times; the report reads one hash per day, never scans.

Why the queue categories are reasons on the record: the queue's indexes, counts, claims and
pages, the all-tenants view and the page's chips all follow reasons already (reader reports
work so), so notices and appeals need no second queue mechanism. A resolved notice or
appeal takes its reason off the record again (``_DROP_REASON``), so a later re-indexing of the
comment (a report, say) does not bring back a queue entry with nothing open behind it.

Personal data: a notifier's name and e-mail and the free texts (the notice's explanation,
the author's appeal statement) live only in the notice and appeal hashes. They expire
RETENTION_DAYS after their last change (``dsa:records`` lets the retention sweep find them),
erasing an author redacts the texts of notices and appeals on the author's comments, and a
notifier's contact is erased by e-mail address (``erase_notifier``).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from statistics import median
from typing import Any

from redis import Redis

from core.config import Settings
from core.tenants import tenant_of
from storage.comments import QUEUE_INDEX_LUA, hold_priority, queue_index_keys
from storage.keys import Keys
from storage.settings_version import queue_bump

NOTICE_REASON = "notice"
APPEAL_REASON = "appeal"
REVIEW_REASONS = (NOTICE_REASON, APPEAL_REASON)
NOTICE_ACTIONS = ("reject", "keep", "approve")
APPEAL_OUTCOMES = ("uphold", "reverse")
MAX_TEXT = 4000
ERASED = "[erased]"

# What a tenant gets until an admin sets its own (PUT /v1/admin/dsa). Appeals are an
# option: Art. 20 binds online platforms, and a newspaper's comment section usually is not
# one (Recital 13), and micro and small enterprises are exempt (Art. 19).
DEFAULT_OPTIONS: dict[str, Any] = {
    "appeals_enabled": False,
    "appeal_window_days": 183,
    "appeal_route": "Reply to the e-mail that told you of this decision, or use the "
                    "'appeal' link next to your comment, within six months.",
    "out_of_court": "You may refer the decision to a certified out-of-court dispute "
                    "settlement body (Art. 21 DSA): https://digital-strategy.ec.europa.eu/en/"
                    "policies/dsa-out-of-court-dispute-settlement",
    "judicial_redress": "You may also challenge the decision before the courts of your "
                        "country.",
}
# Author-facing explanations by category; {category} and {ground} are filled in.
DEFAULT_TEMPLATES: dict[str, str] = {
    "abuse": "Your comment was not published because it appears to break our rule "
             "against abuse (insults, threats or hate).",
    "victim_identification": "Your comment was not published because it may identify "
                             "the victim of a sexual offence or a child in legal "
                             "proceedings, whom the law protects from being named.",
    "protected_term": "Your comment was not published because it names someone this "
                      "article must not name.",
    "premoderated": "Comments on this article are checked by a moderator before they "
                    "appear.",
    "author_history": "Your comment is waiting for a moderator because of earlier "
                      "decisions on your comments.",
    "reader_report": "Readers reported your comment; a moderator is reviewing it.",
    "legal": "Your comment was removed because it is illegal content ({ground}).",
    "spam": "Your comment was removed as spam.",
    "off_topic": "Your comment was removed as off topic.",
    "default": "Your comment was not published because it breaks our community rules "
               "({ground}).",
}
TEMPLATE_CATEGORIES = tuple(DEFAULT_TEMPLATES)
_OPTION_TYPES: dict[str, type] = {"appeals_enabled": bool, "appeal_window_days": int,
                                  "appeal_route": str, "out_of_court": str,
                                  "judicial_redress": str}


class NoticeError(Exception):
    """A notice or appeal that cannot be filed or decided; ``code`` is the API's."""

    def __init__(self, code: str, message: str, status: int = 409, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.details = details


class NotFound(LookupError):
    """No such notice, appeal or comment (for this tenant)."""


def _now_day(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).date().isoformat()


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


def _decode(raw: dict) -> dict[str, Any]:
    return {_text(k): _text(v) for k, v in raw.items()}


def _event(kind: str, **data: Any) -> str:
    return json.dumps({"event": kind, "at": time.time(), **data}, separators=(",", ":"))


def email_digest(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


# Tenant options and templates ---------------------------------------------------------------
@dataclass(frozen=True)
class DsaSettings:
    options: dict[str, Any]
    templates: dict[str, str]

    @classmethod
    def from_hash(cls, raw: dict | None) -> DsaSettings:
        stored = _decode(raw or {})
        options = dict(DEFAULT_OPTIONS)
        for name, kind in _OPTION_TYPES.items():
            if name in stored:
                value = json.loads(stored[name])
                options[name] = kind(value) if value is not None else None
        templates = dict(DEFAULT_TEMPLATES)
        templates.update({k[len("template:"):]: v for k, v in stored.items()
                          if k.startswith("template:")})
        return cls(options, templates)

    def as_dict(self) -> dict[str, Any]:
        return {"options": self.options, "templates": self.templates}


def category_of(reason: str) -> str:
    return reason.split(":", 1)[0].strip()


def statement_of_reasons(record: dict[str, Any], dsa: DsaSettings) -> dict[str, Any] | None:
    """Art. 17's statement for a held or rejected comment (None for any other status), from
    the decision stored on the record: who decided (``automated``), the rule or legal ground,
    the tenant's explanation for the category, and the routes of redress."""
    status = record.get("status")
    if status not in ("held", "rejected"):
        return None
    decided_by = str(record.get("decided_by") or "")
    automated = not decided_by.startswith("moderator:")
    reasons = [r for r in record.get("reasons") or [] if category_of(r) not in REVIEW_REASONS]
    if not automated and record.get("decision_reason"):
        category = str(record["decision_reason"])
        ground = category
    elif reasons:
        category = category_of(reasons[0])
        ground = "; ".join(reasons)
    else:
        category = "other"
        ground = "moderator's review" if not automated else "automated review"
    legal_ground = None
    following_notice = False
    if not automated and record.get("notice_decided_by") == decided_by:
        # This decision was a notice's (the notice route writes these fields with it).
        following_notice = True
        legal_ground = record.get("legal_ground") or None
        if legal_ground and category == "legal":
            ground = f"illegal content: {legal_ground}"
    template = dsa.templates.get(category) or dsa.templates.get("default") or ""
    try:
        explanation = template.format(category=category, ground=ground)
    except (KeyError, IndexError, ValueError):
        explanation = template
    opts = dsa.options
    redress: dict[str, Any] = {
        "internal_appeal": opts["appeal_route"] if opts["appeals_enabled"] else None,
        "out_of_court_settlement": opts["out_of_court"],
        "judicial_redress": opts["judicial_redress"],
    }
    if opts["appeals_enabled"] and record.get("decided"):
        redress["appeal_until"] = datetime.fromtimestamp(
            float(record["decided"]) + int(opts["appeal_window_days"]) * 86400, UTC)
    return {
        "restriction": "held for review" if status == "held" else "removed",
        "category": category,
        "ground": ground,
        "legal_ground": legal_ground,
        # The model or a rule flagged it (hold reasons other than readers' reports), even
        # when a moderator then decided.
        "automated_detection": automated or any(category_of(r) != "reader_report"
                                                for r in reasons),
        "automated_decision": automated,
        "following_notice": following_notice,
        "explanation": explanation,
        "redress": redress,
    }


def count_decisions(keys: Keys, pipe: Any, records: Iterable[dict[str, Any]],
                    now: float | None = None) -> None:
    """Queue in ``pipe`` the transparency counts of decided ``records``: holds and
    rejections (the model's and moderators'), and moderators' approvals, by tenant, UTC day,
    status, category and automated or human. One HINCRBY per distinct field of the lot, not
    per comment."""
    for (key, name), n in sorted(decision_counts(keys, records, now).items()):
        pipe.hincrby(key, name, n)


def decision_counts(keys: Keys, records: Iterable[dict[str, Any]], now: float | None = None
                    ) -> dict[tuple[str, str], int]:
    """``count_decisions``' increments, (hash key, field) -> n: a scoring worker adds up
    several batches' before it writes them (worker/tallies.py)."""
    fields: dict[tuple[str, str], int] = {}
    day = _now_day(time.time() if now is None else now)
    for record in records:
        status = record.get("status")
        human = str(record.get("decided_by") or "").startswith("moderator:")
        if status not in ("held", "rejected") and not human:
            continue
        if human:
            category = str(record.get("decision_reason") or "other")
        else:
            reasons = [r for r in record.get("reasons") or []
                       if category_of(r) not in REVIEW_REASONS]
            category = category_of(reasons[0]) if reasons else "other"
        name = f"decisions:{status}:{category}:{'human' if human else 'automated'}"
        slot = (keys.tenant(tenant_of(record)).dsa_day(day), name)
        fields[slot] = fields.get(slot, 0) + 1
    return fields


# Lua ----------------------------------------------------------------------------------------
_FILE_NOTICE = QUEUE_INDEX_LUA + """
-- KEYS: comment, history, comment_notices, notice, records, day, notifier (or ''), 6 queue keys
-- ARGV: id, ref, now, history_event, priority, max_per_comment, law, field, value, ...
-- Returns {outcome, status}: 'missing', 'pending' (not decided yet: nothing published to
-- notify about), 'full' (the comment keeps as many notices as allowed) or 'filed'.
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'missing', ''} end
if status == 'pending' then return {'pending', status} end
local cap = tonumber(ARGV[6])
if cap > 0 and redis.call('SCARD', KEYS[3]) >= cap then return {'full', status} end
redis.call('HSET', KEYS[4], unpack(ARGV, 8))
redis.call('SADD', KEYS[3], ARGV[2])
redis.call('ZADD', KEYS[5], ARGV[3], 'notice:' .. ARGV[2])
redis.call('HINCRBY', KEYS[6], 'notices:received', 1)
redis.call('HINCRBY', KEYS[6], 'notices:received:law:' .. ARGV[7], 1)
if KEYS[7] ~= '' then
  redis.call('SADD', KEYS[7], ARGV[2])
end
local raw = redis.call('HGET', KEYS[1], 'reasons')
local reasons = {}
if raw then reasons = cjson.decode(raw) end
local seen = false
for _, r in ipairs(reasons) do if r == 'notice' then seen = true end end
if not seen then
  reasons[#reasons + 1] = 'notice'
  redis.call('HSET', KEYS[1], 'reasons', cjson.encode(reasons))
end
local q = {KEYS[8], KEYS[9], KEYS[10], KEYS[11], KEYS[12], KEYS[13]}
local current = redis.call('ZSCORE', q[1], ARGV[1])
index_held(q, KEYS[1], ARGV[1], current or ARGV[5])
redis.call('RPUSH', KEYS[2], ARGV[4])
return {'filed', status}
"""

_FILE_APPEAL = QUEUE_INDEX_LUA + """
-- KEYS: comment, history, comment_appeal, appeal, records, day, comment_appeals, 6 queue keys
-- ARGV: id, ref, now, history_event, priority, window_seconds, field, value, ...
-- Returns {outcome, ref}: 'missing', 'not_appealable' (not held or rejected), 'open' (an
-- appeal is open: its ref), 'window_closed' or 'filed'.
local f = redis.call('HMGET', KEYS[1], 'status', 'decided', 'decided_by', 'decision_reason',
                     'reasons')
local status = f[1]
if not status then return {'missing', ''} end
if status ~= 'held' and status ~= 'rejected' then return {'not_appealable', status} end
local open = redis.call('GET', KEYS[3])
if open then return {'open', open} end
if f[2] and tonumber(ARGV[3]) - tonumber(f[2]) > tonumber(ARGV[6]) then
  return {'window_closed', f[2]}
end
redis.call('HSET', KEYS[4], unpack(ARGV, 7))
redis.call('HSET', KEYS[4], 'original_status', status, 'original_decided', f[2] or '',
           'original_decided_by', f[3] or '', 'original_reason', f[4] or '',
           'original_reasons', f[5] or '[]')
redis.call('SET', KEYS[3], ARGV[2])
redis.call('SADD', KEYS[7], ARGV[2])
redis.call('ZADD', KEYS[5], ARGV[3], 'appeal:' .. ARGV[2])
redis.call('HINCRBY', KEYS[6], 'appeals:received', 1)
local reasons = {}
if f[5] then reasons = cjson.decode(f[5]) end
reasons[#reasons + 1] = 'appeal'
redis.call('HSET', KEYS[1], 'reasons', cjson.encode(reasons))
local q = {KEYS[8], KEYS[9], KEYS[10], KEYS[11], KEYS[12], KEYS[13]}
local current = redis.call('ZSCORE', q[1], ARGV[1])
index_held(q, KEYS[1], ARGV[1], current or ARGV[5])
redis.call('RPUSH', KEYS[2], ARGV[4])
return {'filed', ARGV[2]}
"""

_DROP_REASON = QUEUE_INDEX_LUA + """
-- KEYS: comment, history, 6 queue keys ; ARGV: id, reason, history_event ('' = none)
-- Takes the reason off the record; a held comment stays queued under its other reasons,
-- any other leaves the queue.
local raw = redis.call('HGET', KEYS[1], 'reasons')
if not raw then return 0 end
local kept = {}
for _, r in ipairs(cjson.decode(raw)) do
  if r ~= ARGV[2] then kept[#kept + 1] = r end
end
redis.call('HSET', KEYS[1], 'reasons', cjson.encode(kept))
if #kept == 0 then redis.call('HSET', KEYS[1], 'reasons', '[]') end
local q = {KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]}
local current = redis.call('ZSCORE', q[1], ARGV[1])
if current then
  if redis.call('HGET', KEYS[1], 'status') == 'held' then
    index_held(q, KEYS[1], ARGV[1], current)
  else
    unindex_held(q, KEYS[1], ARGV[1])
  end
end
if ARGV[3] ~= '' then redis.call('RPUSH', KEYS[2], ARGV[3]) end
return 1
"""


class DsaStore:
    """Notices, appeals, tenant options and templates, and transparency counters."""

    def __init__(self, redis: Redis, keys: Keys, settings: Settings | None = None) -> None:
        self.redis = redis
        self.keys = keys
        self.settings = settings
        self._file_notice = redis.register_script(_FILE_NOTICE)
        self._file_appeal = redis.register_script(_FILE_APPEAL)
        self._drop = redis.register_script(_DROP_REASON)

    def _settings(self) -> Settings:
        if self.settings is None:
            raise RuntimeError("this DsaStore was built without settings")
        return self.settings

    # Settings -------------------------------------------------------------------------------
    def tenant_settings(self, tenant: str) -> DsaSettings:
        return DsaSettings.from_hash(self.redis.hgetall(self.keys.tenant(tenant).dsa_settings))

    def settings_of(self, tenants: Iterable[str], pipe: Any = None) -> dict[str, DsaSettings]:
        """Several tenants' settings in one round trip."""
        wanted = sorted(set(tenants))
        if not wanted:
            return {}
        p = self.redis.pipeline(transaction=False)
        for tenant in wanted:
            p.hgetall(self.keys.tenant(tenant).dsa_settings)
        return {t: DsaSettings.from_hash(raw) for t, raw in zip(wanted, p.execute(), strict=True)}

    def update_settings(self, tenant: str, options: dict[str, Any],
                        templates: dict[str, str | None]) -> DsaSettings:
        key = self.keys.tenant(tenant).dsa_settings
        pipe = self.redis.pipeline()
        for name, value in options.items():
            if name not in _OPTION_TYPES:
                raise ValueError(f"unknown option {name!r}")
            pipe.hset(key, name, json.dumps(value))
        for category, text in templates.items():
            if text is None:
                pipe.hdel(key, f"template:{category}")
            else:
                pipe.hset(key, f"template:{category}", text)
        # Workers read the templates (sent with webhook events) again on their next batch.
        queue_bump(pipe, self.keys)
        pipe.execute()
        return self.tenant_settings(tenant)

    # Notices --------------------------------------------------------------------------------
    def file_notice(self, comment_id: str, *, tenant: str, law: str, explanation: str,
                    notifier_name: str | None = None, notifier_email: str | None = None,
                    good_faith: bool = True) -> dict[str, Any]:
        """File a notice against a comment of ``tenant``; returns the stored notice. Raises
        NotFound, or NoticeError ``comment_pending`` / ``notice_limit_reached``."""
        record = self._comment(comment_id, ["status", "scores", "seq", "tenant", "article_id"])
        if record is None or tenant_of(record) != tenant:
            raise NotFound(comment_id)
        ref = "ntc_" + secrets.token_hex(10)
        now = time.time()
        fields = {"id": ref, "tenant": tenant, "comment_id": comment_id, "law": law,
                  "explanation": explanation, "notifier_name": notifier_name or "",
                  "notifier_email": notifier_email or "", "good_faith": "1" if good_faith else "0",
                  "received": repr(now), "status": "open"}
        flat = [str(x) for kv in fields.items() for x in kv]
        priority = hold_priority(record.get("scores") or {}, [NOTICE_REASON], record.get("seq", 0))
        own = self.keys.tenant(tenant)
        outcome, _ = self._file_notice(
            keys=[self.keys.comment(comment_id), self.keys.history(comment_id),
                  self.keys.comment_notices(comment_id), self.keys.notice(ref),
                  self.keys.dsa_records, own.dsa_day(_now_day(now)),
                  own.notifier(email_digest(notifier_email)) if notifier_email else "",
                  *queue_index_keys(self.keys, tenant, record.get("article_id") or "")],
            args=[comment_id, ref, repr(now), _event("notice_received", by="notice:" + ref,
                                                     notice=ref, law=law),
                  repr(priority), self._settings().max_notices_per_comment, law, *flat],
        )
        outcome = _text(outcome)
        if outcome == "missing":
            raise NotFound(comment_id)
        if outcome == "pending":
            raise NoticeError("comment_pending", "The comment is not decided yet (nothing is "
                              "published); send the notice once it is.")
        if outcome == "full":
            raise NoticeError("notice_limit_reached", "The comment has as many notices as it "
                              "keeps; it waits in the notice queue already.", status=429)
        self._expire(self.keys.notice(ref), self.keys.comment_notices(comment_id))
        return self.notice(ref)

    def notice(self, ref: str) -> dict[str, Any] | None:
        raw = self.redis.hgetall(self.keys.notice(ref))
        return _notice(_decode(raw)) if raw else None

    def open_notices(self, comment_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Each comment's open notices (two round trips for the lot)."""
        pipe = self.redis.pipeline(transaction=False)
        for cid in comment_ids:
            pipe.smembers(self.keys.comment_notices(cid))
        refs = [sorted(_text(r) for r in members) for members in pipe.execute()]
        pipe = self.redis.pipeline(transaction=False)
        for group in refs:
            for ref in group:
                pipe.hgetall(self.keys.notice(ref))
        raws = iter(pipe.execute())
        out: dict[str, list[dict[str, Any]]] = {}
        for cid, group in zip(comment_ids, refs, strict=True):
            notices = [_notice(_decode(raw)) for raw in (next(raws) for _ in group) if raw]
            out[cid] = [n for n in notices if n["status"] == "open"]
        return out

    def open_appeals(self, comment_ids: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        pipe = self.redis.pipeline(transaction=False)
        for cid in comment_ids:
            pipe.get(self.keys.comment_appeal(cid))
        refs = [_text(r) for r in pipe.execute()]
        pipe = self.redis.pipeline(transaction=False)
        for ref in refs:
            pipe.hgetall(self.keys.appeal(ref or "-"))
        return {cid: (_appeal(_decode(raw)) if ref and raw else None)
                for cid, ref, raw in zip(comment_ids, refs, pipe.execute(), strict=True)}

    def resolve_notices(self, comment_id: str, *, tenant: str, moderator_by: str,
                        moderator_name: str, illegal: bool, legal_ground: str | None,
                        explanation: str, action_taken: str, status: str,
                        article_id: str) -> list[dict[str, Any]]:
        """Record the legality decision on every open notice of the comment (the moderator
        judged the comment, so each notifier gets the same outcome), take the ``notice``
        reason off the record, count and time it. Returns the decided notices."""
        open_ = self.open_notices([comment_id])[comment_id]
        now = time.time()
        own = self.keys.tenant(tenant)
        day = _now_day(now)
        pipe = self.redis.pipeline()
        decision = "illegal" if illegal else "not_illegal"
        for notice in open_:
            pipe.hset(self.keys.notice(notice["id"]), mapping={
                "status": "decided", "decision": decision, "legal_ground": legal_ground or "",
                "decision_explanation": explanation, "decided": repr(now),
                "decided_by": moderator_by, "decided_by_name": moderator_name,
                "action_taken": action_taken, "comment_status": status})
            pipe.zadd(self.keys.dsa_records, {f"notice:{notice['id']}": now})
            pipe.hincrby(own.dsa_day(day), f"notices:decided:{decision}", 1)
            pipe.hincrby(own.dsa_day(day), f"notices:action:{action_taken}", 1)
            pipe.rpush(own.dsa_times(day, "notices"), repr(max(0.0, now - notice["received"])))
        pipe.execute()
        for notice in open_:
            self._expire(self.keys.notice(notice["id"]))
        self.drop_reason(comment_id, NOTICE_REASON, tenant=tenant, article_id=article_id,
                         event=_event("notice_decided", by=moderator_by, by_name=moderator_name,
                                      decision=decision, legal_ground=legal_ground,
                                      action=action_taken,
                                      notices=[n["id"] for n in open_]))
        return [self.notice(n["id"]) for n in open_]

    def drop_reason(self, comment_id: str, reason: str, *, tenant: str, article_id: str,
                    event: str = "") -> None:
        self._drop(keys=[self.keys.comment(comment_id), self.keys.history(comment_id),
                         *queue_index_keys(self.keys, tenant, article_id)],
                   args=[comment_id, reason, event])

    # Appeals --------------------------------------------------------------------------------
    def file_appeal(self, comment_id: str, *, tenant: str, statement: str | None,
                    author_id: str | None) -> dict[str, Any]:
        """Open an appeal against the hold or rejection of a comment of ``tenant``. Raises
        NotFound, or NoticeError ``appeals_disabled``, ``not_appealable``, ``appeal_open``,
        ``appeal_window_closed``, ``not_the_author``."""
        record = self._comment(comment_id, ["status", "scores", "seq", "tenant", "article_id",
                                            "author_id"])
        if record is None or tenant_of(record) != tenant:
            raise NotFound(comment_id)
        dsa = self.tenant_settings(tenant)
        if not dsa.options["appeals_enabled"]:
            raise NoticeError("appeals_disabled", "Appeals are not switched on for this title "
                              "(PUT /v1/admin/dsa, options.appeals_enabled).", status=403)
        if author_id is not None and author_id != record.get("author_id"):
            raise NoticeError("not_the_author", "Only the comment's author may appeal.",
                              status=403)
        ref = "apl_" + secrets.token_hex(10)
        now = time.time()
        fields = {"id": ref, "tenant": tenant, "comment_id": comment_id,
                  "statement": statement or "", "filed": repr(now), "status": "open"}
        flat = [str(x) for kv in fields.items() for x in kv]
        priority = hold_priority(record.get("scores") or {}, [APPEAL_REASON], record.get("seq", 0))
        own = self.keys.tenant(tenant)
        outcome, detail = self._file_appeal(
            keys=[self.keys.comment(comment_id), self.keys.history(comment_id),
                  self.keys.comment_appeal(comment_id), self.keys.appeal(ref),
                  self.keys.dsa_records, own.dsa_day(_now_day(now)),
                  self.keys.comment_appeals(comment_id),
                  *queue_index_keys(self.keys, tenant, record.get("article_id") or "")],
            args=[comment_id, ref, repr(now), _event("appealed", by="author", appeal=ref),
                  repr(priority), int(dsa.options["appeal_window_days"]) * 86400, *flat],
        )
        outcome, detail = _text(outcome), _text(detail)
        if outcome == "missing":
            raise NotFound(comment_id)
        if outcome == "not_appealable":
            raise NoticeError("not_appealable", f"Only a held or rejected comment can be "
                              f"appealed; this one is {detail}.", status=409)
        if outcome == "open":
            raise NoticeError("appeal_open", "An appeal of this comment is open already.",
                              status=409, appeal_id=detail)
        if outcome == "window_closed":
            raise NoticeError("appeal_window_closed", "The decision is older than the "
                              "appeal window.", status=409)
        self._expire(self.keys.appeal(ref), self.keys.comment_appeals(comment_id))
        return self.appeal(ref)

    def appeal(self, ref: str) -> dict[str, Any] | None:
        raw = self.redis.hgetall(self.keys.appeal(ref))
        return _appeal(_decode(raw)) if raw else None

    def resolve_appeal(self, appeal: dict[str, Any], *, moderator_by: str, moderator_name: str,
                       outcome: str, explanation: str, status: str, article_id: str
                       ) -> dict[str, Any]:
        now = time.time()
        tenant = appeal["tenant"]
        own = self.keys.tenant(tenant)
        day = _now_day(now)
        pipe = self.redis.pipeline()
        pipe.hset(self.keys.appeal(appeal["id"]), mapping={
            "status": "decided", "outcome": outcome, "decision_explanation": explanation,
            "decided": repr(now), "decided_by": moderator_by, "decided_by_name": moderator_name,
            "comment_status": status})
        pipe.delete(self.keys.comment_appeal(appeal["comment_id"]))
        pipe.zadd(self.keys.dsa_records, {f"appeal:{appeal['id']}": now})
        pipe.hincrby(own.dsa_day(day), f"appeals:decided:{outcome}", 1)
        pipe.rpush(own.dsa_times(day, "appeals"), repr(max(0.0, now - appeal["filed"])))
        pipe.execute()
        self._expire(self.keys.appeal(appeal["id"]))
        self.drop_reason(appeal["comment_id"], APPEAL_REASON, tenant=tenant, article_id=article_id,
                         event=_event("appeal_decided", by=moderator_by, by_name=moderator_name,
                                      appeal=appeal["id"], outcome=outcome,
                                      original_status=appeal["original_status"],
                                      original_decided_by=appeal["original_decided_by"],
                                      status=status))
        return self.appeal(appeal["id"]) or {}

    # Transparency ---------------------------------------------------------------------------
    def count_decisions(self, records: Iterable[dict[str, Any]], now: float | None = None) -> None:
        """``count_decisions`` in a round trip of its own (moderators' decisions)."""
        pipe = self.redis.pipeline(transaction=False)
        count_decisions(self.keys, pipe, records, now)
        if len(pipe):
            pipe.execute()

    def report(self, tenant: str, start: date, end: date) -> dict[str, Any]:
        """The transparency report of ``tenant`` for the UTC days ``start`` to ``end``
        (inclusive): one pipelined read of a hash and two lists per day."""
        days = [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]
        own = self.keys.tenant(tenant)
        pipe = self.redis.pipeline(transaction=False)
        for day in days:
            pipe.hgetall(own.dsa_day(day))
            pipe.lrange(own.dsa_times(day, "notices"), 0, -1)
            pipe.lrange(own.dsa_times(day, "appeals"), 0, -1)
        rows = pipe.execute()
        totals: dict[str, int] = {}
        times: dict[str, list[float]] = {"notices": [], "appeals": []}
        for n in range(len(days)):
            for name, value in _decode(rows[3 * n]).items():
                totals[name] = totals.get(name, 0) + int(value)
            times["notices"] += [float(_text(v)) for v in rows[3 * n + 1]]
            times["appeals"] += [float(_text(v)) for v in rows[3 * n + 2]]
        decisions = []
        for name, n in sorted(totals.items()):
            if name.startswith("decisions:"):
                _, status, category, how = name.split(":", 3)
                decisions.append({"status": status, "category": category, "method": how,
                                  "count": n})
        def group(prefix: str) -> dict[str, int]:
            return {k[len(prefix):]: v for k, v in sorted(totals.items()) if k.startswith(prefix)}

        def med(values: list[float]) -> float | None:
            return round(median(values), 3) if values else None

        return {
            "tenant": tenant, "from": start.isoformat(), "to": end.isoformat(),
            "decisions": decisions,
            "decisions_by_method": {
                "automated": sum(d["count"] for d in decisions if d["method"] == "automated"),
                "human": sum(d["count"] for d in decisions if d["method"] == "human")},
            "notices": {
                "received": totals.get("notices:received", 0),
                "by_law": group("notices:received:law:"),
                "decided": group("notices:decided:"),
                "actions": group("notices:action:"),
                "median_handling_seconds": med(times["notices"]),
            },
            "appeals": {
                "received": totals.get("appeals:received", 0),
                "outcomes": group("appeals:decided:"),
                "reversed": totals.get("appeals:decided:reverse", 0),
                "median_handling_seconds": med(times["appeals"]),
            },
        }

    # Personal data --------------------------------------------------------------------------
    def _expire(self, *keys: str) -> None:
        if self.settings is not None and self.settings.retention_days > 0:
            pipe = self.redis.pipeline(transaction=False)
            for key in keys:
                pipe.expire(key, max(1, int(self.settings.retention_days * 86400)))
            pipe.execute()

    def purge_older_than(self, cutoff: float) -> int:
        """Delete notices and appeals last changed before ``cutoff`` (their TTL does the
        same; this catches records written while retention was off). Returns how many."""
        members = [_text(m) for m in self.redis.zrangebyscore(self.keys.dsa_records, "-inf",
                                                               f"({cutoff!r}")]
        if not members:
            return 0
        pipe = self.redis.pipeline(transaction=False)
        for member in members:
            kind, _, ref = member.partition(":")
            pipe.delete(self.keys.notice(ref) if kind == "notice" else self.keys.appeal(ref))
        pipe.zrem(self.keys.dsa_records, *members)
        pipe.execute()
        return len(members)

    def erase_for_comments(self, comment_ids: Sequence[str], *, tenant: str,
                           author_id: str) -> int:
        """Redact the free texts of notices and appeals on the comments of ``author_id`` of
        ``tenant`` among ``comment_ids`` (an author's erasure: a notice's explanation often
        quotes the comment; the appeal statement is the author's own). Returns how many
        records were redacted."""
        if not comment_ids:
            return 0
        pipe = self.redis.pipeline(transaction=False)
        for cid in comment_ids:
            pipe.hmget(self.keys.comment(cid), ["author_id", "tenant"])
            pipe.smembers(self.keys.comment_notices(cid))
            pipe.smembers(self.keys.comment_appeals(cid))
        rows = pipe.execute()
        targets: list[tuple[str, str]] = []
        for n in range(len(comment_ids)):
            owner, owner_tenant = (_text(v) for v in rows[3 * n])
            if owner != author_id or tenant_of({"tenant": owner_tenant}) != tenant:
                continue
            targets += [(self.keys.notice(_text(ref)), "explanation") for ref in rows[3 * n + 1]]
            targets += [(self.keys.appeal(_text(ref)), "statement") for ref in rows[3 * n + 2]]
        if not targets:
            return 0
        # HSET on an expired record would bring back a stub: only redact existing ones.
        pipe = self.redis.pipeline(transaction=False)
        for key, _ in targets:
            pipe.exists(key)
        alive = [t for t, found in zip(targets, pipe.execute(), strict=True) if found]
        pipe = self.redis.pipeline(transaction=False)
        for key, name in alive:
            pipe.hset(key, name, ERASED)
        pipe.execute()
        return len(alive)

    def erase_notifier(self, tenant: str, email: str) -> int:
        """Erase a notifier's name and e-mail from every notice they filed with ``tenant``."""
        index = self.keys.tenant(tenant).notifier(email_digest(email))
        refs = [_text(r) for r in self.redis.smembers(index)]
        pipe = self.redis.pipeline()
        for ref in refs:
            pipe.hset(self.keys.notice(ref), mapping={"notifier_name": ERASED,
                                                      "notifier_email": ERASED})
        pipe.delete(index)
        pipe.execute()
        return len(refs)

    def _comment(self, comment_id: str, fields: list[str]) -> dict[str, Any] | None:
        from storage.comments import CommentStore

        return CommentStore(self.redis, self.keys).get_many([comment_id], fields)[0]


def _float(value: str | None) -> float | None:
    return float(value) if value not in (None, "") else None


def _notice(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": raw.get("id"), "tenant": raw.get("tenant"), "comment_id": raw.get("comment_id"),
        "law": raw.get("law"), "explanation": raw.get("explanation"),
        "notifier_name": raw.get("notifier_name") or None,
        "notifier_email": raw.get("notifier_email") or None,
        "good_faith": raw.get("good_faith") == "1",
        "received": _float(raw.get("received")) or 0.0, "status": raw.get("status"),
        "decision": raw.get("decision") or None, "legal_ground": raw.get("legal_ground") or None,
        "decision_explanation": raw.get("decision_explanation") or None,
        "decided": _float(raw.get("decided")), "decided_by": raw.get("decided_by") or None,
        "decided_by_name": raw.get("decided_by_name") or None,
        "action_taken": raw.get("action_taken") or None,
        "comment_status": raw.get("comment_status") or None,
    }


def _appeal(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": raw.get("id"), "tenant": raw.get("tenant"), "comment_id": raw.get("comment_id"),
        "statement": raw.get("statement") or None, "filed": _float(raw.get("filed")) or 0.0,
        "status": raw.get("status"), "original_status": raw.get("original_status"),
        "original_decided": _float(raw.get("original_decided")),
        "original_decided_by": raw.get("original_decided_by") or None,
        "original_reason": raw.get("original_reason") or None,
        "original_reasons": json.loads(raw.get("original_reasons") or "[]"),
        "outcome": raw.get("outcome") or None,
        "decision_explanation": raw.get("decision_explanation") or None,
        "decided": _float(raw.get("decided")), "decided_by": raw.get("decided_by") or None,
        "decided_by_name": raw.get("decided_by_name") or None,
        "comment_status": raw.get("comment_status") or None,
    }
