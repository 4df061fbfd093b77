"""End-to-end load: POST comments to the API under gunicorn, workers consume, local Redis.

Prints accepted/s, decided/s, API latency and POST-to-decision latency, first at a
fixed offered rate, then flat out, and checks that every accepted comment was decided.

    .venv/bin/python bench/e2e.py --rate 100 --seconds 20 --flat-seconds 20 --workers 1
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import threading
import time
from pathlib import Path

from bench.harness import deployment, load_or_train_scorer

HERE = Path(__file__).resolve().parent


def sample_texts(n: int = 2000) -> list[str]:
    """Texts shaped like news comments: the victim-identification held-out set, repeated
    (read, never printed). About half of it is held, far more than a real stream, so the
    holds' queue writes weigh more here than on a site."""
    from model.corpora import load_victim_identification

    texts = [e.text for e in load_victim_identification("heldout")]
    random.Random(0).shuffle(texts)
    return (texts * (n // max(1, len(texts)) + 1))[:n]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Load:
    def __init__(self, port: int, key: str, texts: list[str]) -> None:
        self.port, self.key, self.texts = port, key, texts
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.ids: list[str] = []
        self.errors = 0

    def _post(self, conn: http.client.HTTPConnection, i: int) -> tuple[int, str | None]:
        body = json.dumps({"article_id": f"story-{i % 7}", "text": self.texts[i % len(self.texts)],
                           "author": {"id": f"reader-{i % 500}"}, "external_id": f"bench-{i}"})
        conn.request("POST", "/v1/comments", body=body,
                      headers={"Content-Type": "application/json",
                               "Authorization": f"Bearer {self.key}"})
        response = conn.getresponse()
        payload = response.read()
        return response.status, json.loads(payload).get("id") if response.status in (200, 202) else None

    def run(self, *, rate: float | None, seconds: float, threads: int, offset: int) -> dict:
        total = int(rate * seconds) if rate else 10**9
        counter = iter(range(offset, offset + total))
        start = time.perf_counter()
        stop_at = start + seconds

        def worker() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            while True:
                with self.lock:
                    i = next(counter, None)
                if i is None:
                    return
                scheduled = start + (i - offset) / rate if rate else time.perf_counter()
                if scheduled > stop_at:
                    return
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                try:
                    _, cid = self._post(conn, i)
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                    cid = None
                # Latency from the scheduled send time: queueing in the client counts too.
                elapsed = time.perf_counter() - scheduled
                with self.lock:
                    if cid:
                        self.ids.append(cid)
                        self.latencies.append(elapsed)
                    else:
                        self.errors += 1

        pool = [threading.Thread(target=worker) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        return {"wall": time.perf_counter() - start}


def wait_decided(runtime, ids: list[str], timeout: float = 300) -> tuple[list[dict], float]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if runtime.comments.pending_count() == 0:
            break
        time.sleep(0.2)
    finished = time.perf_counter()
    records = []
    for i in range(0, len(ids), 500):
        records += runtime.comments.get_many(ids[i:i + 500], ["id", "status", "created", "decided"])
    return records, finished


def phase(dep, name: str, texts: list[str], *, rate: float | None, seconds: float, threads: int,
          offset: int) -> dict:
    load = Load(dep["port"], dep["site_key"], texts)
    t0 = time.perf_counter()
    load.run(rate=rate, seconds=seconds, threads=threads, offset=offset)
    posted_wall = time.perf_counter() - t0
    records, finished = wait_decided(dep["runtime"], load.ids)
    decided = [r for r in records if r and r["status"] != "pending"]
    lag = [r["decided"] - r["created"] for r in decided]
    first = min(r["created"] for r in decided) if decided else 0
    last = max(r["decided"] for r in decided) if decided else 0
    result = {
        "phase": name,
        "offered_rate": rate or "max",
        "accepted": len(load.ids),
        "errors": load.errors,
        "accepted_per_s": round(len(load.ids) / posted_wall, 1),
        "decided": len(decided),
        "decided_per_s": round(len(decided) / (last - first), 1) if last > first else None,
        "all_decided": len(decided) == len(load.ids),
        "api_ms": {q: round(percentile(load.latencies, p) * 1000, 1)
                   for q, p in (("p50", .5), ("p95", .95), ("p99", .99))},
        "post_to_decision_ms": {q: round(percentile(lag, p) * 1000, 1)
                                for q, p in (("p50", .5), ("p95", .95), ("p99", .99))},
    }
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rate", type=float, default=100.0, help="offered comments/s in phase 1")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--flat-seconds", type=float, default=20.0, help="flat-out phase length")
    parser.add_argument("--threads", type=int, default=16, help="client threads")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--api-processes", type=int, default=2)
    parser.add_argument("--gunicorn", default="",
                        help="extra gunicorn options, e.g. '--worker-class gthread --threads 4'")
    parser.add_argument("--model", default=str(HERE / "out" / "bench-model.skops"),
                        help="model file (trained and saved here on first run)")
    parser.add_argument("--max-per-source", type=int, default=None)
    args = parser.parse_args()
    (HERE / "out").mkdir(exist_ok=True)
    print(json.dumps({"setup": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                "machine": platform.machine(), "workers": args.workers,
                                "api_processes": args.api_processes, "client_threads": args.threads,
                                "gunicorn": args.gunicorn,
                                "note": "API, workers, Redis and this load generator share the machine"}}))
    scorer = load_or_train_scorer(args.model, args.max_per_source)
    texts = sample_texts()
    with deployment(workers=args.workers, api_processes=args.api_processes, scorer=scorer,
                    gunicorn_args=args.gunicorn.split()) as dep:
        phase(dep, "warm-up", texts, rate=50, seconds=2, threads=4, offset=0)
        if args.seconds > 0:
            phase(dep, "fixed-rate", texts, rate=args.rate, seconds=args.seconds,
                  threads=args.threads, offset=10_000)
        if args.flat_seconds > 0:
            phase(dep, "flat-out", texts, rate=None, seconds=args.flat_seconds,
                  threads=args.threads, offset=10_000_000)


if __name__ == "__main__":
    main()
