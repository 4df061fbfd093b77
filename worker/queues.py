"""The RQ queues and the jobs put on them: the contract between the API and workers.

The API never imports job code; it names jobs by dotted path so that the API
process does not load the model.
"""

from __future__ import annotations

from redis import Redis
from rq import Queue, Retry
from rq.job import Job

from core.config import Settings
from storage.keys import Keys

DRAIN_JOB = "worker.jobs.drain_pending"
SINGLE_JOB = "worker.jobs.score_comment"
DRAIN_FLAG_TTL = 10


def comments_queue(redis: Redis, settings: Settings) -> Queue:
    return Queue(settings.comments_queue, connection=redis)


def schedule_drain(queue: Queue, request_id: str | None = None) -> Job:
    """Queue a job that scores pending comments in batches.

    Called when a post finds no drain job queued (the flag set by
    ``CommentStore.create``), so bursts share jobs rather than paying RQ's
    per-job overhead for every comment.
    """
    return queue.enqueue(
        DRAIN_JOB,
        job_timeout=120,
        # A drain job's result (counts) is of no use once it has run; keeping it would cost
        # Redis memory and commands for every burst of comments.
        result_ttl=0,
        failure_ttl=7 * 24 * 3600,
        meta={"request_id": request_id} if request_id else None,
    )


def schedule_drain_once(redis: Redis, keys: Keys, queue: Queue) -> bool:
    """Queue a drain job unless one is queued already (the flag the API's create script
    also sets); True if this call queued it. The flag's TTL frees it should the enqueue
    never happen (a process dying between the two)."""
    if not redis.set(keys.drain_scheduled, "1", nx=True, ex=DRAIN_FLAG_TTL):
        return False
    schedule_drain(queue)
    return True


def schedule_helper(redis: Redis, keys: Keys, queue: Queue) -> bool:
    """Queue one more drain job for a backlog, so an idle worker joins the running one
    (whose flag stops posts from queueing jobs); at most one per DRAIN_FLAG_TTL, and
    each helper that starts allows the next."""
    if not redis.set(keys.drain_helper, "1", nx=True, ex=DRAIN_FLAG_TTL):
        return False
    schedule_drain(queue)
    return True


def schedule_single(queue: Queue, comment_id: str, settings: Settings) -> Job:
    """Give one comment its own job, retried with back-off, ending in RQ's failed
    registry (with the comment still pending) when retries are spent."""
    backoff = [int(s) for s in settings.job_retry_backoff.split(",") if s.strip()]
    return queue.enqueue(
        SINGLE_JOB,
        comment_id,
        job_id=f"score-{comment_id}",
        job_timeout=60,
        retry=Retry(max=settings.job_retries, interval=backoff or 0),
        result_ttl=3600,
        failure_ttl=30 * 24 * 3600,
    )
