"""Reject every comment of a banned author without looking further."""

from __future__ import annotations

from worker.decision import Decision
from worker.policy import Policy


def apply(decision: Decision, policy: Policy) -> None:
    if policy.author(decision.comment).banned:
        decision.reject("banned_author")
        decision.final = True
