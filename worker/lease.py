"""Keep a batch's lease alive while its worker is still scoring it.

A lease (``LEASE_SECONDS``) is how long a batch may take before other workers take its
comments as abandoned. Long hostile comments can make one batch outlive it; without
renewal a second worker would lease and score the same comments while the first is still
on them. The holder renews every third of the lease, so only a worker that stopped
(killed, hung past its job timeout) lets its lease run out.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from types import TracebackType

from storage.comments import CommentStore

log = logging.getLogger("worker.lease")


class LeaseKeeper:
    """``with LeaseKeeper(store, ids, lease_seconds): score(ids)`` renews in a thread."""

    def __init__(self, comments: CommentStore, ids: Sequence[str], lease_seconds: float) -> None:
        self.comments = comments
        self.ids = list(ids)
        self.lease_seconds = lease_seconds
        self.interval = max(0.05, lease_seconds / 3)
        self.renewals = 0
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="moderation-lease", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        if self.ids:
            self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stopped.wait(self.interval):
            try:
                self.comments.renew_lease(self.ids, self.lease_seconds)
                self.renewals += 1
            except Exception:
                # Redis away: the decisions cannot be written either; the lease may lapse and
                # another worker score the batch again, which the status CAS makes harmless.
                log.warning("lease renewal failed", exc_info=True, extra={"comments": len(self.ids)})
