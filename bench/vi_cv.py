"""Out-of-fold figures for victim identification on its TRAINING set (never the held-out files).

Settings (C, the evidence features' scale) and detector changes are chosen on these figures:
5-fold stratified CV over the labelled rows (``model/victim_data/train.jsonl``), the background
negatives always in the training folds, as ``model.train`` does for its calibration. Prints the
out-of-fold ROC-AUC, the threshold the training rule would pick (recall >= 97 %), precision,
hard negatives held and the share held per case; then the same figures for the rows of each
other author (``train_*.jsonl``, e.g. fresh set #1 retired into training) at that threshold.
``--new-author ORIGIN`` adds a second view: trained without that author's rows, scored on them
at the threshold the rule picks on the others' out-of-fold scores (how a new author's style fares).
``--errors`` prints the out-of-fold errors (text, case, p) for reading; never commit them.

    python bench/vi_cv.py [--C 16 --scale 0.25 ...] [--max-per-source N] [--new-author fresh1]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model import train as T  # noqa: E402
from model.corpora import VICTIM_DATA_DIR, text_key  # noqa: E402
from model.features import VictimFeatures, text_features  # noqa: E402
from model.normalize import TextNormalizer  # noqa: E402


def origins() -> dict[str, str]:
    """text key -> origin of each training row ("ours" unless another author's file)."""
    out = {}
    with open(VICTIM_DATA_DIR / "train.jsonl", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            out[text_key(r["text"])] = r.get("origin", "ours")
    return out


def featurise(texts, scale):
    import scipy.sparse as sp
    norm = TextNormalizer().transform([t[:T.MAX_CHARS] for t in texts])
    Xt = text_features().transform(norm)
    Xv = VictimFeatures(scale=1.0).transform(norm)
    return sp.hstack([Xt, Xv * scale]).tocsr()


def _fit(X, y, w, C):
    m = LogisticRegression(C=C, solver="liblinear", dual=True, max_iter=1000)
    m.fit(X, y, sample_weight=w)
    return m


def oof_scores(X, y, w, n_lab, C, seed=0):
    oof = np.zeros(n_lab)
    skf = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    for tr, te in skf.split(np.zeros(n_lab), y[:n_lab]):
        idx = np.concatenate([tr, np.arange(n_lab, len(y))])
        oof[te] = _fit(X[idx], y[idx], w[idx], C).decision_function(X[te])
    return oof


HARD = T.VI_HARD_NEGATIVE_CASES


def figures(label, examples, y, p, t, decision=None, by_case=True):
    """Precision, recall, hard negatives held at threshold t (and ROC-AUC of ``decision``)."""
    held = p >= t
    pos, neg = y == 1, y == 0
    hn = np.array([e.case in HARD for e in examples]) & neg
    prec = (held & pos).sum() / max(1, held.sum())
    auc = f"roc_auc {roc_auc_score(y, decision if decision is not None else p):.4f}  " \
        if 0 < pos.sum() < len(y) else ""
    print(f"{label}: n {len(y)}  {auc}precision {prec:.3f}  recall {held[pos].mean():.3f}  "
          f"negatives held {held[neg].mean():.3f}  hard negatives held {held[hn].mean():.3f} "
          f"(n={hn.sum()})")
    if by_case:
        cases = defaultdict(list)
        for e, h in zip(examples, held, strict=True):
            cases[(e.labels["victim_identification"], e.case)].append(h)
        print("  " + "  ".join(f"{'+' if v else '-'}{c} {np.mean(h):.2f}" for (v, c), h
                               in sorted(cases.items(), key=lambda x: (-x[0][0], x[0][1]))))


def errors(examples, y, p, t, origin):
    """Out-of-fold errors for reading (printed, never written anywhere)."""
    for e, yy, pp in sorted(zip(examples, y, p, strict=True), key=lambda x: (x[0].case, -x[2])):
        if (pp >= t) != bool(yy):
            print(f"  {'MISS' if yy else 'HOLD'} {e.case:<20} {pp:.2f} {origin(e):<6} {e.text}")


def report(examples, y, oof, origin, show_errors=False):
    a, b = T._platt(oof, y)
    p = T._sigmoid(a * oof + b)
    t, rule = T._choose_vi_threshold(y, p)
    print(f"threshold {t:.3f} (rule: out-of-fold recall >= {T.VI_MIN_RECALL})")
    figures("all rows, out of fold", examples, y, p, t, decision=oof)
    by = defaultdict(list)
    for i, e in enumerate(examples):
        by[origin(e)].append(i)
    for o, idx in sorted(by.items()):
        idx = np.array(idx)
        figures(f"  {o} rows, out of fold", [examples[i] for i in idx], y[idx], p[idx], t,
                decision=oof[idx], by_case=o != "ours")
    if show_errors:
        errors(examples, y, p, t, origin)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--C", type=float, nargs="*", default=[T.VI_C])
    ap.add_argument("--scale", type=float, nargs="*", default=[T.VI_SCALE])
    ap.add_argument("--max-per-source", type=int, default=None)
    ap.add_argument("--new-author", default=None, help="origin whose rows are left out and scored")
    ap.add_argument("--errors", action="store_true", help="print out-of-fold errors (for reading)")
    args = ap.parse_args(argv)
    data = T.prepare_data(None, max_per_source=args.max_per_source)
    lab, bg = data["vi_labelled"], data["vi_background"]
    allx = lab + bg
    y = np.array([e.labels["victim_identification"] for e in allx], dtype=int)
    w = T.vi_weights(lab, len(bg))
    keys = origins()

    def origin(e):
        return keys.get(text_key(e.text), "moderator")

    n = len(lab)
    print(f"{n} labelled rows ({', '.join(f'{k} {v}' for k, v in sorted(_count(lab, origin).items()))}), "
          f"{len(bg)} background negatives")
    for C in args.C:
        for scale in args.scale:
            print(f"C={C} scale={scale}")
            X = featurise([e.text for e in allx], scale)
            oof = oof_scores(X, y, w, n, C)
            report(lab, y[:n], oof, origin, args.errors)
            if args.new_author:
                new_author(lab, X, y, w, n, C, origin, args.new_author, args.errors)
    return 0


def _count(examples, origin):
    out: dict[str, int] = defaultdict(int)
    for e in examples:
        out[origin(e)] += 1
    return out


def new_author(lab, X, y, w, n, C, origin, author, show_errors):
    """Train on everything but one author's rows; score those at the others' out-of-fold threshold."""
    mine = np.array([origin(e) == author for e in lab])
    others = np.concatenate([np.flatnonzero(~mine), np.arange(n, len(y))])
    n_o = int((~mine).sum())
    oof = oof_scores(X[others], y[others], w[others], n_o, C)
    a, b = T._platt(oof, y[others][:n_o])
    t, _ = T._choose_vi_threshold(y[others][:n_o], T._sigmoid(a * oof + b))
    d = _fit(X[others], y[others], w[others], C).decision_function(X[np.flatnonzero(mine)])
    rows = [e for e, m in zip(lab, mine, strict=True) if m]
    print(f"new author {author}: trained without its rows, threshold {t:.3f} from the others' out-of-fold")
    figures(f"  {author} rows as unseen", rows, y[:n][mine], T._sigmoid(a * d + b), t, decision=d)
    if show_errors:
        errors(rows, y[:n][mine], T._sigmoid(a * d + b), t, origin)


if __name__ == "__main__":
    raise SystemExit(main())
