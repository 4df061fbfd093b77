"""Hold a comment near-identical to one its author posted within the tenant's
``repeat_minutes`` (reason ``spam: repeated``).

Each author keeps a bounded list of recent (time, fingerprint) pairs on the
author's hash, read with the batch's policy and written back in the batch's
pipeline (worker/jobs.py): no round trip of its own. Comments earlier in the same
batch count. The whole text is the span (category ``spam``, kind ``repeated``).
"""

from __future__ import annotations

from core.tenants import tenant_of
from model.scoring import Span
from worker.decision import Decision
from worker.policy import Policy
from worker.rule_text import fingerprint, repeats


def apply(decision: Decision, policy: Policy) -> None:
    minutes = policy.tenant_rules(decision.comment).repeat_minutes
    author = decision.comment.get("author_id")
    if not minutes or not author:
        return
    text = decision.comment.get("text") or ""
    at = float(decision.comment.get("created") or 0.0)
    key = (tenant_of(decision.comment), author)
    recent = policy.fingerprints.get(key)
    if recent is None:
        recent = policy.fingerprints[key] = list(policy.author(decision.comment).fingerprints)
    print_ = fingerprint(text)
    if repeats(print_, recent, at - minutes * 60):
        decision.hold("spam: repeated")
        span = Span(0, len(text), "spam", "repeated")
        if text and span not in decision.score.spans:
            decision.score.spans.append(span)
    recent.append((at, print_))
