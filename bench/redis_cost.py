"""Redis cost of one comment: commands per comment on the hot path (INFO commandstats)
and memory per stored, decided comment (INFO memory), through the real API and worker.

    .venv/bin/python bench/redis_cost.py --comments 2000
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from bench.e2e import Load, sample_texts
from bench.harness import deployment, load_or_train_scorer

HERE = Path(__file__).resolve().parent


def commandstats(redis) -> dict[str, int]:
    return {name.removeprefix("cmdstat_"): int(value["calls"])
            for name, value in redis.info("commandstats").items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--comments", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--model", default=str(HERE / "out" / "bench-model.skops"))
    args = parser.parse_args()
    (HERE / "out").mkdir(exist_ok=True)
    scorer = load_or_train_scorer(args.model, None)
    texts = sample_texts()
    with deployment(workers=1, api_processes=2, scorer=scorer, appendonly=False) as dep:
        redis, runtime = dep["redis"], dep["runtime"]
        Load(dep["port"], dep["site_key"], texts).run(rate=20, seconds=1, threads=2, offset=0)
        while runtime.comments.pending_count():
            time.sleep(0.1)
        redis.config_resetstat()
        memory_before = redis.info("memory")["used_memory"]
        load = Load(dep["port"], dep["site_key"], texts)
        load.run(rate=args.rate, seconds=args.comments / args.rate, threads=8, offset=1000)
        while runtime.comments.pending_count():
            time.sleep(0.05)
        time.sleep(0.5)
        stats = commandstats(redis)
        memory_after = redis.info("memory")["used_memory"]
        n = len(load.ids)
        # The polling above (ZCARD) is the benchmark's, not the service's.
        stats.pop("zcard", None)
        stats.pop("config|resetstat", None)
        per_comment = {k: round(v / n, 2) for k, v in sorted(stats.items(), key=lambda kv: -kv[1])}
        print(json.dumps({
            "comments": n,
            "commands_per_comment": round(sum(stats.values()) / n, 2),
            "by_command": per_comment,
            "memory_bytes_per_comment": round((memory_after - memory_before) / n),
            "note": "includes API key lookup, rate limiting, RQ job bookkeeping (amortised over "
                    "batches), scoring lease and decision scripts; EVALSHA counts once plus the "
                    "commands the script runs",
        }, indent=1))


if __name__ == "__main__":
    main()
