"""Start one worker process: RQ's SimpleWorker (no fork per job) plus the recovery loop."""

from __future__ import annotations

import logging

from rq import SimpleWorker

from moderation.config import Settings
from worker.context import WorkerContext, set_context
from worker.recovery import RecoveryLoop, requeue_if_due

log = logging.getLogger("worker.runner")


def run_worker(settings: Settings, *, burst: bool = False, name: str | None = None) -> bool:
    """Consume the comments queue until stopped (or, with ``burst``, until it is empty)."""
    ctx = WorkerContext.build(settings)
    set_context(ctx)
    # Anything left by a worker that died is picked up now, not at the first tick.
    requeue_if_due(ctx)
    recovery = RecoveryLoop(ctx, settings.recovery_interval)
    if not burst:
        recovery.start()
    worker = SimpleWorker([ctx.queue], connection=ctx.redis, name=name)
    try:
        return worker.work(burst=burst, with_scheduler=True, logging_level=settings.log_level)
    finally:
        recovery.stop()
