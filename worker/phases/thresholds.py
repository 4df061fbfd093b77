"""Hold a comment whose score in any category reaches that category's threshold."""

from __future__ import annotations

from model.scoring import hold_reason
from worker.decision import Decision
from worker.policy import Policy


def apply(decision: Decision, policy: Policy) -> None:
    score = decision.score
    for category, value in score.scores.items():
        if value >= policy.threshold(category, decision.comment):
            decision.hold(hold_reason(score, category))
