"""Purge comments older than RETENTION_DAYS, on a timer in every worker.

Decided comments go that long after their decision; comments still pending
(never scored: their retried job failed) that long after they were posted, so
no text is kept forever.

A lock key with a TTL of one interval makes one worker of many sweep per
interval; the first sweep runs at start-up. `moderation purge` runs the
same sweep by hand.
"""

from __future__ import annotations

import logging
import threading
import time

from redis import Redis

from core.config import Settings
from storage.dsa import DsaStore
from storage.erasure import Eraser, PurgeReport
from storage.keys import Keys

log = logging.getLogger("worker.retention")


def purge_expired(redis: Redis, keys: Keys, settings: Settings,
                  now: float | None = None) -> PurgeReport | None:
    """One sweep; None when retention is off (RETENTION_DAYS=0)."""
    if settings.retention_days <= 0:
        return None
    now = time.time() if now is None else now
    cutoff = now - settings.retention_days * 86400
    report = Eraser(redis, keys).purge_older_than(cutoff)
    # Notices and appeals (with notifiers' contacts) go the same time after their last change.
    report.dsa_purged = DsaStore(redis, keys, settings).purge_older_than(cutoff)
    log.info("retention sweep", extra={"scanned": report.scanned, "purged": report.purged,
                                       "pending_purged": report.pending_purged,
                                       "retention_days": settings.retention_days})
    return report


def sweep_if_due(redis: Redis, keys: Keys, settings: Settings) -> PurgeReport | None:
    """Sweep unless another worker did within the last interval."""
    if settings.retention_days <= 0:
        return None
    ttl = max(1, int(settings.retention_interval))
    if not redis.set(keys.retention_lock, "1", nx=True, ex=ttl):
        return None
    return purge_expired(redis, keys, settings)


class RetentionLoop(threading.Thread):
    def __init__(self, redis: Redis, keys: Keys, settings: Settings) -> None:
        super().__init__(name="moderation-retention", daemon=True)
        self.redis = redis
        self.keys = keys
        self.settings = settings
        self.stopped = threading.Event()

    def run(self) -> None:
        interval = max(1.0, self.settings.retention_interval)
        while True:
            try:
                sweep_if_due(self.redis, self.keys, self.settings)
            except Exception:  # Redis away: the next tick tries again.
                log.warning("retention sweep failed", exc_info=True)
            if self.stopped.wait(interval):
                return

    def stop(self) -> None:
        self.stopped.set()
