"""Draw auto-approved comments for a moderator's spot check.

Runs after the other phases, on what they left approved. The probability is
the tenant's spot-check rate, raised near a hold threshold (core/quality.py);
the draw is a hash of the comment id, so a retried batch draws the same
comments. The probability is kept with the comment: the estimate weights each
answer by its inverse.
"""

from __future__ import annotations

from core.quality import inclusion_probability, sampled
from worker.decision import Decision
from worker.policy import Policy


def apply(decision: Decision, policy: Policy) -> None:
    comment = decision.comment
    # Below the nearest threshold (negative: above one), kept with the comment so a
    # moderator's label can tell near-threshold comments (the informative ones) apart.
    distance = min((policy.threshold(category, comment) - value
                    for category, value in decision.score.scores.items()), default=1.0)
    decision.margin = distance
    if decision.status != "approved":
        return
    probability = inclusion_probability(distance, policy.spot_check_rate(comment),
                                        policy.spot_check_near_band,
                                        policy.spot_check_near_factor)
    decision.approved_p = probability
    if comment.get("id") and sampled(str(comment["id"]), probability):
        decision.spot_check_p = probability
