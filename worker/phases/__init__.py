"""The decision pipeline: small phases, each adding holds or reasons to a Decision.

Each phase is a function ``(decision, policy) -> None`` in a module of its
own (after Coral Talk's moderation phases). Order matters: a phase may stop
the ones after it by setting ``decision.final``.
"""

from __future__ import annotations

from typing import Any

from model.scoring import Score
from worker.decision import Decision
from worker.phases import (
    allowed_names,
    article_mode,
    author_history,
    banned_author,
    links,
    new_commenters,
    protected_terms,
    repeat_posts,
    sensitive,
    spot_check,
    thresholds,
    word_lists,
)
from worker.policy import Policy

# Rejections that end the decision first; then holds that do not depend on the
# scores (the tenant's rules among them); then the score adjustment the thresholds
# must see; the explanation last.
PHASES = [
    banned_author.apply,
    article_mode.apply,
    word_lists.apply,
    author_history.apply,
    new_commenters.apply,
    links.apply,
    repeat_posts.apply,
    protected_terms.apply,
    allowed_names.apply,
    thresholds.apply,
    sensitive.apply,
]


def decide(comment: dict[str, Any], score: Score, policy: Policy) -> Decision:
    decision = Decision(comment=comment, score=score)
    for phase in PHASES:
        phase(decision, policy)
        if decision.final:
            break
    # After every phase, whichever ended the decision: only what stays approved is drawn.
    spot_check.apply(decision, policy)
    return decision
