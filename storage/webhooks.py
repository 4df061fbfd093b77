"""Webhook registrations, their circuit breakers, and the deliveries that ran out of retries.

A site key registers one callback URL; the signing secret is generated here,
shown once, and kept (it must be, to sign every delivery). A webhook belongs to
the key that registered it and to that key's tenant: it receives the decisions
of that tenant's comments only. A delivery lives in its RQ job while it is being
retried; only when retries are spent is it written here, so the hot path writes
nothing but the job.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from redis import Redis

from core.tenants import ALL_TENANTS, DEFAULT_TENANT
from storage.keys import Keys
from storage.settings_version import queue_bump


@dataclass(frozen=True)
class Webhook:
    key_id: str
    url: str
    secret: str
    created: float
    tenant: str = DEFAULT_TENANT


@dataclass(frozen=True)
class FailedDelivery:
    id: str
    key_id: str
    url: str
    body: str
    attempts: int
    last_error: str
    failed_at: float
    tenant: str = DEFAULT_TENANT

    def event(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass(frozen=True)
class FailureScope:
    """Whose failed deliveries a caller sees: one key's, one tenant's, or (neither) all."""

    key_id: str | None = None
    tenant: str | None = None

    def index(self, keys: Keys) -> str:
        if self.key_id is not None:
            return keys.key_webhook_failures(self.key_id)
        if self.tenant is not None and self.tenant != ALL_TENANTS:
            return keys.tenant_webhook_failures(self.tenant)
        return keys.webhook_failures

    def covers(self, failure: FailedDelivery) -> bool:
        if self.key_id is not None:
            return failure.key_id == self.key_id
        if self.tenant is not None and self.tenant != ALL_TENANTS:
            return failure.tenant == self.tenant
        return True


class InvalidCursor(ValueError):
    """A failures cursor this store did not hand out."""


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else value


class WebhookStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    # Registrations -----------------------------------------------------------
    def register(self, key_id: str, url: str, tenant: str = DEFAULT_TENANT) -> Webhook:
        """Set the key's callback URL with a new signing secret (replacing any earlier one)."""
        hook = Webhook(key_id=key_id, url=url, secret="whsec_" + secrets.token_urlsafe(32),
                       created=time.time(), tenant=tenant)
        previous = self.get(key_id)
        pipe = self.redis.pipeline()
        if previous is not None and previous.tenant != tenant:
            pipe.srem(self.keys.tenant_webhooks(previous.tenant), key_id)
        pipe.delete(self.keys.webhook(key_id))
        # A new URL is a new receiver: the old one's failures say nothing about it.
        pipe.delete(self.keys.webhook_breaker(key_id))
        pipe.hset(self.keys.webhook(key_id), mapping={
            "url": url, "secret": hook.secret, "created": repr(hook.created), "tenant": tenant})
        pipe.sadd(self.keys.tenant_webhooks(tenant), key_id)
        # Workers read the webhook targets again on their next batch.
        queue_bump(pipe, self.keys)
        pipe.execute()
        return hook

    def get(self, key_id: str) -> Webhook | None:
        raw = self.redis.hgetall(self.keys.webhook(key_id))
        if not raw:
            return None
        return Webhook(key_id=key_id, url=_text(raw[b"url"]), secret=_text(raw[b"secret"]),
                       created=float(raw[b"created"]),
                       tenant=_text(raw.get(b"tenant")) or DEFAULT_TENANT)

    def delete(self, key_id: str) -> bool:
        hook = self.get(key_id)
        pipe = self.redis.pipeline()
        pipe.delete(self.keys.webhook(key_id))
        pipe.delete(self.keys.webhook_breaker(key_id))
        pipe.srem(self.keys.tenant_webhooks(DEFAULT_TENANT), key_id)
        if hook is not None:
            pipe.srem(self.keys.tenant_webhooks(hook.tenant), key_id)
        queue_bump(pipe, self.keys)
        removed = pipe.execute()[0]
        return bool(removed)

    def targets(self, tenants: Iterable[str]) -> dict[str, list[str]]:
        """Key ids with a webhook for each tenant's decisions (its own keys' and the all-tenant
        keys'): the one round trip an emitter makes per batch."""
        return self.targets_and_hashes(tenants, ())[0]

    def targets_and_hashes(self, tenants: Iterable[str], hashes: Sequence[str]
                           ) -> tuple[dict[str, list[str]], list[dict]]:
        """``targets`` and, in the same round trip, the contents of ``hashes`` (the emitter
        reads the tenants' statement-of-reasons templates so)."""
        wanted = sorted(set(tenants))
        pipe = self.redis.pipeline(transaction=False)
        pipe.smembers(self.keys.tenant_webhooks(ALL_TENANTS))
        for tenant in wanted:
            pipe.smembers(self.keys.tenant_webhooks(tenant))
        for key in hashes:
            pipe.hgetall(key)
        everywhere, *rest = pipe.execute()
        own, read = rest[:len(wanted)], rest[len(wanted):]
        shared = {_text(k) for k in everywhere}
        return ({tenant: sorted({_text(k) for k in members} | shared)
                 for tenant, members in zip(wanted, own, strict=True)}, read)

    # Failed deliveries -------------------------------------------------------
    def record_failure(self, failure: FailedDelivery, keep_seconds: float) -> None:
        key = self.keys.webhook_delivery(failure.id)
        indexes = (self.keys.webhook_failures, self.keys.key_webhook_failures(failure.key_id),
                   self.keys.tenant_webhook_failures(failure.tenant))
        pipe = self.redis.pipeline()
        pipe.hset(key, mapping={
            "id": failure.id,
            "key_id": failure.key_id,
            "tenant": failure.tenant,
            "url": failure.url,
            "body": failure.body,
            "attempts": failure.attempts,
            "last_error": failure.last_error,
            "failed_at": repr(failure.failed_at),
        })
        pipe.expire(key, max(int(keep_seconds), 1))
        for index in indexes:
            pipe.zadd(index, {failure.id: failure.failed_at})
            # The indexes forget what the hashes' TTL has already dropped.
            pipe.zremrangebyscore(index, "-inf", f"({failure.failed_at - keep_seconds}")
            pipe.expire(index, max(int(keep_seconds), 1))
        pipe.execute()

    def failure(self, delivery_id: str) -> FailedDelivery | None:
        return _failure(self.redis.hgetall(self.keys.webhook_delivery(delivery_id)))

    def failures(self, scope: FailureScope, limit: int,
                 cursor: str | None = None) -> tuple[list[FailedDelivery], str | None]:
        """One page of failed deliveries in ``scope``, newest first, and the cursor of the next
        page (None on the last). Reads at most ``limit + 1`` index entries and ``limit``
        records, however many failures there are."""
        index = scope.index(self.keys)
        rows = self._page(index, _parse_cursor(cursor), limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        pipe = self.redis.pipeline(transaction=False)
        for delivery_id, _ in rows:
            pipe.hgetall(self.keys.webhook_delivery(delivery_id))
        out: list[FailedDelivery] = []
        gone: list[str] = []
        for (delivery_id, _), raw in zip(rows, pipe.execute(), strict=True):
            failure = _failure(raw)
            if failure is None:
                gone.append(delivery_id)
            elif scope.covers(failure):
                out.append(failure)
        if gone:
            self.redis.zrem(index, *gone)
        next_cursor = f"{rows[-1][1]!r}|{rows[-1][0]}" if more and rows else None
        return out, next_cursor

    def _page(self, index: str, after: tuple[float, str] | None, count: int) -> list[tuple[str, float]]:
        if after is None:
            rows = self.redis.zrevrangebyscore(index, "+inf", "-inf", start=0, num=count,
                                               withscores=True)
            return [(_text(m), float(s)) for m, s in rows]
        score, last = after
        # Members of one score come in reverse byte order; the cursor's own score is shared
        # by at most a handful (a failure's time in seconds, to the microsecond), so that
        # group is read whole and the rest of the page from below it.
        same = self.redis.zrevrangebyscore(index, repr(score), repr(score), start=0, num=1000,
                                           withscores=True)
        ties = [(_text(m), float(s)) for m, s in same if _text(m) < last][:count]
        below = self.redis.zrevrangebyscore(index, f"({score!r}", "-inf", start=0,
                                            num=count - len(ties), withscores=True) \
            if len(ties) < count else []
        return ties + [(_text(m), float(s)) for m, s in below]

    def take_failure(self, delivery_id: str) -> FailedDelivery | None:
        """Remove a failed delivery for replay; None if absent or already taken by another replay."""
        failure = self.failure(delivery_id)
        if failure is None:
            return None
        # Every failure is in the global index: removing it there is the claim.
        if not self.redis.zrem(self.keys.webhook_failures, delivery_id):
            return None
        pipe = self.redis.pipeline()
        pipe.zrem(self.keys.key_webhook_failures(failure.key_id), delivery_id)
        pipe.zrem(self.keys.tenant_webhook_failures(failure.tenant), delivery_id)
        pipe.delete(self.keys.webhook_delivery(delivery_id))
        pipe.execute()
        return failure


def _parse_cursor(cursor: str | None) -> tuple[float, str] | None:
    if not cursor:
        return None
    score, sep, delivery_id = cursor.partition("|")
    try:
        value = float(score)
    except ValueError:
        value = None
    if not sep or not delivery_id or value is None or value != value or value in (
            float("inf"), float("-inf")):
        raise InvalidCursor("cursor is not one this listing handed out")
    return value, delivery_id


def _failure(raw: dict[bytes, bytes]) -> FailedDelivery | None:
    if not raw:
        return None
    return FailedDelivery(
        id=_text(raw[b"id"]), key_id=_text(raw[b"key_id"]), url=_text(raw[b"url"]),
        body=_text(raw[b"body"]), attempts=int(raw[b"attempts"]),
        last_error=_text(raw[b"last_error"]), failed_at=float(raw[b"failed_at"]),
        tenant=_text(raw.get(b"tenant")) or DEFAULT_TENANT,
    )


# Circuit breaker ----------------------------------------------------------------
# Closed (no hash): deliveries go. Open (now < open_until): deliveries wait, unsent.
# Half-open (open_until passed): one trial delivery goes (probe_until marks it in
# flight); its success closes the breaker, its failure opens it again.
_ADMIT = """
local h = redis.call('HMGET', KEYS[1], 'open_until', 'probe_until')
local open_until = tonumber(h[1]) or 0
if open_until == 0 then return {'closed', '0'} end
local now = tonumber(ARGV[1])
if now < open_until then return {'open', h[1]} end
local probe_until = tonumber(h[2]) or 0
if probe_until > now then return {'trial_in_flight', h[2]} end
redis.call('HSET', KEYS[1], 'probe_until', ARGV[2])
return {'trial', ARGV[2]}
"""

_RECORD = """
if ARGV[1] == '1' then
  redis.call('DEL', KEYS[1])
  return 0
end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local open_until = tonumber(redis.call('HGET', KEYS[1], 'open_until')) or 0
if failures >= tonumber(ARGV[2]) or open_until > 0 then
  redis.call('HSET', KEYS[1], 'open_until', ARGV[3], 'probe_until', '0')
end
redis.call('EXPIRE', KEYS[1], ARGV[4])
return failures
"""


@dataclass(frozen=True)
class Admission:
    state: str                 # closed | trial | open | trial_in_flight
    until: float = 0.0         # open: when the trial may go; trial_in_flight: when it ends

    @property
    def send(self) -> bool:
        return self.state in ("closed", "trial")


class WebhookBreaker:
    """A circuit breaker per webhook (per registering key, so that no site can open another
    site's breaker by pointing its own webhook at the other's URL). State is in Redis, shared
    by every webhook worker; each step is one Lua script."""

    def __init__(self, redis: Redis, keys: Keys, failures: int, cooloff: float,
                 trial_seconds: float) -> None:
        self.redis = redis
        self.keys = keys
        self.failures = max(int(failures), 1)
        self.cooloff = cooloff
        self.trial_seconds = trial_seconds
        self._admit = redis.register_script(_ADMIT)
        self._record = redis.register_script(_RECORD)

    def admit(self, key_id: str, now: float | None = None) -> Admission:
        now = time.time() if now is None else now
        state, until = self._admit(keys=[self.keys.webhook_breaker(key_id)],
                                   args=[repr(now), repr(now + self.trial_seconds)])
        return Admission(_text(state), float(until))

    def record(self, key_id: str, ok: bool, now: float | None = None) -> int:
        """Count one attempt's outcome; returns the consecutive failures (0 after a success)."""
        now = time.time() if now is None else now
        # Idle state goes away by itself a day after the last failure.
        ttl = int(self.cooloff) + 86400
        return int(self._record(keys=[self.keys.webhook_breaker(key_id)],
                                args=["1" if ok else "0", self.failures, repr(now + self.cooloff), ttl]))
