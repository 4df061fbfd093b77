"""The teacher lexicon: a prior of abuse for single words, read from a sentence encoder.

A word the training comments hardly hold but whose company the encoder knows ("vermin",
"invaders") gets a score: each word alone through all-MiniLM-L6-v2 and a logistic-regression
"teacher" fitted on the encoder's vectors of the training comments (docs/MODEL.md, issue 14
pass 9). The encoder never runs here: ``tools/build_teacher_lexicon.py`` writes the word ->
score table once, offline, and the table (``assets/teacher_lexicon.tsv.gz``) ships in the
package. A comment's three columns -- the highest, the mean and the top-two mean of its words'
scores, zeros when none is in the table -- sit beside the n-grams of the abuse generalist only.

The table is a gzip'd text file: ``#`` lines of provenance, then ``word<TAB>score``.
"""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from model.features import WORD_TOKEN_PATTERN, _RowFeatures, _word_tokens

TABLE = Path(__file__).with_name("assets") / "teacher_lexicon.tsv.gz"
NAMES = ("max", "mean", "top2_mean")
_TOKEN_RE = re.compile(WORD_TOKEN_PATTERN)


def table_for(setting: str) -> Path | None:
    """The table a ``TEACHER_LEXICON`` setting names: empty, the shipped one; ``off``, none."""
    if setting.strip().lower() == "off":
        return None
    path = Path(setting) if setting.strip() else TABLE
    if not path.is_file():
        raise FileNotFoundError(f"TEACHER_LEXICON={setting!r}: no table at {path} (empty for the "
                                "shipped one, off for none)")
    return path


def read_table(path: str | os.PathLike = TABLE) -> tuple[list[str], np.ndarray, list[str]]:
    """(words, scores, provenance lines) of a table file."""
    words, scores, header = [], [], []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#"):
                header.append(line[1:].strip())
            elif line:
                w, s = line.split("\t")
                words.append(w)
                scores.append(float(s))
    return words, np.asarray(scores, dtype=np.float32), header


def write_table(path: str | os.PathLike, words: Sequence[str], scores: Iterable[float],
                header: Sequence[str] = ()) -> None:
    """Write a table (sorted by word; scores to 3 decimals, gzip's clock zeroed so one table
    gives one file, whatever its name)."""
    rows = sorted(zip(words, scores, strict=True))
    with open(path, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as gz:
        text = "".join(f"# {h}\n" for h in header)
        text += "".join(f"{w}\t{s:.3f}\n" for w, s in rows)
        gz.write(text.encode("utf-8"))


def word_set(text: str) -> set[str]:
    """The distinct lower-case word tokens of a (normalised) comment, as the table's words are."""
    return set(_word_tokens(text.lower(), _TOKEN_RE))


def columns(words: Iterable[str], prior: dict[str, float]) -> tuple[float, float, float]:
    """The highest, the mean and the top-two mean of the scores of ``words`` in ``prior``."""
    v = [prior[w] for w in words if w in prior]
    if not v:
        return 0.0, 0.0, 0.0
    v.sort(reverse=True)
    return v[0], sum(v) / len(v), (v[0] + v[1]) / 2 if len(v) > 1 else v[0]


class TeacherLexiconFeatures(_RowFeatures):
    """The three lexicon columns of each comment. The table is kept as one newline-joined
    string and a float array (plain values, so the model file needs no further trusted type);
    the lookup dict is rebuilt on first use and never saved."""

    NAMES, PREFIX = NAMES, "teacher"
    scale = 1.0

    def __init__(self, words: str = "", scores: np.ndarray | None = None):
        self.words = words
        self.scores = scores

    @classmethod
    def from_table(cls, path: str | os.PathLike = TABLE) -> TeacherLexiconFeatures:
        words, scores, _ = read_table(path)
        return cls("\n".join(words), scores)

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_prior", None)
        return state

    @property
    def prior(self) -> dict[str, float]:
        if getattr(self, "_prior", None) is None:
            words = self.words.split("\n") if self.words else []
            scores = np.asarray(self.scores if self.scores is not None else [], dtype=np.float64)
            self._prior = dict(zip(words, scores.tolist(), strict=True))
        return self._prior

    def _row(self, text: str) -> tuple:
        return columns(word_set(text), self.prior)

    def rows(self, texts: Sequence[str]) -> np.ndarray:
        """The columns of ``texts`` (normalised) as a dense float64 array, as ``transform``
        would give them (float32 values)."""
        prior = self.prior
        out = np.asarray([columns(word_set(t), prior) for t in texts], dtype=np.float32)
        return out.reshape(len(texts), len(NAMES)).astype(np.float64)


__all__ = ["TABLE", "NAMES", "table_for", "TeacherLexiconFeatures", "read_table", "write_table", "word_set",
           "columns"]
