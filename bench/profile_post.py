"""Where the time of one `POST /v1/comments` goes, and the Redis commands it sends.

Runs the real Flask app in this process against a private Redis (AOF, fsync always, as
deployed), with the rate limits on at their default shape but raised so none is hit,
posts ``--posts`` comments (and polls them with the batch read, as a site does), and
prints:

- a pyinstrument profile of the requests (``--out`` saves its text);
- the Redis commands per POST and per batch read, from ``INFO commandstats``;
- the mean wall time per request of each part, timed separately: key look-up,
  rate-limit counting, body validation, the create script, the response.

No worker runs: this is the API's share only.

    .venv/bin/python -m bench.profile_post --posts 2000 --out bench/profiles/post-after.txt
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from pyinstrument import Profiler

from core.config import Settings
from moderation.redis_server import RedisServer
from service.app import create_app
from service.runtime import Runtime

# The defaults' shape (two windows per route), raised so the benchmark is never refused.
LIMITS = {
    "RATE_LIMIT_POST_COMMENTS": "100000/second;6000000/minute",
    "RATE_LIMIT_READ_COMMENTS": "500000/second;30000000/minute",
    "RATE_LIMIT_DEFAULT": "600000/minute",
    "RATE_LIMIT_ANONYMOUS": "300000/minute",
}


def commandstats(redis) -> dict[str, int]:
    return {name.removeprefix("cmdstat_"): int(value["calls"])
            for name, value in redis.info("commandstats").items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--out", default=None, help="save the profile's text here")
    parser.add_argument("--no-limits", action="store_true", help="rate limits off")
    args = parser.parse_args()
    with RedisServer(appendonly=True, appendfsync="always") as server:
        env = {} if args.no_limits else dict(LIMITS)
        settings = Settings.from_env(env=env, redis_url=server.url, log_level="WARNING")
        runtime = Runtime.build(settings)
        _, key = runtime.api_keys.create("site", "profile")
        app = create_app(settings, runtime)
        client = app.test_client()
        headers = {"Authorization": f"Bearer {key}"}
        text = ("The council should have published the report before the vote, not after it; "
                "readers deserve to see what was decided in their name.")

        def body(i: int) -> dict:
            return {"article_id": f"story-{i % 7}", "text": text,
                    "author": {"id": f"reader-{i % 500}"}, "external_id": f"profile-{i}"}

        for i in range(200):  # warm-up: scripts loaded, caches filled
            client.post("/v1/comments", json=body(i), headers=headers)
        redis = runtime.redis
        redis.config_resetstat()
        profiler = Profiler(interval=0.0005)
        ids: list[str] = []
        started = time.perf_counter()
        profiler.start()
        for i in range(1000, 1000 + args.posts):
            response = client.post("/v1/comments", json=body(i), headers=headers)
            ids.append(response.get_json()["id"])
        profiler.stop()
        post_wall = time.perf_counter() - started
        post_stats = commandstats(redis)
        redis.config_resetstat()
        started = time.perf_counter()
        for n in range(0, len(ids), 100):
            client.get("/v1/comments?ids=" + ",".join(ids[n:n + 100]), headers=headers)
        read_wall = time.perf_counter() - started
        read_stats = commandstats(redis)
        for stats in (post_stats, read_stats):
            stats.pop("config|resetstat", None)
        reads = (len(ids) + 99) // 100
        text_profile = profiler.output_text(unicode=False, color=False, show_all=False)
        if args.out:
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            Path(args.out).write_text(text_profile)
        print(text_profile)
        print(json.dumps({
            "posts": args.posts,
            "rate_limits": "off" if args.no_limits else "on (default shape, raised)",
            "ms_per_post_in_process": round(post_wall / args.posts * 1000, 3),
            "redis_commands_per_post": round(sum(post_stats.values()) / args.posts, 2),
            "post_commands": {k: round(v / args.posts, 2) for k, v in
                              sorted(post_stats.items(), key=lambda kv: -kv[1])},
            "batch_reads_of_100": reads,
            "ms_per_batch_read": round(read_wall / reads * 1000, 3),
            "redis_commands_per_batch_read": round(sum(read_stats.values()) / reads, 2),
            "read_commands": {k: round(v / reads, 2) for k, v in
                              sorted(read_stats.items(), key=lambda kv: -kv[1])},
        }, indent=1))


if __name__ == "__main__":
    main()
