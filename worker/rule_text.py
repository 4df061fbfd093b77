"""Text matching of the tenant rules: word lists, links and near-duplicate fingerprints.

Word lists match whole words (and phrases of whole words) of a de-obfuscated copy
of the text (model/normalize.py: spaced-out letters, leetspeak, look-alikes,
accents), so "f.u.c.k", "1d10t" and "ｉｄｉｏｔ" meet the list entries "fuck" and
"idiot" while "Scunthorpe" never meets "cunt". The cost is linear in the text: each
word is looked up in a hash of the list's phrases, for at most as many words as the
longest phrase has, however long the list.

Fingerprints are 64-bit SimHashes of a comment's words and word pairs: two texts
that differ in a word or two lie a few bits apart, different texts about half of
64. They are hashes, not text, so the author's recent ones can be kept.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from model.normalize import normalize, to_original
from storage.article_policy import fold_with_positions

# Fingerprints this many bits apart or fewer are the same text, give or take a word. Measured
# on 300 of the site's held-out comments: no two different ones came within 12 bits (the
# closest: 13; 44,850 pairs), and a comment with one word dropped stayed within 12 bits of
# itself 9 times in 10 (median 8).
NEAR_DUPLICATE_BITS = 12

# http(s) and www. links, and bare domains under the common top-level domains.
LINK = re.compile(
    r"(?i)\b(?:https?://|www\.)[^\s<>\"']+"
    r"|\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    r"(?:com|net|org|info|biz|io|co|uk|ru|xyz|ly|me|tv|gg|app|site|online|shop|top|link|click)"
    r"\b(?:/[^\s<>\"']*)?")


def find_links(text: str) -> list[tuple[int, int]]:
    """(start, end) of every link in ``text`` (one regex pass: linear)."""
    return [(m.start(), m.end()) for m in LINK.finditer(text)]


@dataclass(frozen=True)
class WordList:
    phrases: dict[tuple[str, ...], str]
    longest: int


@lru_cache(maxsize=256)
def compile_words(words: tuple[str, ...]) -> WordList:
    """A list's entries as tuples of folded words (cached: lists change rarely)."""
    phrases: dict[tuple[str, ...], str] = {}
    for entry in words:
        for variant in {entry, normalize(entry)[0]}:
            key = tuple(w for w, _, _ in _words(variant))
            if key:
                phrases.setdefault(key, entry)
    return WordList(phrases, max((len(k) for k in phrases), default=0))


def _words(text: str) -> list[tuple[str, int, int]]:
    """(folded word, start, end) of ``text``'s words, offsets into ``text``."""
    folded = fold_with_positions(text)
    starts, ends = sorted(folded.starts), sorted(folded.ends)
    return [(folded.text[s:e], folded.origin[s], folded.origin[e - 1] + 1)
            for s, e in zip(starts, ends, strict=False)]


def find_words(text: str, words: WordList) -> list[tuple[int, int, str]]:
    """(start, end, entry) in ``text`` of every list entry met as whole words, in the text as
    written or in its de-obfuscated copy; overlapping matches of the same place count once."""
    if not words.phrases:
        return []
    found: dict[tuple[int, int], str] = {}
    normalised, offsets = normalize(text)
    sources = [(text, False, None)]
    if normalised != text:
        sources.append((normalised, True, offsets))
    for source, mapped, mapping in sources:
        tokens = _words(source)
        names = [w for w, _, _ in tokens]
        for i in range(len(tokens)):
            for length in range(1, min(words.longest, len(tokens) - i) + 1):
                entry = words.phrases.get(tuple(names[i:i + length]))
                if entry is None:
                    continue
                start, end = tokens[i][1], tokens[i + length - 1][2]
                if mapped:
                    start, end = to_original(start, end, mapping, len(text))
                found.setdefault((start, end), entry)
    return sorted((s, e, w) for (s, e), w in found.items())


def fingerprint(text: str) -> int:
    """A 64-bit SimHash of the text's de-obfuscated words and word pairs."""
    names = [w for w, _, _ in _words(normalize(text)[0])]
    features = names + [f"{a} {b}" for a, b in zip(names, names[1:], strict=False)]
    if not features:
        return 0
    digests = b"".join(hashlib.blake2b(f.encode("utf-8", "surrogatepass"), digest_size=8).digest()
                       for f in features)
    bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8)).reshape(len(features), 64)
    votes = bits.sum(axis=0) * 2 > len(features)
    return int("".join("1" if v else "0" for v in votes), 2)


def near_duplicate(a: int, b: int) -> bool:
    return (a ^ b).bit_count() <= NEAR_DUPLICATE_BITS


def repeats(print_: int, recent: Sequence[tuple[float, int]], since: float) -> bool:
    """Whether ``print_`` is near one of the ``recent`` (time, fingerprint) pairs from ``since`` on."""
    return any(at >= since and near_duplicate(print_, other) for at, other in recent)
