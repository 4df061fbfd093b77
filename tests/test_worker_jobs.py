"""The scoring jobs against real Redis and real RQ, with a stub scorer (these tests are
about leasing, hand-off and exactly-once recording, not about the model)."""

from __future__ import annotations

import pytest
from rq import SimpleWorker
from rq.registry import FailedJobRegistry

from model.scoring import Score, Span
from tests.moderation_support import StubActive
from worker import jobs
from worker.context import WorkerContext, set_context
from worker.recovery import requeue_if_due


class StubScorer:
    version = "stub-1"
    thresholds = {"abuse": 0.5, "victim_identification": 0.5}
    metrics: dict = {}
    created_at = "2026-01-01T00:00:00Z"

    def __init__(self, poison: str | None = None) -> None:
        self.poison = poison
        self.calls = 0

    def score_batch(self, texts):
        self.calls += 1
        out = []
        for text in texts:
            if self.poison and self.poison in text:
                raise ValueError("cannot score this one")
            bad = "idiot" in text
            vi = "academy" in text.lower()
            spans = [Span(text.find("idiot"), text.find("idiot") + 5, "abuse", "insult")] if bad else []
            out.append(Score(
                scores={"abuse": 0.9 if bad else 0.1, "victim_identification": 0.8 if vi else 0.05},
                spans=spans,
                evidence={"abuse": ["insult"] if bad else [], "victim_identification":
                          ["school"] if vi else []},
            ))
        return out


@pytest.fixture
def ctx(settings, redis_client):
    context = WorkerContext.build(settings, redis_client)
    context.model = StubActive(StubScorer())
    set_context(context)
    yield context
    set_context(None)


def post(ctx, text: str, article: str = "story") -> str:
    return ctx.comments.create(article_id=article, text=text, author_id="a1").id


def test_drain_decides_every_pending_comment_once(ctx):
    ids = [post(ctx, f"civil comment {n}") for n in range(150)]
    bad = post(ctx, "you idiot")
    totals = jobs.drain_pending()
    assert totals["decided"] == 151
    assert ctx.comments.pending_count() == 0
    for cid in ids:
        record = ctx.comments.get(cid)
        assert record["status"] == "approved" and record["decided_by"] == "model"
        assert record["model_version"] == "stub-1"
    held = ctx.comments.get(bad)
    assert held["status"] == "held"
    assert held["reasons"] == ["abuse: insult"]
    assert held["spans"] == [{"start": 4, "end": 9, "category": "abuse", "kind": "insult"}]
    # Batches of SCORING_BATCH_SIZE, not one call per comment.
    assert ctx.model.scorer.calls == 3
    # The full first batch meant a backlog: one more job was queued for an idle worker.
    assert ctx.queue.count == 1
    # A second run changes nothing.
    assert jobs.drain_pending()["decided"] == 0
    assert [e["event"] for e in ctx.comments.history(bad)] == ["posted", "scored"]


def test_held_comments_enter_the_review_queue_by_priority(ctx):
    abuse = post(ctx, "you idiot")
    vi = post(ctx, "she goes to Brinsworth Academy")
    post(ctx, "fine comment")
    jobs.drain_pending()
    queue = [m.decode() for m in ctx.redis.zrange(ctx.keys.tenant("default").held_queue, 0, -1)]
    assert queue == [vi, abuse]


def test_a_repeated_decision_is_refused(ctx):
    cid = post(ctx, "fine comment")
    jobs.drain_pending()
    record = ctx.comments.get(cid)
    changed = ctx.comments.transition(
        cid, tenant="default", article_id="story", expected="pending", new_status="held", fields={},
        event="scored", event_data={},
    )
    assert changed == 0
    assert ctx.comments.get(cid)["status"] == record["status"] == "approved"


def test_a_crashed_batch_is_leased_again_after_the_lease(ctx):
    ids = [post(ctx, f"comment {n}") for n in range(5)]
    # A worker leases the batch and dies before deciding.
    leased = ctx.comments.lease(10, lease_seconds=60)
    assert {lease.id for lease in leased} == set(ids)
    assert jobs.drain_pending()["decided"] == 0  # still leased: nobody else takes them
    for cid in ids:
        assert ctx.comments.get(cid)["status"] == "pending"  # visible, not lost
    # When the lease has run out, the recovery check queues a job for them.
    ctx.redis.delete(ctx.keys.drain_scheduled)
    future = ctx.comments.next_due() + 1
    assert requeue_if_due(ctx, now=future)
    assert ctx.queue.count == 1
    later = ctx.comments.lease(10, lease_seconds=60, now=future)
    assert [lease.attempts for lease in later] == [2] * 5


def test_a_first_lease_and_its_release_write_no_attempts_and_a_lapsed_lease_is_counted(ctx):
    first, lapsed = post(ctx, "decided at its first lease"), post(ctx, "its worker dies")
    now = ctx.comments.next_due() + 1
    leases = {lease.id: lease.attempts for lease in ctx.comments.lease(10, 60, now=now)}
    assert leases == {first: 1, lapsed: 1}
    assert ctx.redis.hlen(ctx.keys.attempts) == 0
    assert jobs.score_and_decide(ctx, [first])["decided"] == 1
    assert ctx.redis.hlen(ctx.keys.attempts) == 0
    # The lease of the other one runs out, twice: each re-lease is counted.
    assert [(lease.id, lease.attempts) for lease in ctx.comments.lease(10, 60, now=now + 61)
            ] == [(lapsed, 2)]
    assert [lease.attempts for lease in ctx.comments.lease(10, 60, now=now + 122)] == [3]
    assert ctx.redis.hgetall(ctx.keys.attempts) == {lapsed.encode(): b"3"}
    # A batch whose lease was counted forgets the count with the lease.
    assert jobs.score_and_decide(ctx, [lapsed], {lapsed})["decided"] == 1
    assert ctx.redis.hlen(ctx.keys.attempts) == 0
    assert ctx.comments.pending_count() == 0


def test_a_drain_that_decides_a_comment_leased_before_forgets_its_count(ctx):
    cid = post(ctx, "its first worker died")
    ctx.comments.lease(10, lease_seconds=-1)  # leased and immediately expired
    assert jobs.drain_pending()["decided"] == 1
    assert ctx.comments.get(cid)["status"] == "approved"
    assert ctx.redis.hlen(ctx.keys.attempts) == 0 and ctx.comments.pending_count() == 0


def test_leases_scored_by_the_code_before_the_grid_keep_their_count(ctx):
    # That code scored the pending set with plain times (off the millisecond grid) and
    # counted every lease in the attempts hash; a process of it may still be running.
    counted, fresh = post(ctx, "leased twice before"), post(ctx, "never leased")
    now = ctx.comments.next_due() + 1
    ctx.redis.zadd(ctx.keys.pending, {counted: now - 0.0123456, fresh: now - 0.0234567})
    ctx.redis.hset(ctx.keys.attempts, counted, 2)
    leases = {lease.id: lease.attempts for lease in ctx.comments.lease(10, 60, now=now)}
    assert leases == {counted: 3, fresh: 1}
    assert ctx.redis.hgetall(ctx.keys.attempts) == {counted.encode(): b"3"}
    later = {lease.id: lease.attempts for lease in ctx.comments.lease(10, 60, now=now + 61)}
    assert later == {counted: 4, fresh: 2}


def test_a_comment_that_breaks_scoring_gets_its_own_job_and_the_rest_are_decided(ctx):
    ctx.model = StubActive(StubScorer(poison="POISON"))
    good = [post(ctx, f"comment {n}") for n in range(3)]
    poison = post(ctx, "this is POISON")
    totals = jobs.drain_pending()
    assert totals == {"decided": 3, "handed_off": 1, "skipped": 0}
    assert all(ctx.comments.get(cid)["status"] == "approved" for cid in good)
    assert ctx.comments.get(poison)["status"] == "pending"
    assert f"score-{poison}" in ctx.queue.job_ids
    assert ctx.comments.pending_count() == 0  # its own job owns it now


def test_retries_spent_leave_the_job_failed_and_the_comment_pending(ctx, settings):
    ctx.model = StubActive(StubScorer(poison="POISON"))
    ctx.settings = settings.__class__(**{**settings.__dict__, "job_retry_backoff": "0",
                                        "job_retries": 2})
    poison = post(ctx, "POISON again")
    jobs.drain_pending()
    worker = SimpleWorker([ctx.queue], connection=ctx.redis)
    worker.work(burst=True, max_jobs=10)
    failed = FailedJobRegistry(queue=ctx.queue)
    assert f"score-{poison}" in failed.get_job_ids()
    record = ctx.comments.get(poison)
    assert record["status"] == "pending"
    history = ctx.comments.history(poison)
    assert [e["event"] for e in history] == ["posted"]


def test_lease_attempts_exhausted_hands_the_comment_off(ctx):
    cid = post(ctx, "comment that kills workers")
    for _ in range(ctx.settings.max_attempts):
        ctx.comments.lease(10, lease_seconds=-1)  # leased and immediately expired
    totals = jobs.drain_pending()
    assert totals["handed_off"] == 1
    assert f"score-{cid}" in ctx.queue.job_ids
