"""The quality gate: is a candidate model at least as good as the active one?

``compare(candidate_metrics, active_metrics, tolerance)`` compares, per
category, ROC-AUC, average precision and recall (higher is better) and the
share of clean comments held (lower is better); a metric worse by more than
``tolerance``, or missing from the candidate while the active version has it,
fails; abuse on the site's own comments is gated as a section of its own.
``gate(candidate, active, tolerance, abuse=..., victim=...)``
re-evaluates both Scorers on the same held-out sets when given (so versions
trained on different data are compared fairly), else compares their stored
metrics. ``heldout_sets`` loads those sets; ``summary`` is the compact view
of a metrics dict for listings.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from model.categories import CATEGORIES
from model.corpora import Example, load_news_comments, load_victim_identification

GATED_METRICS: dict[str, str] = {
    "roc_auc": "higher",
    "average_precision": "higher",
    "recall": "higher",
    "clean_held": "lower",
}
SUMMARY_KEYS = ("n", "positives", "threshold", "roc_auc", "average_precision", "precision",
                "recall", "clean_held")


def _num(x):
    return None if x is None else float(x)


SITE_SECTION = "abuse (site comments)"


def _sections(metrics: dict) -> dict[str, dict]:
    """The gated metric sets: each category, plus abuse on the site's own comments (the
    domain the service runs in; pooled abuse mixes it with every corpus)."""
    out = {cat: metrics.get(cat) or {} for cat in CATEGORIES}
    site = (metrics.get("abuse") or {}).get("site_comments")
    if site:
        out[SITE_SECTION] = site
    return out


def compare(candidate: dict, active: dict | None, tolerance: float) -> dict:
    """Per-category, per-metric comparison; ``passed`` unless something got worse."""
    result: dict = {"passed": True, "failed": [], "tolerance": tolerance, "categories": {}}
    if active is None:
        result["basis"] = "no active version"
        return result
    cand_sections, act_sections = _sections(candidate), _sections(active)
    for cat in dict.fromkeys([*act_sections, *cand_sections]):
        cand_m = cand_sections.get(cat) or {}
        act_m = act_sections.get(cat) or {}
        rows = {}
        cat_ok = True
        for metric, better in GATED_METRICS.items():
            a = _num(act_m.get(metric))
            c = _num(cand_m.get(metric))
            if a is None:
                continue  # nothing to defend
            if c is None:
                row = {"candidate": None, "active": a, "better": better, "delta": None, "ok": False}
            else:
                delta = round(c - a, 6)
                ok = delta >= -tolerance if better == "higher" else delta <= tolerance
                row = {"candidate": c, "active": a, "better": better, "delta": delta, "ok": ok}
            rows[metric] = row
            if not row["ok"]:
                cat_ok = False
                result["failed"].append(f"{cat}.{metric}")
        result["categories"][cat] = {"passed": cat_ok, "metrics": rows}
    result["passed"] = not result["failed"]
    return result


def heldout_sets(abuse_data: str | os.PathLike, max_per_source: int | None = None,
                 victim_data: str | os.PathLike | None = None
                 ) -> tuple[list[Example], list[Example]]:
    """(abuse held-out examples, victim-identification held-out examples)."""
    from model.train import load_abuse_splits

    abuse = load_abuse_splits([os.fspath(abuse_data)], max_per_source)["heldout"]
    victim = load_victim_identification("heldout", victim_data)
    return abuse + load_news_comments("heldout"), victim


def evaluate_on(scorer, abuse: Sequence[Example], victim: Sequence[Example]) -> dict:
    """Held-out metrics (abuse on `abuse` + victims' abuse labels; VI on `victim`)."""
    from model.evaluate import evaluate

    out: dict = {}
    abuse_ex = list(abuse) + [Example(e.text, {"abuse": e.labels.get("abuse"),
                                               "victim_identification": None}, e.source, e.case)
                              for e in victim]
    if abuse_ex:
        out.update({k: v for k, v in evaluate(scorer, abuse_ex).items() if k == "abuse"})
    if victim:
        vi = evaluate(scorer, [Example(e.text, {"abuse": None, "victim_identification":
                                                e.labels.get("victim_identification")},
                                       e.source, e.case) for e in victim])
        if "victim_identification" in vi:
            out["victim_identification"] = vi["victim_identification"]
    return out


def gate(candidate, active, tolerance: float, *, abuse: Sequence[Example] | None = None,
         victim: Sequence[Example] | None = None) -> dict:
    """Gate `candidate` (a Scorer) against `active` (a Scorer or None)."""
    if active is None:
        result = compare(candidate.metrics or {}, None, tolerance)
        result["candidate_version"] = candidate.version
        return result
    if abuse is not None or victim is not None:
        cand_metrics = evaluate_on(candidate, abuse or [], victim or [])
        act_metrics = evaluate_on(active, abuse or [], victim or [])
        basis = "re-evaluated on the same held-out sets"
    else:
        cand_metrics, act_metrics = candidate.metrics or {}, active.metrics or {}
        basis = "metrics stored with each version"
    result = compare(cand_metrics, act_metrics, tolerance)
    result.update(basis=basis, candidate_version=candidate.version, active_version=active.version)
    return result


def summary(metrics: dict | None) -> dict:
    """Headline figures per category (no curves, no per-source tables)."""
    metrics = metrics or {}
    out: dict = {}
    for cat in CATEGORIES:
        m = metrics.get(cat)
        if not m:
            continue
        row = {k: m.get(k) for k in SUMMARY_KEYS if k in m}
        if cat == "abuse" and m.get("stream_1pct"):
            row["stream_clean_held"] = m["stream_1pct"].get("clean_held")
        if cat == "abuse" and m.get("site_comments"):
            row["site_comments"] = {k: m["site_comments"].get(k)
                                    for k in ("roc_auc", "recall", "clean_held")}
        if cat == "victim_identification" and "hard_negative_held" in m:
            row["hard_negative_held"] = m["hard_negative_held"]
        out[cat] = row
    return out
