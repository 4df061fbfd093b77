"""Hold a comment whose score in any category reaches that category's threshold, or whose
score for an abuse kind reaches that kind's threshold (set by an admin: ``abuse:threat``).

One abuse reason either way, naming the kinds (``abuse: threat``; model.scoring.hold_reason):
a kind that reached its own threshold first, then the model's present kinds and evidence.
"""

from __future__ import annotations

from model.scoring import hold_reason
from worker.decision import Decision
from worker.policy import Policy


def apply(decision: Decision, policy: Policy) -> None:
    score = decision.score
    by_kind = [kind for kind, value in sorted(score.kinds.items(), key=lambda kv: -kv[1])
               if (t := policy.kind_threshold(kind, decision.comment)) is not None and value >= t]
    for category, value in score.scores.items():
        if value >= policy.threshold(category, decision.comment):
            decision.hold(hold_reason(score, category, by_kind if category == "abuse" else ()))
        elif category == "abuse" and by_kind:
            decision.hold("abuse: " + " + ".join(by_kind))
