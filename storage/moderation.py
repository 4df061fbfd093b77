"""The moderators' side of the store: review queue, claims, decisions, readers' reports.

Claims are one string per comment with a TTL (``SET NX`` semantics inside a
Lua script), so an abandoned claim lapses on its own and two moderators can
never hold the same comment. A decision is one optimistic transaction (WATCH
on the claim and the record): the claim check, the status change (the shared
``CommentStore.transition`` script), the labelled example and the author's
counters commit together or the decision is retried.

Moderators are API keys, identified by key id (two keys may share a name); the
name is kept beside the id for display. A moderator sees and acts on the
comments of its key's tenant only, or on every tenant's with "*": anything
else is "not found", exactly as a comment that does not exist.

The held queue is indexed per tenant, per tenant and category (and kind), and per
tenant and article (kept by the same Lua scripts that move comments in and out of the
queue, storage/comments.py), so a page of the queue reads its own index from
the cursor on, and counts are the indexes' sizes; only score filters read the
(tenant's or article's) queue in bounded chunks. All tenants have no queue or indexes of
their own: an all-tenants page merges its tenants' (``Keys.queue_tenants``) by priority
then id, the order one index of them all would have, and its counts add theirs up.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from redis import Redis
from redis.exceptions import WatchError

from core.config import Settings
from core.tenants import ALL_TENANTS, DEFAULT_TENANT, may_see, tenant_of
from storage.authors import AuthorStore
from storage.comments import (
    QUEUE_CATEGORIES,
    QUEUE_INDEX_LUA,
    CommentStore,
    hold_priority,
    queue_index_keys,
)
from storage.erasure import ERASED
from storage.examples import ExampleStore, labels_for
from storage.keys import LUA_ENCODE, Keys, TenantKeys
from storage.quality import QualityStore, label_source

log = logging.getLogger("storage.moderation")

REASON_CODES = ("abuse", "victim_identification", "legal", "spam", "off_topic", "other")
ACTIONS = ("approve", "reject")
MAX_NOTE_CHARS = 2000
MAX_BULK = 200
REPORT_REASON = "reader_report"
# Events one history request returns at most (and by default).
MAX_HISTORY_PAGE = 500
DEFAULT_HISTORY_PAGE = 100


@dataclass(frozen=True)
class Moderator:
    """Who moderates: an API key's id (the identity), its name (for display) and the tenant
    it may see ("*": all)."""

    key_id: str
    name: str
    tenant: str = DEFAULT_TENANT

    @property
    def token(self) -> str:
        """The value of this moderator's claims (the id decides; the name rides along)."""
        return f"{self.key_id}:{self.name}"

    @property
    def by(self) -> str:
        """How records, history and audits name the moderator."""
        return f"moderator:{self.key_id}"

    def may_see(self, record: dict[str, Any] | None) -> bool:
        return record is not None and may_see(self.tenant, tenant_of(record))


def claim_holder_parts(value: str | None) -> tuple[str | None, str | None]:
    """(key id, name) of a claim's value; a claim from before key ids has a name only."""
    if value is None:
        return None, None
    key_id, sep, name = value.partition(":")
    return (key_id, name) if sep else (None, value)


class ClaimConflict(Exception):
    """The comment is claimed by another moderator (``holder``: their name, for display)."""

    def __init__(self, holder: str, holder_key_id: str | None = None) -> None:
        super().__init__(f"claimed by {holder}")
        self.holder = holder
        self.holder_key_id = holder_key_id


class ReportLimited(Exception):
    """The reader has made as many reports as one window allows."""


class DecisionConflict(Exception):
    """Someone else decided the comment since the moderator looked at it."""

    def __init__(self, status: str, decided_by: str | None) -> None:
        super().__init__(f"already {status} by {decided_by or 'nobody'}")
        self.status = status
        self.decided_by = decided_by


class NotFound(LookupError):
    """No such comment."""


class ReviewPending(Exception):
    """The comment waits under a notice or an appeal (``category``): it is decided through
    that route (storage/dsa.py), which records the outcome for the notifier or the author."""

    def __init__(self, category: str) -> None:
        super().__init__(f"open {category}")
        self.category = category


class InvalidDecision(ValueError):
    """An action, reason code or note the API does not accept."""


class InvalidCursor(ValueError):
    """A queue cursor this store did not hand out."""


def category_of(reason: str) -> str:
    """The category a hold reason counts under ('victim_identification: name + school' ->
    'victim_identification'; policy reasons such as 'protected_term' are their own)."""
    return reason.split(":", 1)[0].strip()


_CLAIM = """
-- KEYS: claim_i, history_i, comment_i for each candidate
-- ARGV: moderator token, ttl_ms, max, history_event, then id_i for each candidate
-- A comment is queued while its record carries the 'queued' mark (storage/comments.py),
-- whichever tenant's queue it is in.
local out = {}
local n = 0
local limit = tonumber(ARGV[3])
for i = 5, #ARGV do
  if n >= limit then break end
  local id = ARGV[i]
  local k = (i - 5) * 3 + 1
  if redis.call('HEXISTS', KEYS[k + 2], 'queued') == 1 then
    local holder = redis.call('GET', KEYS[k])
    if not holder then
      redis.call('SET', KEYS[k], ARGV[1], 'PX', ARGV[2])
      redis.call('RPUSH', KEYS[k + 1], ARGV[4])
      n = n + 1
      out[n] = id
    elseif holder == ARGV[1] then
      redis.call('PEXPIRE', KEYS[k], ARGV[2])
      n = n + 1
      out[n] = id
    end
  end
end
return out
"""

_RELEASE = """
-- KEYS: claim_i ; ARGV: moderator token, then id_i
local out = {}
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then
    redis.call('DEL', KEYS[i])
    out[#out + 1] = ARGV[i + 1]
  end
end
return out
"""

_REPORT = QUEUE_INDEX_LUA + """
-- KEYS: comment, history, reports, reader_counter, then the 6 queue index keys
-- ARGV: id, reader_id, history_event, priority, reason, max_per_comment, max_per_reader,
--       window_seconds, history_event_erased   (a maximum of 0: no cap)
-- Returns {found, report_count, in_queue, outcome}; outcome is 'counted', 'repeat' (this
-- reader reported it before), 'comment_full' (the comment has all the reports it keeps)
-- or 'reader_limit' (the reader's reports in this window are used up).
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {0, 0, 0, 'missing'} end
local q = {KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]}
local function queued()
  if redis.call('ZSCORE', KEYS[5], ARGV[1]) then return 1 end
  return 0
end
if redis.call('SISMEMBER', KEYS[3], ARGV[2]) == 1 then
  return {1, redis.call('SCARD', KEYS[3]), queued(), 'repeat'}
end
local per_comment = tonumber(ARGV[6])
if per_comment > 0 and redis.call('SCARD', KEYS[3]) >= per_comment then
  return {1, redis.call('SCARD', KEYS[3]), queued(), 'comment_full'}
end
local per_reader = tonumber(ARGV[7])
if per_reader > 0 then
  local used = redis.call('INCR', KEYS[4])
  if used == 1 then redis.call('EXPIRE', KEYS[4], ARGV[8]) end
  if used > per_reader then
    return {1, redis.call('SCARD', KEYS[3]), queued(), 'reader_limit'}
  end
end
redis.call('SADD', KEYS[3], ARGV[2])
-- Its author was erased: a reason quoting what the reader saw must not bring it back.
-- Checked here, not by the caller, so an erasure landing meanwhile is seen.
if redis.call('HEXISTS', KEYS[1], 'erased') == 1 then
  redis.call('RPUSH', KEYS[2], ARGV[9])
else
  redis.call('RPUSH', KEYS[2], ARGV[3])
end
if status == 'approved' or status == 'held' then
  local raw = redis.call('HGET', KEYS[1], 'reasons')
  local reasons = {}
  if raw then reasons = cjson.decode(raw) end
  local seen = false
  for _, r in ipairs(reasons) do
    if r == ARGV[5] then seen = true end
  end
  if not seen then
    reasons[#reasons + 1] = ARGV[5]
    redis.call('HSET', KEYS[1], 'reasons', cjson.encode(reasons))
  end
  local current = redis.call('ZSCORE', KEYS[5], ARGV[1])
  if current then
    -- Already queued: indexed again so it also counts as a reader report.
    index_held(q, KEYS[1], ARGV[1], current)
  elseif status == 'approved' then
    -- Published comments go back to the moderators but stay published.
    index_held(q, KEYS[1], ARGV[1], ARGV[4])
  end
end
return {1, redis.call('SCARD', KEYS[3]), queued(), 'counted'}
"""

# Queued comments one _SCAN call looks at: a few milliseconds of Redis time at most.
_SCAN_CHUNK = 250
# Index entries one page read takes at a time (claimed ones are skipped).
_PAGE_CHUNK = 100

_SCAN = LUA_ENCODE + """
-- KEYS: index (a held-queue index: a tenant's, an article's or all tenants')
-- ARGV: comment_prefix, claim_prefix, start, count, kind, category, min, max,
--       moderator, after_score, after_id, want   ('' = no such filter)
-- Returns {scanned, total, {category, n, ...}, {id, priority, ...}}: how many index
-- entries were looked at, how many pass the score filters, their counts per
-- category, and up to `want` page entries after the cursor.
local rows = redis.call('ZRANGE', KEYS[1], ARGV[3], tonumber(ARGV[3]) + tonumber(ARGV[4]) - 1,
                        'WITHSCORES')
local counts, total, page, want = {}, 0, {}, tonumber(ARGV[12])
local after = tonumber(ARGV[10])
local scored = ARGV[7] ~= '' or ARGV[8] ~= ''
for i = 1, #rows, 2 do
  local id, priority = rows[i], rows[i + 1]
  local f = redis.call('HMGET', ARGV[1] .. encode_id(id), 'article_id', 'reasons', 'scores')
  if f[1] then
    local keep = true
    if scored then
      -- Scores are decoded only when a score filter asks for them (the slow part).
      local scores = f[3] and cjson.decode(f[3]) or {}
      local value = scores[ARGV[6]]
      if type(value) ~= 'number' then
        value = 0
        for _, v in pairs(scores) do
          if type(v) == 'number' and v > value then value = v end
        end
      end
      keep = (ARGV[7] == '' or value >= tonumber(ARGV[7])) and (ARGV[8] == '' or value <= tonumber(ARGV[8]))
    end
    if keep then
      total = total + 1
      local cats = {}
      -- Reasons are a JSON list of plain strings this service wrote; the category
      -- is the part before the first ':'.
      for r in string.gmatch(f[2] or '', '"([^"]*)"') do
        cats[string.match(string.match(r, '^[^:]*'), '^%s*(.-)%s*$')] = true
      end
      for cat in pairs(cats) do counts[cat] = (counts[cat] or 0) + 1 end
      -- the kind filter: a kind named after a reason's category ('abuse: threat + insult')
      local kind_ok = ARGV[5] == ''
      if not kind_ok then
        for r in string.gmatch(f[2] or '', '"([^"]*)"') do
          local tail = string.match(r, '^[^:]*:(.*)$')
          if tail then
            for part in string.gmatch(tail, '[^+]+') do
              if string.match(part, '^%s*([a-z_]+)%s*$') == ARGV[5] then kind_ok = true end
            end
          end
        end
      end
      if #page < 2 * want and kind_ok and (ARGV[6] == '' or cats[ARGV[6]]) then
        local holder = redis.call('GET', ARGV[2] .. encode_id(id))
        local free = ARGV[9] == '' or not holder or holder == ARGV[9]
        local p = tonumber(priority)
        if free and (not after or p > after or (p == after and id > ARGV[11])) then
          page[#page + 1] = id
          page[#page + 1] = priority
        end
      end
    end
  end
end
local flat = {}
for cat, n in pairs(counts) do
  flat[#flat + 1] = cat
  flat[#flat + 1] = n
end
return {#rows / 2, total, flat, page}
"""


def _event(kind: str, **data: Any) -> str:
    return json.dumps({"event": kind, "at": time.time(), **data}, separators=(",", ":"))


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


class ModerationStore:
    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        comments: CommentStore,
        settings: Settings,
        on_decided: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> None:
        # on_decided: told of every moderator decision once it is stored (the service
        # passes webhook emission); storage itself knows nothing of queues or HTTP.
        self.on_decided = on_decided
        self.redis = redis
        self.keys = keys
        self.comments = comments
        self.settings = settings
        self.examples = ExampleStore(redis, keys)
        self.authors = AuthorStore(redis, keys, settings)
        self.quality = QualityStore(redis, keys)
        self._claim = redis.register_script(_CLAIM)
        self._release = redis.register_script(_RELEASE)
        self._report = redis.register_script(_REPORT)
        self._scan = redis.register_script(_SCAN)

    # Queue ------------------------------------------------------------------------------
    def _tenant_scopes(self, tenant: str | None) -> list[TenantKeys]:
        """The tenants whose queue and indexes a page of ``tenant``'s queue reads: that one,
        or for all tenants every tenant that has had a comment held."""
        if tenant is None or tenant == ALL_TENANTS:
            return [self.keys.tenant(t) for t in queue_tenants(self.redis, self.keys)]
        return [self.keys.tenant(tenant)]

    def queue(
        self,
        *,
        tenant: str | None,
        article_id: str | None = None,
        category: str | None = None,
        min_score: float | None = None,
        max_score: float | None = None,
        cursor: str | None = None,
        limit: int = 50,
        moderator: Moderator | None = None,
        kind: str | None = None,
    ) -> dict[str, Any]:
        """One page of a tenant's held queue (``tenant`` None: all tenants') in priority
        order, with counts per category.

        Counts cover every queued comment that passes the article and score
        filters (whatever its category or claim), so a client can show how many
        wait under each category next to the filter. Scores filter on the
        category's score when a model category is chosen, else on the highest.
        With ``moderator``, comments another moderator has claimed are left out.
        ``kind`` keeps the comments whose hold reasons name that kind (``abuse: threat``),
        read from the scope's kind index (with no other filter but the cursor).
        An article filter needs a tenant (article ids are the site's own).

        Without an article or score filter, counts are the sizes of the category
        indexes and the page is read from the (category) index from the cursor
        on. With one, the article's index (or for score filters the tenant's
        queue) is read in Redis, ``_SCAN_CHUNK`` entries per script call, so no
        call blocks Redis for long.
        """
        after = _parse_cursor(cursor)
        if article_id is not None and (tenant is None or tenant == ALL_TENANTS):
            raise ValueError("an article filter needs a tenant")
        scopes = self._tenant_scopes(tenant)
        token = moderator.token if moderator is not None else None
        indexed = article_id is None and min_score is None and max_score is None
        if indexed and not (category and kind):
            counts, total = self._counts(scopes)
            if category:
                sources = [scope.held_category(category) for scope in scopes]
            elif kind:
                sources = [scope.held_kind(kind) for scope in scopes]
            else:
                sources = [scope.held_queue for scope in scopes]
            page = self._page_from_indexes(sources, after, limit + 1, token)
        else:
            if article_id is not None:
                indexes = [self.keys.tenant(str(tenant)).held_article(article_id)]
            else:
                indexes = [scope.held_queue for scope in scopes]
            page, counts, total = self._scan_indexes(indexes, category, min_score, max_score,
                                                     after, limit + 1, token, kind)
        more = len(page) > limit
        page = page[:limit]
        items = self._page_records([cid for cid, _ in page])
        next_cursor = None
        if more and page:
            next_cursor = f"{float(page[-1][1])!r}|{page[-1][0]}"
        return {"items": items, "next_cursor": next_cursor, "counts": counts, "total": total}

    def _counts(self, scopes: Sequence[TenantKeys]) -> tuple[dict[str, int], int]:
        # Every scope's queue and known categories' indexes are counted in the same round
        # trip as its set of the others (a category outside QUEUE_CATEGORIES, or data from
        # before); those, if any, in a second.
        pipe = self.redis.pipeline(transaction=False)
        for scope in scopes:
            pipe.zcard(scope.held_queue)
            pipe.smembers(scope.held_categories)
            for name in QUEUE_CATEGORIES:
                pipe.zcard(scope.held_category(name))
        rows = pipe.execute()
        counts: dict[str, int] = {}
        extra: list[tuple[TenantKeys, str]] = []
        total = 0
        width = 2 + len(QUEUE_CATEGORIES)
        for n, scope in enumerate(scopes):
            size, others, *sizes = rows[n * width:(n + 1) * width]
            total += int(size)
            for name, size in zip(QUEUE_CATEGORIES, sizes, strict=True):
                counts[name] = counts.get(name, 0) + int(size)
            extra += [(scope, name) for name in sorted({_text(c) for c in others})
                      if name not in QUEUE_CATEGORIES]
        if extra:
            pipe = self.redis.pipeline(transaction=False)
            for scope, name in extra:
                pipe.zcard(scope.held_category(name))
            for (_, name), size in zip(extra, pipe.execute(), strict=True):
                counts[name] = counts.get(name, 0) + int(size)
        return {n: counts[n] for n in sorted(counts) if counts[n]}, total

    def _page_from_indexes(self, indexes: Sequence[str], after: tuple[float, str] | None,
                           want: int, token: str | None) -> list[tuple[str, str]]:
        """``_page_from_index`` over several indexes holding distinct comments (tenants'),
        merged in the order one index of them all would have: priority, then id (Redis
        orders equal scores by member bytes: UTF-8 keeps str order). The first
        ``want`` of the merge are among the first ``want`` of each index."""
        if len(indexes) == 1:
            return self._page_from_index(indexes[0], after, want, token)
        merged = [entry for index in indexes
                  for entry in self._page_from_index(index, after, want, token)]
        merged.sort(key=_queue_order)
        return merged[:want]

    def _page_from_index(self, index: str, after: tuple[float, str] | None, want: int,
                         token: str | None) -> list[tuple[str, str]]:
        """Up to ``want`` (id, priority) entries of ``index`` after the cursor, skipping
        comments another moderator has claimed."""
        page: list[tuple[str, str]] = []
        low = repr(after[0]) if after else "-inf"
        offset = 0
        while len(page) < want:
            rows = self.redis.zrangebyscore(index, low, "+inf", start=offset, num=_PAGE_CHUNK,
                                            withscores=True)
            if not rows:
                break
            offset += len(rows)
            entries = [(_text(m), score) for m, score in rows]
            if after:
                entries = [(m, p) for m, p in entries if p > after[0] or m > after[1]]
            holders = (self.redis.mget([self.keys.claim(m) for m, _ in entries])
                       if token is not None and entries else [None] * len(entries))
            for (member, priority), holder in zip(entries, holders, strict=True):
                if holder is None or _text(holder) == token:
                    page.append((member, repr(priority)))
                    if len(page) >= want:
                        break
        return page

    def _scan_indexes(self, indexes: Sequence[str], category: str | None,
                      min_score: float | None, max_score: float | None,
                      after: tuple[float, str] | None, want: int, token: str | None,
                      kind: str | None) -> tuple[list[tuple[str, str]], dict[str, int], int]:
        """``_scan_index`` over several indexes holding distinct comments (tenants' queues):
        counts and totals added up, pages merged as ``_page_from_indexes`` merges them."""
        page: list[tuple[str, str]] = []
        counts: dict[str, int] = {}
        total = 0
        for index in indexes:
            own_page, own_counts, own_total = self._scan_index(
                index, category, min_score, max_score, after, want, token, kind)
            page += own_page
            total += own_total
            for name, n in own_counts.items():
                counts[name] = counts.get(name, 0) + n
        if len(indexes) > 1:
            page.sort(key=_queue_order)
        return page[:want], counts, total

    def _scan_index(self, index: str, category: str | None, min_score: float | None,
                    max_score: float | None, after: tuple[float, str] | None, want: int,
                    token: str | None, kind: str | None = None
                    ) -> tuple[list[tuple[str, str]], dict[str, int], int]:
        counts: dict[str, int] = {}
        total = 0
        page: list[tuple[str, str]] = []
        start = 0
        while True:
            scanned, found, flat_counts, flat_page = self._scan(
                keys=[index],
                args=[self.keys.comment(""), self.keys.claim(""), start, _SCAN_CHUNK,
                      kind or "", category or "", _arg(min_score), _arg(max_score),
                      token or "", repr(after[0]) if after else "", after[1] if after else "",
                      want - len(page)],
            )
            total += int(found)
            for n in range(0, len(flat_counts), 2):
                name = _text(flat_counts[n])
                counts[name] = counts.get(name, 0) + int(flat_counts[n + 1])
            page += [(_text(flat_page[n]), _text(flat_page[n + 1]))
                     for n in range(0, len(flat_page), 2)]
            if int(scanned) < _SCAN_CHUNK:
                break
            start += _SCAN_CHUNK
        return page, counts, total

    def _page_records(self, ids: Sequence[str]) -> list[dict[str, Any]]:
        if not ids:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for cid in ids:
            pipe.get(self.keys.claim(cid))
            pipe.pttl(self.keys.claim(cid))
            pipe.scard(self.keys.reports(cid))
        extras = pipe.execute()
        records = self.comments.get_many(ids)
        now = time.time()
        items = []
        for n, record in enumerate(records):
            if record is None:
                continue
            holder, ttl, reports = extras[3 * n: 3 * n + 3]
            key_id, name = claim_holder_parts(_text(holder))
            record["claimed_by"] = name
            record["claimed_by_key_id"] = key_id
            record["claim_expires"] = now + ttl / 1000 if holder is not None and ttl > 0 else None
            record["report_count"] = int(reports)
            items.append(record)
        return items

    def still_queued(self, ids: Sequence[str], tenant: str) -> set[str]:
        """Which of ``ids`` are still in ``tenant``'s held queue ("*": anyone's), in one
        pipelined round trip: the live page drops the others, decided by colleagues
        meanwhile. Another tenant's comment is never "still queued", so the answer says
        nothing about it."""
        if not ids:
            return set()
        pipe = self.redis.pipeline(transaction=False)
        if tenant is None or tenant == ALL_TENANTS:
            # Anyone's: the record's mark says whether it is queued (storage/comments.py).
            for cid in ids:
                pipe.hexists(self.keys.comment(cid), "queued")
            queued = [bool(found) for found in pipe.execute()]
        else:
            queue_key = self.keys.tenant(tenant).held_queue
            for cid in ids:
                pipe.zscore(queue_key, cid)
            queued = [score is not None for score in pipe.execute()]
        return {cid for cid, found in zip(ids, queued, strict=True) if found}

    # Claims -----------------------------------------------------------------------------
    def visible(self, moderator: Moderator, ids: Iterable[str]) -> list[str]:
        """The ``ids`` (in order, once each) of comments the moderator may see."""
        ids = list(dict.fromkeys(ids))
        if moderator.tenant == ALL_TENANTS:
            return ids
        owners = self.comments.get_many(ids, ["tenant", "status"])
        return [cid for cid, record in zip(ids, owners, strict=True) if moderator.may_see(record)]

    def claim(self, moderator: Moderator, ids: list[str] | None = None, limit: int = 20) -> list[str]:
        """Claim ``ids`` (those the moderator may see, still queued and not claimed by another),
        or else the next ``limit`` unclaimed comments of the moderator's queue. Renews the
        moderator's own claims. Returns the ids now claimed by ``moderator``."""
        ttl_ms = int(self.settings.claim_seconds * 1000)
        event = _event("claimed", by=moderator.by, by_name=moderator.name)
        if ids is not None:
            wanted = self.visible(moderator, ids)
            return self._run_claim(moderator, wanted, len(wanted), ttl_ms, event)
        sources = [scope.held_queue for scope in self._tenant_scopes(moderator.tenant)]
        claimed: list[str] = []
        after: tuple[float, str] | None = None
        chunk = max(limit * 2, 50)
        while len(claimed) < limit:
            window = self._page_from_indexes(sources, after, chunk, None)
            if not window:
                break
            ids = [cid for cid, _ in window]
            holders = self.redis.mget([self.keys.claim(cid) for cid in ids])
            free = [cid for cid, holder in zip(ids, holders, strict=True) if holder is None]
            if free:
                claimed += self._run_claim(moderator, free, limit - len(claimed), ttl_ms, event)
            after = (float(window[-1][1]), window[-1][0])
        return claimed

    def _run_claim(self, moderator: Moderator, ids: list[str], limit: int, ttl_ms: int,
                   event: str) -> list[str]:
        if not ids or limit <= 0:
            return []
        keys = []
        for cid in ids:
            keys += [self.keys.claim(cid), self.keys.history(cid), self.keys.comment(cid)]
        result = self._claim(keys=keys, args=[moderator.token, ttl_ms, limit, event, *ids])
        return [_text(r) for r in result]

    def release(self, moderator: Moderator, ids: Iterable[str]) -> list[str]:
        """Give up the moderator's claims on ``ids``; returns the ids released."""
        ids = list(dict.fromkeys(ids))
        if not ids:
            return []
        result = self._release(keys=[self.keys.claim(cid) for cid in ids],
                               args=[moderator.token, *ids])
        return [_text(r) for r in result]

    def claim_holder(self, comment_id: str) -> str | None:
        """The key id of the claim's holder (the name, for a claim from before key ids)."""
        key_id, name = claim_holder_parts(_text(self.redis.get(self.keys.claim(comment_id))))
        return key_id or name

    # Decisions --------------------------------------------------------------------------
    def decide(
        self,
        comment_id: str,
        *,
        moderator: Moderator,
        action: str,
        reason_code: str,
        note: str | None = None,
        expected_status: str | None = None,
        review: str | None = None,
    ) -> dict[str, Any]:
        """Approve or reject a comment at once; returns the updated record.

        A comment queued under an open notice or appeal raises ReviewPending unless
        ``review`` names that category (the notice and appeal routes do).

        Any status may be decided again (each decision is a history event and
        replaces the comment's training example). A comment claimed by another
        moderator raises ClaimConflict; the decider's own claim ends with it. A
        comment of a tenant the moderator may not see raises NotFound.

        The decision is a compare-and-set on what the moderator saw, so of two people (or a
        moderator and the worker) deciding at once exactly one decides: ``expected_status``
        is the status they saw; without it, a comment another moderator has decided raises
        DecisionConflict (overriding a colleague takes the status one saw).
        """
        _validate(action, reason_code, note)
        new_status = "approved" if action == "approve" else "rejected"
        by = moderator.by
        claim_key = self.keys.claim(comment_id)
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(claim_key, self.keys.comment(comment_id))
                    record = self.comments.get(comment_id)
                    if not moderator.may_see(record):
                        raise NotFound(comment_id)
                    holder = _text(pipe.get(claim_key))
                    if holder is not None and holder != moderator.token:
                        key_id, name = claim_holder_parts(holder)
                        raise ClaimConflict(name or "another moderator", key_id)
                    _check_review(record, review)
                    tenant = tenant_of(record)
                    # Read under WATCH: a decision landing after this check fails the EXEC,
                    # and the retry sees it here.
                    _check_unchanged(record, moderator, expected_status)
                    now = time.time()
                    pipe.multi()
                    self.comments.transition(
                        comment_id,
                        tenant=tenant,
                        article_id=record["article_id"],
                        expected="*",
                        new_status=new_status,
                        fields={"decided": repr(now), "decided_by": by,
                                "decided_by_name": moderator.name,
                                "decision_reason": reason_code, "decision_note": note or ""},
                        event="decided",
                        event_data={"by": by, "by_name": moderator.name, "action": action,
                                    "status": new_status, "previous_status": record["status"],
                                    "reason_code": reason_code, "note": note},
                        pipe=pipe,
                    )
                    pipe.delete(claim_key)
                    self.examples.record(
                        comment_id, text=record.get("text", ""),
                        labels=labels_for(action, reason_code), scores=record.get("scores"),
                        model_version=record.get("model_version"), moderator=moderator.key_id,
                        moderator_name=moderator.name, reason_code=reason_code, decided_at=now,
                        action=action, article_id=record["article_id"], tenant=tenant, pipe=pipe,
                        source=label_source(record, self.settings.spot_check_near_band),
                    )
                    # Live quality figures: same transaction, counted once per comment.
                    self.quality.queue_decided(pipe, record, action=action,
                                               reason_code=reason_code, now=now)
                    if record.get("author_id"):
                        self.authors.queue_decided(
                            pipe, tenant=tenant, author_id=record["author_id"],
                            comment_id=comment_id, created=record.get("created", now),
                            old_status=record["status"], new_status=new_status,
                        )
                    pipe.execute()
                    break
                except WatchError:
                    continue
        updated = self.comments.get(comment_id)
        if updated is None:
            raise NotFound(comment_id)
        try:
            if self.on_decided is not None:
                self.on_decided([updated])
        except Exception:
            # The decision is stored; a webhook hiccup must not turn it into an error.
            log.exception("webhook event not queued", extra={"comment_id": comment_id})
        return updated

    def decide_many(
        self,
        ids: Sequence[str],
        *,
        moderator: Moderator,
        action: str,
        reason_code: str,
        note: str | None = None,
        expected_status: str | None = None,
    ) -> list[dict[str, Any]]:
        """Decide each id on its own (one bad id does not stop the rest).

        Returns per id ``{id, ok: True, status}`` or ``{id, ok: False, error, holder?}``
        with error ``claimed_by_other``, ``already_decided`` or ``comment_not_found``.
        """
        _validate(action, reason_code, note)
        results: list[dict[str, Any]] = []
        for cid in dict.fromkeys(ids):
            try:
                record = self.decide(cid, moderator=moderator, action=action,
                                     reason_code=reason_code, note=note,
                                     expected_status=expected_status)
            except ClaimConflict as conflict:
                results.append({"id": cid, "ok": False, "error": "claimed_by_other",
                                "holder": conflict.holder})
            except DecisionConflict as conflict:
                results.append({"id": cid, "ok": False, "error": "already_decided",
                                "holder": conflict.decided_by})
            except NotFound:
                results.append({"id": cid, "ok": False, "error": "comment_not_found"})
            except ReviewPending as pending:
                results.append({"id": cid, "ok": False, "error": f"{pending.category}_pending"})
            else:
                results.append({"id": cid, "ok": True, "status": record["status"]})
        return results

    def history(self, comment_id: str, *, tenant: str, offset: int = 0,
                limit: int = DEFAULT_HISTORY_PAGE) -> tuple[list[dict[str, Any]], int]:
        """(events from ``offset``, at most ``limit`` of them, oldest first; how many there
        are) of a comment a key of ``tenant`` may see."""
        record = self.comments.get_many([comment_id], ["tenant", "status"])[0]
        if record is None or not may_see(tenant, tenant_of(record)):
            raise NotFound(comment_id)
        limit = max(1, min(limit, MAX_HISTORY_PAGE))
        # The first events are on the record, the rest in the history list: both read.
        return self.comments.history_page(comment_id, offset, limit)

    # Readers' reports -------------------------------------------------------------------
    def report(self, comment_id: str, *, tenant: str, reader_id: str, reason: str
               ) -> dict[str, Any]:
        """Record a reader's report; returns ``{report_count, queued, status, counted}``.

        A report on a published comment queues it for review (reason
        ``reader_report``) but leaves it published until a moderator decides.
        A reader who reports the same comment again is not counted again; a
        comment keeps at most ``MAX_REPORTS_PER_COMMENT`` readers' reports (more
        are answered but not stored); a reader over ``MAX_REPORTS_PER_READER`` in
        ``REPORT_WINDOW_SECONDS`` raises ReportLimited. Readers are the site's own
        ids: ``tenant`` is the reporting site's, and another tenant's comment is
        not found.
        """
        record = self.comments.get_many([comment_id], ["status", "scores", "seq", "tenant",
                                                       "article_id"])[0]
        if record is None or tenant_of(record) != tenant:
            raise NotFound(comment_id)
        priority = hold_priority(record.get("scores") or {}, [REPORT_REASON], record.get("seq", 0))
        settings = self.settings
        found, count, queued, outcome = self._report(
            keys=[self.keys.comment(comment_id), self.keys.history(comment_id),
                  self.keys.reports(comment_id), self.keys.tenant(tenant).reader_reports(reader_id),
                  *queue_index_keys(self.keys, tenant, record.get("article_id") or "")],
            args=[comment_id, reader_id, _event("reported", by=f"reader:{reader_id}", reason=reason),
                  repr(priority), REPORT_REASON, settings.max_reports_per_comment,
                  settings.max_reports_per_reader, max(1, int(settings.report_window_seconds)),
                  _event("reported", by=f"reader:{reader_id}", reason=ERASED)],
        )
        if not found:
            raise NotFound(comment_id)
        if _text(outcome) == "reader_limit":
            raise ReportLimited(reader_id)
        return {"report_count": int(count), "queued": bool(queued), "status": record["status"],
                "counted": _text(outcome) == "counted"}


def _validate(action: str, reason_code: str, note: str | None) -> None:
    if action not in ACTIONS:
        raise InvalidDecision(f"action must be one of {', '.join(ACTIONS)}")
    if reason_code not in REASON_CODES:
        raise InvalidDecision(f"reason_code must be one of {', '.join(REASON_CODES)}")
    if note is not None and len(note) > MAX_NOTE_CHARS:
        raise InvalidDecision(f"note is longer than {MAX_NOTE_CHARS} characters")


def _check_review(record: dict[str, Any], review: str | None) -> None:
    # "queued" lists the categories the comment is indexed under: no extra read.
    queued = json.loads(record.get("queued") or "[]")
    for category in ("notice", "appeal"):
        if category in queued and review != category:
            raise ReviewPending(category)


def _check_unchanged(record: dict[str, Any], moderator: Moderator,
                     expected_status: str | None) -> None:
    if expected_status is not None:
        if record["status"] != expected_status:
            raise DecisionConflict(record["status"], record.get("decided_by"))
        return
    by = record.get("decided_by") or ""
    if by.startswith("moderator:") and by != moderator.by:
        raise DecisionConflict(record["status"], by)


def _arg(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def _parse_cursor(cursor: str | None) -> tuple[float, str] | None:
    if not cursor:
        return None
    priority, sep, cid = cursor.partition("|")
    try:
        value = float(priority)
    except ValueError:
        value = None
    if not sep or not cid or value is None or value != value:
        raise InvalidCursor("cursor is not one this queue handed out")
    return value, cid


def _queue_order(entry: tuple[str, str]) -> tuple[float, str]:
    """(id, score) entries of several tenants' indexes in the order one index of them all
    would have: priority, then id (Redis orders equal scores by member bytes; UTF-8 keeps
    str order)."""
    return float(entry[1]), entry[0]


def queue_tenants(redis: Redis, keys: Keys) -> list[str]:
    """The tenants an all-tenants queue reads (every tenant that has had a comment held),
    in a stable order."""
    return sorted(_text(m) for m in redis.smembers(keys.queue_tenants))


def held_count(redis: Redis, keys: Keys) -> int:
    """Comments in every tenant's held queue (the queue depth gauge)."""
    tenants = queue_tenants(redis, keys)
    pipe = redis.pipeline(transaction=False)
    for tenant in tenants:
        pipe.zcard(keys.tenant(tenant).held_queue)
    return sum(int(n) for n in pipe.execute()) if tenants else 0
