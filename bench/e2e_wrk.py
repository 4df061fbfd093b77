"""Flat-out end to end with wrk (a C load generator) instead of Python threads, so the
client takes less of the shared 2 cores: accepted/s from wrk, decided/s and
POST-to-decision latency from the stored records, and a check that all were decided.

    .venv/bin/python -m bench.e2e_wrk --seconds 20 --connections 32 --workers 1
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from bench.e2e import percentile
from bench.harness import deployment, load_or_train_scorer
from bench.profile_post import LIMITS

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--api-processes", type=int, default=2)
    parser.add_argument("--gunicorn", default="",
                        help="extra gunicorn options, e.g. '--worker-class gthread --threads 4'")
    parser.add_argument("--model", default=str(HERE / "out" / "bench-model.skops"))
    parser.add_argument("--limits", action="store_true",
                        help="rate limits on at their default shape, raised so none is hit "
                             "(as bench.profile_post): their cost is counted, not their refusals")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    scorer = load_or_train_scorer(args.model, None)
    with deployment(workers=args.workers, api_processes=args.api_processes, scorer=scorer,
                    appendonly=True, gunicorn_args=args.gunicorn.split(),
                    env_overrides=dict(LIMITS) if args.limits else None) as dep:
        runtime = dep["runtime"]
        env = dict(os.environ, SITE_KEY=dep["site_key"])
        # Warm the worker's model before measuring.
        subprocess.run(["wrk", "-t1", "-c1", "-d2s", "-s", str(HERE / "wrk_post.lua"), dep["base"]],
                       env=env, capture_output=True, check=True)
        while runtime.comments.pending_count():
            time.sleep(0.1)
        before = runtime.redis.dbsize()
        started = time.time()
        out = subprocess.run(["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--latency",
                              "-s", str(HERE / "wrk_post.lua"), dep["base"]],
                             env=env, capture_output=True, text=True, check=True).stdout
        while runtime.comments.pending_count():
            time.sleep(0.1)
        ids = [m.decode() for m in runtime.redis.zrangebyscore(
            runtime.keys.pending, "-inf", "+inf")]  # empty when all decided
        records = []
        for article in range(7):
            key = runtime.keys.tenant("default").article_comments(f"story-{article}")
            members = [m.decode() for m in runtime.redis.zrange(key, 0, -1)]
            records += [r for r in runtime.comments.get_many(members, ["created", "decided", "status"])
                        if r and r["created"] >= started]
        decided = [r for r in records if r["status"] != "pending"]
        lag = [r["decided"] - r["created"] for r in decided]
        span = max(r["decided"] for r in decided) - min(r["created"] for r in decided)
        rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
        latency = dict(re.findall(r"\s+(50|90|99)%\s+([0-9.]+\w+)", out))
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        print(json.dumps({
            "setup": {"cpus": os.cpu_count(), "workers": args.workers, "api_processes": args.api_processes,
                      "connections": args.connections, "seconds": args.seconds, "gunicorn": args.gunicorn,
                      "redis": "AOF appendfsync always", "client": "wrk, same machine",
                      "rate_limits": "on, raised" if args.limits else "off"},
            "accepted_per_s_wrk": rps,
            "api_latency_wrk": latency,
            "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "accepted": len(records),
            "decided": len(decided),
            "all_decided": len(decided) == len(records) and not ids,
            "decided_per_s": round(len(decided) / span, 1) if span else None,
            "post_to_decision_ms": {q: round(percentile(lag, p) * 1000, 1)
                                    for q, p in (("p50", .5), ("p95", .95), ("p99", .99))},
            "keys_before": before,
        }, indent=1))


if __name__ == "__main__":
    main()
