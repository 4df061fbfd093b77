"""The counters of a scoring worker's decisions, added up in memory between writes.

The quality counters (storage/quality.py: decisions, holds per category, spot checks
drawn, time to decision) and the transparency counts of automated holds and rejections
(storage/dsa.py, DSA Art. 15) are sums per tenant, day and field. At a few hundred
comments a second a batch holds a handful of comments and a dozen counters, so writing
them per batch costs a command or two per comment; added up here they are written at
most once per ``TALLY_SECONDS`` (riding on a batch's own round trip) and when the
scoring job ends, some fifteen commands a second whatever the rate.

The trade-off, accepted and documented (docs/ARCHITECTURE.md): a worker process that
dies (killed, out of memory, the machine lost) loses the counters of the decisions it
made since its last write, at most ``TALLY_SECONDS`` of them. The decisions themselves,
their history, the author counters and the spot checks drawn are written with each
batch as before: a dying worker never loses a decision.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from redis import Redis

from storage.quality import QualityStore

log = logging.getLogger("worker.tallies")

# Longest a decision's counters wait in memory.
TALLY_SECONDS = 1.0


class Tallies:
    """Counters waiting to be written: (hash key, field) -> increment, and the tenants with
    quality counters. One per worker context; not shared between threads."""

    def __init__(self, interval: float = TALLY_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._counts: dict[tuple[str, str], float] = defaultdict(float)
        self._tenants: set[str] = set()
        self._since: float | None = None

    def add(self, counts: dict[tuple[str, str], float], tenants: Iterable[str] = ()) -> None:
        tenants = set(tenants)
        if not counts and not tenants:
            return
        if self._since is None:
            self._since = self._clock()
        for slot, value in counts.items():
            self._counts[slot] += value
        self._tenants.update(tenants)

    @property
    def waiting(self) -> bool:
        return bool(self._counts or self._tenants)

    def due(self) -> bool:
        """Whether the oldest counter waiting has waited ``interval`` s."""
        return self._since is not None and self._clock() - self._since >= self.interval

    def until_due(self) -> float | None:
        """Seconds until ``due`` (0 when it is; None with nothing waiting)."""
        if self._since is None:
            return None
        return max(0.0, self.interval - (self._clock() - self._since))

    def queue(self, pipe: Any, quality: QualityStore) -> None:
        """Queue every counter waiting on ``pipe`` (the caller executes it) and forget them:
        should that pipeline fail, they are lost, as with a worker that dies."""
        quality.queue_counts(pipe, self._counts, self._tenants)
        self._counts = defaultdict(float)
        self._tenants = set()
        self._since = None

    def flush(self, redis: Redis, quality: QualityStore) -> None:
        """Write every counter waiting, in a round trip of its own (a job's end)."""
        if not self.waiting:
            return
        pipe = redis.pipeline(transaction=False)
        self.queue(pipe, quality)
        try:
            failed = [r for r in pipe.execute(raise_on_error=False) if isinstance(r, Exception)]
        except Exception:
            log.warning("decision counters not written", exc_info=True)
            return
        if failed:
            log.error("decision counters failed", extra={
                "errors": len(failed), "error_type": type(failed[0]).__name__})
