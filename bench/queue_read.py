"""How fast the moderators' queue reads with a large held queue, and what a hold costs Redis.

A private Redis server; ``--comments`` held comments over two tenants and ``--articles``
articles each, held through the real decide script (storage/comments.py) with reasons of
one or two categories and up to two abuse kinds. Then each filter the queue offers
(``ModerationStore.queue``: none, category, kind, article, article + category, article +
kind, score) is read a first page of 50 at a time, for one tenant and for all tenants:
the median time of ``--repeat`` reads, and the Redis commands one read costs.

    .venv/bin/python -m bench.queue_read --comments 10000
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time

from core.config import Settings
from moderation.redis_server import RedisServer

REASONS = [
    ["abuse: insult"],
    ["abuse: insult + threat"],
    ["abuse: score 0.91"],
    ["victim_identification: name + school"],
    ["abuse: threat", "victim_identification: name"],
    ["spam: repeated"],
    ["new_commenter"],
]
TENANTS = ("acme", "bravo")


def _by_command(redis) -> dict[str, int]:
    return {k.removeprefix("cmdstat_"): int(v["calls"])
            for k, v in redis.info("commandstats").items()
            if k.removeprefix("cmdstat_") not in ("info", "config|resetstat")}


def _commands(redis) -> int:
    return sum(_by_command(redis).values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--comments", type=int, default=10000)
    parser.add_argument("--articles", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    from redis import Redis

    from storage.comments import CommentStore, hold_priority
    from storage.keys import Keys
    from storage.moderation import ModerationStore

    with RedisServer(appendonly=False) as server:
        redis = Redis.from_url(server.url)
        keys = Keys()
        comments = CommentStore(redis, keys)
        store = ModerationStore(redis, keys, comments, Settings(redis_url=server.url))
        rng = random.Random(7)
        holds: dict[str, int] = {}
        for start in range(0, args.comments, 500):
            created = []
            for n in range(start, min(start + 500, args.comments)):
                tenant, article = TENANTS[n % 2], f"story-{rng.randrange(args.articles)}"
                created.append((comments.create(tenant=tenant, article_id=article, text=f"c{n}",
                                                author_id=f"r{n % 300}").id, tenant, article, n))
            redis.config_resetstat()
            pipe = redis.pipeline(transaction=False)
            for cid, tenant, article, n in created:
                reasons = REASONS[n % len(REASONS)]
                scores = {"abuse": rng.random(), "victim_identification": rng.random()}
                comments.transition(cid, tenant=tenant, article_id=article, expected="pending",
                                    new_status="held",
                                    fields={"scores": scores, "reasons": reasons,
                                            "decided": repr(time.time()), "decided_by": "model"},
                                    event="scored", event_data={"by": "model", "status": "held"},
                                    priority=hold_priority(scores, reasons, n), pipe=pipe,
                                    inline_event=True,
                                    # as a scoring worker's batches: the first hold of each
                                    # tenant adds it to the queue's tenants, later ones do not
                                    register_tenant=n < len(TENANTS))
            pipe.execute()
            for name, n in _by_command(redis).items():
                holds[name] = holds.get(name, 0) + n
        reads = {
            "no filter": {},
            "category abuse": {"category": "abuse"},
            "category spam": {"category": "spam"},
            "kind threat": {"kind": "threat"},
            "category + kind": {"category": "abuse", "kind": "threat"},
            "article": {"article_id": "story-7"},
            "article + category": {"article_id": "story-7", "category": "victim_identification"},
            "article + kind": {"article_id": "story-7", "kind": "insult"},
            "score >= 0.8": {"min_score": 0.8},
        }
        out = {"held_comments": args.comments, "articles_per_tenant": args.articles,
               "commands_per_hold (decide script, no author)":
                   round(sum(holds.values()) / args.comments, 2),
               "by_command": {k: round(v / args.comments, 2)
                              for k, v in sorted(holds.items(), key=lambda kv: -kv[1])},
               "first page of 50: median ms, commands, items, total": {}}
        for scope in ("acme", None):
            for label, filters in reads.items():
                if scope is None and "article_id" in filters:
                    continue
                times = []
                for _ in range(args.repeat):
                    redis.config_resetstat()
                    began = time.perf_counter()
                    page = store.queue(tenant=scope, limit=50, **filters)
                    times.append((time.perf_counter() - began) * 1000)
                    cost = _commands(redis)
                name = f"{scope or 'all tenants'}: {label}"
                out["first page of 50: median ms, commands, items, total"][name] = (
                    f"{statistics.median(times):.1f} ms, {cost}, {len(page['items'])}, "
                    f"{page['total']}")
        print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
