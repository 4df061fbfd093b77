"""Names an article allows (defendants named in court, officials) are not victim identification.

When every person-name span the model found is an allowed name, and no detail
that points at a victim rather than at the named person remains (a relative of
the accused, a school, a social-media handle: the usual jigsaw-identification
pieces), the victim-identification score is set to 0 *for the thresholds*.
The stored scores and spans stay the model's own, so a moderator who opens the
comment still sees what was found.
"""

from __future__ import annotations

from dataclasses import replace

from storage.article_policy import tokens
from worker.decision import Decision
from worker.policy import Policy

VI = "victim_identification"
# Details that identify a victim even when the only named person may be named.
_VICTIM_POINTING = frozenset({"relative", "school", "handle"})
# Words before a name that are not part of it ("Mr Kevin Smith" is "Kevin Smith").
_HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "sir", "dame", "lady", "lord"})


def _allowed(name: str, allowed: list[frozenset[str]]) -> bool:
    words = set(tokens(name)) - _HONORIFICS
    return bool(words) and any(words <= names for names in allowed)


def apply(decision: Decision, policy: Policy) -> None:
    allowed = policy.article(decision.comment).folded_names
    if not allowed:
        return
    score = decision.score
    text = decision.comment.get("text") or ""
    vi_spans = [s for s in score.spans if s.category == VI and s.kind != "protected_term"]
    names = [s for s in vi_spans if s.kind == "name"]
    if not names or any(s.kind in _VICTIM_POINTING for s in vi_spans):
        return
    if not all(_allowed(text[s.start:s.end], allowed) for s in names):
        return
    decision.score = replace(
        score,
        scores={**score.scores, VI: 0.0},
        spans=[s for s in score.spans if s not in names],
        evidence={**score.evidence, VI: [k for k in score.evidence.get(VI, []) if k != "name"]},
    )
