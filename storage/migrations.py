"""Data migrations: run by `moderation init`, `moderation up` and every worker at start.

Each step is idempotent (running it twice, or in two processes at once, gives the
same data), and ``Keys.schema_version`` records the last step applied, so a
migrated store costs one read.

Tenants needed no migration of existing data: the default tenant keeps the key
names of everything stored before tenants (storage/keys.py). What they did
bring is new indexes of the held queue (per tenant, per tenant and category,
per tenant and article); step 1 builds them for comments held before. Step 2
adds the kind indexes (``abuse: threat`` -> the ``threat`` index) the same way.
Step 3 drops the per-status article listings; steps 4 and 5 copy what the scoring
batch used to read with extra commands onto the records it reads anyway (a queued
comment's ``queued`` mark; an author's ban and recent moderator outcomes). Step 6
turns each author's ``posted`` counter into ``twice`` (``posted`` is derived since). Step 7
drops the all-tenants category and kind indexes (an all-tenants page merges its tenants'),
after listing the tenants with queued comments in ``Keys.queue_tenants``; step 8 the
all-tenants queue itself (steps 1, 2, 4 and 7 read it: it lists what was queued before).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator

from redis import Redis

from core.tenants import tenant_of
from storage.comments import QUEUE_INDEX_LUA, queue_index_keys
from storage.keys import Keys

log = logging.getLogger("storage.migrations")

_CHUNK = 500

_INDEX = QUEUE_INDEX_LUA + """
-- KEYS: the 6 queue index keys, comment, the all-tenants queue of stores before step 8
-- ARGV: id
local priority = redis.call('ZSCORE', KEYS[8], ARGV[1])
if not priority or not redis.call('HGET', KEYS[7], 'status') then return 0 end
index_held({KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]}, KEYS[7], ARGV[1], priority)
return 1
"""


def _index_held_queue(redis: Redis, keys: Keys) -> int:
    """Index every queued comment by tenant, category and article."""
    script = redis.register_script(_INDEX)
    indexed = 0
    for ids in _held_queue_pages(redis, keys):
        pipe = redis.pipeline(transaction=False)
        for cid in ids:
            pipe.hmget(keys.comment(cid), ["tenant", "article_id"])
        owners = pipe.execute()
        pipe = redis.pipeline(transaction=False)
        for cid, (tenant, article) in zip(ids, owners, strict=True):
            tenant = tenant_of({"tenant": tenant.decode() if tenant else None})
            article_id = article.decode() if article else ""
            script(keys=[*queue_index_keys(keys, tenant, article_id), keys.comment(cid),
                         keys.held_queue], args=[cid], client=pipe)
        indexed += sum(int(r) for r in pipe.execute())
    return indexed


def _held_queue_pages(redis: Redis, keys: Keys) -> Iterator[list[str]]:
    """The all-tenants held queue's ids, _CHUNK at a time (stores before step 8)."""
    start = 0
    while ids := [m.decode() for m in redis.zrange(keys.held_queue, start, start + _CHUNK - 1)]:
        yield ids
        start += _CHUNK


_LISTING_STATUSES = ("pending", "approved", "held", "rejected")


def _drop_status_listings(redis: Redis, keys: Keys) -> int:
    """Delete the per-status article listings: an article has one listing now, filtered by
    status on read (a decision then writes no listing). The ``all`` listing already holds
    every comment, so nothing else changes."""
    prefix = re.escape(keys.prefix)
    # The default tenant's names (``mod:a:{article}:held``) and other tenants'
    # (``mod:t:{tenant}:a:{article}:held``); ids are encoded, so hold no ':'.
    listing = re.compile(rf"^{prefix}(t:[^:]+:)?a:[^:]+:({'|'.join(_LISTING_STATUSES)})$")
    deleted = 0
    for status in _LISTING_STATUSES:
        batch: list[bytes] = []
        for name in redis.scan_iter(match=f"{keys.prefix}*a:*:{status}", count=1000):
            if listing.match(name.decode()) and redis.type(name) == b"zset":
                batch.append(name)
            if len(batch) >= _CHUNK:
                deleted += redis.unlink(*batch)
                batch = []
        if batch:
            deleted += redis.unlink(*batch)
    return deleted


_MARK_QUEUED = """
-- KEYS: comment ; a queued comment's record says so ('queued', '[]' without a category)
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HSETNX', KEYS[1], 'queued', '[]')
"""


def _mark_queued(redis: Redis, keys: Keys) -> int:
    """Every queued comment's record gets ``queued`` (the decide script reads it with the
    status instead of asking the queue); records indexed under a category have it already."""
    script = redis.register_script(_MARK_QUEUED)
    marked = 0
    for ids in _held_queue_pages(redis, keys):
        pipe = redis.pipeline(transaction=False)
        for cid in ids:
            script(keys=[keys.comment(cid)], client=pipe)
        marked += sum(int(r) for r in pipe.execute())
    return marked


def _scan(redis: Redis, pattern: str, shape: re.Pattern[str], kind: bytes) -> list[str]:
    return [name.decode() for name in redis.scan_iter(match=pattern, count=1000)
            if shape.match(name.decode()) and redis.type(name) == kind]


def _author_state_fields(redis: Redis, keys: Keys) -> int:
    """Copy each author's moderator outcomes (the outcomes lists) onto the author's hash,
    where the worker reads them with the counters and the ban in one command
    (storage/authors.py ``STATE_FIELDS``). Later outcomes write both."""
    prefix = re.escape(keys.prefix)
    touched = 0
    outcome_lists = _scan(redis, f"{keys.prefix}*au:*:outcomes",
                          re.compile(rf"^{prefix}(t:[^:]+:)?au:[^:]+:outcomes$"), b"list")
    for chunk in range(0, len(outcome_lists), _CHUNK):
        names = outcome_lists[chunk:chunk + _CHUNK]
        pipe = redis.pipeline(transaction=False)
        for name in names:
            pipe.lrange(name, 0, -1)
        lists = pipe.execute()
        pipe = redis.pipeline(transaction=False)
        for name, outcomes in zip(names, lists, strict=True):
            marks = b"".join(o[:1] for o in outcomes)
            pipe.hset(name[:-len(":outcomes")], "outcomes", marks)
        touched += len(pipe)
        pipe.execute()
    return touched


_POSTED_TO_TWICE = """
-- KEYS: author hash. 'posted' becomes derived (held + approved + rejected - twice): store
-- the difference instead. Once per hash ('twice' marks it done), atomic against the
-- scripts that count.
if redis.call('HEXISTS', KEYS[1], 'twice') == 1 then return 0 end
local f = redis.call('HMGET', KEYS[1], 'posted', 'held', 'approved', 'rejected')
if not f[1] then return 0 end
local sum = (tonumber(f[2]) or 0) + (tonumber(f[3]) or 0) + (tonumber(f[4]) or 0)
redis.call('HSET', KEYS[1], 'twice', math.max(0, sum - (tonumber(f[1]) or 0)))
redis.call('HDEL', KEYS[1], 'posted')
return 1
"""


def _derive_posted(redis: Redis, keys: Keys) -> int:
    """Turn each author's stored ``posted`` counter into ``twice`` (storage/authors.py): the
    decide script no longer counts ``posted``, it is read as the counters' sum less
    ``twice``, the comments counted under two of them (held, then decided by a moderator)."""
    prefix = re.escape(keys.prefix)
    script = redis.register_script(_POSTED_TO_TWICE)
    authors = _scan(redis, f"{keys.prefix}*au:*", re.compile(rf"^{prefix}(t:[^:]+:)?au:[^:]+$"),
                    b"hash")
    touched = 0
    for chunk in range(0, len(authors), _CHUNK):
        pipe = redis.pipeline(transaction=False)
        for name in authors[chunk:chunk + _CHUNK]:
            script(keys=[name], client=pipe)
        touched += sum(int(r) for r in pipe.execute())
    return touched


def _glob(text: str) -> str:
    """``text`` matched literally in a SCAN pattern."""
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


def _merge_all_tenants_indexes(redis: Redis, keys: Keys) -> int:
    """List every tenant with a queued comment in ``Keys.queue_tenants`` (holds add theirs
    since), then delete the all-tenants category and kind indexes and set of categories:
    an all-tenants key's pages and counts merge its tenants' indexes now. Running it again,
    or beside a process of the code before, gives the same: a hold by that code adds to the
    indexes deleted here, which the next run deletes again."""
    added = 0
    for ids in _held_queue_pages(redis, keys):
        pipe = redis.pipeline(transaction=False)
        for cid in ids:
            pipe.hget(keys.comment(cid), "tenant")
        tenants = {tenant_of({"tenant": t.decode() if t else None}) for t in pipe.execute()}
        added += redis.sadd(keys.queue_tenants, *tenants)
    # Every all-tenants index, whatever its category or kind (names are encoded: no ':');
    # the tenants' own carry a "t:{tenant}:" segment, which the pattern leaves out.
    deleted = redis.unlink(keys.held_categories)
    for prefix in (keys.held_category(""), keys.held_kind("")):
        shape = re.compile(re.escape(prefix) + r"[^:]+$")
        names = _scan(redis, _glob(prefix) + "*", shape, b"zset")
        for chunk in range(0, len(names), _CHUNK):
            deleted += redis.unlink(*names[chunk:chunk + _CHUNK])
    return added + deleted


def _drop_all_tenants_queue(redis: Redis, keys: Keys) -> int:
    """Delete the all-tenants queue: every queued comment is in its tenant's (step 1 and every
    hold since), and all-tenants pages merge those (step 7 listed the tenants)."""
    return redis.unlink(keys.held_queue)


# (version, what it does, step). Append only; never renumber.
MIGRATIONS: list[tuple[int, str, Callable[[Redis, Keys], int]]] = [
    (1, "index the held queue by tenant, category and article", _index_held_queue),
    # the same pass: indexing a queued comment again also indexes the kinds its reasons name
    (2, "index the held queue by the kinds its hold reasons name", _index_held_queue),
    (3, "drop the per-status article listings (one listing, filtered on read)",
     _drop_status_listings),
    (4, "mark queued comments' records as queued", _mark_queued),
    (5, "copy authors' moderator outcomes onto their hashes", _author_state_fields),
    (6, "derive authors' posted counts from the other counters", _derive_posted),
    (7, "merge tenants' queue indexes for all tenants (drop the all-tenants category and "
        "kind indexes)", _merge_all_tenants_indexes),
    (8, "drop the all-tenants held queue (all-tenants pages merge the tenants' queues)",
     _drop_all_tenants_queue),
]
LATEST = MIGRATIONS[-1][0]


def current_version(redis: Redis, keys: Keys) -> int:
    raw = redis.get(keys.schema_version)
    return int(raw) if raw else 0


def migrate(redis: Redis, keys: Keys) -> list[tuple[int, str, int]]:
    """Apply the steps not applied yet; returns (version, description, items touched) of each."""
    done = []
    version = current_version(redis, keys)
    for number, description, step in MIGRATIONS:
        if number <= version:
            continue
        touched = step(redis, keys)
        redis.set(keys.schema_version, number)
        log.info("migration applied", extra={"version": number, "touched": touched})
        done.append((number, description, touched))
    return done
