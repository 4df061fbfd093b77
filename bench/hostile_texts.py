"""Crafted comments that make a backtracking regex or a per-match loop cost more than linear
time, and the patterns of the model's hot path they aim at.

Used by ``bench/bench_hostile.py`` (worst case per family at the API's length limit),
``bench/fuzz_patterns.py`` (every pattern on generated inputs) and
``tests/test_scoring_cost.py`` (doubling an input's length must not quadruple its cost).

``families()`` are hand-made from reading each pattern (a trigger word, then a long run of what
the pattern's inner loop consumes, so that every start position re-scans the run) and from
what the fuzzer flagged; ``pattern_units(rx)`` derives repeatable units from any pattern's own
literal words, so that a pattern added later is covered without a hand-made input.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache

import model.abuse_cues as cues
import model.caseless as caseless
import model.features as features
import model.normalize as normalize

# the texts the API accepts at most (core/config.py MAX_TEXT_CHARS, service/schemas.py)
MAX_CHARS = 10_000

NORMAL = ("The IOPC should have acted years ago. I hope the council publishes the full report "
          "and that the officers who ignored the girls are named.")


def repeat(unit: str, n: int, head: str = "") -> str:
    """``head`` followed by ``unit`` repeated, cut to ``n`` characters."""
    body = n - len(head)
    return (head + unit * (body // max(len(unit), 1) + 1))[:n]


def _pad(head: str, char: str) -> Callable[[int], str]:
    return lambda n: head + char * (n - len(head))


def _rep(unit: str, head: str = "") -> Callable[[int], str]:
    return lambda n: repeat(unit, n, head)


# name -> (what it aims at, n -> a text of n characters)
FAMILIES: dict[str, tuple[str, Callable[[int], str]]] = {
    # leetspeak (normalize._LEET_TOKEN): every symbol of a run is a start that re-scans the run
    "leet_symbols": ("leet token: a run of ! after a word with a digit", _pad("a1b ", "!")),
    "leet_dollars": ("leet token: a run of $ after a letter triple", _pad("aaa ", "$")),
    "leet_digit_symbol": ("leet token: digits and symbols, no letter", _rep("1!", "a1b ")),
    "leet_letter_symbols": ("leet token: a letter then symbols", _rep("a!!", "x1y ")),
    "leet_mixed_word": ("leet token: one long leet word", _rep("a1b2c3d4e5")),
    # spaced-out letters (normalize._SPACED)
    "spaced_letters": ("spaced letters: a long f u c k run", _rep("a b ")),
    "spaced_mixed_sep": ("spaced letters: separators that change", _rep("a b.c-d_e*")),
    "elongated": ("elongation: one letter run", _pad("x ", "o")),
    # streets, estates, schools (features._STREET*, _ESTATE, _SCHOOL): a joined-up word
    # (apostrophes, hyphens) has a word boundary inside at every joint
    "street_apostrophes": ("lower-case street: a long word joined by apostrophes",
                           _rep("ab'", "the street ")),
    "street_repeated": ("streets: street street street", _rep("street ")),
    "street_title_repeated": ("streets: Street Street Street", _rep("Street ")),
    "street_title_words": ("title-case street: capitalised words, no street word",
                           _rep("Abc Def ", "Church Street ")),
    "street_seven_joints": ("lower-case street: words of seven joints (below the joined-word cut)",
                            _rep("ab'ab'ab'ab'ab'ab'ab'ab ", "the street ")),
    "school_seven_joints": ("title-case school: words of seven joints",
                            _rep("Ab-Ab-Ab-Ab-Ab-Ab-Ab-Ab ", "Academy ")),
    "estate_apostrophes": ("estate: a long word joined by apostrophes", _rep("ab'", "the estate ")),
    "estate_repeated": ("estate: estate estate estate", _rep("estate ")),
    "school_hyphens": ("lower-case school: a long word joined by hyphens",
                       _rep("ab-", "the academy ")),
    "school_title_hyphens": ("title-case school: a capitalised hyphenated word",
                             _rep("Ab-", "Academy ")),
    "school_repeated": ("schools: school academy high school ...", _rep("high school academy ")),
    "school_saints": ("schools: St St St", _rep("St ", "school ")),
    # whitespace between two optional parts (features._SOCIAL_HANDLE, _GENERIC_AGE, _AGE)
    "social_whitespace": ("social handle: a trigger word then spaces", _pad("insta", " ")),
    "social_repeated": ("social handle: insta insta insta", _rep("insta ")),
    "age_whitespace": ("generic age: under 14 then spaces", _pad("under 14", " ")),
    "age_repeated": ("ages: she is 14 under 14 ...", _rep("she is 14 under 14 year olds ")),
    "year_repeated": ("year groups: year 9 year 9", _rep("year 9 ")),
    # per-match Python loops (own family, overlaps of names and ages, cue phrases and words)
    "own_family": ("own family: my son in year 9, repeated", _rep("my son year 9 ")),
    "names": ("names: one first name repeated", _rep("Kayleigh ")),
    "full_names": ("names: first name and surname, repeated", _rep("Kayleigh Smith ")),
    "capitalised_words": ("capitalised pairs: many capitalised words", _rep("Abc Def ")),
    "capitalised_emoji": ("capitalised pairs in a non-ASCII text (no case-sensitive twins)",
                          _rep("Abc Def ", "\U0001f92c ")),
    "names_emoji": ("names in a non-ASCII text", _rep("Kayleigh ", "\U0001f92c ")),
    "quoted_nicks": ("quoted nicknames", _rep("'Kaz' lil Kaz, ")),
    "handles": ("handles and links", _rep("@kay_99 insta kay_99 www.x.com/a ")),
    "insults_aimed": ("cues: you idiot, repeated", _rep("you idiot ")),
    "insults_third": ("cues: he is a spineless worm, repeated", _rep("he is a spineless worm ")),
    "threats": ("threat phrases: i will kill", _rep("i will kill ")),
    "group_window": ("cues: group words within 40 characters", _rep("muslims animals ")),
    "self_window": ("self disclosure: i ... was", _rep("i i i was ")),
    "pointer_window": ("pointer: everyone ... knows", _rep("everyone everyone knows ")),
    "officials": ("official titles before names", _rep("PC Kayleigh Smith said ")),
    "convicted": ("offender names: jailed, got years", _rep("Kayleigh Smith was jailed got 8 years ")),
    "workplace": ("workplace: works at", _rep("works at the Tesco ")),
    "lives": ("lives in", _rep("lives in Abc ")),
    # shapes with no trigger at all
    "one_letter": ("no spaces: one letter", _pad("", "x")),
    "no_spaces": ("no spaces: letters", _rep("abcdefghij")),
    "capitals": ("no spaces: capitals", _pad("", "A")),
    "digits": ("digits", _pad("", "1")),
    "spaces": ("white space only, with a word", _pad("a", " ")),
    "newlines": ("line breaks", _rep("a\n")),
    "apostrophes": ("apostrophes", _rep("a'")),
    "hyphens": ("hyphens", _rep("a-")),
    "punctuation": ("punctuation", _rep(".,!?;:")),
    "unicode_homoglyphs": ("unicode: Cyrillic look-alikes and accents", _rep("ѕһіt ìdìöt ")),
    "unicode_zero_width": ("unicode: zero-width characters", _rep("a\u200b")),
    "unicode_combining": ("unicode: combining marks", _rep("e\u0301\u0302\u0303")),
    "emoji": ("emoji", _rep("\U0001f92c ")),
    "unicode_expanding": ("unicode: characters the normaliser makes four (4x the length)",
                          _rep("\u2481\ufb03")),
    "normal_repeated": ("an ordinary comment repeated", _rep(NORMAL + " ")),
}


def families(n: int) -> Iterator[tuple[str, str]]:
    """(name, text of ``n`` characters) for every crafted family."""
    for name, (_, make) in FAMILIES.items():
        yield name, make(n)


# -------------------------------------------------------------------- patterns of the hot path

_MODULES = (normalize, features, cues, caseless)


@lru_cache(maxsize=1)
def model_patterns() -> dict[str, re.Pattern]:
    """Every compiled pattern the model's modules hold (module attributes, the cue rules, and
    the case-sensitive twins the detectors run instead on ASCII text), by name."""
    out: dict[str, re.Pattern] = {}
    for mod in _MODULES:
        short = mod.__name__.rsplit(".", 1)[-1]
        for attr, value in vars(mod).items():
            if isinstance(value, re.Pattern) and attr.lstrip("_")[:1].isupper():
                out[f"{short}.{attr}"] = value
    names = {id(rx): name for name, rx in out.items()}
    for rx_id, twin in features._TWIN.items():
        if rx_id in names:
            out[f"{names[rx_id]}~twin"] = twin
    for i, (cue, _, rx) in enumerate(cues._RULES):
        out[f"abuse_cues._RULES[{i}]:{cue}"] = rx
        if cues._TWINS[i] is not None:
            out[f"abuse_cues._RULES[{i}]:{cue}~twin"] = cues._TWINS[i]
    out["features.WORD_TOKEN_PATTERN"] = re.compile(features.WORD_TOKEN_PATTERN)
    return out


# Patterns the model runs only anchored (``match`` at one position) or within a window of at
# most 90 characters around a name: their cost per call does not grow with the comment, so they
# are timed with ``match`` (anchored at the start of the input) rather than ``findall``.
ANCHORED = frozenset({
    "features._TITLE_BEFORE_REV", "features._SPEECH_AFTER", "features._ORG_AFTER", "features._MEDIA_AFTER",
    "features._MEDIA_BEFORE", "features._CONVICTED_AFTER", "features._CONVICTED_BEFORE",
    "features._GAP_BAD", "features._SURNAME", "features._SCHOOL_BAD_FIRST", "features._CLAUSE_END",
    "features._WORD_CHAR",
})


# Patterns the model runs only on texts without a word of eight or more joined parts, and the
# variant it runs on the others (features._JOINED)
JOINED_VARIANT = {
    "features._STREET_LOWER": "features._STREET_LOWER_JOINED",
    "features._ESTATE": "features._ESTATE_JOINED",
    "features._ESTATE~twin": "features._ESTATE_JOINED~twin",
    "features._SCHOOL": "features._SCHOOL_JOINED",
}


def is_anchored(name: str) -> bool:
    return name.removesuffix("~twin") in ANCHORED


def runner(name: str, rx: re.Pattern) -> Callable[[str], object]:
    """How the model runs ``rx`` at its worst: every match of a text, or one anchored match;
    a pattern with a variant for joined-up words runs as the detector picks between them."""
    if is_anchored(name):
        return rx.match
    if name in JOINED_VARIANT:
        other = model_patterns()[JOINED_VARIANT[name]]
        joined = features._JOINED.search
        return lambda text: (other if joined(text) else rx).findall(text)
    return rx.findall


_ESCAPE = re.compile(r"\\[A-Za-z]")


def pattern_words(rx: re.Pattern, limit: int = 12) -> list[str]:
    """Up to ``limit`` of the literal words in a pattern's source (spread over the source)."""
    source = _ESCAPE.sub(" ", rx.pattern)
    words = sorted(set(re.findall(r"[A-Za-z]{2,}", source)))
    if len(words) > limit:
        step = len(words) / limit
        words = [words[int(i * step)] for i in range(limit)]
    return words


_SEPARATORS = (" ", "", "'", "-", ".", "  ")
_FILLERS = (" ", "!", "$", "1", "1!", "a", "A", "a'", "ab-", "Ab-", "a ", "Ab ", "\n")
_SHAPES = ("a", "A", "1", " ", "'", "-", "@", "!", "a'", "a-", "A-", "a1", "1 ", "a ", "Ab ",
           "ab'", "ab-", "Ab-", "a\n", ". ", "a.", "a_", "_")


def pattern_inputs(rx: re.Pattern, limit: int = 12) -> list[tuple[str, Callable[[int], str]]]:
    """(label, n -> text) to try against ``rx``: each of its literal words (as written,
    capitalised, upper-case) repeated with each separator, each word followed by a long run of
    a filler, and a few generic shapes repeated."""
    out = []
    for word in pattern_words(rx, limit):
        for form in sorted({word.lower(), word.title(), word.upper()}):
            out += [(repr(form + sep) + "*", _rep(form + sep)) for sep in _SEPARATORS]
        out += [(repr(word + " ") + "+" + repr(f) + "*", _rep(f, word + " ")) for f in _FILLERS]
        out += [(repr(word) + "+" + repr(f) + "*", _rep(f, word)) for f in _FILLERS if f != " "]
    out += [(repr(shape) + "*", _rep(shape)) for shape in _SHAPES]
    return out
