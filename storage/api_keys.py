"""API keys: stored as SHA-256 hashes, never in plain text.

A key is ``mk_<id>_<secret>``; the id lets an admin list and revoke keys
without ever seeing a secret again. Keys carry 256 bits of randomness, so a
fast hash is enough (a slow password hash protects low-entropy secrets).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from redis import Redis

from storage.keys import Keys
from storage.webhooks import WebhookStore

ROLES = ("site", "moderator", "admin")


@dataclass(frozen=True)
class ApiKey:
    id: str
    role: str
    name: str
    created: float


def _hash(plain: str) -> str:
    return hashlib.sha256(plain.encode("utf-8", errors="replace")).hexdigest()


class ApiKeyStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    def create(self, role: str, name: str) -> tuple[ApiKey, str]:
        """A new key; returns its record and the plain key (shown once, then only the hash exists)."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        key_id = secrets.token_hex(4)
        plain = f"mk_{key_id}_{secrets.token_urlsafe(32)}"
        digest = _hash(plain)
        record = ApiKey(id=key_id, role=role, name=name, created=time.time())
        pipe = self.redis.pipeline()
        pipe.hset(
            self.keys.api_key(digest),
            mapping={"id": key_id, "role": role, "name": name, "created": repr(record.created),
                     "hash": digest},
        )
        pipe.hset(self.keys.api_keys, key_id, digest)
        pipe.execute()
        return record, plain

    def authenticate(self, plain: str) -> ApiKey | None:
        digest = _hash(plain)
        raw = self.redis.hgetall(self.keys.api_key(digest))
        if not raw:
            return None
        # The lookup is by hash already; compare again in constant time so a
        # future change of lookup cannot turn into a timing oracle.
        if not hmac.compare_digest(raw[b"hash"].decode(), digest):
            return None
        return ApiKey(id=raw[b"id"].decode(), role=raw[b"role"].decode(),
                      name=raw[b"name"].decode(), created=float(raw[b"created"]))

    def list(self) -> list[ApiKey]:
        out = []
        for key_id, digest in self.redis.hgetall(self.keys.api_keys).items():
            raw = self.redis.hgetall(self.keys.api_key(digest.decode()))
            if raw:
                out.append(ApiKey(id=key_id.decode(), role=raw[b"role"].decode(),
                                  name=raw[b"name"].decode(), created=float(raw[b"created"])))
        return sorted(out, key=lambda k: k.created)

    def revoke(self, key_id: str) -> bool:
        digest = self.redis.hget(self.keys.api_keys, key_id)
        if digest is None:
            return False
        pipe = self.redis.pipeline()
        pipe.delete(self.keys.api_key(digest.decode()))
        pipe.hdel(self.keys.api_keys, key_id)
        pipe.execute()
        # Its webhook goes too; a delivery already queued finds the key gone and is dropped.
        WebhookStore(self.redis, self.keys).delete(key_id)
        return True
