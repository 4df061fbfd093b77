"""The training job: retrain on the corpora plus every moderator decision, gate, publish.

It runs on its own RQ queue (``TRAINING_QUEUE``) consumed by its own worker
process, so a training run of minutes or hours never delays comment scoring.
Progress goes into ``job.meta`` (``stage``, ``fraction``) for
``GET /v1/admin/models/jobs/{id}`` and the CLI.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any

from redis import Redis
from rq import Queue, get_current_job
from rq.job import Job

from core.config import Settings
from storage.examples import ExampleStore
from storage.keys import Keys

log = logging.getLogger("worker.training")

TRAIN_JOB = "worker.training.train_model"
# Share of the progress bar each step takes (training dominates).
_TRAIN_SPAN = (0.02, 0.85)
_PUBLISH_SPAN = (0.85, 1.0)


def training_queue(redis: Redis, settings: Settings) -> Queue:
    return Queue(settings.training_queue, connection=redis)


def enqueue_training(queue: Queue, settings: Settings, *, started_by: str,
                     options: dict[str, Any] | None = None) -> Job:
    return queue.enqueue(
        TRAIN_JOB,
        started_by,
        options or {},
        job_timeout=settings.training_job_timeout,
        result_ttl=30 * 24 * 3600,
        failure_ttl=30 * 24 * 3600,
        meta={"stage": "queued", "fraction": 0.0, "started_by": started_by},
        description="train a model version",
    )


def moderator_examples(redis: Redis, keys: Keys, tenant: str | None = None
                       ) -> tuple[list[Any], dict[str, int]]:
    """Moderator decisions as training examples (source "moderator") and their counts:
    every tenant's (``tenant`` None), or one tenant's only."""
    from model.corpora import Example

    examples = []
    counts: Counter[str] = Counter()
    # Sorted so that the same decisions always train the same model.
    for doc in sorted(ExampleStore(redis, keys).iter_examples(tenant),
                      key=lambda d: d["comment_id"]):
        labels = {k: (None if v is None else int(v)) for k, v in (doc.get("labels") or {}).items()}
        text = doc.get("text")
        counts["decisions"] += 1
        # What brought the comment to a moderator: spot checks and near-threshold comments
        # are the title's most informative labels (storage/quality.py label_source).
        counts[f"from_{doc.get('source') or 'unknown'}"] += 1
        if not text or all(v is None for v in labels.values()):
            counts["without_label"] += 1
            continue
        for category, value in labels.items():
            if value is not None:
                counts[f"{category}_{'positive' if value else 'negative'}"] += 1
        examples.append(Example(text, labels, "moderator"))
    counts["used"] = len(examples)
    return examples, dict(counts)


def _reporter(job: Job | None, span: tuple[float, float]):
    low, high = span
    last = [0.0]

    def report(stage: str, fraction: float) -> None:
        if job is None:
            return
        value = round(low + (high - low) * max(0.0, min(1.0, fraction)), 3)
        now = time.monotonic()
        # Training reports often; one write a second is plenty for a progress bar.
        if now - last[0] < 1.0 and fraction < 1.0:
            return
        last[0] = now
        job.meta.update(stage=stage, fraction=value, updated_at=time.time())
        job.save_meta()

    return report


def run_training(settings: Settings, redis: Redis, keys: Keys, *, started_by: str,
                 options: Iterable[tuple[str, Any]] | dict[str, Any], job: Job | None = None
                 ) -> dict[str, Any]:
    """Train, register, gate and (if it passes) activate; returns the job's result."""
    from model.train import train
    from storage.model_registry import ModelRegistry
    from worker.publishing import publish

    options = dict(options)
    max_per_source = options.get("max_per_source")
    activate = bool(options.get("activate_if_passed", True))
    # Whose moderator decisions to learn from: every tenant's (None, the default) or one's.
    tenant = options.get("tenant")
    _reporter(job, (0.0, 1.0))("reading moderator decisions", 0.0)
    extra, decisions = moderator_examples(redis, keys, tenant)
    log.info("training started", extra={"started_by": started_by, "moderator_examples": len(extra),
                                        "max_per_source": max_per_source, "tenant": tenant or "*"})
    scorer = train(settings, max_per_source=max_per_source, extra=extra,
                   progress=_reporter(job, _TRAIN_SPAN))
    # Beside the candidate's offline (gate) figures: how the active version does live.
    live = _live_active(redis, keys, tenant)
    sources = {
        "moderators": {k[len("from_"):]: v for k, v in decisions.items() if k.startswith("from_")},
        "corpora": (scorer.metrics or {}).get("training_counts"),
    }
    meta = {"moderator_decisions": decisions, "options": options, "label_sources": sources,
            "live_at_training": live}
    if job is not None:
        meta["job_id"] = job.id
    result = publish(ModelRegistry(redis, keys), settings, scorer, created_by=started_by,
                     activate_if_passed=activate, extra_meta=meta,
                     progress=_reporter(job, _PUBLISH_SPAN))
    result["moderator_decisions"] = decisions
    result["label_sources"] = sources
    result["live_active"] = live
    return result


def _live_active(redis: Redis, keys: Keys, tenant: str | None) -> dict[str, Any] | None:
    """The active version's live figures (last 30 days; the tenant trained for, or all)."""
    from core.tenants import ALL_TENANTS
    from storage.model_registry import ModelRegistry
    from storage.quality import QualityStore, live_by_version, live_summary

    active = ModelRegistry(redis, keys).active_version()
    if not active:
        return None
    figures = live_by_version(QualityStore(redis, keys), tenant or ALL_TENANTS).get(active)
    return {"version": active, **(live_summary(figures) or {})}


def train_model(started_by: str, options: dict[str, Any]) -> dict[str, Any]:
    """RQ job: see :func:`run_training`."""
    from worker.context import get_context

    ctx = get_context()
    return run_training(ctx.settings, ctx.redis, ctx.keys, started_by=started_by, options=options,
                        job=get_current_job())
