"""A scoring job keeps the drain flag while it runs and waits for posts before it ends
(SCORING_LINGER_SECONDS): a steady stream shares one RQ job, and no comment is left
behind when the job ends."""

from __future__ import annotations

import random
import threading
import time

import pytest

from tests.conftest import make_settings, wait_until
from tests.moderation_support import StubActive
from tests.test_worker_jobs import StubScorer
from worker import jobs
from worker.context import WorkerContext, set_context
from worker.queues import schedule_drain


def _ctx(redis_url, redis_client, linger):
    context = WorkerContext.build(make_settings(redis_url, scoring_linger_seconds=linger),
                                  redis_client)
    context.model = StubActive(StubScorer())
    return context


@pytest.fixture
def contexts():
    made = []
    yield made
    set_context(None)


def _post(ctx, n: int):
    return ctx.comments.create(article_id="story", text=f"civil comment {n}",
                               author_id=f"reader-{n % 5}")


def test_a_waiting_job_is_woken_by_a_post_and_no_second_job_is_queued(redis_url, redis_client):
    ctx = _ctx(redis_url, redis_client, linger=60)
    first = _post(ctx, 1)
    assert first.schedule_scoring  # nothing queued or running: this post queues the job
    totals: dict = {}
    job = threading.Thread(target=lambda: totals.update(jobs.drain(ctx)))
    job.start()
    try:
        wait_until(lambda: ctx.comments.get(first.id)["status"] != "pending")
        wait_until(lambda: redis_client.get(ctx.keys.drain_scheduled) == b"waiting")
        second = _post(ctx, 2)
        # The running job's flag: this post queues no job, it wakes the waiting one.
        assert not second.schedule_scoring
        wait_until(lambda: ctx.comments.get(second.id)["status"] != "pending")
        assert job.is_alive()  # decided by the job that was waiting, not by a new one
        assert ctx.queue.count == 0
    finally:
        # Another job freed the flag: the waiting one is told so and ends.
        redis_client.delete(ctx.keys.drain_scheduled)
        redis_client.rpush(ctx.keys.drain_wake, "1")
        job.join(30)
    assert not job.is_alive()
    assert totals["decided"] == 2
    third = _post(ctx, 3)
    assert third.schedule_scoring  # no job runs: posts queue one again


def test_a_job_with_nothing_to_wait_for_frees_the_flag(redis_url, redis_client):
    ctx = _ctx(redis_url, redis_client, linger=0)
    posted = _post(ctx, 1)
    assert jobs.drain(ctx)["decided"] == 1
    assert redis_client.get(ctx.keys.drain_scheduled) is None
    assert ctx.comments.get(posted.id)["status"] == "approved"


@pytest.mark.parametrize("linger", [0.0, 0.02])
def test_posts_racing_the_end_of_jobs_are_all_decided_exactly_once(redis_url, redis_client,
                                                                   linger):
    """Posts at random moments while jobs start, wait and end: every comment is decided,
    once (its history holds one "scored" event), and the pending set ends empty."""
    ctx = _ctx(redis_url, redis_client, linger=linger)
    set_context(ctx)
    stop = threading.Event()

    def run_worker() -> None:
        # RQ's worker wants the main thread (signals): take the queued jobs' ids from RQ's
        # queue and run each drain job here, as a worker would.
        while not stop.is_set():
            if redis_client.lpop(ctx.queue.key) is not None:
                jobs.drain(ctx)
            else:
                time.sleep(0.001)

    workers = [threading.Thread(target=run_worker) for _ in range(2)]
    for w in workers:
        w.start()
    ids = []
    rng = random.Random(7)
    try:
        for n in range(150):
            created = _post(ctx, n)
            if created.schedule_scoring:
                schedule_drain(ctx.queue)  # as the API does
            ids.append(created.id)
            time.sleep(rng.choice([0, 0, 0.001, 0.005, 0.03]))
        wait_until(lambda: all(r["status"] != "pending"
                               for r in ctx.comments.get_many(ids, ["status"])), timeout=60)
    finally:
        stop.set()
        for w in workers:
            w.join(30)
        set_context(None)
    assert ctx.comments.pending_count() == 0
    for cid in ids:
        events = [e["event"] for e in ctx.comments.history(cid)]
        assert events == ["posted", "scored"], events


def test_only_the_first_post_of_a_wait_pushes_a_wake_up_token(redis_url, redis_client):
    """A waiting job is woken by one token however many posts come before it wakes: the
    first post turns the flag back to "busy", and the rest see a job at work."""
    ctx = _ctx(redis_url, redis_client, linger=5)
    redis_client.set(ctx.keys.drain_scheduled, "busy")
    assert ctx.comments.lease_or_wait(10, 30, wait_ttl=10) == ([], True, False)
    assert redis_client.get(ctx.keys.drain_scheduled) == b"waiting"
    posted = [_post(ctx, n) for n in range(3)]
    assert not any(p.schedule_scoring for p in posted)
    assert redis_client.get(ctx.keys.drain_scheduled) == b"busy"
    assert redis_client.llen(ctx.keys.drain_wake) == 1
    leases, waiting, backlog = ctx.comments.lease_or_wait(2, 30, wait_ttl=10)
    assert not waiting and backlog  # three due, two taken
    leases += ctx.comments.lease_or_wait(2, 30, wait_ttl=10)[0]
    assert sorted(lease.id for lease in leases) == sorted(p.id for p in posted)


def test_the_lease_marks_no_wait_once_the_flag_is_gone(redis_url, redis_client):
    """Another job freed the flag: the lease says "not waiting" and creates no flag, so the
    next post queues a job of its own rather than pushing a token nobody reads."""
    ctx = _ctx(redis_url, redis_client, linger=5)
    assert ctx.comments.lease_or_wait(10, 30, wait_ttl=10) == ([], False, False)
    assert redis_client.get(ctx.keys.drain_scheduled) is None
    assert _post(ctx, 1).schedule_scoring


def test_comments_posted_while_a_job_gathers_share_one_batch(redis_url, redis_client):
    """While comments keep coming the job leases at most once per SCORING_GATHER_SECONDS:
    the comments posted during the pause after a batch are leased and decided together
    (one ``decided`` stamp), not one batch each."""
    ctx = WorkerContext.build(make_settings(redis_url, scoring_linger_seconds=0.5,
                                            scoring_gather_seconds=3.0), redis_client)
    ctx.model = StubActive(StubScorer())
    first = _post(ctx, 0)
    assert first.schedule_scoring
    totals: dict = {}
    job = threading.Thread(target=lambda: totals.update(jobs.drain(ctx)))
    job.start()
    try:
        wait_until(lambda: ctx.comments.get(first.id)["status"] != "pending")
        later = [_post(ctx, n).id for n in range(1, 6)]
        wait_until(lambda: all(r["status"] != "pending"
                               for r in ctx.comments.get_many(later, ["status"])), timeout=30)
    finally:
        job.join(30)
    assert not job.is_alive()
    stamps = {r["decided"] for r in ctx.comments.get_many(later, ["decided"])}
    assert len(stamps) == 1
    assert totals["decided"] == 6
    assert redis_client.get(ctx.keys.drain_scheduled) is None


@pytest.mark.parametrize("posted, helpers", [(4, 0), (5, 1)])
def test_a_helper_job_is_queued_only_for_more_than_a_batch(redis_url, redis_client, posted,
                                                           helpers):
    """A backlog (more due than one batch) queues one more job so an idle worker joins in;
    a batch that took everything due queues none (RQ's bookkeeping for a job that would
    find nothing)."""
    ctx = WorkerContext.build(make_settings(redis_url, scoring_batch_size=4), redis_client)
    ctx.model = StubActive(StubScorer())
    for n in range(posted):
        _post(ctx, n)
    assert jobs.drain(ctx)["decided"] == posted
    assert ctx.queue.count == helpers
