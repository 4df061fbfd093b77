"""Metrics: the same shape at training time (held-out data) and on demand.

Per category: ROC-AUC, average precision, precision / recall / share of clean
comments held at the hold threshold, a down-sampled precision-recall curve,
and a per-source breakdown. For abuse also a realistic stream (1 comment in
100 abusive); for victim identification the hold rate on the hard negatives
of the project's data (officials, offenders convicted in open court,
self-disclosure, anonymised labels, ...) and per-case rates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score

from model.categories import CATEGORIES
from model.corpora import SITE_SOURCE, Example

# Sources whose 0-labels are all borderline (pre-selected as toxic / "not hate"), not clean.
# Row-level borderline 0s carry case == "borderline" (see model.corpora).
BORDERLINE_SOURCES = frozenset({"civil_comments_toxic_spans", "hateval_tweets"})


def is_clean(example: Example) -> bool:
    """A 0 that means clean: not from a borderline source, not marked borderline."""
    return example.source not in BORDERLINE_SOURCES and example.case != "borderline"
STREAM_PREVALENCE = 0.01
BATCH = 2048


def _f(x) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if np.isnan(x) else round(x, 5)


def category_metrics(y: np.ndarray, p: np.ndarray, threshold: float, *, curve: bool = False) -> dict:
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    n, pos = int(len(y)), int(y.sum())
    held = p >= threshold
    tp = int((held & (y == 1)).sum())
    fp = int((held & (y == 0)).sum())
    out = {
        "n": n, "positives": pos, "threshold": _f(threshold),
        "roc_auc": _f(roc_auc_score(y, p)) if 0 < pos < n else None,
        "average_precision": _f(average_precision_score(y, p)) if 0 < pos < n else None,
        "precision": _f(tp / (tp + fp)) if tp + fp else None,
        "recall": _f(tp / pos) if pos else None,
        "clean_held": _f(fp / (n - pos)) if n - pos else None,
        "held": _f(held.mean()) if n else None,
    }
    if out["precision"] is not None and out["recall"] is not None and out["precision"] + out["recall"]:
        out["f1"] = _f(2 * out["precision"] * out["recall"] / (out["precision"] + out["recall"]))
    if curve and 0 < pos < n:
        prec, rec, thr = precision_recall_curve(y, p)
        idx = np.unique(np.linspace(0, len(thr) - 1, min(len(thr), 120)).astype(int))
        out["pr_curve"] = {"precision": [_f(prec[i]) for i in idx], "recall": [_f(rec[i]) for i in idx],
                           "thresholds": [_f(thr[i]) for i in idx]}
    return out


def stream_metrics(y: np.ndarray, p: np.ndarray, clean_ok: Sequence[bool], threshold: float,
                   prevalence: float = STREAM_PREVALENCE) -> dict:
    """A realistic stream: clean comments (borderline 0s excluded) with abuse at `prevalence`."""
    y = np.asarray(y)
    p = np.asarray(p)
    clean = (y == 0) & np.asarray(clean_ok, dtype=bool)
    abusive = y == 1
    if not clean.any() or not abusive.any():
        return {}
    fpr = float((p[clean] >= threshold).mean())
    tpr = float((p[abusive] >= threshold).mean())
    holds = prevalence * tpr + (1 - prevalence) * fpr
    return {
        "prevalence": prevalence, "clean_n": int(clean.sum()), "abusive_n": int(abusive.sum()),
        "clean_held": _f(fpr), "abusive_held": _f(tpr),
        "precision": _f(prevalence * tpr / holds) if holds else None,
        "holds_per_1000": _f(1000 * holds),
    }


def predict(scorer, texts: Sequence[str]) -> dict[str, np.ndarray]:
    parts = {c: [] for c in CATEGORIES}
    for i in range(0, len(texts), BATCH):
        probs = scorer.predict_proba(texts[i:i + BATCH])
        for c in CATEGORIES:
            parts[c].append(probs[c])
    return {c: (np.concatenate(parts[c]) if parts[c] else np.zeros(0)) for c in CATEGORIES}


def _held_by_case(examples: Sequence[Example], y: np.ndarray, held: np.ndarray,
                  mask: np.ndarray) -> dict:
    """{"pos:<case>" | "neg:<case>": {"n", "held"}} over the examples selected by ``mask``."""
    cases: dict[str, dict] = {}
    for ex, lbl, h, m in zip(examples, y, held, mask, strict=True):
        if not m or not ex.case:
            continue
        c = cases.setdefault(f"{'pos' if lbl else 'neg'}:{ex.case}", {"n": 0, "held": 0})
        c["n"] += 1
        c["held"] += int(h)
    return {k: {"n": v["n"], "held": _f(v["held"] / v["n"])} for k, v in sorted(cases.items())}


def metrics_from_scores(examples: Sequence[Example], probs: dict[str, np.ndarray],
                        thresholds: dict[str, float]) -> dict:
    out: dict = {}
    for cat in CATEGORIES:
        idx = [i for i, e in enumerate(examples) if e.labels.get(cat) is not None]
        if not idx:
            continue
        y = np.array([examples[i].labels[cat] for i in idx], dtype=int)
        p = probs[cat][idx]
        sources = [examples[i].source for i in idx]
        t = thresholds[cat]
        m = category_metrics(y, p, t, curve=True)
        by_source = {}
        for src in sorted(set(sources)):
            mask = np.array([s == src for s in sources])
            by_source[src] = category_metrics(y[mask], p[mask], t)
        m["by_source"] = by_source
        if cat == "abuse":
            clean_ok = np.array([is_clean(examples[i]) for i in idx], dtype=bool)
            m["stream_1pct"] = stream_metrics(y, p, clean_ok, t)
            keep = clean_ok | (y == 1)
            if keep.any():
                m["excluding_borderline"] = category_metrics(y[keep], p[keep], t)
            site = np.array([s == SITE_SOURCE for s in sources])
            if site.any():
                m["site_comments"] = category_metrics(y[site], p[site], t)
                m["by_case"] = _held_by_case([examples[i] for i in idx], y, p >= t, site)
        else:
            vd = np.array([s == "victim_data" for s in sources])
            neg = vd & (y == 0)
            if neg.any():
                m["hard_negative_held"] = _f((p[neg] >= t).mean())
                m["hard_negatives_n"] = int(neg.sum())
            bg = ~vd & (y == 0)
            if bg.any():
                m["background_clean_held"] = _f((p[bg] >= t).mean())
            cases = _held_by_case([examples[i] for i in idx], y, p >= t, vd)
            if cases:
                m["by_case"] = cases
            if vd.any():
                m["victim_data_only"] = category_metrics(y[vd], p[vd], t)
        out[cat] = m
    return out


def evaluate(scorer, examples: Iterable[Example], thresholds: dict[str, float] | None = None) -> dict:
    """Metrics of `scorer` on labelled examples (labels None are skipped per category)."""
    examples = list(examples)
    probs = predict(scorer, [e.text for e in examples])
    return metrics_from_scores(examples, probs, thresholds or scorer.thresholds)
