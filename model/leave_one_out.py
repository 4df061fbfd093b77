"""Leave-one-source-out evaluation of the abuse model against a plain baseline.

For each shared corpus S: train on everything else -- the other corpora, the site's own
comments (``model/news_comments``), the victim data's abuse labels -- and score every row of
S. Training rows that are near-duplicates of any row of S (``model/dedup.py``) are dropped
first, and a fold whose training rows still contain S's source or one of its texts is refused
(:class:`LeakError`). In the same fold the plain baseline -- word 1-2-grams + char_wb 2-5-grams,
TF-IDF, logistic regression C=4, no weights -- is trained on exactly the same rows.

Both are also scored on the site's calibration comments (never trained on), the dev figure
for "the site's own comments stay where they are"; the held-out files are not read here.

The baseline's TF-IDF is computed once as counts over every row and restricted per fold to the
n-grams of that fold's training rows, with IDF and L2 norms from those rows: the same matrix a
``TfidfVectorizer`` fitted on the fold's training texts gives, without re-tokenising ~100,000
texts per fold.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score

from model.corpora import SITE_SOURCE, Example, text_key
from model.dedup import NearDuplicateIndex

Progress = Callable[[str, float], None]

# What each shared corpus is. All of them are real people's comments or posts (none
# hand-written for a data set); the site's own data is what is hand-written.
SOURCE_KINDS: dict[str, str] = {
    "civil_comments_toxic_spans": "newspaper readers' comments (Civil Comments)",
    "trac_aggression_facebook": "Facebook comments on news pages (TRAC)",
    "jigsaw_toxic_wikipedia": "Wikipedia talk-page comments (Jigsaw)",
    "convabuse": "users' messages to chat agents (ConvAbuse)",
    "stormfront_hate": "forum posts (Stormfront)",
    "davidson_tweets": "tweets (Davidson)",
    "olid_offensive_tweets": "tweets (OLID)",
    "hateval_tweets": "tweets (HatEval)",
}
BASELINE_C = 4.0
DOC_START = "<!-- leave-one-out:start -->"
DOC_END = "<!-- leave-one-out:end -->"
# sources that are the site's or the project's own data, never left out
OWN_SOURCES = frozenset({SITE_SOURCE, "victim_data", "moderator"})


def teacher_table(folder: str | Path, left_out: str) -> Path:
    """The teacher-lexicon table of the fold leaving ``left_out`` out."""
    path = Path(folder) / f"without-{left_out}.tsv.gz"
    if not path.is_file():
        raise FileNotFoundError(f"no teacher-lexicon table for the fold without {left_out}: {path} "
                                "(tools/build_teacher_lexicon.py --folds)")
    return path


class LeakError(AssertionError):
    """A fold's training rows contain the left-out source or one of its texts."""


def check_fold(train: Sequence[Example], test: Sequence[Example], left_out: str) -> None:
    """Refuse a fold that trains on the left-out source, on one of its texts or on a
    near-duplicate of one."""
    if any(e.source == left_out for e in train):
        raise LeakError(f"fold {left_out}: the left-out source is in its training rows")
    test_keys = {text_key(e.text) for e in test}
    if any(text_key(e.text) in test_keys for e in train):
        raise LeakError(f"fold {left_out}: a text of the left-out source is in its training rows")


def fold_rows(pool: Sequence[Example], test: Sequence[Example], left_out: str
              ) -> tuple[list[int], int]:
    """Indices into ``pool`` a fold trains on (not the left-out source, no near-duplicate of
    its texts) and how many near-duplicates were dropped."""
    index = NearDuplicateIndex([e.text for e in test])
    # exact copies too: a text with no words left after normalisation (emoji, "...") has no
    # shingles, so the index cannot see it
    keys = {text_key(e.text) for e in test}
    keep, dropped = [], 0
    for i, e in enumerate(pool):
        if e.source == left_out:
            continue
        if text_key(e.text) in keys or index.matches(e.text):
            dropped += 1
            continue
        keep.append(i)
    return keep, dropped


def _baseline_counts(texts: Sequence[str]) -> list[sp.csr_matrix]:
    word = CountVectorizer(analyzer="word", ngram_range=(1, 2), dtype=np.float32)
    char = CountVectorizer(analyzer="char_wb", ngram_range=(2, 5), dtype=np.float32)
    return [word.fit_transform(texts).tocsr(), char.fit_transform(texts).tocsr()]


def _baseline_fold(counts: list[sp.csr_matrix], train_idx, score_idx: list, y) -> list[np.ndarray]:
    """Fit the baseline on the train rows; decision values for each index array in
    ``score_idx``."""
    train_parts, score_parts = [], [[] for _ in score_idx]
    for m in counts:
        xt = m[train_idx]
        cols = np.flatnonzero(np.diff(xt.tocsc().indptr))  # n-grams the fold's training rows have
        xt = xt[:, cols]
        tfidf = TfidfTransformer(sublinear_tf=True).fit(xt)
        train_parts.append(tfidf.transform(xt))
        for k, idx in enumerate(score_idx):
            score_parts[k].append(tfidf.transform(m[idx][:, cols]))
    clf = LogisticRegression(C=BASELINE_C, solver="liblinear", max_iter=1000)
    clf.fit(sp.hstack(train_parts).tocsr(), y)
    return [clf.decision_function(sp.hstack(p).tocsr()) for p in score_parts]


def _auc_ap(y: np.ndarray, d: np.ndarray) -> tuple[float | None, float | None]:
    if len(set(y.tolist())) < 2:
        return None, None
    return round(float(roc_auc_score(y, d)), 4), round(float(average_precision_score(y, d)), 4)


@dataclass
class Fold:
    """What a lever sees of one fold: every row (the left-out source's too, for scoring only),
    which of them it may train on, and the shipped model's and the baseline's decision values
    on every row (for blends)."""

    X: sp.csr_matrix            # the shipped pipeline's features of every row
    rows: list[Example]
    texts: list[str]            # truncated to MAX_CHARS
    train_idx: np.ndarray
    y_train: np.ndarray
    model_decision: np.ndarray  # the shipped model of this fold, every row
    baseline_decision: np.ndarray
    cache: dict = field(default_factory=dict)  # for levers that share a fit (blends)

    @property
    def train(self) -> list[Example]:
        return [self.rows[i] for i in self.train_idx]


# A lever: fold -> a function from row indices to decision values.
Variant = Callable[[Fold], Callable[[np.ndarray], np.ndarray]]


def leave_one_out(source=None, *, max_per_source: int | None = None,
                  sources: Sequence[str] | None = None, progress: Progress | None = None,
                  variants: dict[str, Variant] | None = None,
                  teacher_folds: str | Path | None = None) -> dict:
    """The leave-one-source-out table: one row per left-out corpus (ours and the baseline's
    ROC-AUC and AP), their means, and the site's dev comments (mean over folds).

    ``variants``: levers to measure in the same folds on the same rows (ROC-AUC and AP per
    fold, and on the site's dev comments), beside the shipped model.
    ``teacher_folds``: a folder of teacher-lexicon tables, ``without-<source>.tsv.gz`` per
    corpus (tools/build_teacher_lexicon.py --folds), each built by a teacher that never saw
    that corpus; the shipped table saw them all, so without this folder the folds' models
    have no teacher columns (the result says which)."""
    from model.train import MAX_CHARS, build_pipelines, fit_abuse, prepare_data

    progress = progress or (lambda stage, f: None)
    t0 = time.perf_counter()
    data = prepare_data(source, max_per_source=max_per_source, progress=lambda s, f: progress(s, 0.1 * f))
    pool = data["abuse_train"]
    rows = pool + data["abuse_calibration"] + data["abuse_heldout"]
    texts = [e.text[:MAX_CHARS] for e in rows]
    y_all = np.array([e.labels["abuse"] for e in rows], dtype=int)
    corpora = sorted({e.source for e in rows} - OWN_SOURCES)
    if sources:
        missing = set(sources) - set(corpora)
        if missing:
            raise ValueError(f"not in the abuse data: {', '.join(sorted(missing))}")
        corpora = [s for s in corpora if s in sources]
    dev_idx = np.array([i for i, e in enumerate(rows) if i >= len(pool) and e.source == SITE_SOURCE],
                       dtype=int)
    progress(f"featurising {len(rows)} comments (model)", 0.1)
    pipe = build_pipelines()["abuse"]
    normed = pipe.named_steps["norm"].transform(texts)
    X = pipe.named_steps["features"].transform(normed).tocsr()
    progress(f"counting n-grams of {len(rows)} comments (baseline)", 0.2)
    counts = _baseline_counts(texts)

    folds = []
    for k, left_out in enumerate(corpora):
        frac = 0.3 + 0.7 * k / len(corpora)
        test_idx = np.array([i for i, e in enumerate(rows) if e.source == left_out], dtype=int)
        test = [rows[i] for i in test_idx]
        progress(f"fold {k + 1}/{len(corpora)}: {left_out} left out", frac)
        train_idx, dropped = fold_rows(pool, test, left_out)
        train = [pool[i] for i in train_idx]
        check_fold(train, test, left_out)
        y_train = y_all[train_idx]
        fold_pipe, Xf = pipe, X
        if teacher_folds is not None:  # the fold's own table's columns after the others
            fold_pipe = build_pipelines(teacher_lexicon=teacher_table(teacher_folds, left_out))["abuse"]
            cols = fold_pipe.named_steps["features"].named_transformers["teacher"].rows(normed)
            Xf = sp.hstack([X, sp.csr_matrix(cols)]).tocsr()
        clf = fit_abuse(clone(fold_pipe), Xf[train_idx], train, y_train)  # as model.train fits it
        ours = [clf.decision_function(Xf[test_idx]), clf.decision_function(Xf[dev_idx])]
        progress(f"fold {k + 1}/{len(corpora)}: baseline", frac + 0.35 / len(corpora))
        everything = np.arange(len(rows))
        score_idx = [test_idx, dev_idx] + ([everything] if variants else [])
        base = _baseline_fold(counts, train_idx, score_idx, y_train)
        y_test, y_dev = y_all[test_idx], y_all[dev_idx]
        var_out = {}
        if variants:
            fold = Fold(X, rows, texts, np.asarray(train_idx), y_train,
                        clf.decision_function(Xf), base[2])
        for name, fit in (variants or {}).items():
            progress(f"fold {k + 1}/{len(corpora)}: lever {name}", frac + 0.5 / len(corpora))
            decide = fit(fold)
            var_out[name] = {"test": _auc_ap(y_test, decide(test_idx)),
                             "site_dev": _auc_ap(y_dev, decide(dev_idx))}
        auc, ap = _auc_ap(y_test, ours[0])
        b_auc, b_ap = _auc_ap(y_test, base[0])
        dev, b_dev = _auc_ap(y_dev, ours[1]), _auc_ap(y_dev, base[1])
        folds.append({
            "source": left_out, "kind": SOURCE_KINDS.get(left_out, "other"),
            "n": int(len(test_idx)), "positives": int(y_test.sum()),
            "train_n": len(train_idx), "train_sources": sorted({e.source for e in train}),
            "near_duplicates_dropped": dropped,
            "model": {"roc_auc": auc, "average_precision": ap},
            "baseline": {"roc_auc": b_auc, "average_precision": b_ap},
            "site_dev": {"model_roc_auc": dev[0], "model_ap": dev[1],
                         "baseline_roc_auc": b_dev[0], "baseline_ap": b_dev[1]},
            "variants": var_out,
        })

    def mean(get):
        vals = [get(f) for f in folds if get(f) is not None]
        return round(float(np.mean(vals)), 4) if vals else None

    summary = {
        "model_roc_auc": mean(lambda f: f["model"]["roc_auc"]),
        "baseline_roc_auc": mean(lambda f: f["baseline"]["roc_auc"]),
        "model_ap": mean(lambda f: f["model"]["average_precision"]),
        "baseline_ap": mean(lambda f: f["baseline"]["average_precision"]),
        "site_dev_n": int(len(dev_idx)),
        "site_dev_model_roc_auc": mean(lambda f: f["site_dev"]["model_roc_auc"]),
        "site_dev_baseline_roc_auc": mean(lambda f: f["site_dev"]["baseline_roc_auc"]),
        "site_dev_model_ap": mean(lambda f: f["site_dev"]["model_ap"]),
        "site_dev_baseline_ap": mean(lambda f: f["site_dev"]["baseline_ap"]),
    }
    for m in ("roc_auc", "ap"):
        a, b = summary[f"model_{m}"], summary[f"baseline_{m}"]
        summary[f"mean_difference_{m}"] = round(a - b, 4) if a is not None and b is not None else None
    summary["sources_behind_baseline"] = [
        f["source"] for f in folds
        if f["model"]["roc_auc"] is not None and f["baseline"]["roc_auc"] is not None
        and f["model"]["roc_auc"] < f["baseline"]["roc_auc"]]
    progress("done", 1.0)
    return {"created_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "max_per_source": max_per_source,
            "teacher_lexicon": "per-fold tables" if teacher_folds is not None else "off",
            "folds": folds, "summary": summary,
            "seconds": round(time.perf_counter() - t0, 1)}


def _f(x) -> str:
    return "" if x is None else f"{x:.3f}"


def _d(a, b) -> str:
    return "" if a is None or b is None else f"{a - b:+.3f}"


def format_table(result: dict) -> str:
    """The table as Markdown."""
    s = result["summary"]
    mode = ("full data" if result["max_per_source"] is None
            else f"quick run, at most {result['max_per_source']} training rows per source")
    lines = [
        f"Leave-one-source-out, {mode}, {result['created_at']} ({result['seconds']} s); "
        f"teacher lexicon: {result.get('teacher_lexicon', 'off')}. "
        "Each row: trained on every other corpus plus the site's comments and the victim data's "
        "abuse labels (near-duplicates of the left-out rows removed), scored on every row of the "
        "left-out corpus. Baseline: word 1-2 + char_wb 2-5 TF-IDF, logistic regression C=4, "
        "same rows. All eight corpora are real people's comments or posts.",
        "",
        "| left out | what it is | n | abusive | ROC-AUC model | ROC-AUC baseline | diff "
        "| AP model | AP baseline | diff |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for f in result["folds"]:
        m, b = f["model"], f["baseline"]
        lines.append(f"| {f['source']} | {f['kind']} | {f['n']:,} | {f['positives']:,} "
                     f"| {_f(m['roc_auc'])} | {_f(b['roc_auc'])} | {_d(m['roc_auc'], b['roc_auc'])} "
                     f"| {_f(m['average_precision'])} | {_f(b['average_precision'])} "
                     f"| {_d(m['average_precision'], b['average_precision'])} |")
    lines.append(f"| **mean** | | | | **{_f(s['model_roc_auc'])}** | **{_f(s['baseline_roc_auc'])}** "
                 f"| **{_d(s['model_roc_auc'], s['baseline_roc_auc'])}** | {_f(s['model_ap'])} "
                 f"| {_f(s['baseline_ap'])} | {_d(s['model_ap'], s['baseline_ap'])} |")
    lines.append(f"| site's comments, dev split (mean over folds) | the site's own | {s['site_dev_n']:,} | "
                 f"| {_f(s['site_dev_model_roc_auc'])} | {_f(s['site_dev_baseline_roc_auc'])} "
                 f"| {_d(s['site_dev_model_roc_auc'], s['site_dev_baseline_roc_auc'])} "
                 f"| {_f(s['site_dev_model_ap'])} | {_f(s['site_dev_baseline_ap'])} "
                 f"| {_d(s['site_dev_model_ap'], s['site_dev_baseline_ap'])} |")
    behind = s["sources_behind_baseline"]
    lines += ["", "Behind the baseline on: " + (", ".join(behind) if behind else "none") + "."]
    return "\n".join(lines)


def write_into_doc(path: str | Path, table: str) -> None:
    """Replace the text between the leave-one-out markers (appending a section with them when
    the file has none)."""
    p = Path(path)
    doc = p.read_text(encoding="utf-8") if p.exists() else ""
    block = f"{DOC_START}\n{table}\n{DOC_END}"
    if DOC_START in doc and DOC_END in doc:
        doc = re.sub(re.escape(DOC_START) + r".*?" + re.escape(DOC_END), lambda _m: block, doc,
                     count=1, flags=re.S)
    else:
        doc = doc.rstrip("\n") + "\n\n## Leave-one-source-out\n\n" + block + "\n"
    p.write_text(doc, encoding="utf-8")


__all__ = ["leave_one_out", "format_table", "write_into_doc", "check_fold", "fold_rows",
           "Fold", "LeakError", "SOURCE_KINDS"]
