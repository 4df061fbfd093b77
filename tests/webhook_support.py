"""Helpers for the webhook tests: a real local HTTP receiver, registration, webhook workers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.config import Settings

# The receivers run on 127.0.0.1, which the address checks refuse unless allowed.
LOOPBACK_ALLOWED = "127.0.0.1"


class Receiver:
    """A real HTTP server on 127.0.0.1 answering with scripted statuses (then 200).

    ``hang``: every request waits until ``release()`` (a receiver that never answers in
    time); ``in_flight`` counts requests being held that way.
    """

    def __init__(self, statuses: list[int], hang: bool = False) -> None:
        self.statuses = list(statuses)
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        self.released = threading.Event()
        if not hang:
            self.released.set()
        self.in_flight = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 -- http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.requests.append({"headers": dict(self.headers), "body": body,
                                              "status": status, "path": self.path})
                    receiver.in_flight += 1
                try:
                    receiver.released.wait(60)
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender gave up waiting
                finally:
                    with receiver.lock:
                        receiver.in_flight -= 1

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/moderation"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answered(self, status: int) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if r["status"] == status]

    def count(self) -> int:
        with self.lock:
            return len(self.requests)

    def release(self) -> None:
        self.released.set()

    def close(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(name="receiver")
def receiver_fixture() -> Iterator[Callable[..., Receiver]]:
    """The ``receiver`` fixture (a test module imports it): makes receivers (scripted
    statuses, or hanging) and closes them after the test."""
    made: list[Receiver] = []

    def make(statuses: list[int] | None = None, hang: bool = False) -> Receiver:
        made.append(Receiver(statuses or [], hang=hang))
        return made[-1]

    yield make
    for r in made:
        r.close()


def register(client, headers, url: str) -> dict:
    response = client.put("/v1/webhooks", json={"url": url}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == code and body["message"] and isinstance(body["details"], dict)
    return body


def webhook_worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    """Environment of a `moderation worker` on the webhooks queue only, with the test's
    webhook settings (the retry plan travels with each job; these do not)."""
    env = {
        "WORKER_QUEUES": "webhooks",
        "WEBHOOK_ALLOWED_HOSTS": settings.webhook_allowed_hosts,
        "WEBHOOK_TIMEOUT": str(settings.webhook_timeout),
        "WEBHOOK_BREAKER_FAILURES": str(settings.webhook_breaker_failures),
        "WEBHOOK_BREAKER_COOLOFF": str(settings.webhook_breaker_cooloff),
        "WEBHOOK_RETRY_BACKOFF": settings.webhook_retry_backoff,
    }
    env.update(extra)
    return env


def set_key_tenant(runtime, plain_key: str, tenant: str) -> None:
    """Move an existing key to another tenant (no command does this; a test needs a key whose
    tenant changed after its deliveries were queued)."""
    key = runtime.api_keys.authenticate(plain_key)
    digest = runtime.redis.hget(runtime.keys.api_keys, key.id).decode()
    runtime.redis.hset(runtime.keys.api_key(digest), "tenant", tenant)
