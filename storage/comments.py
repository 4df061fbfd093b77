"""Comment records and their indexes in Redis.

Every state change is one Lua script, so a record, its indexes and its history
move together or not at all: a process that dies between two calls can leave a
comment pending (to be scored again) but never half-decided.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from redis import Redis

from core.tenants import DEFAULT_TENANT, tenant_of
from storage import scripts
from storage.keys import LUA_ENCODE, Keys
from storage.rate_windows import COUNT_WINDOWS_LUA, Refusal, Windows

STATUSES = ("pending", "approved", "held", "rejected")

# Fields whose values are JSON documents rather than plain strings.
_JSON_FIELDS = ("scores", "reasons", "spans", "evidence", "abuse_kinds")
_FLOAT_FIELDS = ("created", "decided")

_CREATE = COUNT_WINDOWS_LUA + """
-- KEYS: ext, seq, comment, article (its one listing), pending, drain_flag, author_stored,
--       drain_wake, then one rate-limit counter per window
-- ARGV: has_ext, id, due, flag_ttl, created, windows (n), n pairs of amount and period
--       (ms), field, value, ... (the "posted" event is a field of the record, ev_posted:
--       no history list is written)
-- flag_ttl '0': the caller scores the comment itself, so no drain job is flagged.
-- created '': no author, no author index.
-- Returns {id, created, queue a drain job}: a job is queued only when none is queued or
-- running; a running job waiting for posts ("waiting") is woken through drain_wake, by
-- the first post of its wait only (it turns the flag back to "busy": one token a wait);
-- {'', -1, window, ms left} when the poster's rate limit refuses it (counted first, as
-- every request is, retries of a known external id too; nothing is stored).
local windows = tonumber(ARGV[6])
if windows > 0 then
  local over, ms = count_windows(KEYS, 8, ARGV, 6, windows)
  if over > 0 then return {'', -1, over, ms} end
end
local first_field = 7 + 2 * windows
if ARGV[1] == '1' then
  -- Claims the external id and reads a previous claim in one command (Redis 7+).
  local existing = redis.call('SET', KEYS[1], ARGV[2], 'NX', 'GET')
  if existing then return {existing, 0, 0} end
end
local seq = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[3], 'seq', seq, unpack(ARGV, first_field))
if ARGV[5] ~= '' then redis.call('ZADD', KEYS[7], ARGV[5], ARGV[2]) end
redis.call('ZADD', KEYS[4], seq, ARGV[2])
redis.call('ZADD', KEYS[5], ARGV[3], ARGV[2])
if ARGV[4] == '0' then return {ARGV[2], 1, 0} end
-- NX: only a live job refreshes the flag's TTL, so a dead job's flag still runs out.
local was = redis.call('SET', KEYS[6], 'busy', 'NX', 'EX', ARGV[4], 'GET')
if not was then return {ARGV[2], 1, 1} end
if was == 'waiting' then
  redis.call('SET', KEYS[6], 'busy', 'EX', ARGV[4])
  redis.call('RPUSH', KEYS[8], '1')
end
return {ARGV[2], 1, 0}
"""

# Scores in the pending set are times (epoch s) on a millisecond grid, and where in the
# millisecond tells a lease from a first due time: a new comment is due at a whole
# millisecond (``due_score``), a leased one at its deadline plus half a millisecond
# (``lease_score``). The lease script reads the score it takes a comment at, so it counts
# an attempt in the attempts hash only for a comment whose lease ran out, and a first lease
# and its release write nothing but the pending set. A score read back is within 3e-4 ms
# of its grid point (doubles at 1.8e12 ms), far inside the tolerance. A score off the grid
# was written by code from before it (stored data, or a process of that code still
# running): the script reads the hash for it, as that code did, so its count goes on.
_LEASE_MARK_TOLERANCE = 0.001


def due_score(when: float) -> float:
    """``when`` (epoch s) as a first due time in the pending set (a whole millisecond)."""
    return math.floor(when * 1000) / 1000


def lease_score(until: float) -> float:
    """``until`` (epoch s) as a lease deadline in the pending set (half a millisecond past
    a whole one, so the lease script tells it from a first due time)."""
    return (math.floor(until * 1000) + 0.5) / 1000


_LEASE = """
-- KEYS: pending, attempts, drain_flag ; ARGV: now, lease score, limit, wait_ttl
-- Two commands a batch of first leases, whatever its size: the range read and one ZADD of
-- many members. A comment's leases are counted by the score it is due at (``lease_score``):
-- one due at a whole millisecond was never leased (count 1, nothing written); one due at a
-- lease's deadline (half a millisecond past) was, and its count is the attempts hash's, or
-- 1 (a first lease writes none), plus this one; one off the grid (scored by the code
-- before it) counts the hash's or 0, plus this one, as that code did. Only the counts past
-- 1 are written (one HMGET and one HSET of those ids alone, when there are any).
-- Nothing due and wait_ttl > 0 (a scoring job about to wait for posts): the drain flag,
-- if it is still there, says "waiting" from this very moment, so a post stored after this
-- script wakes the job (the create script) and none stored before it is missed.
-- Returns {leases, 1 if more are due than this batch took}, or with none due 1 (now
-- waiting) or 0 (not: the flag is gone).
local tolerance = """ + repr(_LEASE_MARK_TOLERANCE) + """
local limit = tonumber(ARGV[3])
local rows = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0,
                        limit + 1)
local n = #rows / 2
local more = 0
if n > limit then
  more = 1
  n = limit
end
if n == 0 then
  if tonumber(ARGV[4]) > 0 and redis.call('SET', KEYS[3], 'waiting', 'XX', 'EX', ARGV[4]) then
    return 1
  end
  return 0
end
local leased, out, again, floor = {}, {}, {}, {}
for i = 1, n do
  local id, ms = rows[2 * i - 1], tonumber(rows[2 * i]) * 1000
  local part = ms - math.floor(ms)
  leased[2 * i - 1], leased[2 * i] = ARGV[2], id
  out[i] = {id, 1}
  if part > tolerance and part < 1 - tolerance then
    again[#again + 1] = i
    -- Leased before: at least once. Off the grid: the hash knows.
    floor[#again] = math.abs(part - 0.5) < tolerance and 1 or 0
  end
end
redis.call('ZADD', KEYS[1], unpack(leased))
if #again > 0 then
  local ids, counted = {}, {}
  for j, i in ipairs(again) do ids[j] = out[i][1] end
  local before = redis.call('HMGET', KEYS[2], unpack(ids))
  for j, i in ipairs(again) do
    local count = (tonumber(before[j]) or floor[j]) + 1
    out[i][2] = count
    if count > 1 then
      counted[#counted + 1] = ids[j]
      counted[#counted + 1] = count
    end
  end
  if #counted > 0 then redis.call('HSET', KEYS[2], unpack(counted)) end
end
return {out, more}
"""

# What the queue can be filtered and counted by (the API's category filter accepts these):
# the model's categories (model/categories.py) and the reasons policy phases, readers'
# reports, spot checks, notices and appeals hold comments for. Readers list a scope's
# category indexes from this tuple (a ZCARD each) and from the scope's ``held_categories``
# set, which only holds categories outside it (a reason this code does not write, or data
# from before): a hold then costs no SADD per category. tests/test_queue_indexes.py checks
# the tuple against the model's categories and the phases' reasons.
QUEUE_CATEGORIES = ("abuse", "victim_identification", "premoderated", "protected_term",
                    "author_history", "reader_report", "sensitive_article", "notice", "appeal",
                    "spot_check",
                    # the tenant rules' holds (worker/phases: repeat_posts, links, ...)
                    "spam", "suspect_word", "new_commenter")

# The held queue and its indexes move together: every script that adds a comment to
# the queue or takes it out goes through these functions. ``q`` holds the six
# entries of ``queue_index_keys`` (in that order); category indexes are named by
# appending the encoded category to a prefix. The queue and its indexes are the tenant's
# only: an all-tenants page merges its tenants' (the set ``q[5]``, which a hold joins the
# tenant ``q[6]`` to unless that is '': the caller knows it is there). The categories a comment was indexed
# under are kept on its record (``queued``), so it leaves exactly those indexes even
# if its reasons changed meanwhile. The same goes for the kinds its reasons name
# (``abuse: threat`` -> ``threat``): kind indexes per scope, kept in ``queued_kinds``.
# Both fields are written in the same HSET (the decide script's own, for a hold).
QUEUE_INDEX_LUA = LUA_ENCODE + """
local known_category = {}
for _, c in ipairs({""" + ", ".join(f"'{c}'" for c in QUEUE_CATEGORIES) + """}) do
  known_category[c] = true
end

local function reason_categories(raw)
  local cats, seen = {}, {}
  if raw then
    for _, r in ipairs(cjson.decode(raw)) do
      local c = string.match(string.match(r, '^[^:]*'), '^%s*(.-)%s*$')
      if c ~= '' and not seen[c] then
        seen[c] = true
        cats[#cats + 1] = c
      end
    end
  end
  return cats
end

-- The kinds a reason names after its category ('abuse: threat + insult' -> threat, insult;
-- 'abuse: score 0.91' names none): what the queue's kind filter reads.
local function reason_kinds(raw)
  local kinds, seen = {}, {}
  if raw then
    for _, r in ipairs(cjson.decode(raw)) do
      local tail = string.match(r, '^[^:]*:(.*)$')
      if tail then
        for part in string.gmatch(tail, '[^+]+') do
          local k = string.match(part, '^%s*([a-z_]+)%s*$')
          if k and not seen[k] then
            seen[k] = true
            kinds[#kinds + 1] = k
          end
        end
      end
    end
  end
  return kinds
end

-- A list as the record keeps it (cjson writes an empty table as '{}').
local function encode_list(items)
  if #items == 0 then return '[]' end
  return cjson.encode(items)
end

-- A scope's kind indexes sit beside its category indexes: '...queue:held:cat:' gives
-- '...queue:held:kind:' (storage.keys TenantKeys.held_kind).
local function kind_prefix(category_prefix)
  return string.sub(category_prefix, 1, -5) .. 'kind:'
end

local function drop_from_category(prefix, cats_set, category, id)
  local key = prefix .. encode_id(category)
  redis.call('ZREM', key, id)
  -- Only categories outside QUEUE_CATEGORIES are in the set (and, from before, known ones
  -- whose index empties: readers skip empty indexes, so those may stay).
  if not known_category[category] and redis.call('EXISTS', key) == 0 then
    redis.call('SREM', cats_set, category)
  end
end

local function listed(items)
  local set = {}
  for _, v in ipairs(items or {}) do set[v] = true end
  return set
end

-- Takes the comment out of the indexes its marks name (raw_cats, raw_kinds: its 'queued'
-- and 'queued_kinds' fields as read, false or nil for none). keep_cats/keep_kinds: it is
-- indexed again at once under these (a hold of a queued comment), so it stays in the
-- queue and in the indexes it keeps (ZADD moves their priority); nil: it leaves the queue.
-- The marks themselves are the caller's to rewrite or delete.
local function leave_indexes(q, id, raw_cats, raw_kinds, keep_cats, keep_kinds)
  if keep_cats == nil then
    redis.call('ZREM', q[1], id)
    redis.call('ZREM', q[4], id)
  end
  local kept_cats, kept_kinds = listed(keep_cats), listed(keep_kinds)
  if raw_cats then
    for _, c in ipairs(cjson.decode(raw_cats)) do
      if not kept_cats[c] then drop_from_category(q[2], q[3], c, id) end
    end
  end
  if raw_kinds then
    for _, k in ipairs(cjson.decode(raw_kinds)) do
      if not kept_kinds[k] then redis.call('ZREM', kind_prefix(q[2]) .. encode_id(k), id) end
    end
  end
end

-- Puts the comment in the queue and the indexes of its categories and kinds; the caller
-- writes the marks (queued_marks) on the record, in its own HSET.
local function enter_indexes(q, id, priority, cats, kinds)
  redis.call('ZADD', q[1], priority, id)
  redis.call('ZADD', q[4], priority, id)
  for _, c in ipairs(cats) do
    redis.call('ZADD', q[2] .. encode_id(c), priority, id)
    if not known_category[c] then redis.call('SADD', q[3], c) end
  end
  for _, k in ipairs(kinds) do
    redis.call('ZADD', kind_prefix(q[2]) .. encode_id(k), priority, id)
  end
  -- In the same script as the indexes, so an all-tenants reader never misses them.
  if q[6] ~= '' then redis.call('SADD', q[5], q[6]) end
end

-- The record fields that say where a queued comment is indexed. 'queued' is written even
-- with no category ('[]'): the decide script reads it with the status to know whether
-- the comment is queued, instead of asking the queue.
local function queued_marks(cats, kinds)
  return {'queued', encode_list(cats), 'queued_kinds', encode_list(kinds)}
end

-- marks: {queued, queued_kinds} as the caller read them (nil: read here).
local function unindex_held(q, comment_key, id, marks)
  if marks == nil then marks = redis.call('HMGET', comment_key, 'queued', 'queued_kinds') end
  leave_indexes(q, id, marks[1], marks[2])
  if marks[1] or marks[2] then redis.call('HDEL', comment_key, 'queued', 'queued_kinds') end
end

-- (Re)indexes a held or reported comment under the reasons on its record: one read of
-- its reasons and marks, one write of its marks.
local function index_held(q, comment_key, id, priority)
  local m = redis.call('HMGET', comment_key, 'queued', 'queued_kinds', 'reasons')
  local cats, kinds = reason_categories(m[3]), reason_kinds(m[3])
  if m[1] or m[2] then leave_indexes(q, id, m[1], m[2], cats, kinds) end
  enter_indexes(q, id, priority, cats, kinds)
  redis.call('HSET', comment_key, unpack(queued_marks(cats, kinds)))
end
"""

_DECIDE = QUEUE_INDEX_LUA + """
-- KEYS: comment, history, pending, attempts, then the 6 queue index keys, then (a model's
--       first decision, ARGV[7] set) the author's counters hash and decided-comments index
-- ARGV: id, expected_status, new_status, history_event, held_priority, keep_lease,
--       author's created ('' = count no author), inline event field ('' = none),
--       field, value, ...
-- An inline event field (the model's decision: ev_scored) holds the event on the record
-- instead of appending it to the history list (CommentStore.history reads both); should
-- the record hold that event already, it goes to the list, so a second one would show.
-- expected_status '*' accepts any current status except a missing record.
-- keep_lease '1': the caller (a scoring batch) takes the ids out of the lease set (and the
-- attempts hash, for those leased more than once) itself, a whole batch at a time, once
-- this script has answered.
-- An article has one listing, whatever the status (filtered on read): a decision
-- moves nothing there.
-- 'queued' is on the record of every queued comment (storage.migrations step 4 put it on
-- those queued before), so the status read tells whether there are indexes to leave, and
-- which (with 'queued_kinds').
local inline = ARGV[8]
local f = redis.call('HMGET', KEYS[1], 'status', 'queued', 'queued_kinds',
                     inline ~= '' and inline or 'status')
local current = f[1]
local own_lease = ARGV[6] ~= '1'
if not current then
  if own_lease then redis.call('ZREM', KEYS[3], ARGV[1]) end
  return -1
end
if ARGV[2] ~= '*' and current ~= ARGV[2] then
  if ARGV[2] == 'pending' and own_lease then
    redis.call('ZREM', KEYS[3], ARGV[1])
    redis.call('HDEL', KEYS[4], ARGV[1])
  end
  return 0
end
local fields = {'status', ARGV[3]}
local inline_here = inline ~= '' and not f[4]
if inline_here then
  fields[3], fields[4] = inline, ARGV[4]
end
local reasons = false
for i = 9, #ARGV, 2 do
  fields[#fields + 1] = ARGV[i]
  fields[#fields + 1] = ARGV[i + 1]
  if ARGV[i] == 'reasons' then reasons = ARGV[i + 1] end
end
local held = ARGV[3] == 'held'
local cats, kinds
if held then
  -- Where a hold is indexed, worked out before the record is written so that its marks go
  -- in the same HSET; from the reasons just written when they were.
  if not reasons then reasons = redis.call('HGET', KEYS[1], 'reasons') end
  cats, kinds = reason_categories(reasons), reason_kinds(reasons)
  for _, v in ipairs(queued_marks(cats, kinds)) do fields[#fields + 1] = v end
end
redis.call('HSET', KEYS[1], unpack(fields))
if not inline_here then redis.call('RPUSH', KEYS[2], ARGV[4]) end
-- The author's counters (storage/authors.py), counted once per comment: a moderator's
-- decision that came first counted it already. pcall: an author key of the wrong type
-- (data from before the encoding) costs that author the counters, not the decision.
-- ('posted' is read as held + approved + rejected - twice: no increment of its own.)
if ARGV[7] ~= '' and redis.pcall('ZADD', KEYS[12], 'NX', ARGV[7], ARGV[1]) == 1 then
  redis.pcall('HINCRBY', KEYS[11], ARGV[3], 1)
end
if own_lease then
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('HDEL', KEYS[4], ARGV[1])
end
local q = {KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]}
if held then
  -- Queued already (its marks say so): it leaves only the indexes its new reasons drop.
  if f[2] or f[3] then leave_indexes(q, ARGV[1], f[2], f[3], cats, kinds) end
  enter_indexes(q, ARGV[1], ARGV[5], cats, kinds)
elseif f[2] or f[3] then
  -- Only a queued comment has indexes to leave (the common case, pending -> approved,
  -- costs no read of its own).
  unindex_held(q, KEYS[1], ARGV[1], {f[2], f[3]})
end
return 1
"""

_PURGE = QUEUE_INDEX_LUA + """
-- KEYS: comment, history, reports, claim, pending, attempts, examples, article listing,
--       the 6 queue index keys, author_comments, author_stored, external_id
-- ARGV: id, cutoff
-- Returns 0 (kept, or gone already), 1 (purged), 2 (purged while still pending).
-- The age is checked here, where the comment is deleted, so a decision landing after
-- the caller read the record keeps it.
local f = redis.call('HMGET', KEYS[1], 'status', 'decided', 'created', 'queued', 'queued_kinds')
if not f[1] then return 0 end
local stamp = f[2]
if f[1] == 'pending' then stamp = f[3] end
if not stamp or tonumber(stamp) >= tonumber(ARGV[2]) then return 0 end
-- The indexes its marks name (read above, before the record goes).
leave_indexes({KEYS[9], KEYS[10], KEYS[11], KEYS[12], KEYS[13], KEYS[14]}, ARGV[1],
              f[4], f[5])
redis.call('ZREM', KEYS[8], ARGV[1])
-- The history goes whole: with it every report reason and note about the comment.
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
redis.call('ZREM', KEYS[5], ARGV[1])
redis.call('HDEL', KEYS[6], ARGV[1])
redis.call('HDEL', KEYS[7], ARGV[1])
redis.call('ZREM', KEYS[15], ARGV[1])
redis.call('ZREM', KEYS[16], ARGV[1])
redis.call('DEL', KEYS[17])
if f[1] == 'pending' then return 2 end
return 1
"""


# Fields a retry with a known external_id must repeat for it to be the same comment.
_SUBMISSION_FIELDS = ("article_id", "text", "author_id", "author_name", "parent_id")


@dataclass(frozen=True)
class Created:
    id: str
    created: bool
    schedule_scoring: bool
    # For a known external_id: whether the stored comment is the one posted now
    # (same text, author, name, parent), i.e. a retry rather than a different comment.
    same_submission: bool = True
    # The poster's rate limit refused it (nothing stored; ``id`` is empty).
    refusal: Refusal | None = None


@dataclass(frozen=True)
class Lease:
    id: str
    # Leases of this comment so far, this one included: 1 for a first lease, more when an
    # earlier lease ran out (only those are kept in the attempts hash).
    attempts: int


# Record fields holding a history event each (the comment's first ones), kept out of the
# history list so that posting and the model's decision append to no list.
INLINE_EVENTS = ("ev_posted", "ev_scored")


def merge_events(inline: Sequence[dict[str, Any]], listed: Sequence[dict[str, Any]]
                 ) -> list[dict[str, Any]]:
    """The inline events placed among the list's by time (``at``), the list's order kept:
    "posted" comes first, and the model's decision after whatever happened while the
    comment was pending (a report, say)."""
    out: list[dict[str, Any]] = []
    waiting = sorted(inline, key=lambda e: float(e.get("at") or 0))
    for event in listed:
        while waiting and float(waiting[0].get("at") or 0) <= float(event.get("at") or 0):
            out.append(waiting.pop(0))
        out.append(event)
    return out + waiting


def _event(kind: str, **data: Any) -> str:
    return json.dumps({"event": kind, "at": time.time(), **data}, separators=(",", ":"))


def _flatten(fields: dict[str, Any]) -> list[str]:
    flat: list[str] = []
    for name, value in fields.items():
        if value is None:
            continue
        if name in _JSON_FIELDS:
            value = json.dumps(value, separators=(",", ":"))
        flat.extend((name, str(value)))
    return flat


# External ids derived from a comment's content (not the site's own id) start with this;
# they are a hash of the text, so erasing the comment removes them too.
CONTENT_ID_PREFIX = "sha256:"


def content_external_id(*parts: str | None) -> str:
    """An external id for a source that sends no id of its own: the same parts (author,
    parent, text...) give the same id, so a replayed request finds the comment it stored."""
    canonical = json.dumps(list(parts), ensure_ascii=False, separators=(",", ":"))
    return CONTENT_ID_PREFIX + hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def queue_index_keys(keys: Keys, tenant: str, article_id: str, register: bool = True
                     ) -> list[str]:
    """The held queue's keys in ``QUEUE_INDEX_LUA``'s order: the tenant's queue, category
    index prefix and set of categories, the article's index, the set of tenants with a
    queue and the tenant to add to it on a hold ('' when not ``register``: the caller
    knows it is there, as a scoring worker does once it has added it)."""
    own = keys.tenant(tenant)
    return [own.held_queue, own.held_category(""), own.held_categories,
            own.held_article(article_id), keys.queue_tenants, tenant if register else ""]


def hold_priority(scores: dict[str, float], reasons: Sequence[str], seq: int) -> float:
    """Sort key of the moderators' queue (ascending = first).

    Victim identification comes first (a legal breach outranks abuse), then the
    higher score (in 0.01 steps), then the older comment (by posting sequence);
    packed into one exactly representable number so the queue is a single sorted
    set. A protected term (a name an article's policy says must never appear) is
    the same legal risk, so it shares the first tier.
    """
    tier = 0 if any(r.startswith(("victim_identification", "protected_term")) for r in reasons) else 1
    top = max(scores.values(), default=0.0)
    bucket = round((1.0 - min(max(top, 0.0), 1.0)) * 100)
    # (tier, bucket) <= 201 and seq < 1e13 keep the key below 2**53: exact as a float.
    return float((tier * 101 + bucket) * _SEQ_SPAN + int(seq))


_SEQ_SPAN = 10**13
# Records a status-filtered article page reads at most (list_article).
_SCAN_PER_PAGE = 1000


class CommentStore:
    """Comment records, article listings and the scoring lease in Redis."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self._create = redis.register_script(_CREATE)
        self._lease = redis.register_script(_LEASE)
        self._decide = redis.register_script(_DECIDE)
        self._purge = redis.register_script(_PURGE)

    def create(
        self,
        *,
        tenant: str = DEFAULT_TENANT,
        article_id: str,
        text: str,
        author_id: str,
        author_name: str | None = None,
        external_id: str | None = None,
        parent_id: str | None = None,
        request_id: str | None = None,
        flag_ttl: int = 10,
        scoring_lease: float | None = None,
        rate_windows: Windows | None = None,
    ) -> Created:
        """Store a new comment as pending (or find the one posted under ``external_id``).

        ``scoring_lease``: the caller scores the comment at once (the synchronous
        integrations), so it starts leased to the caller for that many seconds and
        no drain job is flagged; a worker scores it only if the caller dies first.
        ``rate_windows``: the poster's rate-limit windows, counted in the same script
        (one round trip for the whole POST); past one, nothing is stored and
        ``Created.refusal`` says which.
        """
        comment_id = secrets.token_hex(8)
        now = time.time()
        due = now + scoring_lease if scoring_lease else now
        fields = {
            "id": comment_id,
            "tenant": tenant,
            "article_id": article_id,
            "text": text,
            "author_id": author_id,
            "author_name": author_name,
            "external_id": external_id,
            "parent_id": parent_id,
            "status": "pending",
            "created": repr(now),
            "request_id": request_id,
            # The first event of the history, on the record (no list written per post).
            "ev_posted": _event("posted", by=author_id),
        }
        k = self.keys
        own = k.tenant(tenant)
        result = self._create(
            keys=[
                own.external_id(article_id, external_id or ""),
                k.sequence,
                k.comment(comment_id),
                own.article_comments(article_id),
                k.pending,
                k.drain_scheduled,
                # Every comment with an author is indexed here, whatever path stored it, so
                # erasing the author never needs to scan the store.
                own.author_stored(author_id),
                k.drain_wake,
                *(rate_windows.keys if rate_windows else ()),
            ],
            args=[
                "1" if external_id else "0",
                comment_id,
                repr(due_score(due)),
                0 if scoring_lease else flag_ttl,
                repr(now) if author_id else "",
                len(rate_windows.limits) if rate_windows else 0,
                *(rate_windows.args if rate_windows else ()),
                *_flatten(fields),
            ],
        )
        if result[1] == -1:
            assert rate_windows is not None
            return Created(id="", created=False, schedule_scoring=False,
                           refusal=rate_windows.refusal(int(result[2]), int(result[3])))
        found = result[0].decode() if isinstance(result[0], bytes) else result[0]
        if result[1]:
            return Created(id=found, created=True, schedule_scoring=bool(result[2]))
        stored = self.get_many([found], ("tenant", *_SUBMISSION_FIELDS))[0] or {}
        same = tenant_of(stored) == tenant and all(
            (stored.get(name) or None) == (fields.get(name) or None) for name in _SUBMISSION_FIELDS)
        return Created(id=found, created=False, schedule_scoring=False, same_submission=same)

    def get(self, comment_id: str) -> dict[str, Any] | None:
        raw = self.redis.hgetall(self.keys.comment(comment_id))
        return _decode_record(raw) if raw else None

    def get_many(self, ids: Iterable[str], fields: Sequence[str] | None = None) -> list[dict | None]:
        pipe = self.redis.pipeline(transaction=False)
        ids = list(ids)
        for cid in ids:
            if fields:
                pipe.hmget(self.keys.comment(cid), list(fields))
            else:
                pipe.hgetall(self.keys.comment(cid))
        out: list[dict | None] = []
        for raw in pipe.execute():
            if fields:
                if raw[0] is None and all(v is None for v in raw):
                    out.append(None)
                    continue
                raw = {f.encode(): v for f, v in zip(fields, raw, strict=True) if v is not None}
            out.append(_decode_record(raw) if raw else None)
        return out

    def history(self, comment_id: str, offset: int = 0, limit: int | None = None
                ) -> list[dict[str, Any]]:
        """The comment's events, oldest first: all, or ``limit`` of them from ``offset``."""
        return self.history_page(comment_id, offset, limit)[0]

    def history_length(self, comment_id: str) -> int:
        return self.history_page(comment_id, 0, 0)[1]

    def history_page(self, comment_id: str, offset: int = 0, limit: int | None = None
                     ) -> tuple[list[dict[str, Any]], int]:
        """(events from ``offset``, ``limit`` of them or all, oldest first; how many there are).

        A comment's first events (posted, the model's decision) are fields of its record
        (``INLINE_EVENTS``: no list written for them); every later one (moderators,
        reports, notices...) is in the history list, as were all of them in records from
        before. One pipelined read of both."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hmget(self.keys.comment(comment_id), list(INLINE_EVENTS))
        # Inline events come before list events or between them, so this many list events
        # cover the page.
        end = -1 if limit is None else offset + limit - 1
        pipe.lrange(self.keys.history(comment_id), 0, end)
        pipe.llen(self.keys.history(comment_id))
        inline, listed, length = pipe.execute()
        inline_events = [json.loads(e) for e in inline if e is not None]
        merged = merge_events(inline_events, [json.loads(e) for e in listed])
        stop = None if limit is None else offset + limit
        return merged[offset:stop], int(length) + len(inline_events)

    def list_article(
        self, tenant: str, article_id: str, status: str | None, after: int | None, limit: int
    ) -> tuple[list[dict[str, Any]], int | None]:
        """One page of a tenant's article's comments in posting order; returns
        (records, next cursor).

        An article has one listing; ``status`` filters it as it is read (a decision then
        costs no listing writes). A filtered page reads at most ``_SCAN_PER_PAGE`` records
        past the cursor, so a page of a rare status under a long article may hold fewer
        than ``limit`` (even none) with a cursor to go on from."""
        key = self.keys.tenant(tenant).article_comments(article_id)
        low = f"({after}" if after is not None else "-inf"
        if status is None:
            rows = self.redis.zrangebyscore(key, low, "+inf", start=0, num=limit + 1,
                                            withscores=True)
            page, more = rows[:limit], len(rows) > limit
            records = [r for r in self.get_many(m.decode() for m, _ in page) if r is not None]
            return records, (int(page[-1][1]) if more and page else None)
        found: list[tuple[dict[str, Any], int]] = []
        scanned = 0
        bound = max(_SCAN_PER_PAGE, limit + 1)
        while len(found) <= limit and scanned < bound:
            chunk = min(max(limit + 1, 50), bound - scanned)
            rows = self.redis.zrangebyscore(key, low, "+inf", start=0, num=chunk, withscores=True)
            if not rows:
                return [r for r, _ in found], None
            records = self.get_many(m.decode() for m, _ in rows)
            for (_, seq), record in zip(rows, records, strict=True):
                if record is not None and record.get("status") == status:
                    found.append((record, int(seq)))
            scanned += len(rows)
            low = f"({int(rows[-1][1])}"
            if len(rows) < chunk:
                return [r for r, _ in found[:limit]], (
                    found[limit - 1][1] if len(found) > limit else None)
        if len(found) > limit:
            return [r for r, _ in found[:limit]], found[limit - 1][1]
        # The scan's bound reached with the listing not read to its end.
        return [r for r, _ in found], int(low[1:])

    # Scoring pipeline ------------------------------------------------------
    def lease(self, limit: int, lease_seconds: float, now: float | None = None) -> list[Lease]:
        """Take up to ``limit`` comments due for scoring, hidden from others until the lease ends."""
        return self.lease_or_wait(limit, lease_seconds, 0, now)[0]

    def lease_or_wait(self, limit: int, lease_seconds: float, wait_ttl: int,
                      now: float | None = None) -> tuple[list[Lease], bool, bool]:
        """``lease``; with nothing due and ``wait_ttl`` > 0, also mark the drain flag
        "waiting" (for that many seconds) in the same script, so the next post pushes a
        wake-up token. Returns (leases, waiting, backlog): waiting is False when the flag
        is gone (another job freed it: posts queue jobs again); backlog, that more were due
        than ``limit`` (read by the same command)."""
        now = time.time() if now is None else now
        rows = self._lease(
            keys=[self.keys.pending, self.keys.attempts, self.keys.drain_scheduled],
            args=[repr(now), repr(lease_score(now + lease_seconds)), limit, int(wait_ttl)],
        )
        if isinstance(rows, int):
            return [], bool(rows), False
        return [Lease(id=r[0].decode(), attempts=int(r[1])) for r in rows[0]], False, bool(rows[1])

    def renew_lease(self, ids: Sequence[str], lease_seconds: float, now: float | None = None) -> int:
        """Push the lease of ``ids`` to now + ``lease_seconds`` while their holder still works
        on them; returns how many moved. Only ids still pending move (XX: a decided or
        handed-off comment is not put back), and only forward (GT)."""
        if not ids:
            return 0
        until = lease_score((time.time() if now is None else now) + lease_seconds)
        return int(self.redis.zadd(self.keys.pending, {cid: until for cid in ids}, xx=True, gt=True,
                                   ch=True))

    def next_due(self) -> float | None:
        """When the earliest pending comment may be leased (None when nothing is pending)."""
        row = self.redis.zrange(self.keys.pending, 0, 0, withscores=True)
        return row[0][1] if row else None

    def pending_count(self) -> int:
        return int(self.redis.zcard(self.keys.pending))

    def release(self, ids: Sequence[str], pipe: Any = None,
                counted: Collection[str] | None = None) -> None:
        """Take ``ids`` out of the scoring lease: one command for a whole batch whose
        decision scripts ran with ``keep_lease``. Only ids whose script answered belong
        here (decided, decided before, or gone): a comment whose write failed stays leased
        and is scored again when the lease ends. ``counted``: those of ``ids`` whose lease
        was counted in the attempts hash (``Lease.attempts`` > 1), whose count goes with
        them; None when the caller does not know, which forgets any count of every id.
        ``pipe``: queue them there (the caller executes it)."""
        if not ids:
            return
        own = pipe is None
        if own:
            pipe = self.redis.pipeline(transaction=False)
        pipe.zrem(self.keys.pending, *ids)
        forget = list(ids) if counted is None else [cid for cid in ids if cid in counted]
        if forget:
            pipe.hdel(self.keys.attempts, *forget)
        if own:
            pipe.execute()

    def detach_from_lease(self, comment_id: str) -> None:
        """Stop batch leasing of a comment that an RQ job of its own now owns."""
        pipe = self.redis.pipeline()
        pipe.zrem(self.keys.pending, comment_id)
        pipe.hdel(self.keys.attempts, comment_id)
        pipe.execute()

    def transition(
        self,
        comment_id: str,
        *,
        tenant: str,
        article_id: str,
        expected: str,
        new_status: str,
        fields: dict[str, Any],
        event: str,
        event_data: dict[str, Any],
        priority: float = 0.0,
        pipe: Any = None,
        keep_lease: bool = False,
        author: tuple[str, float] | None = None,
        inline_event: bool = False,
        evalsha: bool = False,
        register_tenant: bool = True,
    ) -> int:
        """Move a comment to ``new_status`` if it is in ``expected`` ('*' for any).

        Returns 1 when changed, 0 when the comment was not in the expected status
        (a repeated job: nothing changes), -1 when there is no such comment.
        ``pipe`` queues the script on a pipeline instead (the caller executes it).
        ``keep_lease``: leave the comment in the scoring lease; the caller then calls
        ``release`` with the ids whose scripts answered (a batch at a time).
        ``author``: (author id, comment's created) when this is the model's decision of a
        comment with an author: the author's counters (``storage.authors``) are counted in
        the same script, once per comment.
        ``inline_event``: the event is stored on the record (``ev_<event>``, one of
        ``INLINE_EVENTS``) rather than appended to the history list: the model's decision.
        ``evalsha``: queue a plain EVALSHA on ``pipe``, which the caller then runs with
        ``storage.scripts.execute`` (no SCRIPT EXISTS before the pipeline).
        ``register_tenant``: a hold adds the tenant to ``Keys.queue_tenants``; False when the
        caller knows it is there (a scoring worker, which saves that command a hold).
        """

        k = self.keys
        keys = [
            k.comment(comment_id),
            k.history(comment_id),
            k.pending,
            k.attempts,
            *queue_index_keys(k, tenant, article_id, register=register_tenant),
        ]
        if author is not None:
            own = k.tenant(tenant)
            keys += [own.author(author[0]), own.author_comments(author[0])]
        args = [
            comment_id,
            expected,
            new_status,
            _event(event, **event_data),
            repr(priority),
            "1" if keep_lease else "0",
            repr(author[1]) if author is not None else "",
            f"ev_{event}" if inline_event else "",
            *_flatten(fields),
        ]
        if pipe is not None and evalsha:
            scripts.queue(self._decide, pipe, keys, args)
            return 0
        if pipe is not None:
            return self._decide(keys=keys, args=args, client=pipe)
        return int(self._decide(keys=keys, args=args))


    def purge(
        self,
        comment_id: str,
        *,
        tenant: str,
        article_id: str,
        author_id: str | None,
        external_id: str | None,
        cutoff: float,
        pipe: Any = None,
    ) -> int:
        """Delete a comment whole (record, history, reports, claim, every index, example) if
        it was decided before ``cutoff`` (epoch s), or is still pending and was posted before
        it. Returns 1 when purged, 2 when purged while pending, 0 when kept or gone.
        ``tenant`` ... ``external_id`` are the record's (they name its indexes); ``pipe``
        queues the script on a pipeline instead (the caller executes it)."""
        k = self.keys
        own = k.tenant(tenant)
        keys = [
            k.comment(comment_id),
            k.history(comment_id),
            k.reports(comment_id),
            k.claim(comment_id),
            k.pending,
            k.attempts,
            k.examples,
            own.article_comments(article_id),
            *queue_index_keys(k, tenant, article_id, register=False),
            own.author_comments(author_id or ""),
            own.author_stored(author_id or ""),
            own.external_id(article_id, external_id or ""),
        ]
        if pipe is not None:
            return self._purge(keys=keys, args=[comment_id, repr(cutoff)], client=pipe)
        return int(self._purge(keys=keys, args=[comment_id, repr(cutoff)]))

def _decode_record(raw: dict[bytes, bytes]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for key, value in raw.items():
        name = key.decode() if isinstance(key, bytes) else key
        text = value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value
        if name in _JSON_FIELDS:
            record[name] = json.loads(text)
        elif name in _FLOAT_FIELDS:
            record[name] = float(text)
        elif name in ("seq", "attempts"):
            record[name] = int(text)
        else:
            record[name] = text
    return record
