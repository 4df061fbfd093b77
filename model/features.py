"""Feature extraction: hashed n-grams plus hand-crafted evidence detectors.

Everything here is stateless and deterministic, follows scikit-learn's
transformer conventions (``fit`` returns ``self``, parameters in
``__init__``, no learned state), and is saved inside the model pipeline, so
``model/artifact.py`` lists these classes as trusted types.

* ``text_features()`` -- word 1-2 grams (``WordNgramHasher``) and character
  2-5 grams (``CharNgramHasher``), hashed with no vocabulary (small files,
  fast load, and an n-gram's column is recomputable for explanations),
  vectorised over a batch with numpy.
* ``VictimFeatures`` -- person names (gazetteer + capitalised pairs, minus
  officials), streets/estates/addresses, schools and year groups,
  workplaces, exact ages, handles and profile links, relationship words,
  victim-context words, and negative evidence (official titles, "said",
  convicted/jailed, first-person self-disclosure, "Girl A", own family,
  famous historical cases). ``detect_victim`` also returns the character
  spans that the scorer reports.
* ``AbuseLexiconFeatures`` -- counts of insult/profanity/slur/threat words
  and threat phrases from a small lexicon, robust to what the normaliser
  undid; ``lexicon_spans`` returns their spans.
"""

from __future__ import annotations

import re
import string
import zlib
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import accumulate, islice, repeat

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import FeatureUnion

from model import gazetteer as g
from model.abuse_cues import CUE_NAMES, cue_counts, cue_spans
from model.caches import BytesBoundedDict, BytesBoundedSet
from model.caseless import ascii_twin, twin_lower

# Bump when a detector or list changes what a saved model would compute.
FEATURE_VERSION = "18"

WORD_FEATURES = 2**18
CHAR_FEATURES = 2**19


def text_features(word_features: int = WORD_FEATURES, char_features: int = CHAR_FEATURES) -> FeatureUnion:
    return FeatureUnion([
        ("word", WordNgramHasher(ngram_range=(1, 2), n_features=word_features)),
        ("char", CharNgramHasher(ngram_range=(2, 5), n_features=char_features)),
    ])


WORD_TOKEN_PATTERN = r"(?u)\b\w[\w']*\b"

# ASCII text (nearly every comment) is tokenised with bytes.translate + split, several times
# faster than a regex that builds a match per token, and with the same tokens: every character
# that cannot be in a token becomes a space. WORD_TOKEN_PATTERN's tokens are then the runs of
# [A-Za-z0-9_'] with their leading and trailing apostrophes dropped.
def _ascii_table(keep) -> bytes:
    return bytes(c if keep(chr(c)) else ord(" ") for c in range(256))


_ASCII_NON_WORD = _ascii_table(lambda c: c.isascii() and (c.isalnum() or c in "_'"))


def _word_tokens(lowered: str, token_re: re.Pattern) -> list[str]:
    """``token_re.findall(lowered)`` for ``token_re`` compiled from WORD_TOKEN_PATTERN."""
    if not lowered.isascii():
        return token_re.findall(lowered)
    spaced = " " + lowered.encode("ascii").translate(_ASCII_NON_WORD).decode("ascii") + " "
    runs = spaced.split()
    if " '" not in spaced and "' " not in spaced:  # no run starts or ends with an apostrophe
        return runs
    return [t for t in (r.strip("'") for r in runs) if t]


def _findall(text: str, token_re: re.Pattern) -> list[str]:
    return token_re.findall(text)


def word_token_spans(lowered: str, token_re: re.Pattern, n: int) -> list[tuple[int, int, str]]:
    """(start, end, token) of the first ``n`` tokens of ``lowered``, as ``token_re.finditer``
    finds them (``token_re`` compiled from the word hasher's token pattern)."""
    if token_re.pattern != WORD_TOKEN_PATTERN:
        return [(m.start(), m.end(), m.group()) for m in islice(token_re.finditer(lowered), n)]
    out = []
    end = 0
    for tok in _word_tokens(lowered, token_re)[:n]:
        # a token starts with a word character and none lies between two tokens: the next
        # occurrence is the token itself
        start = lowered.find(tok, end)
        end = start + len(tok)
        out.append((start, end, tok))
    return out


def word_grams(text: str, token_re: re.Pattern, ngram_range=(1, 2)
               ) -> list[tuple[int, int, str]]:
    """(start, end, gram) of the word n-grams of a text (lower-cased), in order."""
    lowered = text.lower()
    if len(lowered) != len(text):  # rare: lower() changed the length; positions approximate
        lowered = "".join(c.lower()[0] for c in text)
    toks = [(m.start(), m.end(), m.group(0)) for m in token_re.finditer(lowered)]
    lo, hi = ngram_range
    out = []
    for n in range(lo, hi + 1):
        if n == 1:
            out.extend(toks)
            continue
        for j in range(len(toks) - n + 1):
            out.append((toks[j][0], toks[j + n - 1][1], " ".join(t[2] for t in toks[j:j + n])))
    return out


_MIX = 0x9E3779B97F4A7C15
_MASK64 = (1 << 64) - 1
# token -> CRC-32 (about 400,000 everyday tokens; longer ones are not kept)
_TOKEN_HASHES: BytesBoundedDict = BytesBoundedDict(64 << 20, max_key_chars=64)


def _token_hash(tok: str) -> int:
    h = _TOKEN_HASHES.get(tok)
    if h is None:
        h = _TOKEN_HASHES.put(tok, zlib.crc32(tok.encode("utf-8")))
    return h


def gram_index(gram: str, n_features: int) -> int:
    """Column of a word n-gram (1 or 2 words) in WordNgramHasher's output."""
    parts = gram.split(" ")
    if len(parts) == 1:
        return _token_hash(parts[0]) % n_features
    a, b = _token_hash(parts[0]), _token_hash(parts[1])
    h = (a * _MIX + b) & _MASK64
    h ^= h >> 29
    return h % n_features


class WordNgramHasher(TransformerMixin, BaseEstimator):
    """Hashed word unigrams and bigrams (no vocabulary), vectorised over a batch.

    A token's hash is its CRC-32; a bigram's mixes its two tokens' hashes
    (uint64 arithmetic), so the whole batch is hashed with a few numpy
    operations and the column of any n-gram is ``gram_index(gram,
    n_features)`` -- which is how the scorer explains a score with the
    n-grams that carry it. Deterministic across processes and platforms.
    Rows are scaled by 1/sqrt(number of n-grams); entries are in text order
    (unigram 0, bigram 0-1, unigram 1, ...).
    """

    def __init__(self, ngram_range=(1, 2), n_features: int = WORD_FEATURES,
                 token_pattern: str = WORD_TOKEN_PATTERN):
        self.ngram_range = ngram_range
        self.n_features = n_features
        self.token_pattern = token_pattern

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        if tuple(self.ngram_range) != (1, 2):
            raise ValueError("WordNgramHasher supports ngram_range=(1, 2) only")
        nf = np.uint64(int(self.n_features))
        token_re = re.compile(self.token_pattern)
        tokenize = _word_tokens if self.token_pattern == WORD_TOKEN_PATTERN else _findall
        cached = _TOKEN_HASHES.get
        hashes: list[int] = []
        lens: list[int] = []
        for text in X:
            toks = tokenize(text.lower(), token_re)
            # cached hashes in one C-level pass; the rare new token goes through _token_hash
            hs = list(map(cached, toks))
            if None in hs:
                hs = [_token_hash(t) for t in toks]
            hashes.extend(hs)
            lens.append(len(toks))
        n_docs = len(lens)
        lens_a = np.asarray(lens, dtype=np.int64)
        H = np.asarray(hashes, dtype=np.uint64)
        doc = np.repeat(np.arange(n_docs, dtype=np.int64), lens_a)
        m = len(H)
        cols = np.zeros((m, 2), dtype=np.uint64)
        valid = np.zeros((m, 2), dtype=bool)
        cols[:, 0] = _modulo(H, int(nf))
        valid[:, 0] = True
        if m > 1:
            with np.errstate(over="ignore"):
                hb = H[:-1] * np.uint64(_MIX) + H[1:]
                hb ^= hb >> np.uint64(29)
            cols[:-1, 1] = _modulo(hb, int(nf))
            valid[:-1, 1] = doc[:-1] == doc[1:]
        flat = valid.ravel()
        col_idx = cols.ravel()[flat].astype(np.int32)
        counts = np.maximum(2 * lens_a - 1, 0)  # t unigrams and t - 1 bigrams (what `flat` keeps)
        indptr = np.zeros(n_docs + 1, dtype=np.int32)
        np.cumsum(counts, out=indptr[1:])
        scale = (1.0 / np.sqrt(np.maximum(counts, 1))).astype(np.float32)
        data = np.repeat(scale, counts)
        return sp.csr_matrix((data, col_idx, indptr), shape=(n_docs, int(nf)))

    def __sklearn_tags__(self):
        return _sk_tags(self, super().__sklearn_tags__())


def _modulo(h: np.ndarray, n: int) -> np.ndarray:
    """``h % n`` for uint64 hashes; a mask when ``n`` is a power of two (the same, much faster)."""
    return h & np.uint64(n - 1) if n & (n - 1) == 0 else h % np.uint64(n)


_FNV_PRIME = np.uint64(1099511628211)
_FNV_OFFSET = np.uint64(14695981039346656037)


class CharNgramHasher(TransformerMixin, BaseEstimator):
    """Hashed character n-grams, vectorised over a whole batch with numpy.

    Equivalent in spirit to ``HashingVectorizer(analyzer="char")`` on
    lower-cased, whitespace-collapsed text padded with one space each side,
    but ~5x faster: every n-gram of every text in the batch is hashed (FNV-1a,
    64 bit) in a handful of array operations, with no Python loop per n-gram.
    Rows are scaled to unit length by the number of n-grams (repeated n-grams
    are kept as repeated entries, which sparse products sum). Stateless and
    deterministic across platforms (uint64 arithmetic).
    """

    def __init__(self, ngram_range=(2, 5), n_features: int = CHAR_FEATURES, lowercase: bool = True):
        self.ngram_range = ngram_range
        self.n_features = n_features
        self.lowercase = lowercase

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        lo, hi = self.ngram_range
        nf = int(self.n_features)
        docs = [" " + " ".join((x.lower() if self.lowercase else x).replace("\x00", " ").split()) + " "
                for x in X]
        n_docs = len(docs)
        if n_docs == 0:
            return sp.csr_matrix((0, nf), dtype=np.float32)
        doc_lens = np.fromiter(map(len, docs), dtype=np.int64, count=n_docs)
        codes = np.frombuffer(("\x00".join(docs) + "\x00").encode("utf-32-le"), dtype=np.uint32)
        codes = codes.astype(np.uint64)
        doc_id = np.repeat(np.arange(n_docs, dtype=np.int64), doc_lens + 1)
        doc_id[codes == 0] = -1
        total = len(codes)
        widths = list(range(lo, hi + 1))
        m = total - lo + 1
        H = np.zeros((m, len(widths)), dtype=np.uint64)
        V = np.zeros((m, len(widths)), dtype=bool)
        with np.errstate(over="ignore"):
            for j, n in enumerate(widths):
                mm = total - n + 1
                if mm <= 0:
                    continue
                h = np.full(mm, _FNV_OFFSET ^ np.uint64(n), dtype=np.uint64)
                for k in range(n):
                    h ^= codes[k:k + mm]
                    h *= _FNV_PRIME
                h ^= h >> np.uint64(29)
                H[:mm, j] = _modulo(h, nf)
                V[:mm, j] = (doc_id[:mm] == doc_id[n - 1:n - 1 + mm]) & (doc_id[:mm] >= 0)
        valid = V.ravel()
        cols = H.ravel()[valid].astype(np.int32)
        # a text of length L has max(0, L - n + 1) n-grams of width n (what `valid` keeps)
        counts = sum(np.maximum(doc_lens - (n - 1), 0) for n in widths)
        indptr = np.zeros(n_docs + 1, dtype=np.int32)
        np.cumsum(counts, out=indptr[1:])
        scale = (1.0 / np.sqrt(np.maximum(counts, 1))).astype(np.float32)
        data = np.repeat(scale, counts)
        return sp.csr_matrix((data, cols, indptr), shape=(n_docs, nf))

    def __sklearn_tags__(self):
        return _sk_tags(self, super().__sklearn_tags__())


def _sk_tags(est, tags):
    tags.input_tags.string = True
    tags.input_tags.two_d_array = False
    tags.requires_fit = False
    return tags


# --------------------------------------------------------------------------- detectors

_I = re.IGNORECASE
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'\-]*")


def _reversed(source: str) -> str:
    """A pattern for the reverse of what ``source`` matches, for the syntax the word lists use:
    letters, digits and `` -':`` as literals, the escapes ``\\s`` and ``\\.``, ``(?:...)``
    groups, ``|``, and ``?``, ``*``, ``+`` after an atom (anything else raises ValueError)."""
    pos = 0

    def alternation() -> str:
        nonlocal pos
        branches = [sequence()]
        while pos < len(source) and source[pos] == "|":
            pos += 1
            branches.append(sequence())
        return "|".join(branches)

    def sequence() -> str:
        nonlocal pos
        atoms = []
        while pos < len(source) and source[pos] not in "|)":
            if source.startswith("(?:", pos):
                pos += 3
                atom = "(?:" + alternation() + ")"
                if source[pos:pos + 1] != ")":
                    raise ValueError(f"unclosed group in {source!r}")
                pos += 1
            elif source[pos] == "\\" and source[pos + 1:pos + 2] in ("s", "."):
                atom, pos = source[pos:pos + 2], pos + 2
            elif source[pos].isalnum() or source[pos] in " -':":
                atom, pos = source[pos], pos + 1
            else:
                raise ValueError(f"cannot reverse {source[pos:]!r}")
            if pos < len(source) and source[pos] in "?*+":
                atom, pos = atom + source[pos], pos + 1
            atoms.append(atom)
        return "".join(reversed(atoms))

    out = alternation()
    if pos != len(source):
        raise ValueError(f"cannot reverse {source!r}")
    return out


# A title right before a name: "(?:\b(?:TITLES)\.?\s+(?:[A-Z][a-z]+\s+)?)$" searched in the 40
# characters before it enters the long alternation of titles at each of those positions. As it
# ends at the end of those characters, the same question is one match of the reversed pattern on
# the reversed text, from the name backwards (a regex and its reverse match reversed strings;
# the word boundary reads the same both ways). tests/test_model_rewrites.py keeps the forward one.
_TITLE_BEFORE_REV = re.compile(r"(?:\s+[a-z]+[A-Z])?\s+\.?(?:" + _reversed(g.OFFICIAL_TITLES) + r")\b",
                               _I)
# "... said", "... told": a speech word within 25 characters after a name, matched at the name's
# end in place (match(text, end, end + 60)); the look-ahead for the words' first letters only
# saves entering the alternation
_SPEECH_AFTER = re.compile(r"[^.!?]{0,25}\b(?=[" + "".join(sorted({w[0] for w in g.SPEECH_WORDS}))
                           + r"])(?:" + "|".join(sorted(g.SPEECH_WORDS)) + r")\b", _I)
_NON_NAME_CAPS = g._words("""
police force council court crown yorkshire south north east west city town county borough
road street lane close avenue drive academy school college primary high comprehensive
university hospital station centre center church news star post times guardian mail bbc itv
facebook twitter instagram tiktok snapchat youtube google government home office labour tory
tories conservative party commission inquiry report review service services social care
nhs the a an this that these those my our your his her their it its in on at of for and or
but if so no not mr mrs ms miss st saint road rd lane street estate park house flats towers
jury judge justice act law january february march april may june july august september october
november december christmas easter england britain british english uk europe asian muslim
muslims pakistani christian god jesus chief constable inspector sergeant detective officer
courier observer echo gazette herald chronicle express journal argus mercury sentinel advertiser
examiner telegraph mirror live
""") | g.STOPWORDS
_PLACE_SUFFIX = (r"street|st|road|rd|lane|ln|close|avenue|ave|drive|way|crescent|cres|grove|"
                 r"terrace|gardens|place|walk|row|rise|view|mews|square|parade|croft|fold|"
                 r"court|ct|green|hill|bank|side|vale|mount|meadows?|chase|end")
_PLACE_SUFFIX_SET = frozenset(_PLACE_SUFFIX.replace("s?", "").split("|")) | {"meadows"}
_ORG_AFTER = re.compile(r"\s+(?:" + _PLACE_SUFFIX + r"|academy|school|college|primary|high|estate|"
                        r"flats|police|council|court|pub|arms|inn)\b", _I)
_STREET = re.compile(
    r"\b(?:(?:number|no\.?|num)\s*\d{1,4}\s+|\d{1,4}[a-z]?\s+)?"
    r"(?:[A-Z][a-z']+\s+){1,2}(?:" + _PLACE_SUFFIX.title().replace("|", "|") + r")\b"
)
_STREET_LOWER_SUFFIX = "street|road|lane|close|avenue|drive|crescent|grove|terrace|gardens|way|rd"

# Joined-up words. A pattern whose word part is a run of letters and apostrophes (or hyphens),
# "[a-z][a-z']{2,}\s+street", may start at every letter after an apostrophe (a word boundary),
# and from each start it reads to the end of the run: "ab'ab'ab'..." costs n^2 steps. A word
# of a real comment has a few such joints at most ("mother-in-law's"), where this costs a few
# re-reads; a text with a word of eight or more parts (_JOINED) is matched instead with the
# twin of each pattern whose word starts only where the run starts (or after one leading
# apostrophe, "d'arcy"): at most two starts per run, linear. The twins find the same streets,
# estates and schools except a fragment after a joint ("cde street" in "Xab'cde street").
_JOINED = re.compile(r"(?<![a-z])(?:[a-z]++['\-]++){7}[a-z]", _I)
_FIRST_LOWER_APOS = r"(?:(?<![\w'])|(?<=')(?<![a-z']'))"  # a run of [a-z'] starts here
_FIRST_ANY_APOS = r"(?:(?<![\w'])|(?<=')(?<![A-Za-z']'))"  # a run of [A-Za-z']
_FIRST_ANY_HYPHEN = r"(?:(?<![\w'\-])|(?<=['\-])(?<![A-Za-z'\-]['\-]))"  # [A-Za-z'-]
_FIRST_LOWER_HYPHEN = r"(?:(?<![\w'\-])|(?<=['\-])(?<![a-z'\-]['\-]))"  # [a-z'-]


def _street_lower(first: str = "") -> re.Pattern:
    return re.compile(
        r"\b(?:(?:number|no\.?|num)\s*\d{1,4}\s+|\d{1,4}[a-z]?\s+)?"
        r"(?!(?:main|high|the|a|this|that|our|my|same|long|back|ring|wrong|right|one|every|any|"
        r"that|busy|main|side|dual|toll|slip|country|private|quiet|his|her|their)\s)"
        + first + r"[a-z][a-z']{2,}\s+(?:" + _STREET_LOWER_SUFFIX + r")\b"
    )


_STREET_LOWER, _STREET_LOWER_JOINED = _street_lower(), _street_lower(_FIRST_LOWER_APOS)
# Both street patterns end with whitespace and a street word (title-case, lower-case): a text with
# neither cannot match them, and these two scan for whitespace alone
_STREET_WORD = re.compile(r"\s(?:" + _PLACE_SUFFIX.title() + r")\b")
_STREET_LOWER_WORD = re.compile(r"\s(?:" + _STREET_LOWER_SUFFIX + r")\b")


def _estate(first: str = "") -> re.Pattern:
    return re.compile(
        r"\b(?:the\s+)?(?!(?:real|housing|council|same|whole|entire|an?|this|that|our|his|her|"
        r"their|the)\s)" + first + r"([A-Za-z][a-z']{2,})\s+(?:estate|flats|towers|house\s+flats)\b",
        _I)


_ESTATE, _ESTATE_JOINED = _estate(), _estate(_FIRST_ANY_APOS)
_ADDRESS = re.compile(
    r"\b(?:(?:number|no\.?|num)\s*\d{1,4}\b|[A-Z]{1,2}\d{1,2}[A-Z]?\s*\d[A-Z]{2}\b|"
    r"(?:house|flat|bungalow)\s+(?:with|next\s+to|opposite|by)\s+the\s+\w+(?:\s+\w+)?)", _I)


def _school(first_title: str = "", first_lower: str = "") -> re.Pattern:
    return re.compile(
        r"\b(?:(?:St\.?\s+)?" + first_title + r"[A-Z][A-Za-z'\-]+\s+){1,3}(?:Academy|School|"
        r"College|Primary|Comprehensive|Comp|High|Grammar|Juniors|Infants|Sixth\s+Form)\b"
        r"|\b(?:st\.?\s+)?" + first_lower + r"[a-z][a-z'\-]{2,}(?:\s+[a-z][a-z'\-]{2,})?\s+(?:"
        r"academy|comp|comprehensive|high\s+school|primary|college|grammar|juniors|infants|"
        r"sixth\s+form)\b"
        r"|\bst\.?\s+[a-z]+'?s\b(?=[^.]{0,30}\b(?:school|year|yr|form)\b)",
    )


_SCHOOL, _SCHOOL_JOINED = _school(), _school(_FIRST_ANY_HYPHEN, _FIRST_LOWER_HYPHEN)
_SCHOOL_BAD_FIRST = re.compile(
    r"^(?:the|a|an|this|that|her|his|my|our|their|same|local|secondary|primary|high|any|"
    r"every|each|which|what|sixth|at|to|in|from|of|and|or|all|some|no)\b", _I)
_YEAR_GROUP = re.compile(
    r"\b(?:year|yr|yr\.|y)\s?(?:[7-9]|1[0-3])\b(?!\s*(?:old|olds|of|ago|sentence|jail|prison|"
    r"later|before|after|on|in\s+prison|stretch))|\bsixth\s+form\b|\b(?:form|class)\s+(?:[7-9]|1[0-3])"
    r"[A-Za-z]{0,3}\b|\bin\s+(?:[7-9]|1[01])[A-Z]\b", _I)
_WORKPLACE = re.compile(
    r"\b(?:works?|worked|working|job|shifts?|employed|cleaner|receptionist|carer|waitress|"
    r"barmaid|apprentice|manager|assistant|nurse)\s+(?:nights\s+|days\s+|part[- ]time\s+|"
    r"on\s+the\s+tills\s+|behind\s+the\s+bar\s+)?(?:at|in|for|on)\s+(?:the\s+)?"
    r"((?:[A-Za-z'&][\w'&]*)(?:\s+(?!(?:and|but|with|she|he|they|so|because|where|who|every|"
    r"near|since)\b)[A-Za-z'&][\w'&]*){0,3})", _I)
_SHOP_FROM = re.compile(
    r"\b(?:from|at|in)\s+the\s+(?:chippy|chip\s+shop|paper\s+shop|corner\s+shop|shop|pub|salon|"
    r"cafe|caf|takeaway|garage|bakery|hairdressers?|nail\s+bar|nails|bar|club|gym|stables|"
    r"leisure\s+centre|care\s+home|nursery|surgery|pharmacy|chemist|bookies|launderette|"
    r"[A-Z][a-z]+\s+(?:pub|arms|inn|club))\b", _I)
_EMPLOYER = re.compile(
    r"\b(?:" + "|".join(re.escape(e) for e in sorted(g.EMPLOYERS, key=len, reverse=True)) + r")\b", _I)
_AGE = re.compile(
    r"\b(?:aged\s+)?(?:[4-9]|1[0-9]|2[0-5])\s*(?:-\s*)?(?:yo|y/o|y\.o\.|yrs?\s+old|years?\s+old|"
    r"year-old|yr-old)\b|\baged\s+(?:[4-9]|1[0-9])\b|\b(?:she|he|they)(?:'s|\s+is|\s+was|\s+were)"
    r"\s+(?:only\s+|just\s+|barely\s+)?(?:[4-9]|1[0-7])\b(?!\s*(?:years|times|%|mins|minutes|hours|"
    r"days|weeks|months|miles|pm|am))|\b(?:only|just\s+turned|barely)\s+(?:[4-9]|1[0-7])\b"
    r"(?!\s*(?:years|times|%|mins|minutes|hours|days|weeks|months|miles|pm|am|officers|people))", _I)
# "\s*+X?\s*+" (here, in _SOCIAL_HANDLE and _MEDIA_*): white space on both sides of an optional
# part is read possessively. With plain "\s*" a failed match tries every split of a long white
# space run between the two (n^2 steps); a split other than the greedy one ends on the same
# character or on white space, so it never matches where the greedy one did not: the same matches.
_GENERIC_AGE = re.compile(
    r"\b(?:an?|any|every|no|as\s+young\s+as|under|over|aged\s+between|between)\s+(?:[4-9]|1[0-9])"
    r"(?:\s*+-?\s*+(?:year|yr)s?[- ]olds?)?\b|\bchildren\s+(?:as\s+young\s+as|aged)\b", _I)
_HANDLE = re.compile(r"(?<![\w.])@(?!user\b)[A-Za-z0-9_.]{3,}")
_LINK = re.compile(
    r"\b(?:https?://\S+|www\.\S+|(?:facebook|fb|instagram|tiktok|twitter|x|snapchat|youtube|"
    r"linkedin|onlyfans)\.com/\S+)", _I)
_SOCIAL_HANDLE = re.compile(
    r"\b(?:insta|instagram|ig|snap|snapchat|sc|tiktok|tik\s+tok|twitter|fb|facebook|onlyfans)\b"
    r"(?:\s+(?:name|handle|account|page|profile))?\s*+(?:is|as|:|=|-|called|under)?\s*+"
    r"((?=[A-Za-z0-9_.]*[0-9_.x])[A-Za-z0-9_.]{4,}|[a-z][a-z0-9_.]{5,}(?=\s|$|,))", _I)
_SOCIAL_CTX = re.compile(
    r"\b(?:her|his|their)\s+(?:insta|instagram|snap|snapchat|tiktok|twitter|fb|facebook|"
    r"profile|page|account)\b|\b(?:look\s+(?:her|him)\s+up|search\s+(?:for\s+)?(?:her|him)|"
    r"check\s+(?:her|his)\s+(?:followers|page|profile))\b")
_RELATIVE_ACCUSED = re.compile(
    r"\b(?:his|the\s+accused's|the\s+defendant's|the\s+man's|the\s+bloke's|the\s+abuser's|"
    r"the\s+offender's|[A-Z][a-z]+'s)\s+(?:own\s+|wife's\s+|girlfriend's\s+|partner's\s+|"
    r"brother's\s+|sister's\s+)?(?:" + g.RELATIONS + r")\b", _I)
_QUOTED = r"[\"'](?:[A-Z][a-z]{1,10}|[a-z]{2,8})[\"']"
_QUOTED_NICK = re.compile(_QUOTED + r"|\b(?:[Ll]ittle|[Ll]il|[Bb]ig)\s+"
                          r"(?!(?:one|girl|girls|boy|boys|lad|lads|kid|kids|sister|brother|bit|"
                          r"lass|thing|things|village|town|estate|place|while|ones|man|men)\b)"
                          r"[A-Za-z]{2,10}(?:\s+[A-Za-z]{2,8})?(?=\s*[,.]|\s+(?:was|is|were|if|from|off)\b)")
# _QUOTED_NICK where its second branch cannot match (no "little", "lil" or "big"): re then scans
# for the quote characters only
_QUOTED_ONLY = re.compile(_QUOTED)
_PHOTO = re.compile(r"\b(?:pic|pics|picture|pictures|photo|photos|photograph|screenshot|screenshots|"
                    r"selfie|selfies|video|videos|her\s+face|profile\s+pic)\b", _I)
_OFFICIAL_CTX = re.compile(  # look-ahead: the first letters of the branches (speed only)
    r"(?=[pdscoimrejblth])\b(?:pc|dc|ds|dci|di|pcso|sgt|sarge|copper|coppers|officer|inspector|detective|sergeant|"
    r"superintendent|constable|councillor|cllr|mp|reporter|journalist|editor|correspondent|"
    r"presenter|look\s+north|bbc|itv|sky\s+news|the\s+star|the\s+examiner|the\s+advertiser|"
    r"the\s+paper|long\s+read|press\s+office|commissioner|chief\s+exec|chief\s+constable|"
    r"social\s+worker|head\s*teacher|barrister|solicitor|judge)\b")
_LIVES = re.compile(
    r"\b(?:lives?|living|lived|moved|stays?|staying)\s+(?:in|on|at|near|round|by|off|up)\s+"
    r"(?:the\s+)?((?!(?:the|a|an|this|that|her|his|my|our|fear|hope|care|hiding|foster|town|"
    r"london|here|there)\b)[A-Za-z][\w']{2,}(?:\s+[A-Z][\w']+)?)", _I)
_RELATIVE_OTHER = re.compile(
    r"\b(?:her|their|the\s+victim's|the\s+girl's)\s+(?:own\s+|older\s+|little\s+|younger\s+|"
    r"big\s+)?(?:mum|mam|mom|dad|mother|father|nan|nana|gran|grandad|brother|sister|auntie|aunt|"
    r"uncle|cousin|step-?dad|step-?mum|family)\b")
_POINTER_KNOWS = re.compile(
    r"\b(?:every(?:one|body|1)|all(?!\s+(?:we|i|you|u|they)\s)|"
    r"whole\s+(?:town|estate|school|village|street|of\s+\w+))\b"
    r"[^.?!]{0,40}?\b(?:knows?|knew|nos|knws)\b")
_POINTER = re.compile(
    r"\b(?:it'?s|it\s+was|it\s+is|the\s+girl\s+is|the\s+girl\s+was|victim\s+(?:is|was)|"
    r"victim's|complainant(?:'s|\s+is|\s+was)|her\s+name'?s?|(?:is\s+)?called|named|"
    r"that'?s\s+her|the\s+one\s+(?:from|who|whose|with))\b"
    r"|\bname\s+and\s+shame\b|\blook\s+(?:it|her|him)\s+up\b|\bcheck\s+(?:her|his)\b"
    r"|\bwe\s+all\s+know\b|\bnot\s+hard\s+to\s+work\s+out\b|\bonly\s+(?:one|two|2|1)\b")
# the leading look-ahead lists every branch's first letter (only a speed-up)
_SELF = re.compile(
    r"(?=[iahmws])\b(?:i\b[^.!?]{0,50}?\b(?:was|were|got|woz|wos)\s+(?:abused|groomed|raped|assaulted|targeted|"
    r"the\s+girl|one\s+of\s+them)|(?:it\s+)?happ?e?n(?:e|d|ed)\s+to\s+me|i\s+(?:grew\s+up|went\s+to|was\s+in|"
    r"woz\s+in|was\s+at)\b[^.!?]{0,60}\b(?:groomed|abused|raped|happened|hapned|survivor|believed)|"
    r"i\s+was\s+(?:abused|groomed|raped|assaulted|one\s+of|a\s+victim|targeted|only|\d+)|"
    r"happened\s+to\s+me|(?:as\s+)?a\s+survivor\s+myself|i'?m\s+a\s+survivor|my\s+abuser|"
    r"when\s+i\s+was\s+(?:a\s+kid|young|little|a\s+child|\d+)|me\s+too|i\s+(?:reported|told)\s+"
    r"(?:it|them|the\s+police)|same\s+(?:thing\s+)?happen(?:ed|d)\s+to\s+me|i\s+went\s+through)\b")
_ANON = re.compile(
    r"\b(?:girl|boy|victim|child|complainant|witness|person|woman|teenager|resident|pupil|student|"
    r"scout|chorister|patient|gymnast|swimmer|dancer|cadet|young\s+person|yp)\s?"
    r"(?:[a-hj-z]|[1-9]\d?)\b"
    r"(?!\s*(?:year|years|yr|yo|of|and\s+\d))|\b(?:girl|boy|victim|child|complainant|woman)\s+"
    r"[a-h]\b(?=\s+(?:gave|was|said|told|had|who|in|,|\.))|\bcannot\s+be\s+named\b|"
    r"\bcan't\s+be\s+named\b|\blegal\s+reasons\b|\banonymity\b")
_OWN_FAMILY = re.compile(
    r"\b(?:my|our)\s+(?:(?:own|two|three|four|2|3|4|older|oldest|younger|middle)\s+)?(?:daughter|daughtr|dauter|lads?|lass(?:es)?|boys?|son|daughters|sons|niece|nephew|kids?|girls?|granddaughter|"
    r"grandson|sister|children|child|grandkids|grandchildren|wife|husband|twins|youngest|eldest|"
    r"(?:two|three)(?!\s+(?:cents|pence|penn|bob|minutes|seconds|weeks|days|years|hours))|foster\s+(?:son|daughter|child|children|kids?)|"
    r"little\s+(?:girl|boy|one)|stepdaughter|stepson)\b|\bas\s+(?:a|the)\s+"
    r"(?:father|mother|dad|mum|parent|grandparent)\s+of\b")
_HISTORICAL = re.compile(
    r"\b(?:savile|rolf\s+harris|gary\s+glitter|epstein|maxwell|soham|huntley|moors\s+murders|"
    r"brady|hindley|rochdale|telford|oxford|huddersfield|newcastle|bradford|rotherham\s+report|"
    r"jay\s+report|casey\s+report)\b")
_GENERIC_VICTIMS = re.compile(
    r"\b(?:the|those|these|all\s+the|all\s+those|many|other|more|young|vulnerable)\s+"
    r"(?:victims|survivors|girls|children|kids|young\s+people|women|boys)\b")
_CONVICTION = re.compile(r"\bgot\s+\d+\s+years\b|\bsent\s+down\b|\bbehind\s+bars\b|\brot\s+in\b")
_VICTIM_CTX_WORDS = g.VICTIM_CONTEXT

_NUMBER_WORDS = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
                 r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty")
# Issue 14 section 4: the kinds the model missed. All run on the lower-cased text; each pattern's
# repeated parts use disjoint character classes or possessive white space, so a failed match
# re-reads nothing (tests/test_scoring_cost.py checks every pattern for linear cost).
# A real name put to a court label: "Victim 4 = <name>", "Girl A is <Name>", "Child C (real name
# Kai)". A separator (=, :, ->, a bracket, "aka", "real name", "that's") is enough; a plain "is" /
# "was" needs a name: capitalised, or a first name from the gazetteer.
_LABEL_NAME = re.compile(
    r"\b(?:(?:girl|boy|victim|child|complainant|witness|resident|pupil|person|chorister|student|"
    r"gymnast|swimmer|dancer|scout|cadet|patient)\s?(?:[a-hj-z]|\d{1,2})|v\s?(?:[a-h]|\d{1,2}))\b"
    r"(?:'s)?\s*+(?:(?P<sep>=|:|->|-|\(|,)\s*+)?"
    r"(?:(?P<strong>aka|real\s+name(?:\s+is)?|that'?s|thats|is\s+(?:actually|obviously|defo|deffo|def|"
    r"clearly|really|called|just)|(?:is|was)\s+named|goes\s+by|(?:is\s+)?known\s+as)\s++|"
    r"(?P<weak>is|was|=)\s++)?"
    r"(?:mrs\.?\s+|miss\s+|mr\.?\s+|little\s+|lil\s+)?(?P<name>[a-z][a-z'\-]{2,})")
# "Boy 2 in the reports is Ollie Radcliffe", "victim 5 really is called Demelza": the label, a
# few words about where it was printed, then the name (a known first name or a capital)
_LABEL_FAR = re.compile(
    r"\b(?:girl|boy|victim|child|complainant|witness|resident|pupil|person|chorister|student|gymnast|"
    r"swimmer|dancer|scout|cadet|patient|v)\s?(?:[a-hj-z]|\d{1,2})\b[^.!?;\n]{3,40}?\s(?:is|that'?s|thats|"
    r"it'?s|its|called|named|aka|=)\s++(?:(?:actually|really|obviously|just|called|named)\s+)?"
    r"(?P<name>[a-z][a-z'\-]{2,})")
_LABEL_NOT_NAME = g.STOPWORDS | g.VICTIM_CONTEXT | g._words("""
    so only just brave youngest oldest one two three four five six seven eight nine ten eleven
    twelve thirteen fourteen fifteen the a an aged given gave giving says told described treated
    read statement evidence account also still believed let failed abused raped groomed whose
    whoever yet clearly obviously actually really never being mentioned referred quoted""") | \
    _NON_NAME_CAPS
# A username without "@": dot- or underscore-joined ("lou.lou.mcg.15", "kenna_rhodes2010"), or
# letters then digits ("pixiexo2009") beside a social-media word. Not a domain, file or "e.g.".
_BARE_SEP = re.compile(r"(?<![\w.@/:\-])[a-z0-9]++(?:[._]++[a-z0-9]++)++(?![\w@/\-])(?!\.\w)")
_BARE_DIGIT = re.compile(r"(?<![\w.@/:\-])[a-z]{3,}+[0-9]{2,4}+[a-z]*+(?![\w@/\-])(?!\.\w)")
_BARE_GATE = re.compile(r"[a-z0-9][._][a-z0-9]")
_HANDLE_NOT = frozenset("com co uk org net gov www html htm php jpg jpeg png pdf gif nhs ac edu "
                        "info io ly gl be me tv".split())
_GATE_BARE_CTX = g._words("""snap snapchat sc insta instagram ig tiktok twitter fb facebook twitch
    roblox wattpad pinterest username user handle account page profile finsta follow follows add
    discord yt youtube twitch steam xbox psn gamertag reddit
    search look goes posts posting called""")
# Clubs, teams, care homes, churches: a named one is a place a few people share.
_AFFILIATION = re.compile(
    r"\b(?:u|under)[\s\-]?(?:[6-9]|1\d|2[0-3])s?\b(?!\s*(?:years?|yrs?|mins?|minutes|hours|%))"
    r"|(?<![a-z'])[a-z][a-z']{2,}\s+(?:abc|fc|afc|jfc|juniors|rovers|athletic|albion|wanderers|harriers|lions|"
    r"tigers|rangers|colts|cadets|scouts|brownies|cubs|guides|boxing|swimming|gymnastics|ballet|dance|"
    r"riding|karate|judo|netball|cricket|rugby|youth|colliery|church|chapel|parish|choir)\b"
    r"(?:\s+(?:club|squad|team|academy|school|class|band|choir|section|group|centre))?"
    r"|(?<![a-z'])[a-z][a-z']{2,}(?:\s+(?:lodge|house|court|manor|grange|view|park|hall))?\s+(?:care|nursing|"
    r"residential)\s+home\b"
    r"|\b(?:at|in)\s+(?!(?:the|their|his|her|my|our|your|a|an|that|this)\s)[a-z][a-z']{2,}\s+(?:lodge|manor|grange)\b"
    r"|\bst\.?\s+[a-z]{3,}'?s\b")
_AFFILIATION_BAD_FIRST = g._words("""the a an this that these those my our your his her their same local
    whole every any each some no big small new old other his nearest top bottom next first last
    one two what which whose who where at in of on for to from with and or but is was are went
    goes go going been saying under over""")
# Roles and routines that pick one person out: "the twin whose brother plays for ...", "the
# keeper", "the end room", "on Thursdays", "the 7.40 bus".
_ROUTINE = re.compile(
    r"\b(?:on|every|most)\s+(?:a\s+)?(?:mon|tues|wednes|thurs|fri|satur|sun)days?\b"
    r"|\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\s+(?:night|morning|afternoon|evening|squad|"
    r"session|class|league|club|service|mass)s?\b"
    r"|\bevery\s+(?:morning|night|evening|week|weekend|home\s+game|match)\b"
    r"|\b(?:the\s+)?\d{1,2}[.:]\d{2}\s+(?:bus|train|tram|session|class|squad|mass|service)\b"
    r"|\b\d{1,2}\s?(?:am|pm)\s+(?:squad|session|class|swim|training|mass|service)\b"
    r"|\b(?:the|our|their)\s+(?:only\s+)?(?:twin|twins|keeper|goalie|goalkeeper|captain|mascot|"
    r"left\s+back|right\s+back|centre\s+back|centre\s+half|striker|winger|left\s+winger|"
    r"right\s+winger|head\s+chorister|chorister|altar\s+server|first\s+cornet|widower|widow|"
    r"retired\s+[a-z]+|youngest\s+member|only\s+(?:girl|boy|lad|lass|one))\b"
    r"|\b(?:end|corner|first|blue|front|back|top)\s+(?:bed)?room\b|\broom\s+\d{1,3}\b"
    r"|\bwhose\s+(?:older\s+|younger\s+|big\s+|little\s+)?(?:brother|sister|dad|mum|mam|father|"
    r"mother)\s+(?:plays|is|drives|runs|works|does|coaches)\b"
    r"|\b(?:plays|played|boxes|boxed|swims|swam|trains|sings|sang|dances|serves)\s+(?:for|at|in)\b")
_GATE_ROUTINE = g._words("""on every most monday mondays tuesday tuesdays wednesday wednesdays
    thursday thursdays friday fridays saturday saturdays sunday sundays bus train tram session class
    squad mass service am pm the our their room bedroom whose plays played boxes boxed swims swam
    trains sings sang dances serves""")
# Negative evidence: a person who chose to go public, and "I knew one of the girls".
_WENT_PUBLIC = re.compile(
    r"\bwaiv(?:ed|ing|es|e)\s+(?:her|his|their|your)\s+(?:own\s+|right\s+to\s+)?anonymity\b"
    r"|\b(?:went|gone|going|go|goin)\s+public\b|\bunder\s+(?:her|his|their)\s+own\s+names?\b"
    r"|\b(?:spoken?|talk(?:ed|ing)?|speaking)\s+(?:out\s+)?(?:publicly|openly)\b"
    r"|\b(?:her|his|their)\s+own\s+(?:book|memoir|podcast|documentary|channel|account\s+of|assault|abuse|"
    r"story|experience|ordeal|case|rape)\b|\bopenly\b"
    r"|\bcampaign(?:er|ers|ing|s)?\b|\bon\s+(?:breakfast\s+)?(?:tv|telly|the\s+radio|radio|national\s+tv|the\s+bbc|"
    r"look\s+north)\b|\bdocumentary\b|\binterviews?\b")
_VAGUE_ACQUAINTANCE = re.compile(
    r"\b(?:knew|know|new|no|met|taught|nursed|coached|babysat\s+for|worked\s+with|went\s+to\s+school\s+with|"
    r"friends?\s+with|was\s+friends\s+with|(?:at|in)\s+(?:school|care|college|class|uni)\s+with|"
    r"grew\s+up\s+with|played\s+with|sang\s+with|swam\s+with)\s+(?:one|1|some|a\s+couple|two|a\s+few)\s+of\s+"
    r"(?:the|them|those)\b|\bone\s+of\s+(?:the\s+)?(?:girls|lads|boys|victims|kids|residents|survivors|"
    r"complainants|families|young\s+people|women|men|witnesses|children)\s+(?:was|is)\s+(?:a\s+)?"
    r"(?:friend|mate|neighbour|pupil|in\s+my\s+(?:[a-z']+\s+)?(?:year|class|form))")
_GATE_VAGUE = g._words("one 1 some couple two few")
# "..., of Sandbeck Road, Maltby, was jailed": a place followed, in the same sentence, by the
# court outcome is the defendant's address (read in place at the place's end, bounded)
_COURT_AFTER = re.compile(
    r"[^.!?;]{0,60}?\b(?:jailed|convicted|sentenced|imprisoned|found\s+guilty|pleaded|pled|denies|denied|"
    r"fined|charged|cleared|acquitted|"
    r"remanded|appeared\s+(?:at|in|before)|named\s+in\s+(?:open\s+)?court|got\s+(?:\d+|life|"
    + _NUMBER_WORDS + r"))\b")
_COURT_LINK = re.compile(r"\b(?:she|her|girl|girls|daughter|stepdaughter|niece|victim|victims|son|"
                         r"stepson|grandson|granddaughter|boy|lad)\b")
_GATE_LABEL = g._words("girl boy victim child complainant witness resident pupil person chorister "
                       "student gymnast swimmer dancer scout cadet patient") | {
    f"v{i}" for i in range(1, 21)} | {"v"}
_GATE_COURT = g._words("""jailed convicted sentenced imprisoned guilty pleaded pled denies denied
    remanded appeared named got fined charged cleared acquitted""")
_GATE_PUBLIC = g._words("""waived waiving waives waive public own publicly openly book memoir podcast
    documentary channel campaigner campaigners campaigning tv telly radio bbc look interview interviews
    campaign campaigns""")

_IDENTIFYING_KINDS = ("name", "school", "street", "age", "handle", "relative", "workplace")

FEATURE_NAMES = (
    "name", "fullname", "cap_pair", "nickname", "street", "estate_address", "school", "year_group",
    "workplace", "age", "handle", "link", "relative_accused", "relative_other", "detail_kinds",
    "victim_ctx", "pointer", "official_name", "speech", "conviction", "self_disclosure",
    "anonymised", "own_family", "historical", "generic_victims", "generic_age",
    "name_x_ctx", "name_x_pointer", "detail_x_ctx", "name_x_negative", "two_plus_kinds",
    "age_x_place", "name_clean", "identifying_clean", "social_ctx", "name_x_detail",
    "photo", "official_ctx", "offender_ctx", "own_x_detail", "self_x_detail", "official_x_name",
    "offender_x_name", "specific_age", "quoted_nick", "handle_x_ctx", "offender_name",
    "self_x_place",
    # issue 14 section 4
    "label_name", "bare_handle", "affiliation", "routine", "affiliation_x_routine",
    "went_public", "vague_acquaintance", "vague_x_detail", "offender_place", "own_place",
    "name_x_public",
    # issue 14 section 4, third round: an anonymised label's own family or details are the
    # label's, not a way to a name ("Girl H had her mum behind her", "Complainant 1, a boy aged 11")
    "anon_x_relative", "anon_x_detail",
)


@dataclass
class Detection:
    spans: list[tuple[int, int, str]]  # (start, end, kind) on the text given
    vector: tuple  # numbers, in FEATURE_NAMES order
    tokens: list[str] | None = None  # lower-cased word tokens (shared with the lexicon)


def _is_sentence_start(text: str, pos: int) -> bool:
    before = text[max(0, pos - 6):pos].rstrip(" \t\"'(")
    return not before or before[-1] in ".!?\n:;"


_NAMESET = g.FIRST_NAMES | g.NICKNAMES
_TOKEN_GATE = re.compile(r"[a-z][a-z\-]*")
# "(?<!\w[A-Z])" after the first letter is "\b" before it, written so that re can scan for
# a capital quickly (a leading "\b" disables its prefix scan)
_CAP_PAIR = re.compile(r"([A-Z](?<!\w[A-Z])[a-z'\-]{2,}) ([A-Z][a-z'\-]{2,})\b")

# token -> its name base ("Sarah's" -> "sarah") when it can be a name; tokens that cannot are
# remembered in _NON_NAME_TOKENS so the scan of a text is one set look-up per token
_BASE_CACHE: BytesBoundedDict = BytesBoundedDict(8 << 20, max_key_chars=64)
_NON_NAME_TOKENS: BytesBoundedSet = BytesBoundedSet(32 << 20, max_key_chars=64)


def _name_base(tok: str) -> str | None:
    base = _BASE_CACHE.get(tok)
    if base is not None:
        return base
    base = tok.lower()
    if base.endswith("'s"):
        base = base[:-2]
    base = base.strip("'-")
    if base not in _NAMESET:
        head = base.split("-", 1)[0]
        if "-" not in base or head not in _NAMESET:  # "Ellie-May" counts as a name
            _NON_NAME_TOKENS.put(tok)
            return None
    return _BASE_CACHE.put(tok, base)


_ASCII_NON_NAME_CHAR = _ascii_table(lambda c: c.isascii() and (c.isalpha() or c in "'-"))


def _name_tokens(text: str) -> list[str]:
    """``_TOKEN.findall(text)``; ASCII text as in ``_word_tokens``: the runs of [A-Za-z'-] less
    their leading apostrophes and hyphens."""
    if not text.isascii():
        return _TOKEN.findall(text)
    spaced = " " + text.encode("ascii").translate(_ASCII_NON_NAME_CHAR).decode("ascii")
    runs = spaced.split()
    if " '" not in spaced and " -" not in spaced:  # no run starts with an apostrophe or hyphen
        return runs
    return [t for t in (r.lstrip("'-") for r in runs) if t]


def _names(text: str, lower_text: bool, words=None, folded: str | None = None):
    """(start, end, kind, official, nickname, full) for person-name mentions. ``folded``: the
    text lower-cased when ``twin_lower`` allows it (for the patterns' case-sensitive twins)."""
    out = []
    taken: list[tuple[int, int]] = []
    backwards: str | None = None  # for _official, made once
    media = words is None or not words.isdisjoint(_GATE_MEDIA)
    if words is not None:
        maybe = not _NAMESET.isdisjoint(words) or "'" in text or "-" in text
    else:
        maybe = not _NAMESET.isdisjoint(_TOKEN_GATE.findall(text.lower()))
    cand: list[tuple[int, str]] = []
    if maybe:
        toks = _name_tokens(text)
        # the distinct tokens not known to be non-names, then the positions of the names among them
        unknown = set(toks).difference(_NON_NAME_TOKENS)
        bases = {t: b for t in unknown if (b := _name_base(t)) is not None}
        if bases:
            cand = [(i, bases[t]) for i, t in enumerate(toks) if t in bases]
    if cand:
        tokens = list(_TOKEN.finditer(text))
        n = len(tokens)
        i_next = 0
        for i, base in cand:
            if i < i_next:
                continue
            i_next = i + 1
            m = tokens[i]
            tok = toks[i]
            nick = base in g.NICKNAMES and base not in g.FIRST_NAMES
            is_cap = tok[0].isupper()
            if nick and is_cap and base in _PLACE_SUFFIX_SET and i > 0 \
                    and toks[i - 1][0].isupper() and text[tokens[i - 1].end():m.start()] == " ":
                continue  # "Crown Court", "Sandpiper Court": a place, not the nickname "Court"
            start, end = m.start(), m.start() + len(base)
            full = False
            if is_cap:
                followed_by_surname = i + 1 < n and text[m.end():tokens[i + 1].start()] == " " \
                    and toks[i + 1][0].isupper() \
                    and toks[i + 1].lower() not in _NON_NAME_CAPS
                accepted = not (base in g.AMBIGUOUS_NAMES and _is_sentence_start(text, start)
                                and not followed_by_surname) \
                    and not (base in g.AMBIGUOUS_NAMES and tok.isupper() and len(tok) > 1)
            else:
                accepted = base not in g.AMBIGUOUS_NAMES and base not in g.STOPWORDS
            if accepted and i + 1 < n:
                nxt = tokens[i + 1]
                gap = text[m.end():nxt.start()]
                ntok = toks[i + 1]
                nbase = ntok.lower().removesuffix("'s")
                if m.end() == end and gap in (" ", "-") and nbase not in _NON_NAME_CAPS \
                        and nbase not in _VICTIM_CTX_WORDS and nbase not in g.CONVICTION_WORDS \
                        and len(nbase) >= 3 and nbase not in _PLACE_SUFFIX_SET:
                    if (is_cap and ntok[0].isupper()) or (not is_cap and ntok.islower()
                                                          and len(nbase) >= 4
                                                          and nbase not in _NAMESET
                                                          and not nbase.endswith(("ing", "ed", "ly"))):
                        end = nxt.start() + len(nbase)
                        full = True
                        i_next = i + 2
            if accepted:
                if backwards is None:
                    backwards = (text if folded is None else folded)[::-1]
                out.append((start, end, "name", _official(text, start, end, media, folded, backwards),
                            nick, full))
                taken.append((start, end))
    if not lower_text:
        overlaps_taken = _Overlaps(taken) if taken else _no_overlap
        for m in _CAP_PAIR.finditer(text):
            a, b = m.group(1), m.group(2)
            la, lb = a.lower().removesuffix("'s"), b.lower().removesuffix("'s")
            start = m.start()
            if la in _NON_NAME_CAPS or lb in _NON_NAME_CAPS or la in _NAMESET or lb in _PLACE_SUFFIX_SET:
                continue
            if _is_sentence_start(text, start) or overlaps_taken(start, m.end()):
                continue
            if _match(_ORG_AFTER, text, folded, m.end()):
                continue
            end = m.start(2) + len(lb)
            if backwards is None:
                backwards = (text if folded is None else folded)[::-1]
            out.append((start, end, "cap_pair", _official(text, start, end, media, folded, backwards),
                        False, True))
    return out


# "Hannah Kershaw from Look North", "Jodie Lockwood at the Star": a journalist by-line, matched
# at the name's end in place, as _SPEECH_AFTER
# (the outlet may follow a town or county of up to two words: "at the Wigan Observer", "from
# Somerset Live"; the newspaper-title words beyond the well-known ones are issue 14's second author)
_OUTLETS = (r"star|examiner|advertiser|yorkshire\s+post|police\s+oracle|bbc|itv|look\s+north|calendar|"
            r"sky|guardian|times|mail|telegraph|mirror|sun|independent|echo|chronicle|gazette|herald|"
            r"paper|radio|news|observer|post(?!\s+office)|live|courier|express|journal|argus|mercury|"
            r"sentinel|newspaper|podcast|newsnight|spotlight|panorama|granada|tyne\s+tees")
_MEDIA_AFTER = re.compile(
    r"(?:'s)?\s*+,?\s*+(?:\w+\s+)?(?:from|at|of|on|for|with)\s+(?:the\s+)?(?:[a-z]+\s+){0,2}?(?:"
    + _OUTLETS + r")\b", _I)
# "by Jo Baptiste", "reporter Kat Nwosu", "The Yorkshire Post's Clive Marsden", "the Transparency
# Project's writer Louise Tindall": a by-line or an outlet's own person just before the name
_MEDIA_BEFORE = re.compile(r"(?:\b(?:by|wrote|written\s+by|byline|reporter:?|journalist:?|writer|"
                           r"columnist|correspondent|editor|presenter|(?:" + _OUTLETS
                           + r")'s(?:\s+(?:own|reporter|writer|columnist|correspondent|editor))?)"
                           r"\s*+:?\s*+)$", _I)
# "Zahid Wigfield got 8 years", "Lee Whiteley, of Foxglove Way, was convicted": an offender
# dealt with in open court (the gap must not turn to someone else: "who", "for abusing" ...)
_CONVICTED_AFTER = re.compile(
    r"^(?:'s)?(?P<gap>[^.!?;]{0,45}?)\b(?:(?:was|were|has\s+been|had\s+been|have\s+been|got|been|"
    r"being|is|are)\s+)?(?:jailed|convicted|sentenced|imprisoned|found\s+guilty|sent\s+down|"
    r"locked\s+up|banged\s+up|pleaded\s+guilty|pled\s+guilty|admitted\s+(?:\w+\s+)?(?:counts?|charges?)|"
    r"got\s+(?:\d+|life|another|an?\s+\w+|" + _NUMBER_WORDS + r")\s*(?:years?|yrs?|months?|sentence)?|"
    r"appeared\s+(?:at|in|before)|denie[sd]|remanded|stood\s+trial|(?:is|was|went)\s+on\s+trial|"
    r"named\s+in\s+(?:open\s+)?court|fined|charged\s+with|cleared|acquitted)\b", _I)
# "Craig Nuttall, 38, of Hall Bank": an adult's name, age and home is a court report's formula for
# the defendant (a victim's is never printed; a commenter naming a child gives a child's age)
_ADULT_OF = re.compile(r",\s*+(?:1[89]|[2-9]\d),\s*+(?:(?:an?\s+|the\s+)?[a-z]+(?:\s+[a-z]+)?,?\s*+)?"
                       r"(?:of|from)\s", _I)
_CONVICTED_BEFORE = re.compile(
    r"(?:\b(?:against|convicted|jailed|sentenced|sentencing|defendant|defendants|accused|"
    r"prosecution\s+of|trial\s+of|case\s+against|verdicts?\s+against|named\s+in\s+(?:open\s+)?court\s+as|"
    r"jailed\s+today:?|convicted\s+today:?)\s+(?:\w+\s+)?)$", _I)
_GAP_BAD = re.compile(r"\b(?:who|whose|that|for|abused|abusing|raped|groomed|victim|girl|she|her|"
                      r"because|after|by|and\s+her)\b", _I)


_WORD_CHAR = re.compile(r"\w\w")  # two word characters
_GATE_MEDIA = frozenset("by wrote written byline reporter journalist writer columnist correspondent "
                        "editor presenter".split()) | frozenset(
    w.split("(")[0] + "'s" for w in _OUTLETS.replace("\\s+", " ").split("|") if " " not in w) | frozenset(
    w.split()[-1] + "'s" for w in _OUTLETS.replace("\\s+", " ").split("|") if " " in w)
_PUBLIC_FIGURES = tuple(g.PUBLIC_FIGURES)
_SURNAME = re.compile(r"\s+[A-Za-z][a-z'\-]+")


def _official(text: str, start: int, end: int, media: bool = True, folded: str | None = None,
              backwards: str | None = None) -> bool:
    """Is the name at [start, end) an official's, a public figure's or a journalist's?
    ``backwards``: ``folded`` (or ``text`` when it is None) reversed, when the caller has it."""
    if (text[start:end + 16].lower() if folded is None else folded[start:end + 16]).startswith(
            _PUBLIC_FIGURES):
        return True
    b0 = max(0, start - 40)
    if backwards is None:
        backwards = (text if folded is None else folded)[::-1]
    n = len(text)
    # the title pattern reversed (see _TITLE_BEFORE_REV), on the 40 characters before the name
    title = _TITLE_BEFORE_REV if folded is None else _TWIN[id(_TITLE_BEFORE_REV)]
    if title.match(backwards, n - start, n - b0):
        return True
    # the 60 characters after the name are read in place (pos, endpos) rather than copied:
    # nothing looks behind the name's end but _SPEECH_AFTER's first word boundary, which on a
    # copy holds where the name ends inside a word ("Kayleighsaid") and in place does not
    s = text if folded is None else folded
    stop = end + 60
    speech = _SPEECH_AFTER if folded is None else _TWIN[id(_SPEECH_AFTER)]
    if 0 < end < n and _WORD_CHAR.match(text, end - 1, end + 1):  # rare: ask the copy
        said = speech.match(s[end:stop])
    else:
        said = speech.match(s, end, stop)
    if said is not None:
        return True
    if media and _search(_MEDIA_BEFORE, text[b0:start], None if folded is None else folded[b0:start]):
        return True
    media_after = _MEDIA_AFTER if folded is None else _TWIN[id(_MEDIA_AFTER)]
    if media_after.match(s, end, stop):
        return True
    # skip the rest of a full name ("Hannah Kershaw from ...")
    m = _SURNAME.match(text, end, stop)
    return m is not None and media_after.match(s, m.end(), stop) is not None


def _offender(text: str, start: int, end: int, folded: str | None = None) -> bool:
    """A name dealt with in open court: "X was jailed", "got 8 years", "the case against X"."""
    after = text[end:end + 90]
    f_after = folded[end:end + 90] if folded is not None else None
    m = _SURNAME.match(after)
    for skip in (0, m.end()) if m else (0,):  # after the name, or after the name and a surname
        c = _match(_CONVICTED_AFTER, after[skip:], None if f_after is None else f_after[skip:])
        if c and not _GAP_BAD.search(c.group("gap")):
            return True
    if _ADULT_OF.match(after) or (m is not None and _ADULT_OF.match(after, m.end())):
        return True
    b0 = max(0, start - 40)
    return _search(_CONVICTED_BEFORE, text[b0:start], None if folded is None else folded[b0:start]) \
        is not None


class _Overlaps:
    """``_Overlaps(spans)(start, end)``: does [start, end) overlap one of ``spans``, (start, end)
    pairs in order of start? A binary search, not a pass over every span per question."""

    def __init__(self, spans: list[tuple[int, int]]):
        self.starts = [s for s, _ in spans]
        self.max_end = list(accumulate((e for _, e in spans), max))  # of the spans up to each

    def __call__(self, start: int, end: int) -> bool:
        k = bisect_left(self.starts, end)  # the spans that start before `end`
        return k > 0 and self.max_end[k - 1] > start


def _no_overlap(start: int, end: int) -> bool:
    return False


_W = g._words
_CLAUSE_END = re.compile(r"[.!?;\n]|\bbut\b|\b(?:she|he|they|her|him|his|their)\b")
_DIGIT = re.compile(r"\d")
_SENTENCE_END = re.compile(r"[.!?;\n]")
_GATE_STREET = _PLACE_SUFFIX_SET | {"rd", "street", "road"}
_GATE_ESTATE = _W("estate flats towers")
_GATE_ADDRESS = _W("number no num house flat bungalow")
_GATE_SCHOOL = _W("academy school college primary comprehensive comp high grammar juniors "
                  "infants sixth st")
_GATE_YEAR = _W("year yr y7 y8 y9 y10 y11 y12 y13 sixth form class in")
_GATE_WORK = _W("works work worked working job shift shifts employed cleaner receptionist carer "
                "waitress barmaid apprentice manager assistant nurse")
_GATE_SHOP = _W("chippy chip shop paper corner pub salon cafe caf takeaway garage bakery "
                "hairdresser hairdressers nail nails bar club gym stables leisure care nursery "
                "surgery pharmacy chemist bookies launderette arms inn")
_GATE_SOCIAL = _W("insta instagram ig snap snapchat sc tiktok tik twitter fb facebook onlyfans "
                  "profile page account look search check followers")
_GATE_REL_ACC = _W(g.RELATIONS.replace("|", " ").replace("-?", "").replace("(?:", " ")
                   .replace(")", " ").replace("\\s+", " ")) | _W("stepdaughter stepson step")
_GATE_REL_OTHER = _W("mum mam mom dad mother father nan nana gran grandad brother sister auntie "
                     "aunt uncle cousin stepdad stepmum step family")
_GATE_KNOWS = _W("know knows knew nos knws")
_GATE_POINTER = _W("it's its it victim victim's complainant complainant's name name's names "
                   "called named that's thats one shame look check we only hard")
_GATE_SELF = _W("i i'm im me my myself survivor")
_GATE_ANON = _W("girl boy victim child complainant witness person woman teenager named legal "
                "anonymity resident pupil student scout chorister patient young gymnast swimmer "
                "dancer cadet") | {
    f"yp{i}" for i in range(1, 21)}
_GATE_OWN = _W("my our as")
_GATE_AGE_WORDS = _W("young under over aged between year years yr yrs old olds children")
_GATE_OFFICIAL = _W("pc dc ds dci di pcso sgt sarge copper coppers officer inspector detective "
                    "sergeant superintendent constable councillor cllr mp reporter journalist editor "
                    "correspondent presenter look bbc itv sky star examiner advertiser paper long "
                    "press commissioner chief social head headteacher barrister solicitor judge")
_OFFENDER_WORDS = _W("nick prison jail inside landing parole released sentence sentenced convicted "
                     "charged trial dodgy creep nonce paedo pervert perv groomer abuser rapist "
                     "ringleader underage taxi takeaway")
_GATE_PHOTO = _W("pic pics picture pictures photo photos photograph screenshot screenshots selfie "
                 "selfies video videos face")
_GATE_HIST = _W("savile rolf glitter epstein maxwell soham huntley moors brady hindley rochdale "
                "telford oxford huddersfield newcastle bradford report")
_GATE_GENERIC = _W("victims survivors girls children kids people women boys")
_GATE_CONV = _W("got sent behind rot")
_GATE_LIVES = _W("live lives living lived moved stay stays staying")
_WORD_RE = re.compile(r"[a-z0-9']+")
_GATE_CONVICTED_NAME = _W("jailed convicted sentenced sentencing imprisoned guilty sent locked banged "
                          "pleaded pled admitted got against defendant defendants accused "
                          "prosecution trial case verdict verdicts appeared denies denied remanded "
                          "named stood today fined charged cleared acquitted")

_ASCII_NON_TOKEN = _ascii_table(lambda c: "a" <= c <= "z" or "0" <= c <= "9" or c == "'")


def _tokens(lower: str) -> list[str]:
    """``_WORD_RE.findall(lower)``; ASCII text as in ``_word_tokens`` (faster, same tokens)."""
    if not lower.isascii():
        return _WORD_RE.findall(lower)
    return lower.encode("ascii").translate(_ASCII_NON_TOKEN).decode("ascii").split()


# The IGNORECASE patterns' case-sensitive twins, run on the lower-cased copy of an ASCII text
# (model/caseless.py: the same matches, several times faster). Keyed by id: hashing a pattern
# hashes its compiled code.
_TWIN = {id(rx): twin for rx in (
    _TITLE_BEFORE_REV, _SPEECH_AFTER, _ORG_AFTER, _ESTATE, _ESTATE_JOINED, _ADDRESS,
    _YEAR_GROUP, _WORKPLACE, _SHOP_FROM, _EMPLOYER, _AGE, _GENERIC_AGE, _SOCIAL_HANDLE, _RELATIVE_ACCUSED,
    _PHOTO, _LIVES, _MEDIA_AFTER, _MEDIA_BEFORE, _CONVICTED_AFTER, _CONVICTED_BEFORE,
) if (twin := ascii_twin(rx)) is not None}


def _finditer(rx: re.Pattern, text: str, folded: str | None):
    """``rx.finditer(text)``, through its twin when ``folded`` (``twin_lower(text)``) is given."""
    twin = None if folded is None else _TWIN.get(id(rx))
    return rx.finditer(text) if twin is None else twin.finditer(folded)


def _search(rx: re.Pattern, text: str, folded: str | None) -> re.Match | None:
    twin = None if folded is None else _TWIN.get(id(rx))
    return rx.search(text) if twin is None else twin.search(folded)


def _match(rx: re.Pattern, text: str, folded: str | None, pos: int = 0) -> re.Match | None:
    twin = None if folded is None else _TWIN.get(id(rx))
    return rx.match(text, pos) if twin is None else twin.match(folded, pos)


def _n_in(token_list: list[str], token_set: set[str], vocab: frozenset[str]) -> int:
    """How many of the tokens are in ``vocab`` (0 without a scan when none is)."""
    return 0 if token_set.isdisjoint(vocab) else len([w for w in token_list if w in vocab])


def detect_victim(text: str, words: frozenset[str] | set[str] | None = None) -> Detection:
    """Detect identifying details and context in one (normalised) text."""
    spans: list[tuple[int, int, str]] = []
    lower = text.lower()
    token_list = _tokens(lower)
    token_set = set(token_list)
    if words is None:
        words = token_set
    lower_text = lower == text
    folded = twin_lower(text, lower)  # for the patterns' twins
    has_digit = _DIGIT.search(text) is not None

    names = _names(text, lower_text, words, folded)
    offender_ends: list[int] = []
    n_conv_words = not words.isdisjoint(_GATE_CONVICTED_NAME)
    n_name = n_full = n_pair = n_nick = n_official = n_offender_name = 0
    for start, end, kind, official, nick, full in names:
        if official:
            n_official += 1
            continue
        offender = (n_conv_words or has_digit) and _offender(text, start, end, folded)
        n_offender_name += offender
        if offender:
            offender_ends.append(end)
        if kind == "cap_pair":
            n_pair += 1
        else:
            n_name += 1
            n_full += full
            n_nick += nick
        if not offender:  # an offender named in open court is not reported as evidence
            spans.append((start, end, "name"))

    # "my daughter is in year 9": details of the commenter's own family are not evidence
    own = [m.end() for m in _OWN_FAMILY.finditer(lower)] if (
        "my" in words or "as" in words or "our" in words) and len(lower) == len(text) else []

    def owned(pos: int) -> bool:  # own is in text order: only those within 60 characters before
        return any(not _CLAUSE_END.search(text, o, pos)
                   for o in own[bisect_left(own, pos - 60):bisect_right(own, pos)])

    suppressed = {"own": 0, "offender": 0}
    same_len = len(lower) == len(text)
    court = not words.isdisjoint(_GATE_COURT)

    def offenders(pos: int, end: int) -> bool:  # "X, 58, of Sandbeck Road, was jailed": his street
        if any(0 <= pos - o <= 60 and not _SENTENCE_END.search(text, o, pos) for o in offender_ends):
            return True
        if not court or not same_len or not _COURT_AFTER.match(lower, end, end + 90):
            return False
        # the sentence holding the place must not tie it to a victim ("his stepdaughter's house")
        s0 = max((m.end() for m in _SENTENCE_END.finditer(lower, max(0, pos - 120), pos)), default=0)
        return _COURT_LINK.search(lower, s0, end + 90) is None

    def add(regex, kind, group=0):
        c = 0
        for m in _finditer(regex, text, folded):
            s_, e_ = m.span(group)
            if s_ >= e_:
                continue
            if own and owned(s_):
                suppressed["own"] += 1
            elif (offender_ends or court) and offenders(s_, e_):
                suppressed["offender"] += 1
            else:
                spans.append((s_, e_, kind))
                c += 1
        return c

    def count(regex, gate):  # count-only patterns are lower-case, matched on `lower`
        return len(regex.findall(lower)) if not words.isdisjoint(gate) else 0

    joined: bool | None = None  # a word of eight or more joined parts (see _JOINED)

    def unjoined() -> bool:
        nonlocal joined
        if joined is None:
            joined = _JOINED.search(text) is not None
        return not joined

    n_street = 0
    if not words.isdisjoint(_GATE_STREET):
        if _STREET_WORD.search(text):
            n_street += add(_STREET, "street")
        if _STREET_LOWER_WORD.search(text):
            n_street += add(_STREET_LOWER if unjoined() else _STREET_LOWER_JOINED, "street")
    n_estate = 0
    if not words.isdisjoint(_GATE_ESTATE):
        n_estate += add(_ESTATE if unjoined() else _ESTATE_JOINED, "street")
    if has_digit or not words.isdisjoint(_GATE_ADDRESS):
        n_estate += add(_ADDRESS, "street")
    if not words.isdisjoint(_GATE_LIVES):
        n_estate += add(_LIVES, "street", 1)
    n_school = 0
    if not words.isdisjoint(_GATE_SCHOOL):
        for m in (_SCHOOL if unjoined() else _SCHOOL_JOINED).finditer(text):
            if _SCHOOL_BAD_FIRST.match(m.group(0)) and len(m.group(0).split()) <= 2:
                continue
            if own and owned(m.start()):
                continue
            spans.append((m.start(), m.end(), "school"))
            n_school += 1
    n_year = add(_YEAR_GROUP, "school") if has_digit or "sixth" in words else 0
    n_work = 0
    if not words.isdisjoint(_GATE_WORK):
        n_work += add(_WORKPLACE, "workplace", 1)
    if not words.isdisjoint(_GATE_SHOP):
        n_work += add(_SHOP_FROM, "workplace")
    if n_work == 0 and not words.isdisjoint(g.EMPLOYERS) and not words.isdisjoint(_GATE_WORK):
        n_work += add(_EMPLOYER, "workplace")
    n_age = 0
    n_specific_age = 0
    age_words = has_digit and not words.isdisjoint(_GATE_AGE_WORDS)
    if has_digit:
        generic = [m.span() for m in _finditer(_GENERIC_AGE, text, folded)] if age_words else []
        overlaps_generic = _Overlaps(generic) if generic else _no_overlap
        for m in _finditer(_AGE, text, folded):
            if own and owned(m.start()):
                continue
            spans.append((m.start(), m.end(), "age"))
            n_age += 1
            if not overlaps_generic(m.start(), m.end()):
                n_specific_age += 1
    n_photo = add(_PHOTO, "photo") if not words.isdisjoint(_GATE_PHOTO) else 0
    n_quoted = 0
    if '"' in text or " '" in text or "lil" in words or "little" in words or "big" in words:
        nick_rx = _QUOTED_NICK if "lil" in lower or "big" in lower or "little" in lower else _QUOTED_ONLY
        for m in nick_rx.finditer(text):
            inner = m.group(0).strip("\"'").lower()
            if inner in g.STOPWORDS or inner in _NON_NAME_CAPS:
                continue
            spans.append((m.start(), m.end(), "name"))
            n_quoted += 1
    n_offender_ctx = _n_in(token_list, token_set, _OFFENDER_WORDS)
    n_handle = add(_HANDLE, "handle") if "@" in text else 0
    social = not words.isdisjoint(_GATE_SOCIAL)
    if social:
        n_handle += add(_SOCIAL_HANDLE, "handle", 1)
    n_link = add(_LINK, "handle") if ("http" in lower or "www" in lower or ".com" in lower) else 0
    n_rel_acc = add(_RELATIVE_ACCUSED, "relative") if not words.isdisjoint(_GATE_REL_ACC) else 0

    # issue 14 section 4 (lower-case patterns; spans only where lower() kept the offsets)
    n_label = 0
    if not words.isdisjoint(_GATE_LABEL):
        for m in _LABEL_NAME.finditer(lower):
            name = m.group("name")
            if name in _LABEL_NOT_NAME:
                continue
            if not (m.group("sep") not in (None, ",") or m.group("strong")):
                s_ = m.start("name")
                capital = same_len and text[s_].isupper() and not _is_sentence_start(text, s_)
                if not (capital or name in _NAMESET):
                    continue
            n_label += 1
            if same_len:
                spans.append((m.start(), m.end(), "label_name"))
        if not n_label:
            for m in _LABEL_FAR.finditer(lower):
                name, s_ = m.group("name"), m.start("name")
                if name in _LABEL_NOT_NAME or not (name in _NAMESET or (
                        same_len and text[s_].isupper() and not _is_sentence_start(text, s_))):
                    continue
                n_label += 1
                if same_len:
                    spans.append((m.start(), m.end(), "label_name"))
    n_bare = 0
    bare_ctx = not words.isdisjoint(_GATE_BARE_CTX)
    if _BARE_GATE.search(lower):
        for m in _BARE_SEP.finditer(lower):
            h = m.group()
            parts = [x for x in re.split(r"[._]+", h) if x]
            if any(x in _HANDLE_NOT for x in parts) or max(map(len, parts)) < 3 \
                    or not any(x.isalpha() and len(x) >= 3 for x in parts):
                continue
            if not (bare_ctx or "_" in h or len(parts) >= 3 or any(c.isdigit() for c in h)):
                continue
            if own and owned(m.start()):
                continue
            n_bare += 1
            if same_len:
                spans.append((m.start(), m.end(), "handle"))
    if bare_ctx and has_digit:
        for m in _BARE_DIGIT.finditer(lower):
            n_bare += 1
            if same_len:
                spans.append((m.start(), m.end(), "handle"))
    n_affil = n_routine = 0
    if same_len:
        for m in _AFFILIATION.finditer(lower):
            first = m.group().split(None, 1)[0]
            if first in _AFFILIATION_BAD_FIRST and not m.group().startswith(("at ", "in ", "of ")):
                continue
            if own and owned(m.start()):
                continue
            spans.append((m.start(), m.end(), "affiliation"))
            n_affil += 1
        if not words.isdisjoint(_GATE_ROUTINE):
            for m in _ROUTINE.finditer(lower):
                if own and owned(m.start()):
                    continue
                spans.append((m.start(), m.end(), "routine"))
                n_routine += 1
    n_public = len(_WENT_PUBLIC.findall(lower)) if not words.isdisjoint(_GATE_PUBLIC) else 0
    n_vague = len(_VAGUE_ACQUAINTANCE.findall(lower)) if not words.isdisjoint(_GATE_VAGUE) else 0

    n_ctx = _n_in(token_list, token_set, _VICTIM_CTX_WORDS)
    n_speech = _n_in(token_list, token_set, g.SPEECH_WORDS)
    n_conv = _n_in(token_list, token_set, g.CONVICTION_WORDS)
    n_official_ctx = count(_OFFICIAL_CTX, _GATE_OFFICIAL)
    n_rel_other = count(_RELATIVE_OTHER, _GATE_REL_OTHER)
    n_pointer = (len(_POINTER.findall(lower)) if not words.isdisjoint(_GATE_POINTER) else 0) + \
        (len(_POINTER_KNOWS.findall(lower)) if not words.isdisjoint(_GATE_KNOWS) else 0)
    n_conv += len(_CONVICTION.findall(lower)) if not words.isdisjoint(_GATE_CONV) else 0
    n_self = count(_SELF, _GATE_SELF)
    n_anon = count(_ANON, _GATE_ANON)
    n_own = len(own) if len(lower) == len(text) else count(_OWN_FAMILY, _GATE_OWN)  # same matches
    n_hist = count(_HISTORICAL, _GATE_HIST)
    n_generic = count(_GENERIC_VICTIMS, _GATE_GENERIC)
    n_generic_age = len(generic) if has_digit else 0
    n_social = count(_SOCIAL_CTX, _GATE_SOCIAL) if social else 0

    any_name = n_name + n_pair + n_quoted > 0
    place = (n_street + n_estate + n_school + n_year + n_work) > 0
    if n_label:  # the label is being undone, not kept
        n_anon = 0
    kinds = sum(1 for k in (n_street + n_estate, n_school + n_year, n_work, n_specific_age,
                            n_handle + n_link + n_social + n_bare, n_rel_acc, n_photo, n_label,
                            n_affil, n_routine) if k > 0)
    negative = n_official + n_conv + n_self + n_anon + n_own + n_hist + n_public + n_vague > 0
    lg = _LOG1P
    v = (
        lg[min(n_name, 4)], lg[min(n_full, 4)], lg[min(n_pair, 4)], lg[min(n_nick, 4)],
        n_street > 0, n_estate > 0, n_school > 0, n_year > 0, n_work > 0, n_age > 0,
        n_handle > 0, n_link > 0, n_rel_acc > 0, n_rel_other > 0, lg[min(kinds, 9)],
        lg[min(n_ctx, 9)], lg[min(n_pointer, 9)], lg[min(n_official, 9)], lg[min(n_speech, 9)],
        lg[min(n_conv, 9)], n_self > 0,
        n_anon > 0, n_own > 0, n_hist > 0, lg[min(n_generic, 9)], n_generic_age > 0,
        any_name and n_ctx > 0, any_name and n_pointer > 0, kinds > 0 and n_ctx > 0,
        any_name and negative, kinds >= 2, n_age > 0 and place,
        any_name and not negative, (any_name or kinds > 0) and not (n_self or n_anon or n_own),
        n_social > 0, any_name and kinds > 0,
        n_photo > 0, lg[min(n_official_ctx, 9)], lg[min(n_offender_ctx, 9)],
        n_own > 0 and kinds > 0, n_self > 0 and kinds > 0, any_name and n_official_ctx > 0,
        any_name and n_offender_ctx > 0, n_specific_age > 0, n_quoted > 0,
        (n_handle + n_link) > 0 and (social or n_ctx > 0 or n_pointer > 0),
        lg[min(n_offender_name, 4)], n_self > 0 and (n_school + n_year + n_street + n_estate) > 0,
        n_label > 0, n_bare > 0, n_affil > 0, n_routine > 0, n_affil > 0 and n_routine > 0,
        n_public > 0, n_vague > 0, n_vague > 0 and kinds > 0, suppressed["offender"] > 0,
        suppressed["own"] > 0, any_name and n_public > 0,
        n_anon > 0 and n_rel_other > 0, n_anon > 0 and (kinds > 0 or n_age > 0),
    )
    return Detection(spans, v, token_list)


_LOG1P = [float(np.log1p(i)) for i in range(10)]
_CAPPED_LOG1P = dict(enumerate(_LOG1P))  # .get(n, _LOG1P[9]) is _LOG1P[min(n, 9)]


class _RowFeatures(TransformerMixin, BaseEstimator):
    """A stateless transformer: one tuple of numbers per text (``_row``), named ``NAMES``,
    times ``scale``, as a sparse matrix."""

    NAMES: tuple[str, ...] = ()
    PREFIX = ""

    def __init__(self, scale: float = 1.0):
        self.scale = scale

    def fit(self, X, y=None):
        return self

    def _row(self, text: str) -> tuple:
        raise NotImplementedError

    def transform(self, X):
        rows = [self._row(x) for x in X]
        if not rows:
            return sp.csr_matrix((0, len(self.NAMES)), dtype=np.float32)
        return sp.csr_matrix(np.asarray(rows, dtype=np.float32) * np.float32(self.scale))

    def get_feature_names_out(self, input_features=None):
        return np.asarray([f"{self.PREFIX}__{n}" for n in self.NAMES], dtype=object)

    def __sklearn_tags__(self):
        return _sk_tags(self, super().__sklearn_tags__())


class VictimFeatures(_RowFeatures):
    """Dense evidence features for victim identification, as a sparse matrix."""

    NAMES, PREFIX = FEATURE_NAMES, "vi"

    def _row(self, text: str) -> tuple:
        return detect_victim(text).vector


# --------------------------------------------------------------------------- abuse lexicon

_LEX_TOKEN = re.compile(r"[a-z]+")
_ASCII_NON_LETTER = _ascii_table(lambda c: "a" <= c <= "z")
_THREAT = re.compile(g.THREAT_PHRASES, _I)
_TWIN[id(_THREAT)] = ascii_twin(_THREAT)
_LEX_KINDS = ("insult", "profanity", "slur", "threat", "sexual", "disparaging")
LEXICON_FEATURE_NAMES = (*_LEX_KINDS, "threat_phrase", "second_person", "caps_ratio",
                         *(f"cue_{c}" for c in CUE_NAMES))
# what a moderator reads for each cue (model.abuse_cues) in "abuse: insult + hate"
_CUE_KIND = {"targeted_insult": "insult", "violence_call": "threat", "group_hate": "hate",
             "victim_blame": "victim_blaming", "sexual": "sexual"}
_SECOND_PERSON = re.compile(r"\b(?:you|u|ur|your|you're|youre|yourself)\b", _I)


def lexicon_spans(text: str, found: dict | None = None) -> list[tuple[int, int, str]]:
    """(start, end, kind) of lexicon words (in text order), then of threat phrases and cues.
    ``found``: what ``lexicon_vector`` filled in for the same text (its phrase and cue matches,
    so as not to run those patterns twice)."""
    spans = []
    lowered = text.lower()
    if lowered.isascii():  # the runs of [a-z], as in _tokens
        tokens = lowered.encode("ascii").translate(_ASCII_NON_LETTER).decode("ascii").split()
    else:
        tokens = _LEX_TOKEN.findall(lowered)
    # most texts hold a handful of lexicon words at most: find those words' occurrences rather
    # than walking every token (an occurrence counts when it is a whole [a-z]+ run, as a token)
    n = len(lowered)
    for word in _LEX_SPAN_WORDS.intersection(tokens):
        kind, w = g.ABUSE_LEXICON[word], len(word)
        i = lowered.find(word)
        while i >= 0:
            if (i == 0 or not _is_az(lowered[i - 1])) and (i + w == n or not _is_az(lowered[i + w])):
                spans.append((i, i + w, kind))
            i = lowered.find(word, i + w)
    spans.sort()
    if not _GATE_THREAT.isdisjoint(tokens):
        threats = found.get("threat") if found else None
        if threats is None:
            threats = [m.span() for m in _finditer(_THREAT, text, twin_lower(text, lowered))]
        spans += [(s, e, "threat") for s, e in threats]
    # a cue's phrase is shown only when no listed word inside it is shown already: "you absolute
    # moron" highlights "moron", "Noonan is a spineless worm" the phrase
    cues = cue_spans(text, found)
    if not cues:
        return spans
    # the spans of one kind do not overlap (whole [a-z]+ runs; matches of one pattern): the first
    # to start inside a phrase is the one that ends soonest
    by_kind: dict[str, tuple[list[int], list[int]]] = {}
    for ws, we, wk in sorted(spans):
        starts, ends = by_kind.setdefault(wk, ([], []))
        starts.append(ws)
        ends.append(we)
    for s, e, cue in cues:
        kind = _CUE_KIND[cue]
        starts, ends = by_kind.get(kind, ((), ()))
        k = bisect_left(starts, s)
        if not (k < len(starts) and ends[k] <= e):
            spans.append((s, e, kind))
    return spans


def _is_az(ch: str) -> bool:
    return "a" <= ch <= "z"


# threat words count only in threat phrases; disparaging words only with a target (the cues)
_LEX_SPAN_WORDS = frozenset(w for w, kind in g.ABUSE_LEXICON.items()
                            if kind not in ("threat", "disparaging"))

# the threat-phrase regex only runs when one of its verbs is present
_GATE_THREAT = g._words("""kill stab shoot hang burn smash batter hurt kys die dies rot shot hanged
    hung killed castrated strung raped""")
_SECOND = g._words("you u ur your you're youre yourself ya")


_DROP_UPPER = dict.fromkeys(range(ord("A"), ord("Z") + 1))
_DROP_LETTERS = dict.fromkeys([*range(ord("A"), ord("Z") + 1), *range(ord("a"), ord("z") + 1)])
_ASCII_UPPER = string.ascii_uppercase.encode("ascii")
_ASCII_LETTERS = string.ascii_letters.encode("ascii")


def lexicon_vector(text: str, tokens: list[str] | None = None, found: dict | None = None) -> tuple:
    """Lexicon counts (log1p) per kind, threat phrases, second person, share of capitals, cues.
    ``found``: a dict to keep the phrase and cue matches in, for ``lexicon_spans``."""
    if tokens is None:
        tokens = _WORD_RE.findall(text.lower())
    # count through the (few) distinct words that are in a list, not a pass over every token
    words = set(tokens)
    counts = dict.fromkeys(_LEX_KINDS, 0)
    lex = g.ABUSE_LEXICON
    for w in _LEX_WORDS & words:
        counts[lex[w]] += tokens.count(w)
    n_second = sum(map(tokens.count, _SECOND & words))
    n_threat = 0
    if not _GATE_THREAT.isdisjoint(words):
        threats = [m.span() for m in _finditer(_THREAT, text, twin_lower(text))]
        n_threat = len(threats)
        if found is not None:
            found["threat"] = threats
    n = len(text)
    if text.isascii():  # bytes.translate: the same counts, much faster than str.translate
        ascii_text = text.encode("ascii")
        n_letters = n - len(ascii_text.translate(None, _ASCII_LETTERS))
        n_upper = n - len(ascii_text.translate(None, _ASCII_UPPER))
    else:
        n_letters = n - len(text.translate(_DROP_LETTERS))
        n_upper = n - len(text.translate(_DROP_UPPER))
    caps = n_upper / n_letters if n_letters >= 8 else 0.0
    values = (*map(counts.__getitem__, _LEX_KINDS), n_threat, n_second, *cue_counts(text, words, found))
    logs = list(map(_CAPPED_LOG1P.get, values, repeat(_LOG1P[9])))  # log1p(min(n, 9)), in C
    n_before_caps = len(_LEX_KINDS) + 2
    return (*logs[:n_before_caps], caps, *logs[n_before_caps:])


_LEX_WORDS = frozenset(g.ABUSE_LEXICON)


class AbuseLexiconFeatures(_RowFeatures):
    """Counts of lexicon insults, profanity, slurs, threats, threat phrases and cues."""

    NAMES, PREFIX = LEXICON_FEATURE_NAMES, "lex"

    def _row(self, text: str) -> tuple:
        return lexicon_vector(text)

