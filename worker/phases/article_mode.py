"""An article's mode: closed articles take no comments, pre-moderated ones hold all."""

from __future__ import annotations

from worker.decision import Decision
from worker.policy import Policy


def apply(decision: Decision, policy: Policy) -> None:
    mode = policy.article(decision.comment).mode
    if mode == "closed":
        decision.reject("article_closed")
        decision.final = True
    elif mode == "premoderate":
        # Later phases still run, so the moderator also sees what the model found.
        decision.hold("premoderated")
