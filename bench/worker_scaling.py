"""Worker throughput alone, and how it grows with workers: pre-load N pending comments
straight into Redis (no API), then time 1 and 2 real worker processes draining them.

    .venv/bin/python -m bench.worker_scaling --comments 6000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.e2e import sample_texts
from bench.harness import load_or_train_scorer
from core.config import PROJECT_ROOT, Settings
from moderation.redis_server import RedisServer
from service.runtime import Runtime
from worker.publishing import register_scorer

HERE = Path(__file__).resolve().parent


def run(workers: int, n: int, scorer, texts: list[str]) -> dict:
    with RedisServer(appendonly=False) as server:
        runtime = Runtime.build(Settings.from_env(env={}, redis_url=server.url))
        register_scorer(runtime.models, scorer, created_by="bench", activate=True)
        for i in range(n):
            runtime.comments.create(article_id=f"s{i % 7}", text=texts[i % len(texts)],
                                    author_id=f"r{i % 500}", flag_ttl=1)
        runtime.redis.delete(runtime.keys.drain_scheduled)
        env = dict(os.environ, REDIS_URL=server.url, LOG_LEVEL="WARNING", PYTHONPATH=str(PROJECT_ROOT))
        procs = [subprocess.Popen([sys.executable, "-m", "moderation.cli", "worker"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for _ in range(workers)]
        # Model loading is start-up, not throughput: time from the first decision.
        while runtime.comments.pending_count() == n:
            time.sleep(0.01)
        start, start_left = time.perf_counter(), runtime.comments.pending_count()
        while runtime.comments.pending_count():
            time.sleep(0.01)
        seconds = time.perf_counter() - start
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(10)
        return {"workers": workers, "comments": start_left, "seconds": round(seconds, 2),
                "decided_per_s": round(start_left / seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--comments", type=int, default=6000)
    parser.add_argument("--model", default=str(HERE / "out" / "bench-model.skops"))
    args = parser.parse_args()
    scorer = load_or_train_scorer(args.model, None)
    texts = sample_texts()
    results = [run(k, args.comments, scorer, texts) for k in (1, 2)]
    for result in results:
        print(json.dumps(result))
    print(json.dumps({"scaling_2_over_1": round(results[1]["decided_per_s"] / results[0]["decided_per_s"], 2),
                      "cpus": os.cpu_count()}))


if __name__ == "__main__":
    main()
