"""Model versions in Redis, so every worker on every machine loads the same bytes.

A version is immutable once stored: its skops bytes, their SHA-256 and its
metadata (metrics, thresholds, who made it). Which version scores comments is
one string key; workers poll it and switch without restarting.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from typing import Any

from redis import Redis

from storage.keys import Keys

log = logging.getLogger("moderation.models")

STATUSES = ("active", "candidate", "retired")

# ``expected`` of an activation that replaces whatever is active (an admin's explicit choice).
ANY = object()

_ACTIVATE = """
-- KEYS: active pointer, the version's blob ; ARGV: version, compare ('1'/'0'), expected ('' = none)
-- Returns {1, previous} when the pointer moved, {0, current} when it was not the expected
-- one, {-1, ''} when the version is not stored. '' stands for "no version active".
if redis.call('EXISTS', KEYS[2]) == 0 then return {-1, ''} end
local current = redis.call('GET', KEYS[1]) or ''
if ARGV[2] == '1' and current ~= ARGV[3] then return {0, current} end
redis.call('SET', KEYS[1], ARGV[1])
return {1, current}
"""


class UnknownVersion(LookupError):
    pass


class ActiveVersionChanged(RuntimeError):
    """The active pointer was not the version an activation was decided against."""

    def __init__(self, expected: str | None, current: str | None) -> None:
        super().__init__(f"active version is {current!r}, not {expected!r}")
        self.expected = expected
        self.current = current


class ModelRegistry:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self._activate = redis.register_script(_ACTIVATE)

    def put(self, version: str, blob: bytes, meta: dict[str, Any]) -> str:
        """Store a version's bytes and metadata; returns the SHA-256 recorded with them."""
        digest = hashlib.sha256(blob).hexdigest()
        record = {"version": version, "sha256": digest, "size": len(blob), "stored_at": time.time()}
        record.update(meta)
        encoded = {k: json.dumps(v) for k, v in record.items()}
        pipe = self.redis.pipeline()
        pipe.set(self.keys.model_blob(version), blob)
        pipe.hset(self.keys.model_meta(version), mapping=encoded)
        pipe.zadd(self.keys.model_versions, {version: record["stored_at"]})
        pipe.execute()
        return digest

    def meta(self, version: str) -> dict[str, Any]:
        raw = self.redis.hgetall(self.keys.model_meta(version))
        if not raw:
            raise UnknownVersion(version)
        return {k.decode(): json.loads(v) for k, v in raw.items()}

    def update_meta(self, version: str, **values: Any) -> None:
        if not self.redis.exists(self.keys.model_meta(version)):
            raise UnknownVersion(version)
        self.redis.hset(
            self.keys.model_meta(version), mapping={k: json.dumps(v) for k, v in values.items()}
        )

    def blob(self, version: str) -> tuple[bytes, str]:
        """The version's bytes and the SHA-256 recorded when it was stored."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(self.keys.model_blob(version))
        pipe.hget(self.keys.model_meta(version), "sha256")
        blob, digest = pipe.execute()
        if blob is None or digest is None:
            raise UnknownVersion(version)
        return blob, json.loads(digest)

    def versions(self) -> list[str]:
        return [v.decode() for v in self.redis.zrange(self.keys.model_versions, 0, -1)]

    def active_version(self) -> str | None:
        value = self.redis.get(self.keys.active_model)
        return value.decode() if value else None

    def activate(self, version: str, *, expected: str | None | object = ANY) -> str | None:
        """Make ``version`` the scoring model; returns the version it replaced.

        ``expected``: the version (None: none) that must still be active, checked and
        moved in one script; otherwise ActiveVersionChanged and nothing changes.
        """
        compare = expected is not ANY
        code, current = self._activate(
            keys=[self.keys.active_model, self.keys.model_blob(version)],
            args=[version, "1" if compare else "0", (expected or "") if compare else ""],
        )
        current = (current.decode() if isinstance(current, bytes) else current) or None
        if int(code) == -1:
            raise UnknownVersion(version)
        if int(code) == 0:
            raise ActiveVersionChanged(expected if compare else None, current)  # type: ignore[arg-type]
        return current

    def put_card(self, version: str, files: dict[str, bytes]) -> None:
        """Store a version's model card files (replacing any stored before)."""
        if not self.redis.exists(self.keys.model_meta(version)):
            raise UnknownVersion(version)
        pipe = self.redis.pipeline()
        pipe.delete(self.keys.model_card(version))
        if files:
            pipe.hset(self.keys.model_card(version), mapping=files)
        pipe.execute()

    def card_files(self, version: str) -> list[str]:
        return sorted(name.decode() for name in self.redis.hkeys(self.keys.model_card(version)))

    def card_file(self, version: str, name: str) -> bytes | None:
        return self.redis.hget(self.keys.model_card(version), name)

    def record_activation(self, event: dict[str, Any], keep: int = 1000) -> None:
        """Append an activation to the audit list (newest first, the last ``keep`` kept)."""
        pipe = self.redis.pipeline()
        pipe.lpush(self.keys.model_audit, json.dumps(event))
        pipe.ltrim(self.keys.model_audit, 0, keep - 1)
        pipe.execute()

    def activations(self, limit: int = 50) -> list[dict[str, Any]]:
        return [json.loads(raw) for raw in self.redis.lrange(self.keys.model_audit, 0, limit - 1)]


def status_of(meta: dict[str, Any], active: str | None) -> str:
    """A version's status, with the active pointer as the authority.

    The pointer is one key and changes atomically; the status fields in meta
    are written after it, so they can lag a concurrent activation.
    """
    if meta.get("version") == active:
        return "active"
    stored = meta.get("status")
    return "retired" if stored in ("active", "retired") or meta.get("activated_at") else "candidate"


def activate_version(registry: ModelRegistry, version: str, *, by: str, reason: str,
                     expected: str | None | object = ANY) -> str | None:
    """Make ``version`` the scoring model, retire the one it replaces, audit it; returns that one.

    ``expected``: only if that version (None: none) is still the active one; otherwise
    ActiveVersionChanged and nothing is written (see ``ModelRegistry.activate``).
    """
    previous = registry.activate(version, expected=expected)
    now = time.time()
    registry.update_meta(version, status="active", activated_at=now, activated_by=by)
    if previous and previous != version:
        try:
            registry.update_meta(previous, status="retired", retired_at=now)
        except UnknownVersion:
            pass
    registry.record_activation(
        {"at": now, "by": by, "version": version, "previous": previous, "reason": reason}
    )
    log.info("model activated", extra={"model_version": version, "previous_version": previous,
                                       "by": by})
    return previous
