"""The abuse cues (model/abuse_cues.py): what each finds, what it leaves alone, where spans go.

Phrases are written for this test. The negatives are the sharp but civil comments a policing
story attracts, which the cues must not mistake for abuse aimed at someone.
"""

from __future__ import annotations

import pytest

from model.abuse_cues import CUE_NAMES, cue_counts, cue_spans
from model.features import LEXICON_FEATURE_NAMES, lexicon_spans, lexicon_vector

FOUND = [
    ("targeted_insult", "you absolute clown, read the report before typing"),
    ("targeted_insult", "@Bazza_77 muppet"),
    ("targeted_insult", "Honestly the councillor is a spineless little weasel"),
    ("targeted_insult", "shut your gob and go back to facebook"),
    ("targeted_insult", "screw the lot of them at the town hall"),
    ("targeted_insult", "you fucking halfwit"),
    ("violence_call", "Bring back hanging for the lot of them"),
    ("violence_call", "someone should string him up outside the station"),
    ("violence_call", "I know where he lives and so do half the lads in the pub"),
    ("violence_call", "they want rounding up, round them all up and deal with them ourselves"),
    ("group_hate", "Deport them all, every last family"),
    ("group_hate", "ship every last one of them back where they came from"),
    ("group_hate", "muslims are all the same, it's in the book"),
    ("group_hate", "they're all at it, the whole lot"),
    ("victim_blame", "those girls were out at 2am, what did they expect"),
    ("victim_blame", "crying rape for a payday"),
    ("sexual", "the blonde reporter can cuff me any day"),
]

NOT_FOUND = [
    "South Yorkshire Police were useless and the report proves it.",
    "The chief constable should resign, this is a pathetic response.",
    "He threatened to kill her family if she went to the police.",
    "Blaming a whole community for the crimes of these men is wrong.",
    "What the hell were the council doing for ten years?",
    "What the fuck were they doing for ten years? A fucking disgrace.",
    "@Sam_R you're wrong, page 14 says the opposite.",
    "Life should mean life. They should never be released.",
    "The girls were children and none of this was their fault.",
    "Thank you to the reporter who kept digging when nobody listened.",
]


@pytest.mark.parametrize(("cue", "text"), FOUND)
def test_cue_found(cue, text):
    counts = dict(zip(CUE_NAMES, cue_counts(text), strict=True))
    assert counts[cue] >= 1, (cue, counts)
    assert any(c == cue for _, _, c in cue_spans(text))


@pytest.mark.parametrize("text", NOT_FOUND)
def test_civil_comment_has_no_cue(text):
    assert not any(cue_counts(text)), [text[s:e] for s, e, _ in cue_spans(text)]


def test_counts_with_given_tokens_equal_counts_from_text():
    # the scorer passes the tokens it already has; the result must not depend on that
    from model.features import _WORD_RE

    for _, text in FOUND:
        assert cue_counts(text, _WORD_RE.findall(text.lower())) == cue_counts(text)


def test_cues_are_lexicon_features_and_spans():
    text = "Councillor Dobbs is a spineless little weasel"
    vec = dict(zip(LEXICON_FEATURE_NAMES, lexicon_vector(text), strict=True))
    assert vec["cue_targeted_insult"] > 0
    assert vec["cue_violence_call"] == 0
    spans = lexicon_spans(text)
    assert [(text[s:e], k) for s, e, k in spans] == [("is a spineless little weasel", "insult")]


def test_listed_word_inside_a_cue_is_shown_alone():
    # "moron" is highlighted by itself; the cue phrase around it adds nothing
    text = "you absolute moron"
    assert [(text[s:e], k) for s, e, k in lexicon_spans(text)] == [("moron", "insult")]


def test_disparaging_words_alone_are_not_highlighted():
    text = "A useless, pathetic force led by liars."
    assert lexicon_spans(text) == []
    vec = dict(zip(LEXICON_FEATURE_NAMES, lexicon_vector(text), strict=True))
    assert vec["disparaging"] > 0 and vec["insult"] == 0
