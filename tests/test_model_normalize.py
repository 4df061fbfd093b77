"""De-obfuscation and the map back to original offsets."""

from __future__ import annotations

import pytest

from model.normalize import normalize, to_original


@pytest.mark.parametrize("raw, expected", [
    ("f u c k you", "fuck you"),
    ("f.u.c.k off", "fuck off"),
    ("you are a f u c k i n g idiot", "you are a fucking idiot"),
    ("you 1d10t", "you idiot"),
    ("sh1t and a$$hole", "shit and asshole"),
    ("ѕһіt head", "shit head"),           # Cyrillic look-alikes
    ("Ｆｕｃｋ", "Fuck"),                  # full-width
    ("id\u200biot", "idiot"),             # zero-width space
    ("fuuuuuck off!!!!!", "fuuck off!!!!!"),
    ("it’s Kayleigh", "it's Kayleigh"),
])
def test_obfuscation_is_undone(raw, expected):
    assert normalize(raw)[0] == expected


@pytest.mark.parametrize("text", [
    "she is 14yo in y9 at s60", "evry1 nos", "@kay_99 on insta", "call 01709 123456", "I am ok",
    "Year 10 at Wath Academy",
])
def test_ordinary_text_is_left_alone(text):
    assert normalize(text)[0] == text


@pytest.mark.parametrize("raw, word", [
    ("you f u c k i n g idiot", "fucking"),
    ("ѕһіt head", "shit"),
    ("so, id\u200biot", "idiot"),
    ("fuuuuuck off", "fuuck"),
])
def test_spans_map_back_to_the_original_text(raw, word):
    norm, offsets = normalize(raw)
    start = norm.index(word)
    o_start, o_end = to_original(start, start + len(word), offsets)
    original = raw[o_start:o_end]
    assert normalize(original)[0] == word
