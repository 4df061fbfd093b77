"""Labelled examples from moderators' decisions, for retraining.

One JSON document per comment in one hash: a re-decision replaces the earlier
label, so the training set holds each comment once with its final label. Each
document names its tenant, so training can take one title's decisions only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from redis import Redis

from core.tenants import DEFAULT_TENANT
from storage.keys import Keys

# Which categories a decision tells us about. A rejection for "spam" or "legal"
# says nothing about abuse or victim identification either way, so those
# labels stay unknown (None) rather than becoming false negatives.
_REJECT_LABELS: dict[str, dict[str, int | None]] = {
    "abuse": {"abuse": 1, "victim_identification": None},
    "victim_identification": {"abuse": None, "victim_identification": 1},
}
_UNKNOWN: dict[str, int | None] = {"abuse": None, "victim_identification": None}
_APPROVED: dict[str, int | None] = {"abuse": 0, "victim_identification": 0}


def labels_for(action: str, reason_code: str) -> dict[str, int | None]:
    """Per-category label (1 positive, 0 negative, None unknown) a decision implies."""
    if action == "approve":
        return dict(_APPROVED)
    return dict(_REJECT_LABELS.get(reason_code, _UNKNOWN))


class ExampleStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys

    def record(
        self,
        comment_id: str,
        *,
        text: str,
        labels: dict[str, int | None],
        scores: dict[str, float] | None,
        model_version: str | None,
        moderator: str,
        reason_code: str,
        decided_at: float,
        action: str | None = None,
        article_id: str | None = None,
        tenant: str = DEFAULT_TENANT,
        moderator_name: str | None = None,
        source: str | None = None,
        pipe: Any = None,
    ) -> None:
        """Store (or replace) the comment's example; ``pipe`` queues it on a pipeline instead.

        ``moderator`` is the deciding key's id; ``moderator_name`` its name, for display;
        ``source`` what brought the comment to a moderator (storage.quality.label_source)."""
        document = {
            "comment_id": comment_id,
            "tenant": tenant,
            "text": text,
            "labels": labels,
            "scores": scores or {},
            "model_version": model_version,
            "moderator": moderator,
            "moderator_name": moderator_name,
            "action": action,
            "reason_code": reason_code,
            "article_id": article_id,
            "decided_at": decided_at,
        }
        if source:
            document["source"] = source
        target = pipe if pipe is not None else self.redis
        target.hset(self.keys.examples, comment_id, json.dumps(document, separators=(",", ":")))

    def get(self, comment_id: str) -> dict[str, Any] | None:
        raw = self.redis.hget(self.keys.examples, comment_id)
        return json.loads(raw) if raw else None

    def iter_examples(self, tenant: str | None = None) -> Iterator[dict[str, Any]]:
        """Every example, or one tenant's (HSCAN: no single huge reply), in no particular order.
        Examples stored before tenants existed belong to the default tenant."""
        for _, raw in self.redis.hscan_iter(self.keys.examples, count=500):
            document = json.loads(raw)
            if tenant is None or (document.get("tenant") or DEFAULT_TENANT) == tenant:
                yield document

    def count(self) -> int:
        return int(self.redis.hlen(self.keys.examples))
