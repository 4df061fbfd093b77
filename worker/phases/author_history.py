"""Hold every comment of an author whose recent comments moderators mostly rejected."""

from __future__ import annotations

from worker.decision import Decision
from worker.policy import Policy


def apply(decision: Decision, policy: Policy) -> None:
    if policy.author(decision.comment).premoderated:
        decision.hold("author_history")
