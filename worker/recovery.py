"""Re-queue scoring when comments are due but no job is queued.

A worker that dies mid-batch leaves its comments leased; when the lease ends
they are due again, but nothing may be posted to trigger a job. Every worker
runs this check on a timer, so the oldest due comment waits at most about
``LEASE_SECONDS + RECOVERY_INTERVAL``.
"""

from __future__ import annotations

import logging
import threading
import time

from worker.context import WorkerContext
from worker.queues import schedule_drain_once

log = logging.getLogger("worker.recovery")


def requeue_if_due(ctx: WorkerContext, now: float | None = None) -> bool:
    """Schedule a drain job if a comment is due and none is queued; True if it did."""
    due = ctx.comments.next_due()
    now = time.time() if now is None else now
    if due is None or due > now:
        return False
    if not schedule_drain_once(ctx.redis, ctx.keys, ctx.queue):
        return False
    log.info("scoring re-queued for due comments", extra={"pending": ctx.comments.pending_count()})
    return True


class RecoveryLoop(threading.Thread):
    def __init__(self, ctx: WorkerContext, interval: float) -> None:
        super().__init__(name="moderation-recovery", daemon=True)
        self.ctx = ctx
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                requeue_if_due(self.ctx)
            except Exception:  # Redis away: the next tick tries again.
                log.warning("recovery check failed", exc_info=True)

    def stop(self) -> None:
        self.stopped.set()
