"""Per-process state of a worker: settings, Redis, stores and the active model.

RQ calls job functions by name, so they cannot take these as arguments; they
are built once per process on first use.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis import Redis
from rq import Queue

from core.config import Settings
from storage.comments import CommentStore
from storage.connection import connect
from storage.keys import Keys
from storage.model_registry import ModelRegistry
from worker.active_model import ActiveModel
from worker.policy import PolicyCache
from worker.queues import comments_queue
from worker.tallies import Tallies


@dataclass
class WorkerContext:
    settings: Settings
    redis: Redis
    keys: Keys
    comments: CommentStore
    models: ModelRegistry
    model: ActiveModel
    queue: Queue
    # The settings scoring batches read, kept between batches (worker/policy.py). None: read
    # every time (the API's synchronous scoring shares its context between threads).
    policy_cache: PolicyCache | None = None
    # Decision counters added up between writes (worker/tallies.py). None: written with
    # each batch.
    tallies: Tallies | None = None

    @classmethod
    def build(cls, settings: Settings, redis: Redis | None = None) -> WorkerContext:
        redis = redis or connect(settings)
        keys = Keys(settings.key_prefix)
        registry = ModelRegistry(redis, keys)
        return cls(
            settings=settings,
            redis=redis,
            keys=keys,
            comments=CommentStore(redis, keys),
            models=registry,
            model=ActiveModel(registry, keys, settings.model_poll_interval),
            queue=comments_queue(redis, settings),
            policy_cache=PolicyCache(settings.policy_cache_seconds),
            tallies=Tallies(),
        )


_context: WorkerContext | None = None


def get_context() -> WorkerContext:
    global _context
    if _context is None:
        _context = WorkerContext.build(Settings.from_env())
    return _context


def set_context(context: WorkerContext | None) -> None:
    """Install a context (the worker runner, and tests running jobs in-process)."""
    global _context
    _context = context
