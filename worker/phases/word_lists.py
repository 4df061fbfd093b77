"""A tenant's word lists: a banned word rejects the comment, a suspect word holds it.

Whole words only, seen through obfuscation (worker/rule_text.py). The matches
become spans (category ``word_list``, kind ``banned_word`` or ``suspect_word``), so
the moderator page highlights them as it does the model's evidence; the reasons
name no word.
"""

from __future__ import annotations

from model.scoring import Span
from worker.decision import Decision
from worker.policy import Policy
from worker.rule_text import compile_words, find_words

CATEGORY = "word_list"


def apply(decision: Decision, policy: Policy) -> None:
    rules = policy.tenant_rules(decision.comment)
    if not rules.banned_words and not rules.suspect_words:
        return
    text = decision.comment.get("text") or ""
    for words, kind in ((rules.banned_words, "banned_word"), (rules.suspect_words, "suspect_word")):
        if not words:
            continue
        found = find_words(text, compile_words(words))
        if not found:
            continue
        if kind == "banned_word":
            decision.reject("banned_word")
        else:
            decision.hold("suspect_word")
        for start, end, _entry in found:
            span = Span(start, end, CATEGORY, kind)
            if span not in decision.score.spans:
                decision.score.spans.append(span)
