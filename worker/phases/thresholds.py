"""Hold a comment whose score in any category reaches that category's threshold."""

from __future__ import annotations

from worker.decision import Decision
from worker.policy import Policy


def apply(decision: Decision, policy: Policy) -> None:
    score = decision.score
    for category, value in score.scores.items():
        threshold = policy.threshold(category, decision.comment)
        if value >= threshold:
            evidence = score.evidence.get(category) or []
            decision.hold(f"{category}: {' + '.join(evidence)}" if evidence else category)
