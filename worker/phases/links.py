"""Hold comments with links from authors with fewer approved comments than the tenant's
``link_min_approved`` (spam and phishing come from new or throwaway accounts).

Each link becomes a span (category ``spam``, kind ``link``) the page highlights.
"""

from __future__ import annotations

from model.scoring import Span
from worker.decision import Decision
from worker.policy import Policy
from worker.rule_text import find_links


def apply(decision: Decision, policy: Policy) -> None:
    needed = policy.tenant_rules(decision.comment).link_min_approved
    if not needed or policy.author(decision.comment).approved >= needed:
        return
    links = find_links(decision.comment.get("text") or "")
    if not links:
        return
    decision.hold("spam: link from a new author")
    for start, end in links:
        span = Span(start, end, "spam", "link")
        if span not in decision.score.spans:
            decision.score.spans.append(span)
