"""Undo common obfuscation so the features see what a reader sees.

``normalize(text)`` returns ``(normalised_text, offsets)`` where
``offsets[i]`` is the index in the ORIGINAL text of normalised character
``i`` (``offsets`` is ``None`` when nothing changed length or position, the
common case). Spans found on the normalised copy are mapped back with
``to_original``.

What it undoes (deterministically, no data files):

* zero-width and other invisible format characters (U+200B..., soft hyphen);
* homoglyphs (Cyrillic/Greek look-alikes, full-width and "mathematical"
  letters, accents: ``ƒüċκ`` -> ``fuck``);
* letters spaced or dotted out: ``f u c k``, ``f.u.c.k`` -> ``fuck``;
* leetspeak inside words: ``1d10t`` -> ``idiot``, ``sh1t``, ``a$$hole``
  (digits are left alone in ``14yo``, ``y9``, ``s60``, ``U16s`` and ``evry1``);
* long letter runs: ``fuuuuuck`` -> ``fuuck`` (punctuation runs are left alone).

Case is kept (capitalisation is evidence for names); the vectorisers
lower-case on their own.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import repeat

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from model.caches import BytesBoundedDict

# Look-alikes NFKD does not fold to ASCII.
_HOMOGLYPHS = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d",
    "ɡ": "g", "ո": "n", "ս": "u", "һ": "h", "ԛ": "q", "ԝ": "w",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "Α": "A", "Β": "B", "Ε": "E", "Η": "H",
    "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    "Ζ": "Z",
    # Latin oddities and punctuation
    "ı": "i", "ƒ": "f", "ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe",
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2026": "...", "\u00a0": " ",
}

_ONE_TO_ONE = str.maketrans({k: v for k, v in _HOMOGLYPHS.items() if len(v) == 1})
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "9": "g",
                       "@": "a", "$": "s", "!": "i", "|": "l", "+": "t"})

# "f u c k", "f.u.c.k", "f-u-c-k", "f*u*c*k": four or more single letters
# joined by one separator character (the same one throughout).
_SPACED = re.compile(r"(?<![A-Za-z])[A-Za-z](?P<sep>[ .\-_*])[A-Za-z](?:(?P=sep)[A-Za-z]){2,}(?![A-Za-z])")
# A leet token: a run of [A-Za-z0-9@$!|+] holding a letter, digits or symbols, and a letter,
# from its first character not preceded by [@\w]. As one regex,
#   (?<![@\w])[A-Za-z0-9@$!|+]*[A-Za-z][0-9@$!|+]+[A-Za-z][A-Za-z0-9@$!|+]*
# it re-scans the rest of the run from every symbol in it ("!!!!..." costs n^2/2 steps), so
# _undo_leet finds the same tokens from their core (_LEET_CORE) in one pass.
_LEET_CORE = re.compile(r"[A-Za-z][0-9@$!|+]+[A-Za-z]")
_LEET_RUN = re.compile(r"[A-Za-z0-9@$!|+]*")
_LEET_AFTER = re.compile(r"[$!|+]")  # inside a run, a token may start after one of these only
_WORD_OR_AT = re.compile(r"[@\w]")
_AGE_GROUP = re.compile(r"[Uu][0-9]{1,2}s?")
_ELONG = re.compile(r"([A-Za-z])\1{2,}")
# Cheap tests for "is there anything to undo?" (most comments have nothing): a symbol or digit
# inside a word, three identical letters, or two single letters each followed by a separator.
# The first and last start with the (rarer) symbol or separator and look behind for the letter
# before it, so that re scans for that character instead of trying every position.
_SYMBOL_IN_WORD = re.compile(r"[0-9@$!|+](?<=[A-Za-z].)[0-9@$!|+]*[A-Za-z]")  # a[0-9@$!|+]+a
_TRIPLE_LETTER = re.compile(r"([A-Za-z])\1\1")
_SPACED_PAIR = re.compile(r"[ .\-_*](?<=(?<![A-Za-z])[A-Za-z].)[A-Za-z][ .\-_*][A-Za-z]")  # a.b.c


def _fold_char(ch: str) -> str:
    mapped = _HOMOGLYPHS.get(ch)
    if mapped is not None:
        return mapped
    cat = unicodedata.category(ch)
    if cat == "Cf" or cat == "Mn" or cat == "Cc" and ch not in "\n\t\r":
        return ""  # zero-width joiners, soft hyphens, combining accents, controls
    if cat.startswith("L") or cat.startswith("N") or cat.startswith("Z"):
        folded = unicodedata.normalize("NFKD", ch)
        if folded != ch:
            folded = "".join(c for c in folded if not unicodedata.combining(c))
            folded = "".join(_HOMOGLYPHS.get(c, c) for c in folded)
            return folded if folded.isascii() or len(folded) == 1 else ch
    return ch


def _undo_leet(text: str) -> str:
    r"""The leet tokens of ``text`` translated: what the regex above finds, in linear time.

    A match of that regex lies in one run of [A-Za-z0-9@$!|+] and, its last part being greedy,
    ends where the run ends. It starts at the run's first position not preceded by [@\w]: a
    later start sees less of the same run, so where the first fails every later one fails too.
    So: for each run holding a core (a letter, digits or symbols, a letter), take that first
    start and look for a core after it."""
    core = _LEET_CORE.search(text)
    if core is None:
        return text
    n = len(text)
    backwards = text[::-1]  # the run's start, found as the end of a match on the reversed text
    pieces: list[str] = []
    done = 0
    while core is not None:
        start = n - _LEET_RUN.match(backwards, n - 1 - core.start()).end()
        end = _LEET_RUN.match(text, core.end()).end()
        first: int | None = start
        if start > 0 and _WORD_OR_AT.match(text, start - 1):
            after = _LEET_AFTER.search(text, start, end - 1)
            first = None if after is None else after.end()
        if first is not None and _AGE_GROUP.fullmatch(text, first, end):
            first = None  # a team's age group ("U16s"), not leet
        if first is not None and (first <= core.start() or _LEET_CORE.search(text, first, end)):
            pieces.append(text[done:first])
            pieces.append(text[first:end].translate(_LEET))
            done = end
        core = _LEET_CORE.search(text, end)
    pieces.append(text[done:])
    return "".join(pieces)


def _drop(text: str, offsets: list[int] | None, drops: list[range]) -> tuple[str, list[int]]:
    """``text`` and ``offsets`` without the positions in ``drops``: ranges in text order, of
    step 1 (a run) or 2 (every other character), copied slice by slice rather than one
    character at a time."""
    offs: range | list[int] = range(len(text)) if offsets is None else offsets
    pieces: list[str] = []
    kept: list[int] = []
    start = 0
    for r in drops:
        if not r:
            continue
        pieces.append(text[start:r.start])
        kept.extend(offs[start:r.start])
        last = r[-1]
        if r.step == 2:  # keep the characters between the dropped ones
            pieces.append(text[r.start + 1:last:2])
            kept.extend(offs[r.start + 1:last:2])
        start = last + 1
    pieces.append(text[start:])
    kept.extend(offs[start:])
    return "".join(pieces), kept


# non-ASCII character -> what _fold_char makes of it
_FOLDED: BytesBoundedDict = BytesBoundedDict(4 << 20, max_key_chars=1)


def _fold(text: str) -> tuple[str, list[int] | None]:
    """A non-ASCII ``text`` with the look-alikes of _ONE_TO_ONE replaced, then each character
    still non-ASCII through ``_fold_char`` -- one ``translate`` for both --, and the map back to
    the original positions (None when ``_fold_char`` changed nothing)."""
    table: dict[int, str] = {}
    folded_any = resized = False
    one_to_one = _ONE_TO_ONE.get
    for ch in set(text):  # the distinct characters, not every one
        code = ord(ch)
        mapped = one_to_one(code, ch)
        if mapped > "\x7f":
            folded = _FOLDED.get(mapped)
            if folded is None:
                folded = _FOLDED.put(mapped, _fold_char(mapped))
            if folded != mapped:
                folded_any = True
                resized = resized or len(folded) != 1
                mapped = folded
        if mapped != ch:
            table[code] = mapped
    if not table:
        return text, None
    folded_text = text.translate(table)
    if not folded_any:
        return folded_text, None
    if not resized:
        return folded_text, list(range(len(text)))
    # each original position once per character it became (none for a dropped one)
    lengths = {chr(k): len(v) for k, v in table.items()}
    per_char = np.fromiter(map(lengths.get, text, repeat(1)), dtype=np.intp, count=len(text))
    return folded_text, np.repeat(np.arange(len(text)), per_char).tolist()


def normalize(text: str) -> tuple[str, list[int] | None]:
    """Return the de-obfuscated text and its map back to the original offsets."""
    offsets: list[int] | None = None
    if not text.isascii():  # curly quotes, dashes, NBSP (same length); accents, look-alikes
        text, offsets = _fold(text)
    if _SYMBOL_IN_WORD.search(text) is None and _TRIPLE_LETTER.search(text) is None \
            and _SPACED_PAIR.search(text) is None:
        return text, offsets

    # spaced-out letters
    drops: list[range] = []
    for m in _SPACED.finditer(text):
        start = m.start()
        # "a f u c k": a leading one-letter word ("a", "i", "u") is a word, not a letter
        if text[start].lower() in "aiu" and (m.end() - start) >= 9:
            start += 2
        drops.append(range(start + 1, m.end(), 2))
    if drops:
        text, offsets = _drop(text, offsets, drops)

    # leetspeak inside words (same length, offsets unchanged)
    text = _undo_leet(text)

    # elongated runs
    drops = [range(m.start() + 2, m.end()) for m in _ELONG.finditer(text)]
    if drops:
        text, offsets = _drop(text, offsets, drops)
    return text, offsets


def normalize_text(text: str) -> str:
    return normalize(text)[0]


def to_original(start: int, end: int, offsets: list[int] | None, original_length: int | None = None
                ) -> tuple[int, int]:
    """Map a [start, end) span on the normalised text to the original text."""
    if offsets is None:
        return start, end
    if not offsets:
        return 0, 0
    if start >= len(offsets):
        last = offsets[-1] + 1
        return last, last
    o_start = offsets[start]
    o_end = offsets[min(end, len(offsets)) - 1] + 1 if end > start else o_start
    return o_start, o_end


class TextNormalizer(TransformerMixin, BaseEstimator):
    """Pipeline step: de-obfuscate a sequence of texts (stateless)."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return [normalize(x)[0] for x in X]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags
