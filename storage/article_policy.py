"""Per-article moderation policy, and the text matching its terms and names rely on.

A policy is one hash per article of a tenant (article ids are the site's own).
The worker reads the policies of a whole batch in its single pipelined policy
round trip (``queue_get`` + ``parse``), so a change applies to every comment
scored after it and to none scored before.
"""

from __future__ import annotations

import json
import time
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

from redis import Redis

from storage.keys import Keys
from storage.settings_version import queue_bump

MODES = ("auto", "premoderate", "closed")
MAX_TERMS = 200
MAX_TERM_CHARS = 200


@dataclass(frozen=True)
class ArticlePolicy:
    mode: str = "auto"
    sensitive: bool = False
    protected_terms: tuple[str, ...] = ()
    allowed_names: tuple[str, ...] = ()
    updated_at: float | None = None
    updated_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["protected_terms"] = list(self.protected_terms)
        data["allowed_names"] = list(self.allowed_names)
        return data

    @classmethod
    def parse(cls, raw: dict[bytes, bytes] | None) -> ArticlePolicy:
        """A policy from its stored hash; an article never configured gets the defaults."""
        if not raw:
            return DEFAULT
        values = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
                  for k, v in raw.items()}
        return cls(
            mode=values.get("mode", "auto") if values.get("mode") in MODES else "auto",
            sensitive=values.get("sensitive") == "1",
            protected_terms=tuple(json.loads(values.get("protected_terms") or "[]")),
            allowed_names=tuple(json.loads(values.get("allowed_names") or "[]")),
            updated_at=float(values["updated_at"]) if values.get("updated_at") else None,
            updated_by=values.get("updated_by"),
        )

    # Folded forms are computed once per policy (per batch), not once per comment.
    @cached_property
    def folded_terms(self) -> list[tuple[str, str]]:
        return _folded_cache(self.protected_terms)

    @cached_property
    def folded_names(self) -> list[frozenset[str]]:
        return [frozenset(tokens(name)) for name in self.allowed_names if tokens(name)]


DEFAULT = ArticlePolicy()


def _folded_cache(terms: Sequence[str]) -> list[tuple[str, str]]:
    out = []
    for term in terms:
        folded = fold(term)
        if folded:
            out.append((term, folded))
    return out


# Matching -----------------------------------------------------------------------------------------

@dataclass
class Folded:
    """A text reduced to its letters and digits (case- and accent-folded), remembering
    where each kept character came from and where the original words began and ended."""

    text: str = ""
    origin: list[int] = field(default_factory=list)
    starts: set[int] = field(default_factory=set)
    ends: set[int] = field(default_factory=set)


def fold_with_positions(text: str) -> Folded:
    out: list[str] = []
    folded = Folded()
    in_word = False
    for index, char in enumerate(text):
        kept = False
        for part in unicodedata.normalize("NFKD", char):
            if unicodedata.combining(part):
                continue
            for piece in part.casefold():
                if piece.isalnum():
                    if not in_word:
                        folded.starts.add(len(out))
                    out.append(piece)
                    folded.origin.append(index)
                    kept = in_word = True
        if not kept and not unicodedata.combining(char) and not char.isalnum():
            if in_word:
                folded.ends.add(len(out))
            in_word = False
    if in_word:
        folded.ends.add(len(out))
    folded.text = "".join(out)
    return folded


def fold(text: str) -> str:
    """Case-, accent- and spacing-insensitive form: 'Zoë  O'Neil' -> 'zoeoneil'."""
    return fold_with_positions(text).text


def tokens(text: str) -> list[str]:
    """Folded words of ``text`` ('Zoë O'Neil' -> ['zoe', 'o', 'neil'])."""
    folded = fold_with_positions(text)
    bounds = sorted(folded.starts | folded.ends)
    pairs = zip(bounds, bounds[1:], strict=False)
    return [folded.text[a:b] for a, b in pairs if a in folded.starts]


def find_terms(text: str, terms: Iterable[tuple[str, str]]) -> list[tuple[int, int, str]]:
    """(start, end, term) in ``text`` of every protected term, given as (term, fold(term)).

    Spacing is ignored ("Jane Doe", "janedoe", "J a n e  D o e" all match "Jane
    Doe") but a match must begin and end at word boundaries of the text, so the
    term "Ann" does not match "planned".
    """
    terms = list(terms)
    if not terms:
        return []
    folded = fold_with_positions(text)
    found = []
    for term, needle in terms:
        at = folded.text.find(needle)
        while at != -1:
            end = at + len(needle)
            if at in folded.starts and end in folded.ends:
                found.append((folded.origin[at], folded.origin[end - 1] + 1, term))
            at = folded.text.find(needle, at + 1)
    return sorted(found)


# Storage --------------------------------------------------------------------------------------------

class ArticlePolicyStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    def get(self, tenant: str, article_id: str) -> ArticlePolicy:
        key = self.keys.tenant(tenant).article_policy(article_id)
        return ArticlePolicy.parse(self.redis.hgetall(key))

    def queue_get(self, pipe: Any, tenant: str, article_id: str) -> None:
        """Queue the read on a pipeline; pass its result to ``ArticlePolicy.parse``."""
        pipe.hgetall(self.keys.tenant(tenant).article_policy(article_id))

    def put(
        self,
        tenant: str,
        article_id: str,
        *,
        mode: str = "auto",
        sensitive: bool = False,
        protected_terms: Sequence[str] = (),
        allowed_names: Sequence[str] = (),
        by: str,
        by_name: str | None = None,
    ) -> ArticlePolicy:
        """Replace the article's policy (an audit event records who changed it and to what)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        # Order kept, duplicates (after folding) and blanks dropped.
        terms = _dedupe(protected_terms)
        names = _dedupe(allowed_names)
        policy = ArticlePolicy(mode=mode, sensitive=bool(sensitive), protected_terms=tuple(terms),
                               allowed_names=tuple(names), updated_at=time.time(), updated_by=by)
        own = self.keys.tenant(tenant)
        key = own.article_policy(article_id)
        pipe = self.redis.pipeline()
        pipe.delete(key)
        pipe.hset(key, mapping={
            "mode": policy.mode,
            "sensitive": "1" if policy.sensitive else "0",
            "protected_terms": json.dumps(terms),
            "allowed_names": json.dumps(names),
            "updated_at": repr(policy.updated_at),
            "updated_by": by,
        })
        # The audit names the article and counts, not the terms: they can be victims' names.
        pipe.rpush(own.article_policy_audit(article_id), json.dumps({
            "event": "article_policy", "article_id": article_id, "by": by, "by_name": by_name,
            "at": policy.updated_at,
            "mode": mode, "sensitive": policy.sensitive,
            "protected_terms": len(terms), "allowed_names": len(names),
        }, separators=(",", ":")))
        # Workers read article policies again on their next batch.
        queue_bump(pipe, self.keys)
        pipe.execute()
        return policy

    def audit(self, tenant: str, article_id: str) -> list[dict[str, Any]]:
        key = self.keys.tenant(tenant).article_policy_audit(article_id)
        return [json.loads(e) for e in self.redis.lrange(key, 0, -1)]


def _dedupe(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for value in values:
        value = " ".join(value.split())
        key = fold(value)
        if key and key not in seen:
            seen.add(key)
            out.append(value)
    return out
