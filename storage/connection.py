"""Redis connections built from settings: a URL (redis://, rediss://, unix://) or Sentinel."""

from __future__ import annotations

import socket
from typing import Any

from redis import Redis
from redis.sentinel import Sentinel

from core.config import Settings

# A blocking read (RQ's dequeue) waits minutes for a job with nothing on the wire; TCP
# keepalive probes are what tell a silent, dead peer (a restarted host, a dropped NAT
# entry) from a quiet queue: probe after 60 s of silence, give up after 4 missed probes.
_KEEPALIVE_OPTIONS = {
    getattr(socket, name): value
    for name, value in (("TCP_KEEPIDLE", 60), ("TCP_KEEPINTVL", 15), ("TCP_KEEPCNT", 4))
    if hasattr(socket, name)
}


def connect(settings: Settings, *, decode_responses: bool = False) -> Redis:
    """A client for the service's Redis, for commands that answer at once.

    Bytes (``decode_responses=False``) is the default because RQ stores pickled
    job payloads and model blobs that are not text; storage modules decode the
    fields they read.
    """
    # Short timeouts: a request must fail fast with 503 when Redis is gone,
    # not hang a gunicorn worker.
    return _client(settings, decode_responses=decode_responses,
                   socket_timeout=settings.redis_socket_timeout)


def connect_blocking(settings: Settings) -> Redis:
    """A client of its own (own connection pool) for RQ's worker, whose dequeue blocks on
    BLPOP/BLMOVE for minutes while the queues are empty.

    No read timeout of ours: RQ sets its own (a little longer than its dequeue timeout)
    on this pool. A shared pool would hand a blocking read a connection made with the
    short timeout above, which then times out every few seconds on a quiet queue, and
    RQ answers that with an error line and a back-off of up to a minute.
    """
    keepalive: dict[str, Any] = {}
    if not settings.effective_redis_url().startswith("unix:") or settings.redis_sentinels:
        keepalive = {"socket_keepalive": True, "socket_keepalive_options": _KEEPALIVE_OPTIONS}
    return _client(settings, decode_responses=False, socket_timeout=None, **keepalive)


def _client(settings: Settings, *, decode_responses: bool, socket_timeout: float | None,
            **extra: Any) -> Redis:
    options = dict(
        decode_responses=decode_responses,
        socket_connect_timeout=2,
        socket_timeout=socket_timeout,
        # A connection idle this long is checked with PING before it is used again.
        health_check_interval=30,
        **extra,
    )
    if settings.redis_sentinels:
        hosts = []
        for item in settings.redis_sentinels.split(","):
            host, _, port = item.strip().rpartition(":")
            hosts.append((host, int(port)))
        sentinel = Sentinel(hosts, socket_timeout=2)
        return sentinel.master_for(settings.redis_sentinel_master, **options)
    return Redis.from_url(settings.effective_redis_url(), **options)
