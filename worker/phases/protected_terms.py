"""Hold a comment that contains one of its article's protected terms.

The matches become spans (category victim_identification, kind
protected_term) so the moderator page highlights them; the reason names no
term, because terms are often the very names that must not spread.
"""

from __future__ import annotations

from model.scoring import Span
from storage.article_policy import find_terms
from worker.decision import Decision
from worker.policy import Policy


def apply(decision: Decision, policy: Policy) -> None:
    terms = policy.article(decision.comment).folded_terms
    if not terms:
        return
    found = find_terms(decision.comment.get("text") or "", terms)
    if not found:
        return
    decision.hold("protected_term")
    for start, end, _term in found:
        span = Span(start, end, "victim_identification", "protected_term")
        if span not in decision.score.spans:
            decision.score.spans.append(span)
