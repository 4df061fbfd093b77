"""Pre-moderate the first comments of every author (a tenant's ``new_author_comments``).

Reuses the author's ``posted`` counter (storage/authors.py), read with the batch's
policy; comments earlier in the same batch count too.
"""

from __future__ import annotations

from core.tenants import tenant_of
from worker.decision import Decision
from worker.policy import Policy


def apply(decision: Decision, policy: Policy) -> None:
    first = policy.tenant_rules(decision.comment).new_author_comments
    author = decision.comment.get("author_id")
    if not first or not author:
        return
    key = (tenant_of(decision.comment), author)
    before = policy.author(decision.comment).posted + policy.seen_in_batch.get(key, 0)
    policy.seen_in_batch[key] = policy.seen_in_batch.get(key, 0) + 1
    if before < first:
        decision.hold("new_commenter")
