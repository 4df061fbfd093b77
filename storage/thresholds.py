"""Hold thresholds set by admins at run time, with an audit trail.

Workers read the overrides once per batch (worker/policy.py), so a change
applies to comments scored after it and never to half a batch.

Two levels: the all-tenants overrides (``tenant=None``, set by an all-tenants
admin) and each tenant's own (set by that tenant's admin), which come first
for the tenant's comments.

Besides the categories, the same hashes hold per-kind abuse thresholds under
``abuse:<kind>`` (``abuse:threat``): a comment whose score for that kind (the
model's kind heads, model/attributes.py) reaches it is held even below the
abuse threshold. A kind has no threshold unless an admin sets one.
"""

from __future__ import annotations

import json
import time
from typing import Any

from redis import Redis
from redis.exceptions import WatchError

from storage.keys import Keys
from storage.settings_version import queue_bump

AUDIT_KEEP = 1000
KIND_PREFIX = "abuse:"


def kind_threshold_name(kind: str) -> str:
    """The field of an abuse kind's hold threshold (``abuse:threat``)."""
    return KIND_PREFIX + kind


class ThresholdStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    def _keys(self, tenant: str | None) -> tuple[str, str]:
        if tenant is None:
            return self.keys.thresholds, self.keys.policy_audit
        own = self.keys.tenant(tenant)
        return own.thresholds, own.policy_audit

    def overrides(self, tenant: str | None = None) -> dict[str, float]:
        """The all-tenants overrides (``tenant`` None) or one tenant's own."""
        key, _ = self._keys(tenant)
        return {k.decode(): float(v) for k, v in self.redis.hgetall(key).items()}

    def update(self, changes: dict[str, float | None], *, by: str, key_id: str | None = None,
               tenant: str | None = None) -> tuple[dict[str, float], dict[str, float]]:
        """Set (a number) or clear (None) overrides; returns (old, new) and audits the change.

        WATCH makes the audited "old" the value actually replaced, even when two
        admins change thresholds at the same moment.
        """
        key, audit_key = self._keys(tenant)
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    old = {k.decode(): float(v) for k, v in pipe.hgetall(key).items()}
                    new = dict(old)
                    for category, value in changes.items():
                        if value is None:
                            new.pop(category, None)
                        else:
                            new[category] = float(value)
                    pipe.multi()
                    cleared = [c for c in old if c not in new]
                    if cleared:
                        pipe.hdel(key, *cleared)
                    if new:
                        pipe.hset(key, mapping={c: repr(v) for c, v in new.items()})
                    event = {"kind": "thresholds", "at": time.time(), "by": by, "key_id": key_id,
                             "tenant": tenant, "old": old, "new": new}
                    pipe.lpush(audit_key, json.dumps(event))
                    pipe.ltrim(audit_key, 0, AUDIT_KEEP - 1)
                    # Workers read thresholds again on their next batch.
                    queue_bump(pipe, self.keys)
                    pipe.execute()
                    return old, new
                except WatchError:
                    continue

    def audit(self, limit: int = 50, tenant: str | None = None) -> list[dict[str, Any]]:
        _, audit_key = self._keys(tenant)
        events = [json.loads(raw) for raw in self.redis.lrange(audit_key, 0, limit - 1)]
        return [e for e in events if e.get("kind", "thresholds") == "thresholds"]
