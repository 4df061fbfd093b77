"""An article's one listing, filtered by status on read (issue 17: a decision writes no
listing), and the migration that drops the per-status listings stores kept before."""

from __future__ import annotations

import storage.comments as comments_module
from storage.migrations import LATEST, _drop_status_listings, current_version, migrate


def _post(runtime, article: str, n: int, tenant: str = "default") -> list[str]:
    return [runtime.comments.create(tenant=tenant, article_id=article, text=f"comment {i}",
                                    author_id=f"r{i}").id for i in range(n)]


def _decide(runtime, ids: list[str], status: str, article: str, tenant: str = "default") -> None:
    for cid in ids:
        assert runtime.comments.transition(cid, tenant=tenant, article_id=article,
                                           expected="pending", new_status=status,
                                           fields={"decided_by": "model"}, event="scored",
                                           event_data={}) == 1


def _pages(runtime, article: str, status: str | None, limit: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        records, cursor = runtime.comments.list_article("default", article, status, cursor, limit)
        pages.append([r["id"] for r in records])
        if cursor is None:
            return pages


def test_a_status_page_lists_that_status_in_posting_order_across_pages(runtime):
    ids = _post(runtime, "a1", 23)
    held, approved = ids[1::3], [c for i, c in enumerate(ids) if i % 3 != 1][:-2]
    _decide(runtime, held, "held", "a1")
    _decide(runtime, approved, "approved", "a1")
    assert sum(_pages(runtime, "a1", "held", 3), []) == held
    assert sum(_pages(runtime, "a1", "approved", 4), []) == approved
    pending = [c for c in ids if c not in held and c not in approved]
    assert sum(_pages(runtime, "a1", "pending", 5), []) == pending
    assert sum(_pages(runtime, "a1", None, 7), []) == ids
    assert _pages(runtime, "a1", "rejected", 5) == [[]]
    # A decision wrote no listing: the article has its one.
    prefix = runtime.keys.tenant("default").article_prefix("a1")
    assert sorted(k.decode() for k in runtime.redis.scan_iter(match=prefix + "*")) == [prefix + "all"]


def test_a_filtered_page_reads_a_bounded_number_of_records(runtime, monkeypatch):
    monkeypatch.setattr(comments_module, "_SCAN_PER_PAGE", 10)
    ids = _post(runtime, "long", 35)
    _decide(runtime, [ids[-1]], "held", "long")
    pages = _pages(runtime, "long", "held", 5)
    # Pages of nothing (with a cursor to go on from) until the scan reaches the held one.
    assert pages[-1] == [ids[-1]] and all(p == [] for p in pages[:-1]) and len(pages) >= 3


def test_the_migration_drops_the_per_status_listings_only(runtime):
    redis, keys = runtime.redis, runtime.keys
    default, other = keys.tenant("default"), keys.tenant("t2")
    legacy = [default.article_comments("a:1", s) for s in ("pending", "approved", "held")]
    legacy += [other.article_comments("a1", "rejected")]
    kept = [default.article_comments("a:1"), other.article_comments("a1")]
    for name in legacy + kept:
        redis.zadd(name, {"c1": 1})
    unrelated = default.article_policy("held")
    redis.set(unrelated, "x")
    redis.set(keys.schema_version, 2)
    assert [m[0] for m in migrate(redis, keys)] == list(range(3, LATEST + 1))
    assert not any(redis.exists(n) for n in legacy)
    assert all(redis.exists(n) for n in kept) and redis.exists(unrelated)
    assert current_version(redis, keys) == LATEST
    assert _drop_status_listings(redis, keys) == 0  # idempotent
