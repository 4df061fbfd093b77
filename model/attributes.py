"""Abuse kinds: Perspective's production attributes as cheap heads on the abuse features.

Perspective clients ask for SEVERE_TOXICITY, IDENTITY_ATTACK, INSULT, PROFANITY and THREAT
beside TOXICITY (this service's ``abuse``). Each kind here is a logistic regression on
features the abuse model computes anyway for every comment -- its hashed word n-grams, its
lexicon and cue counts (model/abuse_cues.py, model/gazetteer.py) and the abuse model's own
decision value -- so scoring a batch costs one more sparse product (word n-grams x kinds)
and load time grows by one small matrix. The character n-grams, the bulk of the abuse
features, are left out: the abuse decision value carries what they see (obfuscation).

Labels, from the corpora's own finer fields (``raw``) and the site's ``case`` labels:

* Jigsaw (Wikipedia talk pages, the rows with all six labels): ``severe_toxic`` ->
  severe_toxicity, ``identity_hate`` -> identity_attack, ``insult``, ``obscene`` ->
  profanity, ``threat``. Its held-out split gives the figures the model card reports.
* HatEval and Stormfront (hate against a group), Davidson (``hate_speech``): identity_attack.
* The site's own comments (model/news_comments, ``case``): threat, hate_group ->
  identity_attack, insults aimed at commenters, police or public figures -> insult,
  profane attacks and profanity aimed at nobody -> profanity, sexual harassment ->
  sexually_explicit (the only data for it: Perspective's SEXUALLY_EXPLICIT is about sexual
  content, these are sexual remarks aimed at a person; see docs/MODEL.md).

A row without a label for a kind is not used for that kind. Every head is trained
class-balanced, then Platt-calibrated at the data's own prevalence on the calibration split
(so a kind's score reads as "the probability a rater would call it that", as Perspective's
do, unlike the abuse score's 50 % reference). A kind is *present* (named in a hold reason,
indexed for the queue's kind filter) at or above the threshold that maximised F1 on the
calibration split.

Nothing here logs comment text.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score

from model.corpora import SITE_SOURCE, Example, corpus_files, detect_format, text_key

# The kinds, in the order of the head matrix's columns. Perspective's attribute is the
# upper-case name.
KINDS = ("severe_toxicity", "identity_attack", "insult", "profanity", "threat",
         "sexually_explicit")
HEAD_FORMAT = 1
# A head needs at least this many positives (and negatives) in training, else it is not built
# and its attribute is not served.
MIN_POSITIVES = 5
HEAD_C = 1.0
# The site's own rows are few against the corpora and written for this site's idea of each
# kind: they count this much more.
SITE_WEIGHT = 4.0
JIGSAW_SOURCE = "jigsaw_toxic_wikipedia"
_JIGSAW = {"severe_toxic": "severe_toxicity", "identity_hate": "identity_attack",
           "insult": "insult", "obscene": "profanity", "threat": "threat"}
# site case -> the kinds it says something about (None: not known)
_SITE_POSITIVE = {
    "threat": {"threat": 1, "identity_attack": 0, "sexually_explicit": 0},
    "hate_group": {"identity_attack": 1, "sexually_explicit": 0},
    "insult_commenter": {"insult": 1, "threat": 0, "sexually_explicit": 0},
    "insult_police": {"insult": 1, "threat": 0, "sexually_explicit": 0},
    "insult_public": {"insult": 1, "threat": 0, "sexually_explicit": 0},
    "profane_attack": {"profanity": 1, "insult": 1, "threat": 0, "sexually_explicit": 0},
    "undirected_profanity": {"profanity": 1, "insult": 0, "threat": 0, "identity_attack": 0,
                             "severe_toxicity": 0, "sexually_explicit": 0},
    "sexual_harassment": {"sexually_explicit": 1, "threat": 0},
    "victim_blaming": {"threat": 0, "sexually_explicit": 0},
}

Progress = Callable[[str, float], None]


# --------------------------------------------------------------------------- labels

def kind_labels_from_raw(source: str, raw: Any) -> dict[str, int]:
    """The kinds a corpus row's own fields say something about (empty: nothing)."""
    if not isinstance(raw, dict):
        return {}
    if source.startswith("jigsaw"):
        if not all(k in raw for k in _JIGSAW):
            return {}  # the rows with "toxic" only
        return {kind: int(float(raw[k]) >= 0.5) for k, kind in _JIGSAW.items()}
    if source.startswith("hateval") and "hate" in raw:
        return {"identity_attack": int(raw["hate"])}
    if source.startswith("stormfront") and "label" in raw:
        return {"identity_attack": int(raw["label"] == "hate")}
    if source.startswith("davidson") and "class" in raw:
        return {"identity_attack": int(raw["class"] == "hate_speech")}
    return {}


def kind_labels_of_case(example: Example) -> dict[str, int]:
    """The kinds one of the site's labelled comments says something about."""
    if example.labels.get("abuse") == 0:
        # not abuse: no threat, attack or sexual remark; profanity only where it is the case
        labels = dict.fromkeys(("severe_toxicity", "identity_attack", "insult", "threat",
                                "sexually_explicit"), 0)
        if example.case == "undirected_profanity":
            labels["profanity"] = 1
        return labels
    return dict(_SITE_POSITIVE.get(example.case or "", {}))


def load_raw_kind_labels(paths: Sequence[str]) -> dict[str, dict[str, int]]:
    """text key -> kind labels, from every corpus file under ``paths`` that has finer labels
    (JSON lines with ``raw``; Jigsaw's train.csv)."""
    out: dict[str, dict[str, int]] = {}
    for p in paths:
        for f in corpus_files(p):
            fmt = detect_format(f)
            if fmt == "jsonl":
                rows = _jsonl_rows(f)
            elif fmt == "jigsaw_csv":
                rows = _jigsaw_rows(f)
            else:
                continue
            for text, labels in rows:
                if labels:
                    out[text_key(text)] = labels
    return out


def _jsonl_rows(f: Path) -> Iterable[tuple[str, dict[str, int]]]:
    with open(f, encoding="utf-8") as fh:
        for line in fh:
            # most corpora carry no field this module reads: skip their rows unparsed
            if '"raw"' not in line:
                continue
            try:
                row = json.loads(line)
            except ValueError:
                continue
            text = row.get("text")
            if isinstance(text, str) and text.strip():
                yield text, kind_labels_from_raw(str(row.get("source") or f.stem), row.get("raw"))


def _jigsaw_rows(f: Path) -> Iterable[tuple[str, dict[str, int]]]:
    with open(f, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        reader.fieldnames = [h.strip().lower() for h in reader.fieldnames or []]
        for row in reader:
            text = row.get("comment_text") or ""
            try:
                yield text, kind_labels_from_raw("jigsaw", {k: row.get(k) or 0 for k in _JIGSAW})
            except ValueError:
                continue


def labelled(examples: Iterable[Example], raw: dict[str, dict[str, int]]
             ) -> list[tuple[Example, dict[str, int]]]:
    """(example, kind labels) for the examples with at least one kind label."""
    out = []
    for e in examples:
        labels = kind_labels_of_case(e) if e.source == SITE_SOURCE else raw.get(text_key(e.text), {})
        if labels:
            out.append((e, labels))
    return out


# --------------------------------------------------------------------------- features

def head_features(word, lex, decision) -> sp.csr_matrix:
    """The heads' input: word n-grams, the scaled lexicon/cue counts, the abuse decision value
    (the same three things ``Scorer`` has in hand when it scores a batch)."""
    d = np.asarray(decision, dtype=np.float64).reshape(-1, 1)
    return sp.hstack([word, sp.csr_matrix(lex), sp.csr_matrix(d)], format="csr")


def pipeline_head_features(pipe, clf, texts: Sequence[str], max_chars: int | None = None
                           ) -> sp.csr_matrix:
    """``head_features`` through the abuse pipeline's own steps (training). ``max_chars``
    truncates, as training does; without it the features are the ones ``Scorer`` computes."""
    if max_chars is not None:
        texts = [t[:max_chars] for t in texts]
    normed = pipe.named_steps["norm"].transform(list(texts))
    union = pipe.named_steps["features"]
    full = union.transform(normed).tocsr()
    text = union.named_transformers["text"]
    n_word = text.transformer_list[0][1].n_features
    n_text = sum(int(est.n_features) for _, est in text.transformer_list)
    n_lex = len(union.named_transformers["lex"].NAMES)
    d = clf.decision_function(full)
    return head_features(full[:, :n_word], full[:, n_text:n_text + n_lex].toarray(), d)


def apply_heads(heads: dict, word, lex: np.ndarray, decision: np.ndarray) -> np.ndarray:
    """Calibrated kind probabilities, one column per ``heads["kinds"]``, for a batch."""
    coef = heads["coef"]
    n_word = word.shape[1]
    z = np.asarray(word @ coef[:n_word], dtype=np.float64)
    z += lex @ coef[n_word:n_word + lex.shape[1]]
    z += np.outer(decision, coef[-1])
    z += heads["intercept"]
    z = heads["cal_a"] * z + heads["cal_b"]
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


# --------------------------------------------------------------------------- training

def _platt(d: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    lr = LogisticRegression(C=1e4, max_iter=1000)
    lr.fit(d.reshape(-1, 1), y)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def _best_f1_threshold(y: np.ndarray, p: np.ndarray) -> float:
    best, best_t = -1.0, 0.5
    for t in np.round(np.arange(0.05, 0.96, 0.01), 2):
        held = p >= t
        tp = float((held & (y == 1)).sum())
        if not tp:
            continue
        f1 = 2 * tp / (held.sum() + (y == 1).sum())
        if f1 > best:
            best, best_t = f1, float(t)
    return best_t


def _figures(y: np.ndarray, p: np.ndarray, present: float) -> dict[str, Any]:
    out: dict[str, Any] = {"n": int(len(y)), "positives": int(y.sum())}
    if 0 < y.sum() < len(y):
        out["roc_auc"] = round(float(roc_auc_score(y, p)), 4)
        out["average_precision"] = round(float(average_precision_score(y, p)), 4)
        held = p >= present
        tp = int((held & (y == 1)).sum())
        out["precision"] = round(tp / int(held.sum()), 4) if held.any() else None
        out["recall"] = round(tp / int(y.sum()), 4)
    return out


def _matrix(rows: list[tuple[Example, dict[str, int]]], kinds: Sequence[str]) -> np.ndarray:
    """Labels (-1 = unknown), one column per kind."""
    y = np.full((len(rows), len(kinds)), -1, dtype=np.int8)
    for i, (_, labels) in enumerate(rows):
        for j, kind in enumerate(kinds):
            if kind in labels:
                y[i, j] = labels[kind]
    return y


def train_heads(pipe, clf, data: dict, *, max_chars: int = 2000,
                progress: Progress | None = None) -> tuple[dict | None, dict]:
    """Train, calibrate and evaluate one head per kind on a trained abuse pipeline.

    ``data`` is ``model.train.prepare_data``'s output (its splits are the abuse model's, so
    a head is never evaluated on text the abuse model trained on). Returns ``(heads,
    metrics)``; ``heads`` is None when no kind had enough labels (the model then serves
    none of these attributes).
    """
    progress = progress or (lambda stage, fraction: None)
    raw = load_raw_kind_labels(data["paths"])
    train_rows = labelled(data["abuse_corpora_train"], raw)
    train_rows += labelled([e for e in data["abuse_train"] if e.source == SITE_SOURCE], raw)
    cal_rows = labelled(data["abuse_calibration"], raw)
    held_rows = labelled(data["abuse_heldout"], raw) + labelled(data["news_heldout"], raw)
    if not train_rows:
        return None, {}
    progress(f"featurising {len(train_rows)} comments for the abuse kinds", 0.0)
    X = pipeline_head_features(pipe, clf, [e.text for e, _ in train_rows], max_chars)
    # calibration and held-out texts whole, as the scorer sees them in service
    Xc = pipeline_head_features(pipe, clf, [e.text for e, _ in cal_rows]) if cal_rows else None
    Xh = pipeline_head_features(pipe, clf, [e.text for e, _ in held_rows]) if held_rows else None
    Y, Yc, Yh = _matrix(train_rows, KINDS), _matrix(cal_rows, KINDS), _matrix(held_rows, KINDS)
    site_w = np.array([SITE_WEIGHT if e.source == SITE_SOURCE else 1.0 for e, _ in train_rows])
    coefs, intercepts, cal_a, cal_b, kinds, present = [], [], [], [], [], {}
    metrics: dict[str, Any] = {}
    for j, kind in enumerate(KINDS):
        known = Y[:, j] >= 0
        y = Y[known, j].astype(int)
        n_pos = int(y.sum())
        if n_pos < MIN_POSITIVES or len(y) - n_pos < MIN_POSITIVES:
            metrics[kind] = {"trained": False, "train_positives": n_pos, "train_n": int(len(y))}
            continue
        progress(f"abuse kind: {kind}", (j + 1) / (len(KINDS) + 1))
        w = site_w[known].copy()
        for cls in (0, 1):  # equal total weight per class
            w[y == cls] *= (len(y) / 2) / w[y == cls].sum()
        m = LogisticRegression(C=HEAD_C, solver="liblinear", max_iter=1000)
        m.fit(X[known], y, sample_weight=w)
        ckn = Yc[:, j] >= 0 if Xc is not None else np.zeros(0, dtype=bool)
        yc = Yc[ckn, j].astype(int)
        if ckn.any() and 0 < yc.sum() < len(yc):
            a, b = _platt(m.decision_function(Xc[ckn]), yc)
            cal_source = "calibration split"
        else:  # too little calibration data (small runs): the training data's own prevalence
            a, b = _platt(m.decision_function(X[known]), y)
            cal_source = "training data"
        if ckn.any() and yc.sum():
            pc = 1.0 / (1.0 + np.exp(-(a * m.decision_function(Xc[ckn]) + b)))
            t = _best_f1_threshold(yc, pc)
        else:
            t = 0.5
        kinds.append(kind)
        coefs.append(np.asarray(m.coef_, dtype=np.float64).ravel())
        intercepts.append(float(m.intercept_[0]))
        cal_a.append(a)
        cal_b.append(b)
        present[kind] = t
        entry: dict[str, Any] = {"trained": True, "present_threshold": t, "calibration": cal_source,
                                 "train": _source_counts(train_rows, Y[:, j]),
                                 "train_positives": n_pos, "train_n": int(len(y))}
        if Xh is not None:
            hk = Yh[:, j] >= 0
            ph = 1.0 / (1.0 + np.exp(-(a * m.decision_function(Xh) + b)))
            sources = np.array([e.source for e, _ in held_rows])
            entry["heldout"] = _figures(Yh[hk, j].astype(int), ph[hk], t)
            for name, mask in (("heldout_jigsaw", sources == JIGSAW_SOURCE),
                               ("heldout_site", sources == SITE_SOURCE)):
                if (hk & mask).any():
                    entry[name] = _figures(Yh[hk & mask, j].astype(int), ph[hk & mask], t)
        metrics[kind] = entry
    if not kinds:
        return None, metrics
    heads = {
        "format": HEAD_FORMAT,
        "kinds": list(kinds),
        # float32: half the bytes to store and load; the products run in float64
        "coef": np.ascontiguousarray(np.stack(coefs, axis=1), dtype=np.float32),
        "intercept": np.asarray(intercepts, dtype=np.float64),
        "cal_a": np.asarray(cal_a, dtype=np.float64),
        "cal_b": np.asarray(cal_b, dtype=np.float64),
        "present": present,
    }
    return heads, metrics


def _source_counts(rows: list[tuple[Example, dict[str, int]]], y: np.ndarray) -> dict[str, dict[str, int]]:
    c: dict[str, Counter] = defaultdict(Counter)
    for (e, _), label in zip(rows, y.tolist(), strict=True):
        if label >= 0:
            c[e.source]["n"] += 1
            c[e.source]["positives"] += int(label)
    return {s: dict(v) for s, v in sorted(c.items())}


def card_lines(metrics: dict) -> list[str]:
    """The model card's section on the kinds (empty when the model has none)."""
    kinds = metrics.get("abuse_kinds") or {}
    if not kinds:
        return []
    lines = ["## Abuse kinds (Perspective attributes)", "",
             "One calibrated logistic-regression head per kind on the abuse model's word n-grams, "
             "lexicon/cue counts and decision value (model/attributes.py). Scores are "
             "probabilities at the data's own prevalence; a kind is named in hold reasons at or "
             "above its F1-best threshold on the calibration split.", "",
             "| kind | attribute | trained on (positives) | present at | Jigsaw held-out ROC-AUC | "
             "Jigsaw held-out AP | all held-out ROC-AUC | all held-out AP | site held-out ROC-AUC |",
             "|---|---|---|---|---|---|---|---|---|"]

    def f(d, key):
        v = (d or {}).get(key)
        return "–" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))

    for kind in KINDS:
        m = kinds.get(kind) or {}
        if not m.get("trained"):
            lines.append(f"| {kind} | {kind.upper()} | not trained ({m.get('train_positives', 0)} "
                         "positives) | – | – | – | – | – | – |")
            continue
        jig, allh, site = m.get("heldout_jigsaw"), m.get("heldout"), m.get("heldout_site")
        lines.append(f"| {kind} | {kind.upper()} | {m['train_n']} ({m['train_positives']}) | "
                     f"{m['present_threshold']:.2f} | {f(jig, 'roc_auc')} (n={f(jig, 'n')}, "
                     f"{f(jig, 'positives')} pos) | {f(jig, 'average_precision')} | "
                     f"{f(allh, 'roc_auc')} | {f(allh, 'average_precision')} | "
                     f"{f(site, 'roc_auc')} |")
    return [*lines, ""]


__all__ = ["KINDS", "train_heads", "apply_heads", "head_features", "kind_labels_from_raw",
           "kind_labels_of_case", "card_lines"]
