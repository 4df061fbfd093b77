"""The linear-time rewrites of the model's patterns and loops give what the originals gave.

Each rewrite (tests/test_scoring_cost.py shows why it was needed) is compared with the original
form on thousands of random texts built from the words and characters the pattern reacts to.
A rewrite that changed what the detectors find would change what a saved model computes
(FEATURE_VERSION); bench/compare_outputs.py does the same check on every text of the corpora.
"""

from __future__ import annotations

import random
import re
import unicodedata

import pytest

from model import abuse_cues, features, normalize
from model import gazetteer as g
from model.caseless import CASE_ODD, twin_lower


def random_texts(pieces: list[str], count: int, seed: int, max_pieces: int = 16) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(0, max_pieces))) for _ in range(count)]


# -- normaliser --------------------------------------------------------------------------

LEET_AS_ONE_REGEX = re.compile(r"(?<![@\w])[A-Za-z0-9@$!|+]*[A-Za-z][0-9@$!|+]+[A-Za-z][A-Za-z0-9@$!|+]*")


def test_leet_tokens_are_the_ones_the_single_regex_found():
    pieces = list("abZ10@$!|+ _é'-x") + ["sh1t", "a$$", "1d10t"]
    for text in random_texts(pieces, 30_000, seed=1, max_pieces=24):
        want = LEET_AS_ONE_REGEX.sub(lambda m: m.group(0).translate(normalize._LEET), text)
        assert normalize._undo_leet(text) == want, text


def reference_normalize(text: str) -> tuple[str, list[int] | None]:
    """normalize() as it was: folded and dropped one character at a time."""
    def drop_each(text, offsets, drop):
        offs = range(len(text)) if offsets is None else offsets
        kept = [i for i in range(len(text)) if i not in drop]
        return "".join(text[i] for i in kept), [offs[i] for i in kept]

    offsets = None
    if not text.isascii():
        text = text.translate(normalize._ONE_TO_ONE)
    if not text.isascii():
        pieces, offs, changed = [], [], False
        for i, ch in enumerate(text):
            folded = ch if ch.isascii() else normalize._fold_char(ch)
            changed = changed or folded != ch
            pieces.append(folded)
            offs.extend([i] * len(folded))
        if changed:
            text, offsets = "".join(pieces), offs
    drop = set()
    for m in normalize._SPACED.finditer(text):
        start = m.start()
        if text[start].lower() in "aiu" and (m.end() - start) >= 9:
            start += 2
        drop.update(range(start + 1, m.end(), 2))
    if drop:
        text, offsets = drop_each(text, offsets, drop)
    # a team's age group ("U16s") is not leet
    text = LEET_AS_ONE_REGEX.sub(lambda m: m.group(0) if normalize._AGE_GROUP.fullmatch(m.group(0))
                                 else m.group(0).translate(normalize._LEET), text)
    drop = set()
    for m in normalize._ELONG.finditer(text):
        drop.update(range(m.start() + 2, m.end()))
    if drop:
        text, offsets = drop_each(text, offsets, drop)
    return text, offsets


def test_the_normaliser_drops_and_folds_as_one_character_at_a_time():
    pieces = ["f", "u", "c", "k", " ", ".", "-", "a", "i", "ooo", "ѕ", "һ", "і", "Ｆ", "\u200b", "ß",
              "\u2019", "e\u0301", "ﬁ", "\U0001f92c", "…", "sh1t", "1", "!", "x", "Z"]
    for text in random_texts(pieces, 20_000, seed=2, max_pieces=30):
        norm, offsets = normalize.normalize(text)
        want_norm, want_offsets = reference_normalize(text)
        if want_offsets is None and offsets is not None:  # the old code kept None only when
            assert offsets == list(range(len(text)))       # nothing changed; both map the same
            want_offsets = offsets
        assert (norm, offsets) == (want_norm, want_offsets), text


# -- detectors ---------------------------------------------------------------------------

def plain(rx: re.Pattern) -> re.Pattern:
    """``rx`` with its possessive white space made plain again (the original form)."""
    return re.compile(rx.pattern.replace(r"\s*+", r"\s*"), rx.flags)


WHITE_SPACE_PIECES = ["insta", "snap", " ", "  ", "\n", "is", "as", ":", "-", "=", "called", "name", "kay_99",
                      "kayleigh1", "x", "under", "14", "year", "yr", "olds", "old", "s", "'s", ",", "from",
                      "at", "the", "star", "news", "by", "wrote", "reporter", "Kay", "KAY", "aged", "an"]


@pytest.mark.parametrize("name", ["_GENERIC_AGE", "_SOCIAL_HANDLE", "_MEDIA_AFTER", "_MEDIA_BEFORE"])
def test_possessive_white_space_finds_the_same_matches(name):
    rx = getattr(features, name)
    assert r"\s*+" in rx.pattern
    twin, old_twin = features._TWIN[id(rx)], plain(features._TWIN[id(rx)])
    old = plain(rx)
    for text in random_texts(WHITE_SPACE_PIECES, 6_000, seed=3):
        for new, ref, string in ((rx, old, text), (twin, old_twin, text.lower())):
            assert [(m.span(), m.groups()) for m in new.finditer(string)] == \
                [(m.span(), m.groups()) for m in ref.finditer(string)], text
            got, want = new.match(string), ref.match(string)
            assert (got and got.span()) == (want and want.span()), text


TITLE_PIECES = ["PC", "pc", "Chief", "constable", "Constable", "Detective", "chief", "inspector", "ch",
                "supt", "chsupt", "Dr", "dr.", "Sir", "Kay", "Smith", "Ab", "a", "x", ".", " ", "  ", "\n",
                "head", "teacher", "rev", "Rev.", "mp", "di", "did", "é", "\u017f", "\u0130", "Mr", "'", "-"]


# the patterns as they were searched on copies of the characters around a name
TITLE_BEFORE = re.compile(r"(?:\b(?:" + g.OFFICIAL_TITLES + r")\.?\s+(?:[A-Z][a-z]+\s+)?)$", re.I)
SPEECH_AFTER = re.compile(r"^[^.!?]{0,25}\b(?:" + "|".join(sorted(g.SPEECH_WORDS)) + r")\b", re.I)


def test_the_title_before_a_name_is_found_backwards_as_forwards():
    assert re.fullmatch(features._reversed(r"ab\s*c(?:d|e\s+f)?"), "c  ba")
    assert re.fullmatch(features._reversed(r"ab\s*c(?:d|e\s+f)?"), "f ec ba")
    reverse, reverse_twin = features._TITLE_BEFORE_REV, features._TWIN[id(features._TITLE_BEFORE_REV)]
    for text in random_texts(TITLE_PIECES, 1_500, seed=4):
        folded = twin_lower(text)
        backwards = (text if folded is None else folded)[::-1]
        n = len(text)
        for start in range(n + 1):
            b0 = max(0, start - 40)
            want = TITLE_BEFORE.search(text[b0:start]) is not None
            rx = reverse if folded is None else reverse_twin
            assert (rx.match(backwards, n - start, n - b0) is not None) == want, (text, start)


def reference_official(text, start, end, media=True, folded=None) -> bool:
    """features._official as it was: every pattern on a copy of the characters around the name
    (the title and speech patterns in their forward, anchored forms)."""
    s, m = features._search, features._match
    if text[start:end + 16].lower().startswith(features._PUBLIC_FIGURES):
        return True
    b0 = max(0, start - 40)
    before, after = text[b0:start], text[end:end + 60]
    f_before, f_after = (None, None) if folded is None else (folded[b0:start], folded[end:end + 60])
    if TITLE_BEFORE.search(before) or SPEECH_AFTER.search(after):
        return True
    if media and s(features._MEDIA_BEFORE, before, f_before) or m(features._MEDIA_AFTER, after, f_after):
        return True
    sur = features._SURNAME.match(after)
    return sur is not None and m(features._MEDIA_AFTER, after[sur.end():],
                                 None if f_after is None else f_after[sur.end():]) is not None


def test_officials_are_found_in_place_as_on_a_copy():
    pieces = TITLE_PIECES + ["said", "Said", "told", "from", "the", "Star", "BBC", "at", "news", ",", "'s",
                             "by", "wrote", "reporter:", "Kayleigh", "Hannah", "Kershaw", "steve", "noonan"]
    for text in random_texts(pieces, 1_500, seed=5):
        folded = twin_lower(text)
        for start in range(len(text) + 1):
            for end in (start, start + 1, start + 3, start + 8):
                for media in (True, False):
                    want = reference_official(text, start, end, media, folded)
                    assert features._official(text, start, end, media, folded) == want, (text, start, end)


def test_overlap_questions_answer_as_a_scan():
    rng = random.Random(6)
    for _ in range(3_000):
        spans, pos = [], 0
        for _ in range(rng.randint(0, 8)):
            pos += rng.randint(0, 5)
            spans.append((pos, pos + rng.randint(1, 6)))
        overlaps = features._Overlaps(spans)
        for start in range(pos + 8):
            for end in (start + 1, start + 3):
                assert overlaps(start, end) == any(a < end and start < b for a, b in spans)


def test_cue_phrases_beside_listed_words_as_before(monkeypatch):
    pieces = ["you", "absolute", "moron", "idiot", "is", "a", "spineless", "worm", "shut", "up", "fuck",
              "off", "kill", "i", "will", "you're", "scum", "Noonan", " ", " ", ".", "u", "twat", "bitch"]
    texts = [" ".join(t) for t in random_texts(pieces, 4_000, seed=7)]
    full = [features.lexicon_spans(t) for t in texts]
    monkeypatch.setattr(features, "cue_spans", lambda text, found=None: [])
    for text, got in zip(texts, full, strict=True):
        words = features.lexicon_spans(text)
        want = list(words)
        for s, e, cue in abuse_cues.cue_spans(text):
            kind = features._CUE_KIND[cue]
            if not any(s <= ws and we <= e and wk == kind for ws, we, wk in words):
                want.append((s, e, kind))
        assert got == want, text


def test_a_street_is_found_in_a_text_with_a_long_joined_word():
    text = "she lives on acacia road near " + "ab'" * 12 + "c, Brinsworth Academy too"
    assert features._JOINED.search(text)
    kinds = {kind for _, _, kind in features.detect_victim(text).spans}
    assert {"street", "school"} <= kinds


# -- twins on non-ASCII text -------------------------------------------------------------

def test_every_code_point_lower_cases_as_ignorecase_reads_it_but_three():
    word, digit, space = re.compile(r"\w"), re.compile(r"\d"), re.compile(r"\s")
    letters = re.compile(r"[a-z]", re.IGNORECASE)
    odd = set()
    for i in range(128, 0x110000):
        c = chr(i)
        lo = c.lower()
        if len(lo) != 1 or (letters.match(c) is not None) != ("a" <= lo <= "z") or any(
                (rx.match(c) is None) != (rx.match(lo) is None) for rx in (word, digit, space)):
            odd.add(c)
    assert odd == set(CASE_ODD)


def test_twins_find_on_non_ascii_text_what_their_patterns_find():
    pieces = WHITE_SPACE_PIECES + TITLE_PIECES + ["É", "Ö", "ü", "Σ", "ς", "\U0001f92c", "\u212a", "estate",
                                                  "Flats", "works", "at", "Tesco", "14yo", "Year", "9"]
    twins = [(rx, features._TWIN[id(rx)]) for rx in (features._ESTATE, features._AGE, features._YEAR_GROUP,
                                                     features._WORKPLACE, features._EMPLOYER, features._LIVES,
                                                     features._THREAT)]
    twins += [(rx, twin) for (_, _, rx), twin in zip(abuse_cues._RULES, abuse_cues._TWINS, strict=True)
              if twin is not None]
    checked = 0
    for text in random_texts(pieces, 1_500, seed=8):
        folded = twin_lower(text)
        if folded is None or text.isascii():
            continue
        checked += 1
        for rx, twin in twins:
            assert [m.span() for m in rx.finditer(text)] == [m.span() for m in twin.finditer(folded)], text
    assert checked > 500
    assert twin_lower("Ab\u017f") is None and twin_lower("\u0130stanbul") is None
    assert twin_lower("Éa \U0001f92c") == "éa \U0001f92c"


def test_the_fold_table_is_what_fold_char_says():
    for ch in ("é", "ﬁ", "\u200b", "Ｆ", "ѕ", "\U0001f92c", "\u00a0"):
        assert normalize._fold(ch + "a")[0] == normalize._fold_char(ch) + "a"
        assert unicodedata.normalize("NFC", ch)  # a real character
