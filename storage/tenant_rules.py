"""Per-tenant rules that catch what a classifier does not: repeats, links, new commenters and
word lists.

One hash per tenant (``TenantKeys.rules``), set by the tenant's admins
(``/v1/admin/policy/rules``). Every rule is off until an admin turns it on, so a
deployment that never sets one decides exactly as before. The worker reads the
rules of a batch's tenants in its single pipelined policy round trip
(worker/policy.py), so a change applies to every comment scored after it.

The audit records who changed what and how many words each list holds, never the
words themselves (lists of slurs and names have no place in an audit log).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from redis import Redis

from storage.article_policy import fold
from storage.keys import Keys
from storage.settings_version import queue_bump

MAX_WORDS = 2000
MAX_WORD_CHARS = 100
AUDIT_KEEP = 200
# Recent fingerprints kept per author for the repeat rule (a bounded list on the author hash).
FINGERPRINTS_KEPT = 20
FIELDS = ("repeat_minutes", "link_min_approved", "new_author_comments", "banned_words",
          "suspect_words")


@dataclass(frozen=True)
class TenantRules:
    """A tenant's rules; zero (or an empty list) turns a rule off."""

    # Hold a comment near-identical to one the same author posted this many minutes before.
    repeat_minutes: float = 0.0
    # Hold a comment with a link when its author has fewer approved comments than this.
    link_min_approved: int = 0
    # Hold the first this-many comments of every author (pre-moderation of newcomers).
    new_author_comments: int = 0
    # Reject comments with any of these words or phrases; hold those with a suspect one.
    banned_words: tuple[str, ...] = ()
    suspect_words: tuple[str, ...] = ()
    updated_at: float | None = None
    updated_by: str | None = None

    @property
    def any_on(self) -> bool:
        return bool(self.repeat_minutes or self.link_min_approved or self.new_author_comments
                    or self.banned_words or self.suspect_words)

    def to_dict(self) -> dict[str, Any]:
        return {"repeat_minutes": self.repeat_minutes, "link_min_approved": self.link_min_approved,
                "new_author_comments": self.new_author_comments,
                "banned_words": list(self.banned_words), "suspect_words": list(self.suspect_words),
                "updated_at": self.updated_at, "updated_by": self.updated_by}

    @classmethod
    def parse(cls, raw: dict[bytes, bytes] | None) -> TenantRules:
        """Rules from the stored hash; a tenant that never set any gets every rule off."""
        if not raw:
            return OFF
        v = {(k.decode() if isinstance(k, bytes) else k): (x.decode() if isinstance(x, bytes) else x)
             for k, x in raw.items()}
        return cls(
            repeat_minutes=max(0.0, float(v.get("repeat_minutes") or 0)),
            link_min_approved=max(0, int(v.get("link_min_approved") or 0)),
            new_author_comments=max(0, int(v.get("new_author_comments") or 0)),
            banned_words=tuple(json.loads(v.get("banned_words") or "[]")),
            suspect_words=tuple(json.loads(v.get("suspect_words") or "[]")),
            updated_at=float(v["updated_at"]) if v.get("updated_at") else None,
            updated_by=v.get("updated_by"),
        )


OFF = TenantRules()


def clean_words(values: Iterable[str]) -> list[str]:
    """Order kept; white space collapsed; blanks and duplicates (after case/accent folding)
    dropped."""
    seen: set[str] = set()
    out = []
    for value in values:
        value = " ".join(value.split())
        key = fold(value)
        if key and key not in seen:
            seen.add(key)
            out.append(value)
    return out


class RulesStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    def get(self, tenant: str) -> TenantRules:
        return TenantRules.parse(self.redis.hgetall(self.keys.tenant(tenant).rules))

    def queue_get(self, pipe: Any, tenant: str) -> None:
        """Queue the read on a pipeline; pass its result to ``TenantRules.parse``."""
        pipe.hgetall(self.keys.tenant(tenant).rules)

    def update(self, tenant: str, changes: dict[str, Any], *, by: str,
               key_id: str | None = None) -> TenantRules:
        """Change the rules named in ``changes`` (the others keep their values); audited."""
        unknown = set(changes) - set(FIELDS)
        if unknown:
            raise ValueError(f"unknown rules: {', '.join(sorted(unknown))}")
        own = self.keys.tenant(tenant)
        mapping: dict[str, str] = {}
        for name, value in changes.items():
            if name in ("banned_words", "suspect_words"):
                words = clean_words(value)[:MAX_WORDS]
                mapping[name] = json.dumps(words, ensure_ascii=False)
            elif name == "repeat_minutes":
                mapping[name] = repr(max(0.0, float(value)))
            else:
                mapping[name] = str(max(0, int(value)))
        now = time.time()
        mapping.update(updated_at=repr(now), updated_by=by)
        pipe = self.redis.pipeline()
        pipe.hset(own.rules, mapping=mapping)
        pipe.hgetall(own.rules)
        # Workers read the rules again on their next batch.
        queue_bump(pipe, self.keys)
        stored = pipe.execute()[1]
        rules = TenantRules.parse(stored)
        event = {"at": now, "by": by, "key_id": key_id, "changed": sorted(changes),
                 "repeat_minutes": rules.repeat_minutes,
                 "link_min_approved": rules.link_min_approved,
                 "new_author_comments": rules.new_author_comments,
                 "banned_words": len(rules.banned_words), "suspect_words": len(rules.suspect_words)}
        pipe = self.redis.pipeline()
        pipe.lpush(own.rules_audit, json.dumps(event, separators=(",", ":")))
        pipe.ltrim(own.rules_audit, 0, AUDIT_KEEP - 1)
        pipe.execute()
        return rules

    def audit(self, tenant: str, limit: int = 20) -> list[dict[str, Any]]:
        raw = self.redis.lrange(self.keys.tenant(tenant).rules_audit, 0, limit - 1)
        return [json.loads(e) for e in raw]
