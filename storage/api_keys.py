"""API keys: stored as SHA-256 hashes, never in plain text.

A key is ``mk_<id>_<secret>``; the id lets an admin list and revoke keys
without ever seeing a secret again. Keys carry 256 bits of randomness, so a
fast hash is enough (a slow password hash protects low-entropy secrets).

Each key belongs to one tenant (a title), or, for moderator and admin keys,
to all of them ("*"). A key stored before tenants existed has no ``tenant``
field and belongs to the default tenant.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from redis import Redis

from core.tenants import ALL_TENANTS, DEFAULT_TENANT, check_tenant
from storage.keys import Keys
from storage.webhooks import WebhookStore

ROLES = ("site", "moderator", "admin")
# Fresh ids drawn before giving up: 32-bit ids collide rarely, never many times in a row.
_ID_ATTEMPTS = 20
# Valid keys remembered per process (see ``authenticate``); a bound, so that a flood of
# distinct valid keys cannot grow a process without limit. Only valid keys are kept: a
# wrong key always costs a look-up (and counts against the caller's rate limit).
_CACHE_ENTRIES = 1024
# However the setting reads, a revoked key is refused within this many seconds everywhere.
MAX_CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class ApiKey:
    id: str
    role: str
    name: str
    created: float
    tenant: str = DEFAULT_TENANT

    @property
    def all_tenants(self) -> bool:
        return self.tenant == ALL_TENANTS


class KeyIdExhausted(RuntimeError):
    """No free key id was found (never expected; the id space would have to be full)."""


def _hash(plain: str) -> str:
    return hashlib.sha256(plain.encode("utf-8", errors="replace")).hexdigest()


def _record(key_id: str, raw: dict[bytes, bytes]) -> ApiKey:
    tenant = raw.get(b"tenant")
    return ApiKey(id=key_id, role=raw[b"role"].decode(), name=raw[b"name"].decode(),
                  created=float(raw[b"created"]),
                  tenant=tenant.decode() if tenant else DEFAULT_TENANT)


class ApiKeyStore:
    def __init__(self, redis: Redis, keys: Keys, cache_seconds: float = 0.0) -> None:
        self.redis = redis
        self.keys = keys
        self.cache_seconds = max(0.0, min(float(cache_seconds), MAX_CACHE_SECONDS))
        # digest -> (valid until, key): never the plain key.
        self._cache: dict[str, tuple[float, ApiKey]] = {}

    def create(self, role: str, name: str, tenant: str = DEFAULT_TENANT) -> tuple[ApiKey, str]:
        """A new key; returns its record and the plain key (shown once, then only the hash exists).

        ``tenant``: the title the key belongs to, or "*" (moderator and admin keys only)
        for all of them. The id is reserved with HSETNX first, so two keys never share one.
        """
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        check_tenant(tenant, allow_all=role != "site")
        for _ in range(_ID_ATTEMPTS):
            key_id = secrets.token_hex(4)
            plain = f"mk_{key_id}_{secrets.token_urlsafe(32)}"
            digest = _hash(plain)
            if self.redis.hsetnx(self.keys.api_keys, key_id, digest):
                break
        else:
            raise KeyIdExhausted("no free key id found")
        record = ApiKey(id=key_id, role=role, name=name, created=time.time(), tenant=tenant)
        self.redis.hset(
            self.keys.api_key(digest),
            mapping={"id": key_id, "role": role, "name": name, "tenant": tenant,
                     "created": repr(record.created), "hash": digest},
        )
        return record, plain

    def authenticate(self, plain: str) -> ApiKey | None:
        """The valid key ``plain`` is, or None.

        With ``cache_seconds``, a valid key's record is reused for that long in this
        process: every API request starts here, and the look-up was a Redis round trip
        per request (two for a site that posts and polls). The price is the revocation
        delay: a key revoked elsewhere stays valid here until its entry expires
        (revoking through this store forgets it at once).
        """
        digest = _hash(plain)
        if self.cache_seconds:
            hit = self._cache.get(digest)
            if hit is not None and hit[0] > time.monotonic():
                return hit[1]
        raw = self.redis.hgetall(self.keys.api_key(digest))
        if not raw:
            self._cache.pop(digest, None)
            return None
        # The lookup is by hash already; compare again in constant time so a
        # future change of lookup cannot turn into a timing oracle.
        if not hmac.compare_digest(raw[b"hash"].decode(), digest):
            return None
        key = _record(raw[b"id"].decode(), raw)
        if self.cache_seconds:
            if len(self._cache) >= _CACHE_ENTRIES:
                self._cache.clear()
            self._cache[digest] = (time.monotonic() + self.cache_seconds, key)
        return key

    def get(self, key_id: str) -> ApiKey | None:
        """The key with this id (None when revoked or unknown)."""
        digest = self.redis.hget(self.keys.api_keys, key_id)
        if digest is None:
            return None
        raw = self.redis.hgetall(self.keys.api_key(digest.decode()))
        return _record(key_id, raw) if raw else None

    def list(self) -> list[ApiKey]:
        out = []
        for key_id, digest in self.redis.hgetall(self.keys.api_keys).items():
            raw = self.redis.hgetall(self.keys.api_key(digest.decode()))
            if raw:
                out.append(_record(key_id.decode(), raw))
        return sorted(out, key=lambda k: k.created)

    def revoke(self, key_id: str) -> bool:
        digest = self.redis.hget(self.keys.api_keys, key_id)
        if digest is None:
            return False
        pipe = self.redis.pipeline()
        pipe.delete(self.keys.api_key(digest.decode()))
        pipe.hdel(self.keys.api_keys, key_id)
        pipe.execute()
        self._cache.pop(digest.decode(), None)
        # Its webhook goes too; a delivery already queued finds the key gone and is dropped.
        WebhookStore(self.redis, self.keys).delete(key_id)
        return True
