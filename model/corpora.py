"""Corpus loaders and the deterministic train / calibration / held-out split.

Every loader yields :class:`Example` objects. Formats, detected per file:

* the shared JSON-lines schema (``{"text", "abuse": 0|1, "source", ...}``,
  optionally ``"victim_identification"``), one file or a folder of them;
* Jigsaw's ``train.csv`` (``comment_text`` + toxic, severe_toxic, obscene,
  threat, insult, identity_hate -> abuse = any);
* Civil Comments CSV (``comment_text`` or ``text`` + fractional
  ``toxicity``; abuse at >= 0.5).

The split of the abuse corpora is a hash of the normalised text, so the same
text always lands in the same split, in every run and every version, and a
held-out text can never be trained on (a duplicate posted in another source
lands in the same split too). Nothing here logs comment text.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from model.categories import CATEGORIES

VICTIM_DATA_DIR = Path(__file__).resolve().parent / "victim_data"
NEWS_COMMENTS_DIR = Path(__file__).resolve().parent / "news_comments"
# The source of the project's own labelled reader comments: the site's domain.
SITE_SOURCE = "news_comments"
JIGSAW_LABELS = ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")

# Buckets of the text hash (0..99).
HELDOUT_BUCKETS = range(0, 15)
CALIBRATION_BUCKETS = range(15, 25)


@dataclass(frozen=True)
class Example:
    text: str
    labels: dict[str, int | None]
    source: str
    case: str | None = field(default=None, compare=False)

    def label(self, category: str) -> int | None:
        return self.labels.get(category)


class CorpusFormatError(ValueError):
    pass


class MissingDataFile(FileNotFoundError):
    """A labelled data file the model is trained or gated on is not there (e.g. an install
    that left the package's data out): training stops, naming the file."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"missing training data file {path} (an installation without the "
                         "package's data files?)")
        self.path = path


def text_key(text: str) -> str:
    """Hash identity of a text: case- and whitespace-insensitive."""
    return hashlib.sha1(" ".join(text.lower().split()).encode("utf-8")).hexdigest()


def bucket(text: str) -> int:
    return int(text_key(text)[:8], 16) % 100


def split_of(text: str) -> str:
    """'heldout', 'calibration' or 'train' -- a pure function of the text."""
    b = bucket(text)
    if b in HELDOUT_BUCKETS:
        return "heldout"
    if b in CALIBRATION_BUCKETS:
        return "calibration"
    return "train"


BORDERLINE = "borderline"


def _borderline(source: str, raw) -> bool:
    """A 0 label that does not mean "clean" (from the source's own finer labels).

    Civil Comments toxic-spans 0s were pre-selected as toxic; HatEval's 0 is
    "not hate" (offensive tweets included); TRAC's covert aggression is kept as
    0; a ConvAbuse 0 with some annotators voting abusive is contested.
    """
    if source.startswith("hateval"):
        return True
    if not isinstance(raw, dict):
        return False
    if raw.get("preselected_toxic"):
        return True
    if raw.get("aggression") == "CAG":
        return True
    votes = raw.get("votes_abusive")
    return isinstance(votes, (int, float)) and votes > 0


def _int_label(value) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return int(value)
    v = float(value)
    return 1 if v >= 0.5 else 0


# --------------------------------------------------------------------------- formats

def detect_format(path: str | os.PathLike) -> str:
    """'jsonl', 'jigsaw_csv' or 'civil_csv' from a file's first line."""
    p = Path(path)
    with open(p, encoding="utf-8", newline="") as fh:
        first = fh.readline()
    if not first.strip():
        return "jsonl"
    if first.lstrip().startswith("{"):
        return "jsonl"
    header = [h.strip().strip('"').lower() for h in next(csv.reader([first]))]
    if "comment_text" in header and all(lbl in header for lbl in JIGSAW_LABELS):
        return "jigsaw_csv"
    if "toxicity" in header and ("comment_text" in header or "text" in header):
        return "civil_csv"
    raise CorpusFormatError(f"{p.name}: unrecognised format (columns: {', '.join(header[:12])})")


def _sampled_lines(p: Path, sample: int | None) -> Iterator[str]:
    """All lines, or about `sample` of them chosen by a hash of the line (deterministic)."""
    if sample is None:
        with open(p, encoding="utf-8") as fh:
            yield from fh
        return
    data = p.read_bytes()
    n = data.count(b"\n") + 1
    if n <= sample:
        yield from data.decode("utf-8").splitlines()
        return
    keep = int(sample * 2**32 / n)
    for raw in data.splitlines():
        if zlib.crc32(raw) < keep:
            yield raw.decode("utf-8")


def load_jsonl(path: str | os.PathLike, source: str | None = None, sample: int | None = None
               ) -> Iterator[Example]:
    """Shared schema. ``sample``: read only about that many lines (hash-chosen)."""
    p = Path(path)
    default_source = source or p.stem
    for lineno, line in enumerate(_sampled_lines(p, sample), 1):
        line = line.strip()
        if not line:
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusFormatError(f"{p.name}:{lineno}: not JSON ({exc.msg})") from None
        text = row.get("text")
        if not isinstance(text, str) or not text.strip():
            continue
        labels = {c: _int_label(row.get(c)) for c in CATEGORIES}
        src = str(row.get("source") or default_source)
        case = row.get("case")
        if case is None and labels["abuse"] == 0 and _borderline(src, row.get("raw")):
            case = BORDERLINE
        yield Example(text, labels, src, case)


def _csv_rows(path: Path) -> Iterator[dict[str, str]]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        reader.fieldnames = [h.strip().lower() for h in reader.fieldnames or []]
        yield from reader


def load_jigsaw_csv(path: str | os.PathLike, source: str = "jigsaw_toxic_wikipedia") -> Iterator[Example]:
    for row in _csv_rows(Path(path)):
        text = row.get("comment_text") or ""
        if not text.strip():
            continue
        try:
            abuse = int(any(int(float(row.get(k) or 0)) for k in JIGSAW_LABELS))
        except ValueError:
            continue
        yield Example(text, {"abuse": abuse, "victim_identification": None}, source)


def load_civil_csv(path: str | os.PathLike, source: str = "civil_comments") -> Iterator[Example]:
    for row in _csv_rows(Path(path)):
        text = row.get("comment_text") or row.get("text") or ""
        tox = row.get("toxicity")
        if not text.strip() or tox in (None, ""):
            continue
        try:
            abuse = int(float(tox) >= 0.5)
        except ValueError:
            continue
        yield Example(text, {"abuse": abuse, "victim_identification": None}, source)


def load_file(path: str | os.PathLike, sample: int | None = None) -> Iterator[Example]:
    fmt = detect_format(path)
    if fmt == "jsonl":
        return load_jsonl(path, sample=sample)
    if fmt == "jigsaw_csv":
        return load_jigsaw_csv(path)
    return load_civil_csv(path)


def corpus_files(path: str | os.PathLike) -> list[Path]:
    p = Path(path)
    if p.is_dir():
        return sorted(f for f in p.iterdir()
                      if f.is_file() and f.suffix.lower() in (".jsonl", ".csv", ".json"))
    if p.is_file():
        return [p]
    raise FileNotFoundError(f"no corpus at {p}")


def load_corpus(paths: str | os.PathLike | Iterable[str | os.PathLike], sample: int | None = None
                ) -> Iterator[Example]:
    """Examples from a folder, a file, or several of either (format detected per file).

    ``sample`` (JSON lines only): read about that many lines per file, chosen by
    a hash of the line, for quick runs.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    for p in paths:
        for f in corpus_files(p):
            yield from load_file(f, sample)


# --------------------------------------------------------------------------- victim data

def victim_data_file(split: str = "train", directory: str | os.PathLike | None = None) -> Path | None:
    """The file holding a victim-identification split, or None (fall back to the seed)."""
    d = Path(directory) if directory else VICTIM_DATA_DIR
    name = {"train": "train.jsonl", "heldout": "heldout.jsonl"}.get(split)
    if name is None:
        raise ValueError(f"unknown split {split!r}")
    f = d / name
    return f if f.is_file() and f.stat().st_size > 0 else None


def load_victim_identification(split: str = "train", directory: str | os.PathLike | None = None
                               ) -> list[Example]:
    """The project's labelled victim-identification comments.

    ``train.jsonl`` / ``heldout.jsonl`` when present (written independently);
    otherwise the small ``seed.jsonl`` split by text hash (30 % held out). Neither there:
    :class:`MissingDataFile`.
    """
    d = Path(directory) if directory else VICTIM_DATA_DIR
    f = victim_data_file(split, d)
    if f is not None:
        return [Example(e.text, e.labels, "victim_data", e.case) for e in load_jsonl(f)]
    seed = d / "seed.jsonl"
    if not seed.is_file():
        # Never an empty list: a model trained without these would look fine and say nothing.
        raise MissingDataFile(d / {"train": "train.jsonl", "heldout": "heldout.jsonl"}[split])
    want_heldout = split == "heldout"
    return [Example(e.text, e.labels, "victim_data", e.case) for e in load_jsonl(seed)
            if (bucket(e.text) < 30) == want_heldout]


def heldout_files(directory: str | os.PathLike) -> list[Path]:
    """Every held-out file in a data folder (``heldout*.jsonl``: ``heldout.jsonl`` and any later
    set such as ``heldout_fresh3.jsonl``). Training removes all of them, near-duplicates too. A
    retired set is renamed ``train_*.jsonl`` (``build_train.py`` merges it into ``train.jsonl``)."""
    d = Path(directory)
    return sorted(f for f in d.glob("heldout*.jsonl") if f.is_file())


def load_heldout_texts(*directories: str | os.PathLike | None) -> list[str]:
    """The texts of every held-out file in the given folders (None: the package's victim and
    site-comment folders)."""
    dirs = [Path(d) for d in directories if d is not None] or [VICTIM_DATA_DIR, NEWS_COMMENTS_DIR]
    return [e.text for d in dirs for f in heldout_files(d) for e in load_jsonl(f)]


# --------------------------------------------------------------------------- in-domain abuse data

def load_news_comments(split: str = "train", directory: str | os.PathLike | None = None
                       ) -> list[Example]:
    """The project's hand-written reader comments labelled for abuse (``model/news_comments``).

    ``train.jsonl`` is built from the hand-written files; ``heldout.jsonl`` was written
    independently and is never trained on. None of them identifies anyone, so their
    victim-identification label is 0. A missing file is :class:`MissingDataFile`.
    """
    name = {"train": "train.jsonl", "heldout": "heldout.jsonl"}.get(split)
    if name is None:
        raise ValueError(f"unknown split {split!r}")
    f = (Path(directory) if directory else NEWS_COMMENTS_DIR) / name
    if not f.is_file():
        raise MissingDataFile(f)
    return [Example(e.text, {"abuse": e.labels.get("abuse"), "victim_identification": 0},
                    SITE_SOURCE, e.case) for e in load_jsonl(f)]
