"""Out-of-fold figures for victim identification on its TRAINING set (never the held-out files).

Settings (C, the evidence features' scale) and detector changes are chosen on these figures:
5-fold stratified CV over the labelled rows (``model/victim_data/train.jsonl``), the background
negatives always in the training folds, as ``model.train`` does for its calibration. Prints the
out-of-fold ROC-AUC, the threshold the training rule would pick (recall >= 97 %), precision,
hard negatives held and the share held per case.

    python bench/vi_cv.py [--C 16 --scale 0.25 ...] [--max-per-source N]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model import train as T  # noqa: E402
from model.features import VictimFeatures, text_features  # noqa: E402
from model.normalize import TextNormalizer  # noqa: E402


def oof_scores(texts, y, w, n_lab, C, scale, seed=0):
    norm = TextNormalizer().transform([t[:T.MAX_CHARS] for t in texts])
    import scipy.sparse as sp
    Xt = text_features().transform(norm)
    Xv = VictimFeatures(scale=1.0).transform(norm)
    X = sp.hstack([Xt, Xv * scale]).tocsr()
    oof = np.zeros(n_lab)
    skf = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    for tr, te in skf.split(np.zeros(n_lab), y[:n_lab]):
        idx = np.concatenate([tr, np.arange(n_lab, len(y))])
        m = LogisticRegression(C=C, solver="liblinear", dual=True, max_iter=1000)
        m.fit(X[idx], y[idx], sample_weight=w[idx])
        oof[te] = m.decision_function(X[te])
    return oof


def report(examples, y, oof):
    a, b = T._platt(oof, y)
    p = T._sigmoid(a * oof + b)
    t, rule = T._choose_vi_threshold(y, p)
    held = p >= t
    hard = set(__import__("model.victim_data.build_train", fromlist=["x"]).HARD_NEGATIVE_CASES)
    cases = defaultdict(list)
    for e, h in zip(examples, held, strict=True):
        cases[(e.labels["victim_identification"], e.case)].append(h)
    neg = y == 0
    hn = np.array([e.case in hard for e in examples]) & neg
    print(f"oof roc_auc {roc_auc_score(y, oof):.4f}  threshold {t:.3f}  recall {rule['oof_recall']:.3f}  "
          f"precision {rule['oof_precision']:.3f}  negatives held {held[neg].mean():.3f}  "
          f"hard negatives held {held[hn].mean():.3f}")
    print("  " + "  ".join(f"{'+' if v else '-'}{c} {np.mean(h):.2f}"
                           for (v, c), h in sorted(cases.items(), key=lambda x: (-x[0][0], x[0][1]))))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--C", type=float, nargs="*", default=[T.VI_C])
    ap.add_argument("--scale", type=float, nargs="*", default=[T.VI_SCALE])
    ap.add_argument("--max-per-source", type=int, default=None)
    args = ap.parse_args(argv)
    data = T.prepare_data(None, max_per_source=args.max_per_source)
    lab, bg = data["vi_labelled"], data["vi_background"]
    allx = lab + bg
    y = np.array([e.labels["victim_identification"] for e in allx], dtype=int)
    w = np.concatenate([T._weights(lab, "victim_identification", T.VI_SOURCE_WEIGHTS),
                        np.full(len(bg), T.VI_BACKGROUND_WEIGHT)])
    print(f"{len(lab)} labelled rows, {len(bg)} background negatives")
    for C in args.C:
        for scale in args.scale:
            print(f"C={C} scale={scale}")
            oof = oof_scores([e.text for e in allx], y, w, len(lab), C, scale)
            report(lab, y[:len(lab)], oof)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
