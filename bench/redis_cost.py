"""Redis cost of one comment: commands per comment on the hot path (INFO commandstats)
and memory per stored, decided comment (INFO memory), through the real API and worker.

The site's side counts as well: while posting, a poller reads every comment it posted
and has not yet seen decided with the batch read (`GET /v1/comments?ids=`, up to 100
ids a request) every ``--poll-ms``, as a site does, until all are decided. ``--limits``
turns the rate limits on at their default shape (two windows per route), raised so
that none is hit; without it they are off (as the earlier figures were taken).

    .venv/bin/python -m bench.redis_cost --comments 2000
    .venv/bin/python -m bench.redis_cost --comments 2000 --limits
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
from pathlib import Path

from bench.e2e import Load, sample_texts
from bench.harness import deployment, load_or_train_scorer

HERE = Path(__file__).resolve().parent


def commandstats(redis) -> dict[str, int]:
    return {name.removeprefix("cmdstat_"): int(value["calls"])
            for name, value in redis.info("commandstats").items()}


# The defaults' shape (two windows per route), raised so the benchmark is never refused.
LIMITS = {
    "RATE_LIMIT_POST_COMMENTS": "100000/second;6000000/minute",
    "RATE_LIMIT_READ_COMMENTS": "500000/second;30000000/minute",
    "RATE_LIMIT_DEFAULT": "600000/minute",
    "RATE_LIMIT_ANONYMOUS": "300000/minute",
}


class Poller(threading.Thread):
    """A site polling what it posted: every ``interval`` s, one batch read per 100 ids
    not yet seen decided."""

    def __init__(self, port: int, key: str, load: Load, interval: float) -> None:
        super().__init__(daemon=True)
        self.port, self.key, self.load, self.interval = port, key, load, interval
        self.seen = 0  # ids of load.ids taken into the watch list
        self.watch: list[str] = []
        self.requests = 0
        self.decided = 0
        self.posting_done = threading.Event()

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Authorization": f"Bearer {self.key}"}
        while True:
            done = self.posting_done.is_set()
            with self.load.lock:
                self.watch += self.load.ids[self.seen:]
                self.seen = len(self.load.ids)
            if done and not self.watch:
                return
            still = []
            for n in range(0, len(self.watch), 100):
                chunk = self.watch[n:n + 100]
                conn.request("GET", "/v1/comments?ids=" + ",".join(chunk), headers=headers)
                response = conn.getresponse()
                items = json.loads(response.read())["items"]
                self.requests += 1
                pending = {i["id"] for i in items if i["status"] == "pending"}
                self.decided += len(chunk) - len(pending)
                still += [c for c in chunk if c in pending]
            self.watch = still
            time.sleep(self.interval)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--comments", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--model", default=str(HERE / "out" / "bench-model.skops"))
    parser.add_argument("--poll-ms", type=float, default=100.0,
                        help="the site's polling interval (0: no polling)")
    parser.add_argument("--limits", action="store_true",
                        help="rate limits on (default shape, raised so none is hit)")
    args = parser.parse_args()
    (HERE / "out").mkdir(exist_ok=True)
    scorer = load_or_train_scorer(args.model, None)
    texts = sample_texts()
    with deployment(workers=1, api_processes=2, scorer=scorer, appendonly=False,
                    env_overrides=LIMITS if args.limits else None) as dep:
        redis, runtime = dep["redis"], dep["runtime"]
        Load(dep["port"], dep["site_key"], texts).run(rate=20, seconds=1, threads=2, offset=0)
        while runtime.comments.pending_count():
            time.sleep(0.1)
        redis.config_resetstat()
        memory_before = redis.info("memory")["used_memory"]
        load = Load(dep["port"], dep["site_key"], texts)
        poller = Poller(dep["port"], dep["site_key"], load, args.poll_ms / 1000)
        if args.poll_ms > 0:
            poller.start()
        load.run(rate=args.rate, seconds=args.comments / args.rate, threads=8, offset=1000)
        poller.posting_done.set()
        if args.poll_ms > 0:
            poller.join()
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
            "rate_limits": "on (default shape, raised)" if args.limits else "off",
            "site_polling": {"interval_ms": args.poll_ms, "batch_reads": poller.requests,
                             "ids_seen_decided": poller.decided},
            "by_command": per_comment,
            "memory_bytes_per_comment": round((memory_after - memory_before) / n),
            "note": "includes API key lookup, rate limiting (when on), the site's batch reads "
                    "(when polling), RQ job bookkeeping (amortised over batches), scoring lease "
                    "and decision scripts; EVALSHA counts once plus the commands the script runs",
        }, indent=1))


if __name__ == "__main__":
    main()
