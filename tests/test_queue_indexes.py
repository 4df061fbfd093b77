"""The held queue's indexes (storage/comments.py QUEUE_INDEX_LUA) as the queue's readers see
them: every filter (category, kind, article, none) on two tenants and on all tenants answers
what the records say, after holds, re-holds under other reasons, reports and decisions; the
categories known in code (QUEUE_CATEGORIES) are listed without a set, others through it,
and sets the earlier layout filled with known categories still read right. All tenants'
category and kind pages merge the tenants' indexes (there are none of all tenants) in the
order of the all-tenants queue, ties by id included, whatever the page size.

Real Redis; the reference answers are worked out in Python from the stored records."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from core.config import PROJECT_ROOT
from model.categories import CATEGORIES
from storage.comments import QUEUE_CATEGORIES, hold_priority
from storage.dsa import APPEAL_REASON, NOTICE_REASON
from storage.moderation import REPORT_REASON, ModerationStore, category_of
from storage.quality import SPOT_CHECK

pytest_plugins = ["tests.moderation_fixtures"]

TENANTS = ("acme", "bravo")
ARTICLES = ("a1", "a2")
KINDS = ("threat", "insult")


@pytest.fixture
def store(runtime):
    return ModerationStore(runtime.redis, runtime.keys, runtime.comments, runtime.settings)


def _kinds_of(reasons: list[str]) -> set[str]:
    return {part.strip() for r in reasons if ":" in r for part in r.split(":", 1)[1].split("+")
            if re.fullmatch(r"\s*[a-z_]+\s*", part)}


def _hold(runtime, cid: str, tenant: str, article: str, reasons: list[str], seq: int,
          expected: str = "pending") -> None:
    scores = {"abuse": 0.9 - 0.01 * (seq % 7), "victim_identification": 0.1}
    assert runtime.comments.transition(
        cid, tenant=tenant, article_id=article, expected=expected, new_status="held",
        fields={"scores": scores, "reasons": reasons, "decided": repr(time.time()),
                "decided_by": "model"},
        event="scored", event_data={"by": "model", "status": "held"},
        priority=hold_priority(scores, reasons, seq), inline_event=expected == "pending") == 1


def _decide(runtime, cid: str, tenant: str, article: str, status: str) -> None:
    assert runtime.comments.transition(
        cid, tenant=tenant, article_id=article, expected="*", new_status=status,
        fields={"decided": repr(time.time()), "decided_by": "moderator:k1"},
        event="decided", event_data={"by": "moderator:k1", "status": status}) == 1


REASONS = [
    ["abuse: threat"],
    ["abuse: insult + threat", "victim_identification: name"],
    ["abuse: score 0.91"],
    ["legacy_rule"],                      # a category outside QUEUE_CATEGORIES
    ["spam: repeated", "legacy_rule: x"],
    ["protected_term"],
]


def _seed(runtime, store) -> dict[str, list[str]]:
    """Per tenant: comments held under each reason list on two articles, one re-held under
    other reasons, one decided out of the queue, one approved then reported back in."""
    ids: dict[str, list[str]] = {}
    seq = 0
    for tenant in TENANTS:
        mine = ids[tenant] = []
        for n, reasons in enumerate(REASONS * 2):
            article = ARTICLES[n % 2]
            cid = runtime.comments.create(tenant=tenant, article_id=article, text=f"t{n}",
                                          author_id=f"r{n}").id
            seq += 1
            _hold(runtime, cid, tenant, article, reasons, seq)
            mine.append(cid)
        # re-held under other reasons: it leaves the indexes of the ones it lost
        _hold(runtime, mine[1], tenant, "a2", ["spam: repeated", "abuse: insult"], 99,
              expected="held")
        _hold(runtime, mine[3], tenant, "a2", ["abuse: threat"], 98, expected="held")
        # decided: out of every index
        _decide(runtime, mine[0], tenant, "a1", "rejected")
        _decide(runtime, mine[4], tenant, "a1", "approved")
        # approved, then reported: queued again under its reasons and the report
        cid = runtime.comments.create(tenant=tenant, article_id="a1", text="fine",
                                      author_id="r-ok").id
        _decide(runtime, cid, tenant, "a1", "approved")
        runtime.comments.redis.hset(runtime.keys.comment(cid), "reasons", '["abuse: insult"]')
        assert store.report(cid, tenant=tenant, reader_id="reader-1", reason="rude")["queued"]
        mine.append(cid)
    return ids


def _reference(runtime, ids: dict[str, list[str]], scope: str | None, *, category=None,
               kind=None, article=None) -> tuple[list[str], dict[str, int], int]:
    """(ids in queue order, counts per category, total) worked out from the records."""
    tenants = TENANTS if scope is None else (scope,)
    rows = []
    for tenant in tenants:
        for cid in ids[tenant]:
            record = runtime.comments.get(cid)
            # queued: held, or approved and reported
            queued = record["status"] == "held" or REPORT_REASON in record.get("reasons", [])
            if not queued or record["status"] == "rejected":
                continue
            if article is not None and record["article_id"] != article:
                continue
            score = runtime.redis.zscore(runtime.keys.tenant(tenant).held_queue, cid)
            assert score is not None, cid
            rows.append((score, cid, record.get("reasons", [])))
    rows.sort()
    counts: dict[str, int] = {}
    for _, _, reasons in rows:
        for c in {category_of(r) for r in reasons}:
            counts[c] = counts.get(c, 0) + 1
    page = [cid for _, cid, reasons in rows
            if (category is None or category in {category_of(r) for r in reasons})
            and (kind is None or kind in _kinds_of(reasons))]
    return page, counts, len(rows)


def _read_all(store, scope, **filters) -> tuple[list[str], dict[str, int], int]:
    ids: list[str] = []
    cursor = None
    while True:
        out = store.queue(tenant=scope, cursor=cursor, limit=3, **filters)
        ids += [i["id"] for i in out["items"]]
        cursor = out["next_cursor"]
        if cursor is None:
            return ids, out["counts"], out["total"]


def test_every_filter_answers_what_the_records_say_on_two_tenants(runtime, store):
    ids = _seed(runtime, store)
    categories = sorted({category_of(r) for rs in REASONS for r in rs}
                        | {"spam", REPORT_REASON, "notice"})
    checked = 0
    for scope in (*TENANTS, None):
        for category in (None, *categories):
            for kind in (None, *KINDS):
                for article in (None, *ARTICLES) if scope else (None,):
                    filters = {"category": category, "kind": kind, "article_id": article}
                    got = _read_all(store, scope, **filters)
                    assert got == _reference(runtime, ids, scope, category=category, kind=kind,
                                             article=article), (scope, filters)
                    checked += 1
    assert checked == 2 * 8 * 3 * 3 + 8 * 3
    # the two tenants' queues hold their own comments only
    assert not set(_read_all(store, "acme")[0]) & set(ids["bravo"])
    # a category outside the known ones is listed through the scope's set; known ones never
    keys = runtime.keys
    for tenant in TENANTS:
        assert runtime.redis.smembers(keys.tenant(tenant).held_categories) == {b"legacy_rule"}
    # all tenants' pages merge the tenants' indexes: a hold writes none of all tenants
    assert runtime.redis.smembers(keys.queue_tenants) == {t.encode() for t in TENANTS}
    assert _all_tenants_indexes(runtime) == []


def _all_tenants_indexes(runtime) -> list[str]:
    keys = runtime.keys
    return sorted(k.decode() for pattern in (keys.held_category("*"), keys.held_kind("*"),
                                             keys.held_categories, keys.held_queue)
                  for k in runtime.redis.scan_iter(match=pattern.replace("%2A", "*")))


def _all_tenants_order(runtime, tenants) -> list[str]:
    """The tenants' queues as one sorted set would order them: by priority, then id."""
    rows = [(score, member.decode()) for t in tenants
            for member, score in runtime.redis.zrange(runtime.keys.tenant(t).held_queue, 0, -1,
                                                      withscores=True)]
    return [cid for _, cid in sorted(rows)]


def test_all_tenants_pages_follow_the_all_tenants_queue_across_tenants(runtime, store):
    """Three tenants' holds at equal priorities (ties broken by id) and at others: pages of all
    tenants (no filter, a category, a kind, a score filter) list them as one sorted set of them
    all would, at every page size; a comment another moderator claimed is skipped as in one
    index, and claiming the next ones takes them in that order."""
    from storage.moderation import Moderator

    held: list[str] = []
    for n in range(12):
        tenant = ("acme", "bravo", "carol")[n % 3]
        cid = runtime.comments.create(tenant=tenant, article_id="a1", text=f"t{n}",
                                      author_id=f"r{n}").id
        reasons = ["abuse: threat"] if n % 4 else ["abuse: insult"]
        # seq n // 5: runs of equal priorities that span tenants
        _hold(runtime, cid, tenant, "a1", reasons, n // 5)
        held.append(cid)
    order = _all_tenants_order(runtime, ("acme", "bravo", "carol"))
    assert sorted(order) == sorted(held)
    threats = [cid for cid in order if "threat" in _kinds_of(runtime.comments.get(cid)["reasons"])]
    for limit in (1, 2, 5, 50):
        for filters, expected in (({}, order), ({"category": "abuse"}, order),
                                  ({"kind": "threat"}, threats), ({"min_score": 0.1}, order),
                                  ({"kind": "threat", "category": "abuse"}, threats)):
            ids, cursor = [], None
            while True:
                out = store.queue(tenant=None, cursor=cursor, limit=limit, **filters)
                ids += [i["id"] for i in out["items"]]
                if (cursor := out["next_cursor"]) is None:
                    break
            assert ids == expected, (limit, filters)
            assert out["counts"] == {"abuse": 12} and out["total"] == 12
    other = Moderator("k2", "other", tenant="*")
    assert store.claim(other, [order[1]]) == [order[1]]
    me = Moderator("k1", "me", tenant="*")
    for filters in ({}, {"category": "abuse"}, {"min_score": 0.1}):
        out = store.queue(tenant=None, limit=3, moderator=me, **filters)
        assert [i["id"] for i in out["items"]] == [order[0], *order[2:4]], filters
    assert store.claim(me, limit=4) == [order[0], *order[2:5]]
    # the queue depth gauge counts every tenant's queue
    from service.metrics import RedisStateCollector

    depth = next(m for m in RedisStateCollector(runtime).collect()
                 if m.name == "moderation_queue_depth")
    assert [x.value for x in depth.samples if x.labels["queue"] == "held_comments"] == [12]
    assert store.still_queued(order[:3], "*") == set(order[:3])
    assert _all_tenants_indexes(runtime) == []


def test_a_hold_marks_its_record_and_a_decision_clears_every_index(runtime, store):
    keys = runtime.keys
    cid = runtime.comments.create(tenant="acme", article_id="a1", text="t", author_id="r").id
    _hold(runtime, cid, "acme", "a1", ["abuse: insult + threat", "legacy_rule"], 1)
    marks = runtime.redis.hmget(keys.comment(cid), "queued", "queued_kinds")
    assert [json.loads(m) for m in marks] == [["abuse", "legacy_rule"], ["insult", "threat"]]
    _hold(runtime, cid, "acme", "a1", ["abuse: score 0.80"], 1, expected="held")
    marks = runtime.redis.hmget(keys.comment(cid), "queued", "queued_kinds")
    assert [json.loads(m) for m in marks] == [["abuse"], []]
    assert runtime.redis.zscore(keys.tenant("acme").held_kind("threat"), cid) is None
    assert runtime.redis.zscore(keys.tenant("acme").held_category("legacy_rule"), cid) is None
    assert not runtime.redis.smembers(keys.tenant("acme").held_categories)
    assert runtime.redis.zscore(keys.tenant("acme").held_category("abuse"), cid) is not None
    _decide(runtime, cid, "acme", "a1", "approved")
    assert runtime.redis.hmget(keys.comment(cid), "queued", "queued_kinds") == [None, None]
    queue_keys = [k.decode() for k in runtime.redis.scan_iter(match="mod:*queue:held*")]
    assert queue_keys == []


def test_sets_the_earlier_layout_filled_with_known_categories_still_read_right(runtime, store):
    """Before QUEUE_CATEGORIES, every category went into the scope's set, and a known one stays
    there now when its index empties: counts list no empty index and none twice."""
    keys = runtime.keys
    own = keys.tenant("acme")
    for scope_set in (keys.held_categories, own.held_categories):
        runtime.redis.sadd(scope_set, "abuse", "victim_identification", "spam")
    cid = runtime.comments.create(tenant="acme", article_id="a1", text="t", author_id="r").id
    _hold(runtime, cid, "acme", "a1", ["abuse: threat"], 1)
    for scope in ("acme", None):
        out = store.queue(tenant=scope)
        assert out["counts"] == {"abuse": 1} and out["total"] == 1
        assert [i["id"] for i in store.queue(tenant=scope, category="abuse")["items"]] == [cid]
        assert store.queue(tenant=scope, category="spam")["items"] == []
    _decide(runtime, cid, "acme", "a1", "rejected")
    assert store.queue(tenant="acme") == {"items": [], "next_cursor": None, "counts": {},
                                          "total": 0}


def test_the_known_categories_cover_every_reason_this_code_holds_for():
    phases = Path(PROJECT_ROOT, "worker", "phases")
    held_for = {category_of(m) for path in phases.glob("*.py")
                for m in re.findall(r'\.hold\("([^"]+)"', path.read_text(encoding="utf-8"))}
    assert held_for >= {"spam", "premoderated", "protected_term"}  # the scan reads the phases
    wanted = held_for | set(CATEGORIES) | {REPORT_REASON, SPOT_CHECK, NOTICE_REASON, APPEAL_REASON}
    assert wanted <= set(QUEUE_CATEGORIES), wanted - set(QUEUE_CATEGORIES)


def test_a_scoring_worker_adds_a_tenant_to_the_queue_s_tenants_once_not_per_hold(
        client, runtime, scorer, worker_ctx, make_key):
    """The worker's batches hold comments without a per-hold SADD: a tenant is added once,
    then not again while the worker's cache remembers it (the set deleted by hand stays
    empty), and again once the cache forgets (as it does every POLICY_CACHE_SECONDS)."""
    from tests.moderation_support import post, score_pending

    sites = {t: {"Authorization": f"Bearer {make_key('site', t)}"} for t in TENANTS}
    desk = {"Authorization": f"Bearer {make_key('moderator', '*')}"}

    def held(tenant: str, n: int) -> str:
        return post(client, sites[tenant], scorer.set(f"{tenant} abusive {n}", abuse=0.95),
                    author=f"r{n}")

    def all_tenants_abuse() -> set[str]:
        out = client.get("/v1/moderation/queue?category=abuse&limit=100", headers=desk)
        assert out.status_code == 200
        return {i["id"] for i in out.get_json()["items"]}

    first = {held(t, n) for t in TENANTS for n in range(3)}
    score_pending()
    assert all_tenants_abuse() == first
    assert runtime.redis.smembers(runtime.keys.queue_tenants) == {t.encode() for t in TENANTS}
    runtime.redis.delete(runtime.keys.queue_tenants)
    later = held("acme", 3)
    score_pending()
    assert runtime.comments.get(later)["status"] == "held"
    assert not runtime.redis.exists(runtime.keys.queue_tenants)  # no SADD for this hold
    worker_ctx.policy_cache.reset(None)
    again = held("acme", 4)
    score_pending()
    assert runtime.redis.smembers(runtime.keys.queue_tenants) == {b"acme"}
    assert {later, again} <= all_tenants_abuse()


def test_migration_7_lists_the_tenants_and_drops_the_all_tenants_indexes(runtime, store):
    """The layout before: all tenants' category and kind indexes and set of categories beside
    the tenants', no set of tenants. Step 7 lists every tenant with a queued comment (a record
    from before tenants: the default tenant) and deletes those indexes, nothing else; again,
    it finds nothing to do."""
    from storage.migrations import current_version, migrate

    keys, redis = runtime.keys, runtime.redis
    ids = {}
    for n, tenant in enumerate(("acme", "bravo", "default")):
        cid = ids[tenant] = runtime.comments.create(tenant=tenant, article_id="a1", text="t",
                                                    author_id="r").id
        reasons = ["abuse: threat", "legacy_rule"]
        _hold(runtime, cid, tenant, "a1", reasons, n)
        priority = redis.zscore(keys.tenant(tenant).held_queue, cid)
        for name in (keys.held_queue, keys.held_category("abuse"),
                     keys.held_category("legacy_rule"), keys.held_kind("threat")):
            redis.zadd(name, {cid: priority})
    redis.sadd(keys.held_categories, "legacy_rule")
    redis.hdel(keys.comment(ids["default"]), "tenant")
    redis.delete(keys.queue_tenants)
    redis.set(keys.schema_version, 6)
    tenant_keys = sorted(k.decode() for k in redis.scan_iter(match="mod:t:*"))

    assert [step[0] for step in migrate(redis, keys)] == [7, 8]
    assert current_version(redis, keys) == 8
    assert redis.smembers(keys.queue_tenants) == {b"acme", b"bravo", b"default"}
    assert _all_tenants_indexes(runtime) == []
    assert sorted(k.decode() for k in redis.scan_iter(match="mod:t:*")) == tenant_keys
    order = _all_tenants_order(runtime, ("acme", "bravo", "default"))
    for filters in ({"category": "abuse"}, {"category": "legacy_rule"}, {"kind": "threat"}):
        assert _read_all(store, None, **filters) == (
            order, {"abuse": 3, "legacy_rule": 3}, 3), filters
    redis.set(keys.schema_version, 6)
    assert [step[2] for step in migrate(redis, keys)] == [0, 0]
