"""Build the teacher lexicon (model/teacher_lexicon.py): word -> the MiniLM teacher's score.

Runs in the project's environment and sends texts to the encoder's own environment
(tools/encoder.py, ``MINILM_PYTHON``). Steps, as in bench/loo_levers.py's ``r9_lex_*``:
1. the training comments as ``moderation train`` reads them (held-out and calibration texts
   removed), through the encoder;
2. the teacher: a logistic regression (C=4) on those vectors with the abuse generalist's
   row weights;
3. every candidate word alone through the encoder and the teacher. Candidates: the words of two
   or more training comments, and the encoder's own whole lower-case words.

    .venv/bin/python tools/build_teacher_lexicon.py                 # the shipped table
    .venv/bin/python tools/build_teacher_lexicon.py --folds DIR     # one per left-out corpus

``--folds`` writes ``DIR/without-<source>.tsv.gz`` for each corpus, from a teacher that never saw
it: what ``moderation evaluate --leave-one-out --teacher-folds DIR`` scores the folds with (the
shipped table has seen every corpus, so it would leak into the left-out one).
Encoding the ~123,000 comments takes ~16 minutes on two cores the first time (cached after).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model import train as T  # noqa: E402
from model.leave_one_out import OWN_SOURCES, fold_rows  # noqa: E402
from model.teacher_lexicon import TABLE, word_set, write_table  # noqa: E402
from tools import encoder  # noqa: E402

TEACHER_C = 4.0
MIN_COMMENTS = 2  # a corpus word is a candidate when this many training comments hold it


def _say(msg: str) -> None:
    print(f"{datetime.now(UTC):%H:%M:%S} {msg}", file=sys.stderr, flush=True)


def build(train_rows: list, train_idx: np.ndarray, E: np.ndarray, row_words: list[set[str]],
          words: list[str], W: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The teacher fitted on ``train_idx``'s vectors; the scores of the candidate words."""
    y = np.array([e.labels["abuse"] for e in train_rows], dtype=int)
    teacher = LogisticRegression(C=TEACHER_C, max_iter=2000)
    teacher.fit(E[train_idx], y, sample_weight=T.generalist_weights(train_rows))
    known = encoder.vocabulary_words()
    df = Counter(w for i in train_idx for w in row_words[i])
    keep = [k for k, w in enumerate(words) if w in known or df[w] >= MIN_COMMENTS]
    scores = teacher.decision_function(W[keep])
    return [words[k] for k in keep], scores


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", help="abuse corpora (default: ABUSE_DATA)")
    ap.add_argument("--max-per-source", type=int)
    ap.add_argument("--out", default=str(TABLE), help="the table to write (default: the shipped one)")
    ap.add_argument("--folds", metavar="DIR", help="write one table per left-out corpus here instead")
    args = ap.parse_args()
    t0 = time.time()
    _say("reading the training data")
    data = T.prepare_data(args.data, max_per_source=args.max_per_source)
    pool = data["abuse_train"]
    # the leave-one-out harness's rows and order: one encoding (cached) serves both
    rows = pool + data["abuse_calibration"] + data["abuse_heldout"]
    texts = [e.text[:T.MAX_CHARS] for e in rows]
    _say(f"encoding {len(texts)} comments (cached after the first time)")
    E = encoder.embed(texts)
    row_words = [word_set(t) for t in texts]
    df_all = Counter(w for r in row_words for w in r)
    words = sorted({w for w, n in df_all.items() if n >= MIN_COMMENTS} | encoder.vocabulary_words())
    _say(f"encoding {len(words)} candidate words")
    W = encoder.embed(words)
    header = [f"encoder: {encoder.ENCODER}",
              f"teacher: logistic regression C={TEACHER_C} on the encoder's vectors of the training "
              "comments, the abuse generalist's row weights; score = its decision value",
              f"built {datetime.now(UTC):%Y-%m-%d} from {', '.join(Path(p).name for p in data['paths'])}"
              + (f", at most {args.max_per_source} rows per source" if args.max_per_source else "")]
    if not args.folds:
        words_out, scores = build(pool, np.arange(len(pool)), E, row_words, words, W)
        write_table(args.out, words_out, scores,
                    header + [f"trained on {len(pool)} comments of every source"])
        _say(f"{len(words_out)} words -> {args.out} ({time.time() - t0:.0f} s)")
        return 0
    out = Path(args.folds)
    out.mkdir(parents=True, exist_ok=True)
    corpora = sorted({e.source for e in rows} - OWN_SOURCES)
    for k, left_out in enumerate(corpora):
        test = [e for e in rows if e.source == left_out]
        idx, _ = fold_rows(pool, test, left_out)
        _say(f"fold {k + 1}/{len(corpora)}: {left_out} left out ({len(idx)} training comments)")
        train_rows = [pool[i] for i in idx]
        words_out, scores = build(train_rows, np.asarray(idx), E, row_words, words, W)
        write_table(out / f"without-{left_out}.tsv.gz", words_out, scores,
                    header + [f"trained on {len(idx)} comments, {left_out} and its near-duplicates "
                              "left out"])
    _say(f"{len(corpora)} tables -> {out} ({time.time() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
