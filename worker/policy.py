"""The rules in force for one batch: hold thresholds (admin > environment > model)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from redis import Redis

from model.scoring import Scorer
from moderation.config import Settings
from storage.keys import Keys


@dataclass
class Policy:
    thresholds: dict[str, float]
    extras: dict[str, Any] = field(default_factory=dict)

    def threshold(self, category: str, comment: dict[str, Any] | None = None) -> float:
        return self.thresholds.get(category, 0.5)

    @classmethod
    def load(cls, redis: Redis, keys: Keys, settings: Settings, scorer: Scorer) -> Policy:
        thresholds = dict(scorer.thresholds)
        env = {
            "abuse": settings.hold_threshold_abuse,
            "victim_identification": settings.hold_threshold_victim_identification,
        }
        thresholds.update({k: v for k, v in env.items() if v >= 0})
        admin = redis.hgetall(keys.thresholds)
        thresholds.update({k.decode(): float(v) for k, v in admin.items()})
        return cls(thresholds=thresholds)
