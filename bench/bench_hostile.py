"""Scoring cost of crafted comments at the API's length limit, against a normal comment.

    .venv/bin/python bench/bench_hostile.py --model bench/out/bench-model.skops [--repeat 7]

Runs on one core (as bench/bench_model.py). For every family of ``bench.hostile_texts`` (long
runs of leet characters, repeated trigger words, "street street ...", many capitalised words,
no spaces, unicode, ...) it scores one comment of MAX_TEXT_CHARS characters (the longest the
API accepts; core/config.py) and one of half that length, best of ``--repeat``; and, in the same
run, a normal comment and the real held-out news comments. Prints per family the time, its
ratio to the normal comment and the growth when the length doubles (2.0 is linear, 4.0
quadratic; wall time, and this thread's CPU time, which another process taking the core does
not inflate), then the worst case, the median, the ratio worst / normal, and the time of a
worker's batch of such comments against the lease. Without --model it trains a quick model.

With --api it also posts the normal comment and the worst family's comment to the synchronous
Perspective endpoint (/v1alpha1/comments:analyze, stored and decided, with spans) of a throwaway
deployment (bench/harness.py: private Redis, one gunicorn process on the same core) and prints
the request times, best of --repeat, over one kept-alive connection.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def best_of(fn, arg, repeat: int, clock=time.perf_counter) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = clock()
        fn(arg)
        best = min(best, clock() - t0)
    return best


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                             cwd=Path(__file__).resolve().parents[1], check=False)
        dirty = subprocess.run(["git", "status", "--porcelain", "model"], capture_output=True,
                               text=True, cwd=Path(__file__).resolve().parents[1], check=False)
        return out.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")
    except OSError:
        return "?"


def analyze_times(scorer, texts: dict[str, str], repeat: int) -> dict[str, float]:
    """Seconds per comments:analyze request for each text, best of ``repeat``."""
    import http.client
    from urllib.parse import urlsplit

    from bench.harness import deployment

    with deployment(workers=0, api_processes=1, scorer=scorer) as d:
        conn = http.client.HTTPConnection(urlsplit(d["base"]).netloc, timeout=60)
        path = f"/v1alpha1/comments:analyze?key={d['site_key']}"

        def post(text: str) -> None:
            body = json.dumps({"comment": {"text": text}, "spanAnnotations": True,
                               "requestedAttributes": {"TOXICITY": {}, "VICTIM_IDENTIFICATION": {}}},
                              ensure_ascii=False).encode()
            conn.request("POST", path, body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"comments:analyze answered {response.status}")

        post(next(iter(texts.values())))  # the API process loads the model on its first request
        return {name: best_of(post, text, repeat) for name, text in texts.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--model", help="model file (with its .json manifest)")
    ap.add_argument("--repeat", type=int, default=7, help="timings per text, best kept (default 7)")
    ap.add_argument("--batch", type=int, default=64, help="worker batch size (default 64)")
    ap.add_argument("--api", action="store_true",
                    help="also time the normal and the worst comment through comments:analyze")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)

    from bench.harness import model_file, pin_one_core

    pinned = pin_one_core()
    from bench.hostile_texts import FAMILIES, NORMAL
    from core.config import Settings
    from model import artifact

    settings = Settings.from_env()
    chars = settings.max_text_chars
    scorer = artifact.load(model_file(args.model, settings))
    score = scorer.score
    score("warm up")

    from model.corpora import load_jsonl

    news = [e.text for e in load_jsonl(Path(__file__).resolve().parents[1]
                                       / "model/news_comments/heldout.jsonl")]
    normal = best_of(score, NORMAL, 5 * args.repeat)
    normal_cpu = best_of(score, NORMAL, 5 * args.repeat, time.thread_time)
    news_times = [best_of(score, t, 3) for t in news]
    rows = []
    for name, (aim, make) in FAMILIES.items():
        full, half = make(chars), make(chars // 2)
        t_full, t_half = best_of(score, full, args.repeat), best_of(score, half, args.repeat)
        cpu = best_of(score, full, args.repeat, time.thread_time)
        rows.append({"family": name, "aim": aim, "ms": round(t_full * 1e3, 3),
                     "cpu_ms": round(cpu * 1e3, 3), "x_normal": round(t_full / normal),
                     "growth_2x": round(t_full / t_half, 2)})
    rows.sort(key=lambda r: -r["ms"])
    worst = rows[0]
    # a worker's batch of the worst family, against the lease it holds the batch under
    batch = [FAMILIES[worst["family"]][1](chars)] * args.batch
    t_batch = best_of(scorer.score_batch, batch, 3)
    out = {
        "cpu": pinned, "commit": _commit(), "model_version": scorer.version, "chars": chars,
        "normal_comment_chars": len(NORMAL), "normal_ms": round(normal * 1e3, 3),
        "normal_cpu_ms": round(normal_cpu * 1e3, 3),
        "news_heldout_median_ms": round(statistics.median(news_times) * 1e3, 3),
        "news_heldout_median_chars": round(statistics.median(map(len, news))),
        "worst_family": worst["family"], "worst_ms": worst["ms"],
        "worst_cpu_ms": max(r["cpu_ms"] for r in rows),
        "median_ms": round(statistics.median(r["ms"] for r in rows), 3),
        "worst_x_normal": round(worst["ms"] / (normal * 1e3)),
        "max_growth_2x": max(r["growth_2x"] for r in rows),
        f"batch{args.batch}_worst_seconds": round(t_batch, 3), "lease_seconds": settings.lease_seconds,
        "families": rows,
    }
    if args.api:
        api = analyze_times(scorer, {"normal": NORMAL, "worst": batch[0]}, args.repeat)
        out["api_normal_ms"] = round(api["normal"] * 1e3, 3)
        out["api_worst_ms"] = round(api["worst"] * 1e3, 3)
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"{chars}-character comments, {len(rows)} families, best of {args.repeat}; {pinned}; "
          f"commit {out['commit']}, model {scorer.version}")
    print(f"normal comment ({len(NORMAL)} chars): {out['normal_ms']} ms (CPU {out['normal_cpu_ms']} ms); "
          f"held-out news comments: "
          f"median {out['news_heldout_median_ms']} ms ({out['news_heldout_median_chars']} chars)")
    print(f"\n{'family':26s} {'ms':>8s} {'CPU ms':>8s} {'x normal':>9s} {'growth 2x':>10s}")
    for r in rows:
        print(f"{r['family']:26s} {r['ms']:8.2f} {r['cpu_ms']:8.2f} {r['x_normal']:9d} "
              f"{r['growth_2x']:10.2f}")
    print(f"\nworst case {out['worst_ms']} ms ({out['worst_family']}; CPU {out['worst_cpu_ms']} ms), "
          f"median {out['median_ms']} ms, "
          f"worst / normal {out['worst_x_normal']}x, largest growth for 2x length "
          f"{out['max_growth_2x']}")
    if args.api:
        print(f"comments:analyze over HTTP: normal comment {out['api_normal_ms']} ms, worst case "
              f"({out['worst_family']}) {out['api_worst_ms']} ms")
    print(f"a batch of {args.batch} worst-case comments: {out[f'batch{args.batch}_worst_seconds']} s "
          f"(lease {settings.lease_seconds} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
