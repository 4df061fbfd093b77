"""Webhook registrations and the deliveries that ran out of retries.

A site key registers one callback URL; the signing secret is generated here,
shown once, and kept (it must be, to sign every delivery). A delivery lives
in its RQ job while it is being retried; only when retries are spent is it
written here, so the hot path writes nothing but the job.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from redis import Redis

from storage.keys import Keys


@dataclass(frozen=True)
class Webhook:
    key_id: str
    url: str
    secret: str
    created: float


@dataclass(frozen=True)
class FailedDelivery:
    id: str
    key_id: str
    url: str
    body: str
    attempts: int
    last_error: str
    failed_at: float

    def event(self) -> dict[str, Any]:
        return json.loads(self.body)


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else value


class WebhookStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    # Registrations -----------------------------------------------------------
    def register(self, key_id: str, url: str) -> Webhook:
        """Set the key's callback URL with a new signing secret (replacing any earlier one)."""
        hook = Webhook(key_id=key_id, url=url, secret="whsec_" + secrets.token_urlsafe(32),
                       created=time.time())
        pipe = self.redis.pipeline()
        pipe.delete(self.keys.webhook(key_id))
        pipe.hset(self.keys.webhook(key_id),
                  mapping={"url": url, "secret": hook.secret, "created": repr(hook.created)})
        pipe.sadd(self.keys.webhooks, key_id)
        pipe.execute()
        return hook

    def get(self, key_id: str) -> Webhook | None:
        raw = self.redis.hgetall(self.keys.webhook(key_id))
        if not raw:
            return None
        return Webhook(key_id=key_id, url=_text(raw[b"url"]), secret=_text(raw[b"secret"]),
                       created=float(raw[b"created"]))

    def delete(self, key_id: str) -> bool:
        pipe = self.redis.pipeline()
        pipe.delete(self.keys.webhook(key_id))
        pipe.srem(self.keys.webhooks, key_id)
        removed, _ = pipe.execute()
        return bool(removed)

    def registered(self) -> list[str]:
        """Key ids with a webhook: the one read an emitter makes per batch."""
        return sorted(_text(k) for k in self.redis.smembers(self.keys.webhooks))

    # Failed deliveries -------------------------------------------------------
    def record_failure(self, failure: FailedDelivery, keep_seconds: float) -> None:
        key = self.keys.webhook_delivery(failure.id)
        pipe = self.redis.pipeline()
        pipe.hset(key, mapping={
            "id": failure.id,
            "key_id": failure.key_id,
            "url": failure.url,
            "body": failure.body,
            "attempts": failure.attempts,
            "last_error": failure.last_error,
            "failed_at": repr(failure.failed_at),
        })
        pipe.expire(key, max(int(keep_seconds), 1))
        pipe.zadd(self.keys.webhook_failures, {failure.id: failure.failed_at})
        # The index forgets what the hashes' TTL has already dropped.
        pipe.zremrangebyscore(self.keys.webhook_failures, "-inf", f"({failure.failed_at - keep_seconds}")
        pipe.execute()

    def failure(self, delivery_id: str) -> FailedDelivery | None:
        return _failure(self.redis.hgetall(self.keys.webhook_delivery(delivery_id)))

    def failures(self, key_id: str | None, limit: int) -> list[FailedDelivery]:
        """The newest failed deliveries, of one key (or of all keys when ``key_id`` is None)."""
        out: list[FailedDelivery] = []
        start, chunk = 0, max(limit, 50)
        while len(out) < limit:
            ids = self.redis.zrevrange(self.keys.webhook_failures, start, start + chunk - 1)
            if not ids:
                break
            start += chunk
            pipe = self.redis.pipeline(transaction=False)
            for delivery_id in ids:
                pipe.hgetall(self.keys.webhook_delivery(_text(delivery_id)))
            for raw in pipe.execute():
                failure = _failure(raw)
                if failure and (key_id is None or failure.key_id == key_id):
                    out.append(failure)
                    if len(out) == limit:
                        break
        return out

    def take_failure(self, delivery_id: str) -> FailedDelivery | None:
        """Remove a failed delivery for replay; None if absent or already taken by another replay."""
        failure = self.failure(delivery_id)
        if failure is None:
            return None
        if not self.redis.zrem(self.keys.webhook_failures, delivery_id):
            return None
        self.redis.delete(self.keys.webhook_delivery(delivery_id))
        return failure


def _failure(raw: dict[bytes, bytes]) -> FailedDelivery | None:
    if not raw:
        return None
    return FailedDelivery(
        id=_text(raw[b"id"]), key_id=_text(raw[b"key_id"]), url=_text(raw[b"url"]),
        body=_text(raw[b"body"]), attempts=int(raw[b"attempts"]),
        last_error=_text(raw[b"last_error"]), failed_at=float(raw[b"failed_at"]),
    )
