"""A worker that has been idle decides the next comment as fast as a busy one, logs nothing
while it waits, and serves again within seconds of its Redis restarting. The webhook worker
`moderation up` starts beside it (its own process, on the webhooks queue) waits the same way.

Real worker processes, real Redis. The socket timeout is made small (1 s) so that being
idle for longer than any client timeout takes seconds; one test keeps the defaults.
"""

from __future__ import annotations

import json
import time

import pytest
from rq import SimpleWorker

from core.config import Settings
from service.runtime import Runtime
from storage.connection import connect, connect_blocking
from tests.conftest import WorkerProcess, make_settings, wait_until
from tests.webhook_support import LOOPBACK_ALLOWED, Receiver, register, webhook_worker_env
from worker.publishing import register_scorer

ARTICLE = "after-idle"


def noisy_lines(worker: WorkerProcess, since: int = 0) -> list[str]:
    """Lines at WARNING or above (and anything that is not one of our JSON lines)."""
    out = []
    for line in worker.log()[since:].splitlines():
        try:
            level = str(json.loads(line).get("level", "")).lower()
        except ValueError:
            level = "unparsed"
        if level not in ("debug", "info"):
            out.append(line)
    return out


class Site:
    def __init__(self, runtime: Runtime) -> None:
        from service.app import create_app

        self.runtime = runtime
        self.client = create_app(runtime.settings, runtime).test_client()
        self.headers = {"Authorization": f"Bearer {runtime.api_keys.create('site', 'idle')[1]}"}
        self.n = 0

    def post(self) -> str:
        self.n += 1
        response = self.client.post("/v1/comments", headers=self.headers, json={
            "article_id": ARTICLE, "text": f"The council should publish the report, {self.n}.",
            "author": {"id": f"reader-{self.n}"}})
        assert response.status_code == 202, response.get_json()
        return response.get_json()["id"]

    def status(self, comment_id: str) -> str:
        response = self.client.get(f"/v1/comments/{comment_id}", headers=self.headers)
        return response.get_json().get("status", f"http {response.status_code}")

    def decided_within(self, comment_id: str, seconds: float) -> str:
        return wait_until(lambda: (s := self.status(comment_id)) != "pending" and s, timeout=seconds,
                          interval=0.01)


def warm_up(site: Site) -> None:
    # The first job loads the model; after that the worker waits on an empty queue.
    site.decided_within(site.post(), 60)


@pytest.fixture
def settings(redis_url, redis_client):
    # The webhook receiver runs on 127.0.0.1, which the address checks refuse unless allowed.
    return make_settings(redis_url, webhook_allowed_hosts=LOOPBACK_ALLOWED)


@pytest.mark.parametrize("socket_timeout, idle", [("1", 4.0), (None, 7.0)],
                         ids=["socket-timeout-1s", "default-settings"])
def test_idle_workers_decide_and_deliver_at_once_and_log_nothing(settings, runtime, small_scorer,
                                                                 socket_timeout, idle):
    from core.config import Settings

    register_scorer(runtime.models, small_scorer, created_by="test", activate=True)
    env = {"REDIS_SOCKET_TIMEOUT": socket_timeout} if socket_timeout else {}
    # The scoring job's linger and gathering pause as shipped (the suite turns them off):
    # the job's blocking wait for posts is part of what an idle spell must not break.
    shipped = Settings.from_env(env={})
    env.update(SCORING_LINGER_SECONDS=str(shipped.scoring_linger_seconds),
               SCORING_GATHER_SECONDS=str(shipped.scoring_gather_seconds))
    receiver = Receiver([])
    worker = WorkerProcess(settings, {**env, "LOG_LEVEL": "INFO"})
    webhooks = WorkerProcess(settings, webhook_worker_env(settings, **env, LOG_LEVEL="INFO"))
    try:
        site = Site(runtime)
        register(site.client, site.headers, receiver.url)
        warm_up(site)
        wait_until(lambda: receiver.count() == 1, timeout=30)
        before_idle = {w: len(w.log()) for w in (worker, webhooks)}
        # Longer than the socket timeout (default 5 s): idle is the condition under test.
        time.sleep(idle)
        assert all(noisy_lines(w, before_idle[w]) == [] for w in (worker, webhooks))
        site.decided_within(site.post(), 2.0)
        wait_until(lambda: receiver.count() == 2, timeout=2.0, interval=0.01)
        # Twice: the first dequeue after the quiet spell left nothing broken behind.
        time.sleep(idle / 2)
        site.decided_within(site.post(), 2.0)
        wait_until(lambda: receiver.count() == 3, timeout=2.0, interval=0.01)
        for w in (worker, webhooks):
            assert w.process.poll() is None
            assert noisy_lines(w) == [], w.log()
    finally:
        worker.stop()
        webhooks.stop()
        receiver.close()


def test_rq_waits_on_a_pool_of_its_own_and_the_api_keeps_failing_fast(redis_url, redis_client):
    """With default settings RQ's blocking dequeue can outwait its read timeout on no
    connection, and giving RQ its long timeout does not lengthen anyone else's."""
    settings = Settings.from_env(env={}, redis_url=redis_url)
    fast = connect(settings)
    blocking = connect_blocking(settings)
    fast.ping()  # a connection made before the worker exists, as the runner does
    worker = SimpleWorker(["comments"], connection=blocking)
    rq_timeout = blocking.connection_pool.connection_kwargs["socket_timeout"]
    assert rq_timeout is not None and rq_timeout > worker.dequeue_timeout
    assert fast.connection_pool.connection_kwargs["socket_timeout"] == settings.redis_socket_timeout
    assert blocking.connection_pool is not fast.connection_pool
    assert blocking.connection_pool.connection_kwargs.get("socket_keepalive") is True


def test_a_worker_whose_redis_restarts_while_idle_serves_again_at_once(own_redis, small_scorer):
    settings = make_settings(own_redis.url)
    runtime = Runtime.build(settings)  # the production client, as the API has
    register_scorer(runtime.models, small_scorer, created_by="test", activate=True)
    worker = WorkerProcess(settings, {"REDIS_SOCKET_TIMEOUT": "1", "LOG_LEVEL": "INFO"})
    try:
        site = Site(runtime)
        warm_up(site)
        time.sleep(2.0)  # idle, blocked in RQ's dequeue
        own_redis.kill()
        # Down long enough that RQ's default back-off would have grown to 8 s.
        time.sleep(8.0)
        own_redis.start()
        back = len(worker.log())
        site.decided_within(site.post(), 2.0)
        assert worker.process.poll() is None
        # Idle again after the restart: quiet again.
        time.sleep(3.0)
        site.decided_within(site.post(), 2.0)
        after = [line for line in noisy_lines(worker, back) if "could not connect" not in line]
        assert after == [], after
    finally:
        worker.stop()
