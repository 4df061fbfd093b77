"""A scoring worker's decision counters (quality, DSA transparency) are added up in memory and
written at most once a second, riding on a batch's round trip, and when the job ends or waits
for posts (worker/tallies.py). Real Redis, the real drain job and decide scripts."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from storage.quality import QualityStore
from tests.conftest import make_settings, wait_until
from tests.moderation_support import StubActive
from tests.test_worker_jobs import StubScorer
from worker import jobs
from worker.context import WorkerContext
from worker.tallies import Tallies


def _ctx(redis_url, redis_client, **settings):
    context = WorkerContext.build(make_settings(redis_url, **settings), redis_client)
    context.model = StubActive(StubScorer())
    return context


def _post(ctx, n: int, tenant: str = "default"):
    return ctx.comments.create(article_id="story", text=f"civil comment {n}",
                               author_id=f"reader-{n % 5}", tenant=tenant).id


def _comments_counted(redis_client, ctx, tenant: str = "default") -> int:
    day = datetime.now(UTC).date().isoformat()
    raw = redis_client.hgetall(ctx.keys.tenant(tenant).quality_day(day))
    return int(sum(float(v) for k, v in raw.items() if k.decode().endswith("|comments")))


def test_batches_add_up_in_memory_and_are_written_once(redis_url, redis_client):
    ctx = _ctx(redis_url, redis_client)
    now = [100.0]
    ctx.tallies = Tallies(interval=1.0, clock=lambda: now[0])
    for batch in range(3):
        ids = [_post(ctx, 10 * batch + n, tenant) for n in range(2) for tenant in ("acme", "bravo")]
        ctx.comments.lease(10, 30)
        assert jobs.score_and_decide(ctx, ids)["decided"] == 4
        now[0] += 0.3
    # Nothing written yet: three batches' counters wait in memory.
    assert _comments_counted(redis_client, ctx, "acme") == 0
    assert ctx.tallies.waiting
    # The next batch past the second writes them all, with its own, in its round trip.
    now[0] += 0.2
    ids = [_post(ctx, 99, "acme")]
    ctx.comments.lease(10, 30)
    redis_client.config_resetstat()
    assert jobs.score_and_decide(ctx, ids)["decided"] == 1
    stats = redis_client.info("commandstats")
    assert not ctx.tallies.waiting
    assert (_comments_counted(redis_client, ctx, "acme"),
            _comments_counted(redis_client, ctx, "bravo")) == (7, 6)
    # One HINCRBY per counter of the lot (plus the decided comment's author counter in its
    # decide script), not per batch or comment.
    day = datetime.now(UTC).date().isoformat()
    fields = [f for t in ("acme", "bravo")
              for f in redis_client.hkeys(ctx.keys.tenant(t).quality_day(day))
              if not f.endswith(b"_p")]
    assert stats["cmdstat_hincrby"]["calls"] == len(fields) + 1
    assert stats["cmdstat_hincrbyfloat"]["calls"] == 2  # approved_p, one per tenant
    assert QualityStore(redis_client, ctx.keys).tenants() == ["acme", "bravo"]


def test_a_job_writes_what_is_left_when_it_ends(redis_url, redis_client):
    ctx = _ctx(redis_url, redis_client)
    ctx.tallies = Tallies(interval=3600.0)
    for n in range(3):
        _post(ctx, n)
    assert jobs.drain(ctx)["decided"] == 3
    assert _comments_counted(redis_client, ctx) == 3 and not ctx.tallies.waiting


def test_a_job_waiting_for_posts_writes_its_counters_within_the_interval(redis_url, redis_client):
    ctx = _ctx(redis_url, redis_client, scoring_linger_seconds=30.0)
    ctx.tallies = Tallies(interval=0.5)
    ids = [_post(ctx, n) for n in range(3)]
    job = threading.Thread(target=jobs.drain, args=(ctx,))
    job.start()
    try:
        wait_until(lambda: all(r["status"] != "pending" for r in ctx.comments.get_many(ids)))
        wait_until(lambda: _comments_counted(redis_client, ctx) == 3)
        # Written while the job still waits for posts, not when it ends.
        assert job.is_alive()
        assert redis_client.get(ctx.keys.drain_scheduled) == b"waiting"
        # Still woken by a post after the write.
        more = _post(ctx, 7)
        wait_until(lambda: ctx.comments.get(more)["status"] != "pending")
        wait_until(lambda: _comments_counted(redis_client, ctx) == 4)
    finally:
        redis_client.delete(ctx.keys.drain_scheduled)
        redis_client.rpush(ctx.keys.drain_wake, "1")
        job.join(60)
    assert not job.is_alive()


def test_a_dsa_count_of_automated_holds_goes_with_the_quality_counters(redis_url, redis_client):
    ctx = _ctx(redis_url, redis_client)
    # The stub model holds any text with "idiot" for abuse.
    cid = ctx.comments.create(article_id="story", text="you absolute idiot", author_id="r").id
    assert jobs.drain(ctx)["decided"] == 1
    assert ctx.comments.get(cid)["status"] == "held"
    day = datetime.now(UTC).date().isoformat()
    counts = redis_client.hgetall(ctx.keys.tenant("default").dsa_day(day))
    assert counts == {b"decisions:held:abuse:automated": b"1"}
