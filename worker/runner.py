"""Start one worker process: RQ's SimpleWorker (no fork per job) plus the recovery loop.

A worker consumes the queues it is told to (``--queues`` / ``WORKER_QUEUES``):
by default comments only. Webhook deliveries wait on receivers (up to
WEBHOOK_TIMEOUT each), so they get workers of their own and a slow receiver
never holds up scoring. Training runs for minutes to hours, so it too gets
workers of its own; a training-only worker forks per job (RQ's ``Worker``) so
the memory a training run takes is returned when it ends.
"""

from __future__ import annotations

import logging

from rq import Queue, SimpleWorker, Worker

from core.config import Settings
from storage.connection import connect_blocking
from storage.migrations import migrate
from worker.context import WorkerContext, set_context
from worker.recovery import RecoveryLoop, requeue_if_due
from worker.retention import RetentionLoop
from worker.webhook_targets import allow_list

log = logging.getLogger("worker.runner")


DEFAULT_QUEUES = ("comments",)
# RQ waits 1, 2, 4 ... s between attempts to reach Redis, up to a minute by default: a worker
# would then sit idle for up to a minute after Redis came back. One refused connect a second
# while Redis is down costs nothing.
RECONNECT_WAIT_CAP = 1.0


def queue_names(settings: Settings, spec: str | None = None) -> list[str]:
    """RQ queue names from a comma-separated list of roles (comments, webhooks, training)
    or literal names; empty means the default roles."""
    roles = {"comments": settings.comments_queue, "webhooks": settings.webhooks_queue,
             "training": settings.training_queue}
    spec = spec if spec is not None else settings.worker_queues
    wanted = [part.strip() for part in (spec or "").split(",") if part.strip()] or list(DEFAULT_QUEUES)
    names: list[str] = []
    for item in wanted:
        name = roles.get(item, item)
        if name not in names:
            names.append(name)
    return names


def run_worker(settings: Settings, *, burst: bool = False, name: str | None = None,
               queues: str | None = None) -> bool:
    """Consume the given queues until stopped (or, with ``burst``, until they are empty)."""
    # A malformed WEBHOOK_ALLOWED_HOSTS stops the worker at start, not at its first delivery.
    allow_list(settings.webhook_allowed_hosts)
    ctx = WorkerContext.build(settings)
    set_context(ctx)
    # A store from an older release gets its new indexes before this worker writes to it.
    migrate(ctx.redis, ctx.keys)
    names = queue_names(settings, queues)
    scoring = ctx.queue.name in names
    recovery = RecoveryLoop(ctx, settings.recovery_interval)
    if scoring:
        # Anything left by a worker that died is picked up now, not at the first tick.
        requeue_if_due(ctx)
        if not burst:
            recovery.start()
    # Scoring workers also purge expired comments (one of them per interval).
    retention = RetentionLoop(ctx.redis, ctx.keys, settings)
    if scoring and not burst:
        retention.start()
    worker_class = Worker if names == [settings.training_queue] else SimpleWorker
    # RQ's own traffic (the blocking dequeue, heartbeats, registries) on a pool of its own;
    # the jobs, the recovery and retention loops keep ctx.redis and its short timeouts.
    rq_redis = connect_blocking(settings)
    rq_queues = [Queue(n, connection=rq_redis) for n in names]
    log.info("worker starting", extra={"queues": names, "worker_class": worker_class.__name__})
    worker = worker_class(rq_queues, connection=rq_redis, name=name)
    worker.max_connection_wait_time = RECONNECT_WAIT_CAP
    try:
        return worker.work(burst=burst, with_scheduler=True, logging_level=settings.log_level)
    finally:
        recovery.stop()
        retention.stop()
