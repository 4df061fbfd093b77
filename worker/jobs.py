"""RQ job functions: score pending comments and record the decisions.

``drain_pending`` is the hot path: it leases comments in batches, scores a
batch in one vectorised call, and records every decision of the batch in one
pipelined round trip. A comment that fails on its own is handed to
``score_comment``, an RQ job with retries, so one bad comment never blocks
the rest and none is silently dropped.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Collection
from typing import Any

from core.metrics import (
    POST_TO_DECISION_SECONDS,
    SCORING_BATCH_SIZE,
    SCORING_SECONDS,
    record_decision,
)
from core.tenants import tenant_of
from model.scoring import Score, Scorer
from storage import scripts
from storage.authors import AuthorStore
from storage.comments import hold_priority
from storage.context import queue_reply
from storage.dsa import decision_counts
from storage.quality import QualityStore
from storage.tenant_rules import FINGERPRINTS_KEPT
from worker.context import WorkerContext, get_context
from worker.lease import LeaseKeeper
from worker.phases import decide
from worker.policy import Policy, PolicyCache
from worker.queues import DRAIN_FLAG_TTL, schedule_drain_once, schedule_helper, schedule_single
from worker.tallies import Tallies
from worker.webhooks import emit_decisions

log = logging.getLogger("worker.jobs")

# A drain job hands over to a fresh job after this long, so no job nears its
# timeout and other workers get a share of a long backlog.
DRAIN_BUDGET_SECONDS = 20.0
# The record fields scoring needs (also read by the API's synchronous scoring).
RECORD_FIELDS = ("id", "tenant", "article_id", "text", "author_id", "status", "created", "seq",
                 "request_id", "external_id", "parent_id")


def drain_pending() -> dict[str, int]:
    """RQ job: score pending comments in batches until none is due (or the budget is spent)."""
    return drain(get_context())


def drain(ctx: WorkerContext) -> dict[str, int]:
    """``drain_pending`` on an explicit context (tests run two workers in one process).

    The job keeps the drain flag while it runs, so posts queue no further jobs: RQ's own
    bookkeeping is some 40-80 Redis commands a job, more than the comments of a short
    burst cost together. When nothing is due the job waits up to SCORING_LINGER_SECONDS
    for a post to wake it (``_woken``), then frees the flag and looks once more before it
    ends: a comment stored before the flag went saw it held and queued nothing.

    While comments keep coming, the job leases at most once per SCORING_GATHER_SECONDS
    (a full batch goes on at once): a batch costs some fifteen commands whatever its size,
    and without the pause a job as fast as the posts would lease, decide and wait for
    every single comment.
    """
    # This job answers the helper request that queued it (if any): the next backlog may
    # ask for another.
    ctx.redis.delete(ctx.keys.drain_helper)
    try:
        return _drain(ctx)
    finally:
        # The decision counters added up in memory (worker/tallies.py) go with the job.
        if ctx.tallies is not None:
            ctx.tallies.flush(ctx.redis, QualityStore(ctx.redis, ctx.keys))


def _drain(ctx: WorkerContext) -> dict[str, int]:
    settings = ctx.settings
    totals = {"decided": 0, "handed_off": 0, "skipped": 0}
    deadline = time.monotonic() + DRAIN_BUDGET_SECONDS
    linger = _linger(ctx)
    closing = False
    next_lease = 0.0
    while True:
        pause = next_lease - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        started = time.monotonic()
        wait_ttl = _wait_ttl(linger) if linger > 0 and not closing and started < deadline else 0
        leases, waiting, backlog = ctx.comments.lease_or_wait(settings.scoring_batch_size,
                                                              settings.lease_seconds, wait_ttl)
        if not leases:
            # A post wakes the job at once: the first comment after a quiet spell waits no
            # gathering pause.
            next_lease = 0.0
            if closing:
                break
            if waiting and _woken(ctx, linger):
                continue
            # A token a post pushed as the wait ran out goes with the flag.
            ctx.redis.delete(ctx.keys.drain_scheduled, ctx.keys.drain_wake)
            closing = True
            continue
        if backlog:
            # More due than a batch: queue a job (once) so an idle worker joins in.
            schedule_helper(ctx.redis, ctx.keys, ctx.queue)
        if len(leases) == settings.scoring_batch_size:
            next_lease = 0.0
        else:
            next_lease = started + settings.scoring_gather_seconds
        fresh, counted = [], set()
        for lease in leases:
            if lease.attempts > settings.max_attempts:
                _hand_off(ctx, lease.id, "lease attempts exhausted")
                totals["handed_off"] += 1
            else:
                fresh.append(lease.id)
                if lease.attempts > 1:
                    counted.add(lease.id)
        # Renewed while this batch is scored, so a slow batch is never leased twice at once.
        with LeaseKeeper(ctx.comments, fresh, settings.lease_seconds):
            counts = score_and_decide(ctx, fresh, counted)
        for key, value in counts.items():
            totals[key] += value
        if time.monotonic() > deadline:
            # Hand over to a fresh job (queued behind other queues' jobs on this worker).
            if not closing:
                ctx.redis.delete(ctx.keys.drain_scheduled)
            schedule_drain_once(ctx.redis, ctx.keys, ctx.queue)
            break
    return totals


def _linger(ctx: WorkerContext) -> float:
    """SCORING_LINGER_SECONDS, kept under the client's socket timeout (the wait is a
    blocking read on the job's own fast-failing connection)."""
    linger = max(0.0, ctx.settings.scoring_linger_seconds)
    timeout = ctx.settings.redis_socket_timeout
    if timeout and timeout > 0:
        linger = min(linger, max(0.0, timeout - 1.0))
    return linger


def _wait_ttl(linger: float) -> int:
    # The flag outlives the wait, so no post queues a second job meanwhile; should the job
    # die waiting, posts queue jobs again once it runs out (and recovery looks every few s).
    return max(DRAIN_FLAG_TTL, math.ceil(linger) + 1)


_MIN_WAIT = 0.002


def _woken(ctx: WorkerContext, linger: float) -> bool:
    """Wait up to ``linger`` s for a post's wake-up token (the lease script has just said
    "waiting"); True when one came. The post that pushed it turned the flag back to "busy",
    so later posts neither queue jobs nor push tokens: one token per wait.

    Counters still in memory (worker/tallies.py) are written once they are due, part way
    through the wait, so an idle stream's last counters wait no longer than a busy one's."""
    tallies = ctx.tallies
    first = tallies.until_due() if tallies is not None else None
    if tallies is not None and first is not None and first < linger:
        # A BLPOP timeout under a millisecond is 0 to Redis, which blocks for good: such a
        # part is not waited.
        if first >= _MIN_WAIT and ctx.redis.blpop([ctx.keys.drain_wake],
                                                  timeout=first) is not None:
            return True
        tallies.flush(ctx.redis, QualityStore(ctx.redis, ctx.keys))
        linger -= first
        if linger < _MIN_WAIT:
            return False
    return ctx.redis.blpop([ctx.keys.drain_wake], timeout=linger) is not None


def score_comment(comment_id: str) -> str:
    """Score one comment; raising lets RQ retry it and finally keep it in the failed registry."""
    ctx = get_context()
    record = ctx.comments.get_many([comment_id], RECORD_FIELDS)[0]
    if record is None:
        return "missing"
    if record["status"] != "pending":
        return "already decided"
    scorer = ctx.model.get()
    score = scorer.score_batch([record["text"]])[0]
    policy = Policy.load(ctx.redis, ctx.keys, ctx.settings, scorer, [record])
    changed = _record(ctx, [(record, score)], policy, None)
    if ctx.tallies is not None:
        ctx.tallies.flush(ctx.redis, QualityStore(ctx.redis, ctx.keys))
    return "decided" if changed else "already decided"


def decide_scored(ctx: WorkerContext, scorer: Scorer, scored: list[tuple[dict[str, Any], Score]]) -> int:
    """Decide and record comments ``scorer`` scored outside a scoring job (the synchronous
    integrations): the same policy, phases, side effects and webhook events as a batch."""
    policy = Policy.load(ctx.redis, ctx.keys, ctx.settings, scorer, [r for r, _ in scored])
    # No cache here (nothing forgets it): each hold adds its tenant to the queue's tenants.
    return _record(ctx, scored, policy, None)


def score_and_decide(ctx: WorkerContext, ids: list[str],
                     counted: Collection[str] = ()) -> dict[str, int]:
    """Score and decide the leased ``ids``; ``counted``: those whose lease was counted in the
    attempts hash (``Lease.attempts`` > 1), whose count their release forgets."""
    counts = {"decided": 0, "handed_off": 0, "skipped": 0}
    if not ids:
        return counts
    records = []
    for cid, record in zip(ids, ctx.comments.get_many(ids, RECORD_FIELDS), strict=True):
        if record is None or record.get("status") != "pending":
            # Decided by an earlier run, or erased: let go of the lease.
            ctx.comments.detach_from_lease(cid)
            counts["skipped"] += 1
        else:
            records.append(record)
    if not records:
        return counts
    scorer = ctx.model.get()
    policy = Policy.load(ctx.redis, ctx.keys, ctx.settings, scorer, records, ctx.policy_cache)
    scored: list[tuple[dict[str, Any], Score]] = []
    try:
        started = time.perf_counter()
        scores = scorer.score_batch([r["text"] for r in records])
        SCORING_SECONDS.observe(time.perf_counter() - started)
        SCORING_BATCH_SIZE.observe(len(records))
        scored = list(zip(records, scores, strict=True))
    except Exception:
        # Find the comment(s) that broke the batch; score the rest.
        log.exception("batch scoring failed; scoring one by one", extra={"batch": len(records)})
        for record in records:
            try:
                scored.append((record, scorer.score_batch([record["text"]])[0]))
            except Exception:
                _hand_off(ctx, record["id"], "scoring raised")
                counts["handed_off"] += 1
    counts["decided"] += _record(ctx, scored, policy, ctx.policy_cache, counted)
    return counts


def _record(ctx: WorkerContext, scored: list[tuple[dict[str, Any], Score]], policy: Policy,
            cache: PolicyCache | None, counted: Collection[str] | None = None) -> int:
    """Write every decision of a batch in one round trip; returns how many changed status.
    ``cache``: where the tenants known to be in ``Keys.queue_tenants`` are kept.
    ``counted``: as ``CommentStore.release`` takes it (None: any id's count is forgotten)."""
    if not scored:
        return 0
    known = cache.queue_tenants if cache is not None else set()
    # Pipeline positions of the SADDs adding a tenant to the queue's tenants: one per tenant
    # a batch holds for until this process saw it there, never one per hold (the scripts
    # are told not to), queued before the tenant's first hold so no all-tenants page misses it.
    adding: dict[str, int] = {}
    version = ctx.model.version
    now = time.time()
    pipe = ctx.redis.pipeline(transaction=False)
    authors = AuthorStore(ctx.redis, ctx.keys, ctx.settings)
    transitions: list[int] = []
    outcomes: list[dict[str, Any]] = []
    for record, score in scored:
        # Records from before tenants carry none: they are the default tenant's.
        record = {**record, "tenant": tenant_of(record)}
        decision = decide(record, score, policy)
        tenant = record["tenant"]
        if decision.status == "held" and tenant not in known and tenant not in adding:
            pipe.sadd(ctx.keys.queue_tenants, tenant)
            adding[tenant] = len(pipe) - 1
        scores = {k: round(float(v), 4) for k, v in score.scores.items()}
        spans = [
            {"start": s.start, "end": s.end, "category": s.category, "kind": s.kind}
            for s in score.spans
        ]
        ctx.comments.transition(
            record["id"],
            tenant=record["tenant"],
            article_id=record["article_id"],
            expected="pending",
            new_status=decision.status,
            fields={
                "scores": scores,
                "reasons": decision.reasons,
                "spans": spans,
                "model_version": version,
                "decided": repr(now),
                "decided_by": "model",
                # None (not written) for a model without kind heads
                "abuse_kinds": {k: round(float(v), 4) for k, v in score.kinds.items()} or None,
                "margin": None if decision.margin is None else round(decision.margin, 4),
            },
            event="scored",
            event_data={"by": "model", "status": decision.status, "reasons": decision.reasons,
                        "scores": scores, "model_version": version},
            priority=hold_priority(scores, decision.reasons, record["seq"]),
            pipe=pipe,
            keep_lease=True,
            # The author's counters, in the same script.
            author=(record["author_id"], record["created"]) if record.get("author_id") else None,
            # On the record, not appended to the history list.
            inline_event=True,
            # A plain EVALSHA: no SCRIPT EXISTS before the pipeline (storage/scripts.py).
            evalsha=True,
            # Its tenant is added above, once.
            register_tenant=False,
        )
        transitions.append(len(pipe) - 1)
        outcomes.append({**record, "status": decision.status, "reasons": decision.reasons,
                         "decided_by": "model", "model_version": version, "decided": now,
                         "spot_check_p": decision.spot_check_p, "approved_p": decision.approved_p})
        if record.get("parent_id"):
            # Same pipeline: the parent's reply index (moderators' thread context).
            queue_reply(pipe, ctx.keys, tenant=record["tenant"], article_id=record["article_id"],
                        parent_ref=record["parent_id"], comment_id=record["id"],
                        seq=record["seq"], keep_seconds=ctx.settings.retention_days * 86400)
    # The repeat rule's per-author fingerprints, as the batch left them: same pipeline.
    for (tenant, author_id), recent in policy.fingerprints.items():
        authors.queue_fingerprints(pipe, tenant, author_id, recent, FINGERPRINTS_KEPT)
    # One failing command (say, a key of the wrong type) must not hide the decisions the
    # rest of the pipeline did write: those still get their webhooks and metrics.
    results = scripts.execute(ctx.redis, pipe, raise_on_error=False)
    errors = [r for r in results if isinstance(r, Exception)]
    if errors:
        # The type only: a Redis error's text can echo a command.
        log.error("batch writes failed", extra={"errors": len(errors),
                                                "error_type": type(errors[0]).__name__})
    decided = [o for o, n in zip(outcomes, transitions, strict=True) if results[n] == 1]
    known.update(t for t, n in adding.items() if not isinstance(results[n], Exception))
    # One more round trip for the batch, now that the scripts said which decisions are
    # this batch's: out of the lease (one command rather than one per comment inside
    # each script, one more for the attempts of any leased before; a comment whose script
    # failed stays leased) and the spot checks drawn.
    # The transparency counts (DSA Art. 15, per tenant, day and category) and the quality
    # counters of the decisions made (no per-comment check of which write won) are added
    # up in memory and ride on this round trip once a second (worker/tallies.py).
    # If this fails the decisions stand; the ids leave the lease when it ends (detached
    # then as decided), so the webhooks and metrics below must still go out. A worker that
    # dies loses the counters it had not written yet, never a decision.
    try:
        after = ctx.redis.pipeline(transaction=False)
        ctx.comments.release([o["id"] for o, n in zip(outcomes, transitions, strict=True)
                              if not isinstance(results[n], Exception)], pipe=after,
                             counted=counted)
        quality = QualityStore(ctx.redis, ctx.keys)
        quality.queue_spot_checks(after, repr(now), now, decided)
        counts, tenants = quality.batch_counts(now, version, decided)
        tallies = ctx.tallies if ctx.tallies is not None else Tallies(interval=0.0)
        tallies.add(counts, tenants)
        tallies.add(decision_counts(ctx.keys, decided, now))
        if tallies.due():
            tallies.queue(after, quality)
        failed = [r for r in scripts.execute(ctx.redis, after, raise_on_error=False)
                  if isinstance(r, Exception)]
        if failed:
            log.error("batch counters failed", extra={"errors": len(failed),
                                                      "error_type": type(failed[0]).__name__})
    except Exception:
        log.warning("lease not released; it ends by itself", exc_info=True)
    _emit(ctx, decided, policy)
    finished = time.time()
    for outcome in decided:
        record_decision("model", outcome["status"], outcome["reasons"])
        POST_TO_DECISION_SECONDS.observe(max(0.0, finished - outcome["created"]))
    # Request ids tie these decisions to the API requests that posted them.
    log.info("batch decided", extra={
        "comments": len(scored), "changed": len(decided), "model_version": version,
        "request_ids": [o.get("request_id") for o in decided if o.get("request_id")][:64],
    })
    return len(decided)


def _emit(ctx: WorkerContext, decided: list[dict[str, Any]], policy: Policy) -> None:
    # The decisions are stored; a webhook hiccup must not fail (and re-run) the batch.
    try:
        # Targets and templates as the batch's policy read them: no read of their own.
        emit_decisions(ctx.redis, ctx.keys, ctx.settings, decided,
                       targets=policy.webhook_targets, templates=policy.dsa_settings)
    except Exception:
        log.exception("webhook events not queued", extra={"comments": len(decided)})


def _hand_off(ctx: WorkerContext, comment_id: str, why: str) -> None:
    log.warning("comment handed to its own job", extra={"comment_id": comment_id, "why": why})
    schedule_single(ctx.queue, comment_id, ctx.settings)
    ctx.comments.detach_from_lease(comment_id)
