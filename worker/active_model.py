"""The model a worker scores with: the registry's active version, reloaded when it changes.

Checked at most every ``MODEL_POLL_INTERVAL`` seconds, between batches, so a
newly activated version takes over within seconds without a restart and no
job is scored half by one version and half by another.
"""

from __future__ import annotations

import logging
import time

from model.artifact import ModelLoadError, loads
from model.scoring import Scorer
from storage.keys import Keys
from storage.model_registry import ModelRegistry, UnknownVersion

log = logging.getLogger("worker.model")


class NoActiveModel(RuntimeError):
    pass


class ActiveModel:
    def __init__(self, registry: ModelRegistry, keys: Keys, poll_interval: float = 2.0) -> None:
        self.registry = registry
        self.keys = keys
        self.poll_interval = poll_interval
        self._scorer: Scorer | None = None
        self._version: str | None = None
        self._failed_version: str | None = None
        self._checked = float("-inf")

    @property
    def version(self) -> str | None:
        return self._version

    def get(self) -> Scorer:
        now = time.monotonic()
        if self._scorer is None or now - self._checked >= self.poll_interval:
            self._checked = now
            self._refresh()
        if self._scorer is None:
            raise NoActiveModel("no model version is active; run `moderation train`")
        return self._scorer

    def _refresh(self) -> None:
        version = self.registry.active_version()
        if version is None or version in (self._version, self._failed_version):
            return
        started = time.monotonic()
        try:
            blob, digest = self.registry.blob(version)
            scorer = loads(blob, expected_sha256=digest)
        except (ModelLoadError, UnknownVersion) as exc:
            # Keep serving with the version we have; say so where operators look.
            self._failed_version = version
            message = f"version {version} failed to load: {exc}"
            log.error("model load failed", extra={"model_version": version,
                                                   "serving_version": self._version})
            self.registry.redis.set(self.keys.model_load_error, message, ex=3600)
            return
        log.info("model loaded", extra={"model_version": version, "previous_version": self._version,
                                         "load_seconds": round(time.monotonic() - started, 3)})
        self._scorer, self._version, self._failed_version = scorer, version, None
        self.registry.redis.delete(self.keys.model_load_error)
