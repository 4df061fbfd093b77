"""Say when a comment was held only because its article is marked sensitive.

The lower threshold itself is ``Policy.threshold`` (victim identification times
SENSITIVE_VI_FACTOR on sensitive articles), which the thresholds phase uses;
this phase, after it, adds the reason ``sensitive_article`` when the score lies
between the lowered and the usual threshold, so a moderator knows why.
"""

from __future__ import annotations

from worker.decision import Decision
from worker.policy import Policy

VI = "victim_identification"


def apply(decision: Decision, policy: Policy) -> None:
    if decision.status != "held" or not policy.article(decision.comment).sensitive:
        return
    value = decision.score.scores.get(VI, 0.0)
    if policy.threshold(VI, decision.comment) <= value < policy.base_threshold(VI, decision.comment):
        decision.hold("sensitive_article")
