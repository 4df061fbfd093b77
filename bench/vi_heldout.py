"""Release figures of a trained model on one victim-identification held-out file, at the model's
own threshold: precision, recall, ROC-AUC, negatives held, hard negatives held (the hard cases of
docs/LABELLING_GUIDELINE.md section 7) and the share held per case. Run it ONCE per fresh set,
with the model final (docs/MODEL.md): these figures are never a basis for tuning.

    python bench/vi_heldout.py --model PATH model/victim_data/heldout_fresh3.jsonl
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model import artifact  # noqa: E402
from model.corpora import load_jsonl  # noqa: E402
from model.evaluate import predict  # noqa: E402
from model.train import VI_HARD_NEGATIVE_CASES  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("file")
    args = ap.parse_args(argv)
    scorer = artifact.load(args.model)
    rows = [e for e in load_jsonl(args.file) if e.labels.get("victim_identification") is not None]
    y = np.array([e.labels["victim_identification"] for e in rows], dtype=int)
    p = predict(scorer, [e.text for e in rows])["victim_identification"]
    t = scorer.thresholds["victim_identification"]
    held = p >= t
    pos, neg = y == 1, y == 0
    hard = neg & np.array([e.case in VI_HARD_NEGATIVE_CASES for e in rows])
    prec = (held & pos).sum() / max(1, held.sum())
    print(f"model {scorer.version}  file {Path(args.file).name}  n {len(y)} (positives {pos.sum()})")
    print(f"threshold {t:.3f}  roc_auc {roc_auc_score(y, p):.4f}  precision {prec:.3f}  "
          f"recall {held[pos].mean():.3f}  negatives held {held[neg].mean():.3f} (n={neg.sum()})  "
          f"hard negatives held {held[hard].mean():.3f} (n={hard.sum()})")
    cases = defaultdict(list)
    for e, h in zip(rows, held, strict=True):
        cases[(e.labels["victim_identification"], e.case)].append(h)
    for (v, c), h in sorted(cases.items(), key=lambda x: (-x[0][0], x[0][1])):
        print(f"  {'+' if v else '-'}{c:<20} held {np.mean(h):.2f}  (n={len(h)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
