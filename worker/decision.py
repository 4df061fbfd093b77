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

    def hold(self, reason: str) -> None:
        if self.status != "rejected":
            self.status = "held"
        if reason not in self.reasons:
            self.reasons.append(reason)

    def reject(self, reason: str) -> None:
        self.status = "rejected"
        if reason not in self.reasons:
            self.reasons.append(reason)
