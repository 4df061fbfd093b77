"""What the DSA features cost Redis on the hot paths (INFO commandstats, a private server).

- The scoring batch: transparency counters are HINCRBYs added to the batch's own pipeline,
  one per distinct (tenant, status, category) of the batch, not per comment.
- The site's read of a comment: the statement of reasons reads the tenant's templates once
  for a held or rejected comment, nothing for an approved one.

    .venv/bin/python bench/dsa_cost.py --comments 1000 --held 0.2
"""

from __future__ import annotations

import argparse
import random

from core.config import Settings
from model.scoring import Score
from moderation.redis_server import RedisServer


class _Stub:
    version = "bench-stub"
    thresholds = {"abuse": 0.5, "victim_identification": 0.5}
    metrics: dict = {}

    def __init__(self, held: set[str]) -> None:
        self.held = held

    def score_batch(self, texts):
        return [Score({"abuse": 0.9 if t in self.held else 0.05, "victim_identification": 0.05},
                      [], {"abuse": [], "victim_identification": []}) for t in texts]


class _Active:
    def __init__(self, scorer) -> None:
        self.scorer, self.version = scorer, scorer.version

    def get(self):
        return self.scorer


def _stats(redis) -> dict[str, int]:
    return {k.removeprefix("cmdstat_"): int(v["calls"])
            for k, v in redis.info("commandstats").items()}


def _drain(ctx, limit: int) -> None:
    from worker import jobs

    leased = ctx.comments.lease(min(ctx.settings.scoring_batch_size, limit),
                                ctx.settings.lease_seconds)
    jobs.score_and_decide(ctx, [lease.id for lease in leased])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--comments", type=int, default=1000)
    parser.add_argument("--held", type=float, default=0.2, help="share the stub model holds")
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    with RedisServer(appendonly=False) as server:
        from redis import Redis

        from service.app import create_app
        from worker import jobs
        from worker.context import WorkerContext, set_context

        settings = Settings(redis_url=server.url, scoring_batch_size=args.batch,
                            rate_limit_post_comments="", rate_limit_read_comments="",
                            rate_limit_default="")
        redis = Redis.from_url(server.url)
        rng = random.Random(7)
        texts = [f"comment number {n}" for n in range(args.comments)]
        held = {t for t in texts if rng.random() < args.held}
        ctx = WorkerContext.build(settings, redis)
        ctx.model = _Active(_Stub(held))
        set_context(ctx)
        app = create_app(settings)
        client = app.test_client()
        plain = app.extensions["moderation"].api_keys.create("site", "bench")[1]
        site = {"Authorization": f"Bearer {plain}"}
        ids = [client.post("/v1/comments", headers=site, json={
            "article_id": "a", "text": t, "author": {"id": f"r{n % 50}"}}).get_json()["id"]
            for n, t in enumerate(texts)]
        half = len(ids) // 2
        costs = {}
        # The first half scored without the counters, the second with them.
        for label, count in (("without counters", lambda *a, **k: None),
                             ("with counters", jobs.count_decisions)):
            jobs.count_decisions = count
            redis.config_resetstat()
            n = half if label.startswith("without") else len(ids) - half
            while ctx.comments.pending_count() > (len(ids) - half if label.startswith("without")
                                                  else 0):
                _drain(ctx, n)
            stats = _stats(redis)
            costs[label] = (sum(v for k, v in stats.items()
                                if k not in ("info", "config|resetstat")) / n, stats.get("hincrby", 0))
        for label, (per_comment, hincr) in costs.items():
            print(f"scoring, {label}: {per_comment:.2f} commands/comment ({hincr} HINCRBY)")
        counters = sum(1 for k in redis.scan_iter("mod:t:*:dsa:day:*"))
        fields = sum(redis.hlen(k) for k in redis.scan_iter("mod:t:*:dsa:day:*"))
        print(f"  transparency hashes written: {counters}, fields: {fields}")
        for label, wanted in (("approved", "approved"), ("held", "held")):
            sample = [i for i in ids if ctx.comments.get(i)["status"] == wanted][:100]
            redis.config_resetstat()
            for cid in sample:
                client.get(f"/v1/comments/{cid}", headers=site)
            stats = _stats(redis)
            reads = sum(v for k, v in stats.items() if k not in ("info", "config|resetstat"))
            print(f"GET /v1/comments/{{id}} of a {label} comment: {reads / len(sample):.2f} "
                  f"commands (hgetall {stats.get('hgetall', 0) / len(sample):.2f})")
        set_context(None)


if __name__ == "__main__":
    main()
