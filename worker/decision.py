"""The outcome the phases build for one comment."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from model.scoring import Score


@dataclass
class Decision:
    comment: dict[str, Any]
    score: Score
    status: str = "approved"
    reasons: list[str] = field(default_factory=list)
    final: bool = False
    # An approved comment's spot-check probability, and that probability again when it
    # was drawn for a check (worker/phases/spot_check.py).
    approved_p: float = 0.0
    spot_check_p: float | None = None
    # Distance of the scores below the nearest hold threshold (negative: above one).
    margin: float | None = None

    def hold(self, reason: str) -> None:
        if self.status != "rejected":
            self.status = "held"
        if reason not in self.reasons:
            self.reasons.append(reason)

    def reject(self, reason: str) -> None:
        self.status = "rejected"
        if reason not in self.reasons:
            self.reasons.append(reason)
