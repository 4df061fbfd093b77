"""Decision latency of a comment posted after the service was quiet for a while.

Runs a `moderation up`-like deployment (private Redis with AOF, gunicorn API, one
`moderation worker` on its default queues, default settings), then for
each quiet period: waits that long with nothing posted, posts one comment and polls it
until it is decided. "busy" posts right after the previous decision, as under load.
Also counts the WARNING/ERROR lines the worker wrote while it was idle.

    .venv/bin/python -m bench.after_idle --idle 1,20,75 --rounds 1
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

from bench.harness import deployment, load_or_train_scorer

HERE = Path(__file__).resolve().parent


def post_and_wait(port: int, key: str, n: int, timeout: float = 120.0) -> float:
    """Seconds from sending the POST to the first read that shows a decision."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    body = json.dumps({"article_id": "after-idle", "text": f"A fair point about the council, {n}.",
                       "author": {"id": f"reader-{n}"}})
    started = time.perf_counter()
    conn.request("POST", "/v1/comments", body=body, headers=headers)
    response = conn.getresponse()
    payload = json.loads(response.read())
    if response.status != 202:
        raise RuntimeError(f"POST answered {response.status}: {payload}")
    path = f"/v1/comments/{payload['id']}"
    while time.perf_counter() - started < timeout:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        record = json.loads(response.read())
        if record.get("status") not in (None, "pending"):
            return time.perf_counter() - started
        time.sleep(0.005)
    raise RuntimeError(f"comment not decided within {timeout} s")


def log_levels(log_path: str, start: int) -> tuple[int, dict[str, int]]:
    """(new end offset, count of WARNING/ERROR/CRITICAL lines written since ``start``)."""
    with open(log_path, "rb") as fh:
        fh.seek(start)
        data = fh.read()
    counts: dict[str, int] = {}
    for line in data.decode("utf-8", errors="replace").splitlines():
        try:
            level = str(json.loads(line).get("level", "")).lower()
        except ValueError:
            level = "unparsed"  # every line should be a JSON line; count any other
        if level in ("warning", "error", "critical", "unparsed"):
            counts[level] = counts.get(level, 0) + 1
    return start + len(data), counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--idle", default="1,20,75", help="quiet periods in seconds, comma-separated")
    parser.add_argument("--rounds", type=int, default=1, help="times each quiet period is measured")
    parser.add_argument("--model", default=str(HERE / "out" / "bench-model.skops"),
                        help="model file (trained and saved here on first run)")
    parser.add_argument("--max-per-source", type=int, default=None)
    args = parser.parse_args()
    (HERE / "out").mkdir(exist_ok=True)
    idles = [float(x) for x in args.idle.split(",") if x.strip()]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=HERE.parent).stdout.strip()
    print(json.dumps({"setup": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                "commit": commit, "idle": idles, "rounds": args.rounds}}), flush=True)
    scorer = load_or_train_scorer(args.model, args.max_per_source)
    log_fd, log_path = tempfile.mkstemp(prefix="after-idle-worker-", suffix=".log")
    n = 0
    with open(log_fd, "wb") as worker_log, \
            deployment(workers=1, api_processes=2, scorer=scorer, worker_stderr=worker_log,
                       env_overrides={"LOG_LEVEL": "INFO"}) as dep:
        # Warm up: the worker has loaded the model and answered once.
        post_and_wait(dep["port"], dep["site_key"], n)
        offset, _ = log_levels(log_path, 0)
        rows = []
        for _ in range(args.rounds):
            for idle in [0.0, *idles]:
                time.sleep(idle)
                offset, noisy = log_levels(log_path, offset)
                n += 1
                seconds = post_and_wait(dep["port"], dep["site_key"], n)
                row = {"idle_s": idle or "busy", "decided_after_s": round(seconds, 3),
                       "worker_warnings_while_idle": noisy}
                rows.append(row)
                print(json.dumps(row), flush=True)
    print(json.dumps({"worker_log": log_path}), flush=True)


if __name__ == "__main__":
    main()
