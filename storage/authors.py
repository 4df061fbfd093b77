"""Per-author history: counters, recent comments, recent outcomes, bans.

Counters (one hash per author):

- ``held``: comments the model or policy ever held for review;
- ``approved`` / ``rejected``: comments whose *current* status is that
  (a moderator's re-decision moves one from one counter to the other);
- ``twice``: comments counted under two of those (a held comment a moderator then
  approved or rejected counts as held and as approved or rejected);
- ``posted``, comments decided so far, is not stored: it is ``held + approved +
  rejected - twice``, read with the others (one HINCRBY less per decided comment).
  Hashes from before kept ``posted``; storage.migrations step 6 turned it into
  ``twice``.

Both updates are Lua scripts keyed on the author's comment index (``ZADD NX``),
so a scoring job that runs twice counts a comment once: the model's inside its
decide script (``storage.comments`` ``_DECIDE``), a moderator's in ``_DECIDED``.

Authors are the sites' own ids, so each tenant has its own: the same id under two
titles is two people, with two histories and two bans (``Keys.tenant``).

Pre-moderation: the last ``AUTHOR_WINDOW`` *moderator* decisions (the model's
own approvals say nothing about an author's judgement) are kept newest first;
once there are at least ``AUTHOR_MIN_DECISIONS`` and the share of rejections
reaches ``AUTHOR_REJECT_RATE``, every new comment of the author is held.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from redis import Redis

from core.config import Settings
from storage.keys import Keys

COUNTERS = ("posted", "held", "approved", "rejected")
# What is stored of them (``posted`` is derived: ``posted_of``).
STORED_COUNTERS = ("held", "approved", "rejected", "twice")
# Outcomes kept beyond the window, so raising AUTHOR_WINDOW takes effect at once.
_OUTCOMES_KEPT = 100

_DECIDED = """
-- KEYS: author, author_comments, outcomes
-- ARGV: comment_id, created, old_status, new_status, keep
local added = redis.call('ZADD', KEYS[2], 'NX', ARGV[2], ARGV[1])
if added == 1 then
  -- decided before the worker scored it: the worker will not count it again
  redis.call('HINCRBY', KEYS[1], ARGV[4], 1)
elseif ARGV[3] ~= ARGV[4] then
  if ARGV[3] == 'approved' or ARGV[3] == 'rejected' then
    redis.call('HINCRBY', KEYS[1], ARGV[3], -1)
  else
    -- still counted as held: now under two counters ('posted' = the sum less 'twice')
    redis.call('HINCRBY', KEYS[1], 'twice', 1)
  end
  redis.call('HINCRBY', KEYS[1], ARGV[4], 1)
end
redis.call('LREM', KEYS[3], 0, 'approved:' .. ARGV[1])
redis.call('LREM', KEYS[3], 0, 'rejected:' .. ARGV[1])
redis.call('LPUSH', KEYS[3], ARGV[4] .. ':' .. ARGV[1])
redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[5]) - 1)
-- The same outcomes as one letter each, newest first ('r' rejected, 'a' approved), on the
-- author's hash: what the worker reads, with the counters, in one command per author.
local marks = {}
for i, o in ipairs(redis.call('LRANGE', KEYS[3], 0, -1)) do marks[i] = string.sub(o, 1, 1) end
redis.call('HSET', KEYS[1], 'outcomes', table.concat(marks))
return 1
"""


@dataclass(frozen=True)
class AuthorState:
    """What the decision phases need to know about an author."""

    banned: bool = False
    premoderated: bool = False
    decisions: int = 0
    rejection_rate: float = 0.0
    # For the tenant rules (storage/tenant_rules.py): comments scored so far, comments whose
    # current status is approved, and recent (time, fingerprint) pairs of the repeat rule.
    posted: int = 0
    approved: int = 0
    fingerprints: tuple[tuple[float, int], ...] = ()


class AuthorStore:
    def __init__(self, redis: Redis, keys: Keys, settings: Settings) -> None:
        self.redis = redis
        self.keys = keys
        self.settings = settings
        self._decided = redis.register_script(_DECIDED)

    # Counters ------------------------------------------------------------------
    def queue_decided(self, pipe: Any, *, tenant: str, author_id: str, comment_id: str,
                      created: float, old_status: str, new_status: str) -> None:
        """Move the comment between counters and record the moderator's outcome."""
        own = self.keys.tenant(tenant)
        self._decided(
            keys=[own.author(author_id), own.author_comments(author_id),
                  own.author_outcomes(author_id)],
            args=[comment_id, repr(created), old_status, new_status,
                  max(_OUTCOMES_KEPT, self.settings.author_window)],
            client=pipe,
        )

    # State for the decision phases ------------------------------------------------
    # Commands ``queue_state`` queues (``parse_state`` takes their results in order).
    STATE_READS = 1
    # The author hash's fields ``parse_state`` reads. ``outcomes`` copies the outcomes list
    # (one letter per outcome, newest first), written in the same script as the list;
    # storage.migrations step 5 put it on authors from before. ``ban_at`` is there while a
    # ban stands: a ban has always written it beside the banned set, in one transaction.
    STATE_FIELDS = (*STORED_COUNTERS, "fingerprints", "outcomes", "ban_at")

    def queue_state(self, pipe: Any, tenant: str, author_id: str) -> None:
        """Queue the read ``parse_state`` takes (the worker batches it for many authors):
        one HMGET of the author's hash."""
        pipe.hmget(self.keys.tenant(tenant).author(author_id), *self.STATE_FIELDS)

    def parse_state(self, fields: list[bytes | None] | None) -> AuthorState:
        held, approved, rejected, twice, fingerprints, outcomes, ban_at = (
            fields or (None,) * len(self.STATE_FIELDS))
        marks = (outcomes or b"")[:max(0, self.settings.author_window)]
        decisions = len(marks)
        rate = marks.count(b"r") / decisions if decisions else 0.0
        premoderated = (decisions >= self.settings.author_min_decisions
                        and rate >= self.settings.author_reject_rate)
        return AuthorState(banned=ban_at is not None, premoderated=premoderated,
                           decisions=decisions, rejection_rate=rate,
                           posted=posted_of(held, approved, rejected, twice),
                           approved=max(0, int(approved or 0)),
                           fingerprints=_parse_fingerprints(fingerprints))

    def state(self, tenant: str, author_id: str) -> AuthorState:
        pipe = self.redis.pipeline(transaction=False)
        self.queue_state(pipe, tenant, author_id)
        return self.parse_state(*pipe.execute())

    def queue_fingerprints(self, pipe: Any, tenant: str, author_id: str,
                           fingerprints: list[tuple[float, int]], kept: int) -> None:
        """Store the author's most recent ``kept`` (time, fingerprint) pairs of the repeat rule
        (queued on the worker's batch pipeline: no round trip of its own). Fingerprints are
        hashes of word features, not text; erasing the author drops them with the name."""
        recent = sorted(fingerprints)[-kept:]
        value = json.dumps([[round(t, 3), f"{f:016x}"] for t, f in recent], separators=(",", ":"))
        pipe.hset(self.keys.tenant(tenant).author(author_id), "fingerprints", value)

    def is_banned(self, tenant: str, author_id: str) -> bool:
        return bool(self.redis.sismember(self.keys.tenant(tenant).banned_authors, author_id))

    def is_premoderated(self, tenant: str, author_id: str) -> bool:
        return self.state(tenant, author_id).premoderated

    # Profile ----------------------------------------------------------------------
    def profile(self, tenant: str, author_id: str, recent: int = 10) -> dict[str, Any]:
        """Counters, ban, pre-moderation state and the ids of the latest comments."""
        own = self.keys.tenant(tenant)
        pipe = self.redis.pipeline(transaction=False)
        pipe.hgetall(own.author(author_id))
        self.queue_state(pipe, tenant, author_id)
        pipe.zrevrange(own.author_comments(author_id), 0, recent - 1)
        raw, state_fields, recent_ids = pipe.execute()
        fields = {k.decode(): v.decode() for k, v in raw.items()}
        state = self.parse_state(state_fields)
        ban = None
        if state.banned:
            ban = {"reason": fields.get("ban_reason"), "by": fields.get("ban_by"),
                   "at": float(fields["ban_at"]) if fields.get("ban_at") else None}
        return {
            "id": author_id,
            "tenant": tenant,
            "counts": {"posted": posted_of(*(fields.get(n) for n in STORED_COUNTERS)),
                       **{name: max(0, int(fields.get(name, 0))) for name in COUNTERS[1:]}},
            "banned": state.banned,
            "ban": ban,
            "premoderated": state.premoderated,
            "recent_decisions": state.decisions,
            "rejection_rate": round(state.rejection_rate, 4),
            "recent_comment_ids": [i.decode() for i in recent_ids],
        }

    # Bans -------------------------------------------------------------------------
    def ban(self, tenant: str, author_id: str, *, by: str, reason: str,
            by_name: str | None = None) -> bool:
        """Ban the author (their comments scored from now on are rejected); False if already banned.

        ``by`` identifies who banned (``moderator:<key id>``); ``by_name`` is for display."""
        own = self.keys.tenant(tenant)
        now = time.time()
        pipe = self.redis.pipeline()
        pipe.sadd(own.banned_authors, author_id)
        pipe.hset(own.author(author_id),
                  mapping={"ban_reason": reason, "ban_by": by, "ban_at": repr(now)})
        pipe.rpush(own.author_audit(author_id), _audit("banned", by, by_name, reason, now))
        return bool(pipe.execute()[0])

    def unban(self, tenant: str, author_id: str, *, by: str, reason: str,
              by_name: str | None = None) -> bool:
        """Lift a ban; False if the author was not banned (nothing is recorded then)."""
        own = self.keys.tenant(tenant)
        if not self.redis.sismember(own.banned_authors, author_id):
            return False
        now = time.time()
        pipe = self.redis.pipeline()
        pipe.srem(own.banned_authors, author_id)
        pipe.hdel(own.author(author_id), "ban_reason", "ban_by", "ban_at")
        pipe.rpush(own.author_audit(author_id), _audit("unbanned", by, by_name, reason, now))
        return bool(pipe.execute()[0])

    def audit(self, tenant: str, author_id: str) -> list[dict[str, Any]]:
        key = self.keys.tenant(tenant).author_audit(author_id)
        return [json.loads(e) for e in self.redis.lrange(key, 0, -1)]


def posted_of(held: Any, approved: Any, rejected: Any, twice: Any) -> int:
    """Comments decided so far, from the stored counters (bytes, str or None)."""
    return max(0, sum(int(v or 0) for v in (held, approved, rejected)) - int(twice or 0))


def _parse_fingerprints(raw: bytes | None) -> tuple[tuple[float, int], ...]:
    if not raw:
        return ()
    try:
        return tuple((float(t), int(f, 16)) for t, f in json.loads(raw))
    except (ValueError, TypeError):
        return ()


def _audit(event: str, by: str, by_name: str | None, reason: str, at: float) -> str:
    return json.dumps({"event": event, "by": by, "by_name": by_name, "reason": reason, "at": at},
                      separators=(",", ":"))
