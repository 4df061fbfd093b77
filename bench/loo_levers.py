"""The training levers of issue 14, measured in the leave-one-source-out folds.

Every lever is trained on each fold's rows beside the shipped model and the baseline;
prints ROC-AUC / AP per left-out source and on the site's dev comments. Run:
    nice .venv/bin/python bench/loo_levers.py [--max-per-source N] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model import train as T  # noqa: E402
from model.corpora import SITE_SOURCE  # noqa: E402
from model.leave_one_out import format_table, leave_one_out  # noqa: E402


def _sgd():
    return clone(T.build_pipelines()["abuse"].named_steps["clf"])


def site_weight(w: float):
    table = dict(T.SOURCE_WEIGHTS, **{SITE_SOURCE: (w, w), "moderator": (w, w)})

    def fit(X, train, y):
        clf = _sgd().fit(X, y, sample_weight=T._weights(train, "abuse", table))
        return clf.decision_function
    return fit


def balanced(X, train, y):
    w = T._weights(train, "abuse")
    src = np.array([e.source for e in train])
    for s in set(src):
        m = src == s
        w[m] *= (len(w) / len(set(src))) / w[m].sum()
    return _sgd().fit(X, y, sample_weight=w).decision_function


def nb(X, train, y):
    w = T._weights(train, "abuse")
    Xb = X.copy()
    Xb.data = np.abs(Xb.data)
    p = 1.0 + np.asarray(Xb[y == 1].T @ w[y == 1]).ravel()
    q = 1.0 + np.asarray(Xb[y == 0].T @ w[y == 0]).ravel()
    r = np.log((p / p.sum()) / (q / q.sum()))
    D = sp.diags(r)
    clf = _sgd().fit(X @ D, y, sample_weight=w)
    return lambda Z: clf.decision_function(Z @ D)


LEVERS = {"site_w8": site_weight(8.0), "site_w4": site_weight(4.0), "site_w1": site_weight(1.0),
          "source_balanced": balanced, "nb_lr": nb}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-per-source", type=int)
    ap.add_argument("--data", default=None)
    ap.add_argument("--json")
    args = ap.parse_args()
    res = leave_one_out(args.data, max_per_source=args.max_per_source, variants=LEVERS,
                        progress=lambda s, f: print(f"{f:5.1%} {s}", file=sys.stderr, flush=True))
    print(format_table(res))
    names = list(LEVERS)
    print("\n| left out | model | baseline | " + " | ".join(names) + " |")
    for f in res["folds"]:
        cells = [f"{f['variants'][n]['test'][0]:.3f}" for n in names]
        print(f"| {f['source']} | {f['model']['roc_auc']:.3f} | {f['baseline']['roc_auc']:.3f} | "
              + " | ".join(cells) + " |")
    means = [np.mean([f["variants"][n]["test"][0] for f in res["folds"]]) for n in names]
    dev = [np.mean([f["variants"][n]["site_dev"][0] for f in res["folds"]]) for n in names]
    s = res["summary"]
    print(f"| mean | {s['model_roc_auc']:.3f} | {s['baseline_roc_auc']:.3f} | "
          + " | ".join(f"{m:.3f}" for m in means) + " |")
    print(f"| site dev | {s['site_dev_model_roc_auc']:.3f} | {s['site_dev_baseline_roc_auc']:.3f} | "
          + " | ".join(f"{m:.3f}" for m in dev) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
