"""What a request needs, built once per process: Redis client, stores, queues."""

from __future__ import annotations

from dataclasses import dataclass, field

from redis import Redis
from rq import Queue

from core.config import Settings
from storage.api_keys import ApiKeyStore
from storage.comments import CommentStore
from storage.connection import connect
from storage.keys import Keys
from storage.model_registry import ModelRegistry
from worker.queues import comments_queue


@dataclass
class Runtime:
    settings: Settings
    redis: Redis
    keys: Keys
    comments: CommentStore
    api_keys: ApiKeyStore
    models: ModelRegistry
    queue: Queue
    extras: dict = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings, redis: Redis | None = None) -> Runtime:
        redis = redis or connect(settings)
        keys = Keys(settings.key_prefix)
        return cls(
            settings=settings,
            redis=redis,
            keys=keys,
            comments=CommentStore(redis, keys),
            api_keys=ApiKeyStore(redis, keys, settings.api_key_cache_seconds),
            models=ModelRegistry(redis, keys),
            queue=comments_queue(redis, settings),
        )
