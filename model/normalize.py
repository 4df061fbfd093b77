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
  (digits are left alone in ``14yo``, ``y9``, ``s60`` and ``evry1``);
* long letter runs: ``fuuuuuck`` -> ``fuuck`` (punctuation runs are left alone).

Case is kept (capitalisation is evidence for names); the vectorisers
lower-case on their own.
"""

from __future__ import annotations

import re
import unicodedata

from sklearn.base import BaseEstimator, TransformerMixin

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
_LEET_TOKEN = re.compile(r"(?<![@\w])[A-Za-z0-9@$!|+]*[A-Za-z][0-9@$!|+]+[A-Za-z][A-Za-z0-9@$!|+]*")
_ELONG = re.compile(r"([A-Za-z])\1{2,}")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
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


def _drop(text: str, offsets: list[int] | None, drop: set[int]) -> tuple[str, list[int]]:
    """``text`` and ``offsets`` without the positions in ``drop`` (copied slice by slice)."""
    offs: range | list[int] = range(len(text)) if offsets is None else offsets
    pieces: list[str] = []
    kept: list[int] = []
    start = 0
    for i in sorted(drop):
        pieces.append(text[start:i])
        kept.extend(offs[start:i])
        start = i + 1
    pieces.append(text[start:])
    kept.extend(offs[start:])
    return "".join(pieces), kept


def normalize(text: str) -> tuple[str, list[int] | None]:
    """Return the de-obfuscated text and its map back to the original offsets."""
    offsets: list[int] | None = None
    if not text.isascii():
        text = text.translate(_ONE_TO_ONE)  # curly quotes, dashes, NBSP: same length
    if not text.isascii():
        # fold the non-ASCII characters; the ASCII stretches between them are copied as slices
        pieces: list[str] = []
        offs: list[int] = []
        changed = False
        start = 0
        for m in _NON_ASCII.finditer(text):
            pieces.append(text[start:m.start()])
            offs.extend(range(start, m.start()))
            for i in range(m.start(), m.end()):
                folded = _fold_char(text[i])
                if folded != text[i]:
                    changed = True
                pieces.append(folded)
                offs.extend([i] * len(folded))
            start = m.end()
        if changed:
            pieces.append(text[start:])
            offs.extend(range(start, len(text)))
            text, offsets = "".join(pieces), offs
    if _SYMBOL_IN_WORD.search(text) is None and _TRIPLE_LETTER.search(text) is None \
            and _SPACED_PAIR.search(text) is None:
        return text, offsets

    # spaced-out letters
    drop: set[int] = set()
    for m in _SPACED.finditer(text):
        start = m.start()
        # "a f u c k": a leading one-letter word ("a", "i", "u") is a word, not a letter
        if text[start].lower() in "aiu" and (m.end() - start) >= 9:
            start += 2
        drop.update(range(start + 1, m.end(), 2))
    if drop:
        text, offsets = _drop(text, offsets, drop)

    # leetspeak inside words (same length, offsets unchanged)
    text = _LEET_TOKEN.sub(lambda m: m.group(0).translate(_LEET), text)

    # elongated runs
    drop = set()
    for m in _ELONG.finditer(text):
        drop.update(range(m.start() + 2, m.end()))
    if drop:
        text, offsets = _drop(text, offsets, drop)
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
