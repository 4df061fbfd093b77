"""Benchmark the classifier: load time, single-comment latency, batch throughput.

    python bench/bench_model.py --model var/models/model-XXXX.skops [--n 3000]

Runs on one core (CPU affinity and single-threaded BLAS) and scores real
held-out comments (abuse corpora + victim-identification held-out file; no
text is printed). Prints wall-clock and CPU figures against the targets
(single comment <= 2 ms median, >= 3,000 comments/s in batches, load <= 3 s)
and, when `alt-profanity-check` is installed, the same figures and the
abuse ROC-AUC of that library on the same texts as a reference.
Without --model it trains a quick model first (--max-per-source 300).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402


def _texts(settings, n: int, max_per_source: int | None):
    from model.corpora import load_victim_identification
    from model.train import load_abuse_splits

    held = load_abuse_splits([settings.abuse_data], max_per_source)["heldout"]
    vi = load_victim_identification("heldout")
    pool = held + vi
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(pool))[:n]
    return [pool[i] for i in idx]


def _timed(fn, repeat: int = 1):
    walls, cpus = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return min(walls), min(cpus)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--model", help="model file (with its .json manifest)")
    ap.add_argument("--n", type=int, default=3000, help="comments to score (default 3000)")
    ap.add_argument("--single", type=int, default=500, help="comments scored one at a time")
    ap.add_argument("--batch-size", type=int, default=64, help="worker batch size (default 64)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)

    from bench.harness import model_file, pin_one_core

    pinned = pin_one_core()
    from core.config import Settings
    from model import artifact
    from model.evaluate import BORDERLINE_SOURCES

    settings = Settings.from_env()
    out: dict = {"cpu": pinned}
    path = model_file(args.model, settings)
    out["model_file_mb"] = round(path.stat().st_size / 1e6, 2)
    loads = []
    for _ in range(3):
        t0 = time.perf_counter()
        scorer = artifact.load(path)
        loads.append(time.perf_counter() - t0)
    out["model_version"] = scorer.version
    out["load_seconds_median"] = round(statistics.median(loads), 3)

    examples = _texts(settings, args.n, None)
    texts = [e.text for e in examples]
    out["comments"] = len(texts)
    out["mean_chars"] = round(sum(map(len, texts)) / len(texts), 1)

    scorer.score_batch(texts[:64])  # warm up
    single = texts[: args.single]
    lat = []
    for t in single:
        t0 = time.perf_counter()
        scorer.score(t)
        lat.append(time.perf_counter() - t0)
    out["single_ms_median"] = round(1000 * statistics.median(lat), 3)
    out["single_ms_p95"] = round(1000 * float(np.percentile(lat, 95)), 3)

    def batches(bs):
        def run():
            for i in range(0, len(texts), bs):
                scorer.score_batch(texts[i:i + bs])
        return run

    for bs in sorted({args.batch_size, 256, 1024}):
        wall, cpu = _timed(batches(bs), repeat=2)
        out[f"batch{bs}_per_second_wall"] = round(len(texts) / wall)
        out[f"batch{bs}_per_second_cpu"] = round(len(texts) / cpu)

    # a realistic stream is mostly clean comments: the same measure on clean held-out ones
    clean_texts = [e.text for e in examples if e.labels.get("abuse") == 0
                   and e.source not in BORDERLINE_SOURCES and e.case != "borderline"]
    if clean_texts:
        def clean_run():
            for i in range(0, len(clean_texts), args.batch_size):
                scorer.score_batch(clean_texts[i:i + args.batch_size])
        wall, cpu = _timed(clean_run, repeat=2)
        out["clean_comments"] = len(clean_texts)
        out[f"clean_batch{args.batch_size}_per_second_cpu"] = round(len(clean_texts) / cpu)

    # quality on these texts (abuse labels present on all of them)
    from sklearn.metrics import roc_auc_score

    lab = [(e, e.labels.get("abuse")) for e in examples if e.labels.get("abuse") is not None]
    clean_ok = [e.source not in BORDERLINE_SOURCES and e.case != "borderline" for e, _ in lab]
    ours = scorer.predict_proba([e.text for e, _ in lab])["abuse"]
    y = np.array([v for _, v in lab])
    keep = np.array([c or v == 1 for c, (_, v) in zip(clean_ok, lab, strict=True)])
    out["abuse_auc_these_texts"] = round(float(roc_auc_score(y, ours)), 4)
    out["abuse_auc_these_texts_excl_borderline"] = round(float(roc_auc_score(y[keep], ours[keep])), 4)

    try:
        from profanity_check import predict_prob
    except ImportError:
        out["alt_profanity_check"] = "not installed"
    else:
        ref: dict = {}
        predict_prob(texts[:10])
        lat = []
        for t in single:
            t0 = time.perf_counter()
            predict_prob([t])
            lat.append(time.perf_counter() - t0)
        ref["single_ms_median"] = round(1000 * statistics.median(lat), 3)
        wall, cpu = _timed(lambda: [predict_prob(texts[i:i + 1024]) for i in range(0, len(texts), 1024)])
        ref["batch1024_per_second_wall"] = round(len(texts) / wall)
        theirs = predict_prob([e.text for e, _ in lab])
        ref["abuse_auc_these_texts"] = round(float(roc_auc_score(y, theirs)), 4)
        ref["abuse_auc_these_texts_excl_borderline"] = round(float(roc_auc_score(y[keep], theirs[keep])), 4)
        out["alt_profanity_check"] = ref

    targets = {
        "single_ms_median <= 2": out["single_ms_median"] <= 2.0,
        f"batch{args.batch_size}_per_second_cpu >= 3000":
            out[f"batch{args.batch_size}_per_second_cpu"] >= 3000,
        "load_seconds_median <= 3": out["load_seconds_median"] <= 3.0,
    }
    out["targets_met"] = targets
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        width = max(map(len, out))
        for k, v in out.items():
            print(f"{k:<{width}}  {json.dumps(v) if isinstance(v, dict) else v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
