"""Redis connections built from settings: a URL (redis://, rediss://, unix://) or Sentinel."""

from __future__ import annotations

from redis import Redis
from redis.sentinel import Sentinel

from core.config import Settings


def connect(settings: Settings, *, decode_responses: bool = False) -> Redis:
    """A client for the service's Redis.

    Bytes (``decode_responses=False``) is the default because RQ stores pickled
    job payloads and model blobs that are not text; storage modules decode the
    fields they read.
    """
    # Short timeouts: a request must fail fast with 503 when Redis is gone,
    # not hang a gunicorn worker.
    options = dict(
        decode_responses=decode_responses,
        socket_connect_timeout=2,
        socket_timeout=5,
        health_check_interval=30,
    )
    if settings.redis_sentinels:
        hosts = []
        for item in settings.redis_sentinels.split(","):
            host, _, port = item.strip().rpartition(":")
            hosts.append((host, int(port)))
        sentinel = Sentinel(hosts, socket_timeout=2)
        return sentinel.master_for(settings.redis_sentinel_master, **options)
    return Redis.from_url(settings.effective_redis_url(), **options)
