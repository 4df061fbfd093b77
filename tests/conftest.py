"""Shared fixtures: a real Redis server over a socket, the app, keys, and a real worker.

Tests use REDIS_URL when it is set (a server CI or a developer runs);
otherwise one private server is started for the session. Each test starts
from an empty database.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from redis import Redis

from core.config import PROJECT_ROOT, Settings
from moderation.redis_server import RedisServer

# Processes the tests start (`moderation up`, workers) draw no spot checks unless a test
# asks: a comment drawn at random would join the queue some tests count.
os.environ.setdefault("SPOT_CHECK_RATE", "0")

# The browser tests import Page from their plugin module before pytest_plugins loads it:
# registered here, its asserts still report what they compared.
pytest.register_assert_rewrite("tests.browser_fixtures")


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    external = os.environ.get("TEST_REDIS_URL")
    if external:
        yield external
        return
    with RedisServer(appendonly=False) as server:
        yield server.url


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis server of the test's own, to kill and start again (outage tests).

    AOF with fsync on every write, as docker-compose configures, so a restart keeps the
    model, keys and comments as a real deployment's would.
    """
    server = RedisServer(data_dir=str(tmp_path / "redis"), appendonly=True, appendfsync="always")
    server.start()
    yield server
    server.cleanup()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    client.flushall()
    yield client
    client.close()


def make_settings(redis_url: str, **overrides) -> Settings:
    """Settings for tests: ignore the developer's environment, fast recovery timers."""
    values = dict(
        redis_url=redis_url,
        lease_seconds=3,
        recovery_interval=0.5,
        model_poll_interval=0.2,
        log_level="WARNING",
        # Tests post and poll fast; tests/test_rate_limits.py turns the limits on.
        rate_limit_default="",
        rate_limit_post_comments="",
        rate_limit_read_comments="",
        rate_limit_anonymous="",
        # Spot checks draw approved comments into the queue at random; tests that count the
        # queue would see them now and then. tests/test_quality*.py turn them on.
        spot_check_rate=0.0,
        # A burst worker would wait out the linger at the end of every scoring job, and the
        # gathering pause would pace a test's batches: tests/test_drain_linger.py and
        # tests/test_redis_budget.py run with them on.
        scoring_linger_seconds=0.0,
        scoring_gather_seconds=0.0,
    )
    values.update(overrides)
    return Settings.from_env(env={}, **values)


@pytest.fixture
def settings(redis_url: str, redis_client: Redis) -> Settings:
    return make_settings(redis_url)


@pytest.fixture
def runtime(settings: Settings, redis_client: Redis):
    from service.runtime import Runtime

    return Runtime.build(settings, redis_client)


@pytest.fixture
def app(settings: Settings, runtime):
    from service.app import create_app

    application = create_app(settings, runtime)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_key(runtime) -> Callable[..., str]:
    """A new key of ``role``. Site and moderator keys belong to the default tenant (as
    `moderation keys create` makes them); admin keys to every tenant ("*"), as the first admin
    key `moderation init` makes (model versions take one). ``tenant`` overrides either."""

    def make(role: str, tenant: str | None = None, name: str | None = None) -> str:
        tenant = tenant or ("*" if role == "admin" else "default")
        return runtime.api_keys.create(role, name or f"test {role}", tenant)[1]

    return make


@pytest.fixture
def site_headers(make_key) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key('site')}"}


@pytest.fixture
def moderator_headers(make_key) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key('moderator')}"}


@pytest.fixture
def admin_headers(make_key) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key('admin')}"}


def worker_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        REDIS_URL=settings.redis_url,
        MODERATION_KEY_PREFIX=settings.key_prefix,
        LEASE_SECONDS=str(settings.lease_seconds),
        RECOVERY_INTERVAL=str(settings.recovery_interval),
        MODEL_POLL_INTERVAL=str(settings.model_poll_interval),
        SPOT_CHECK_RATE=str(settings.spot_check_rate),
        SPOT_CHECK_NEAR_BAND=str(settings.spot_check_near_band),
        SPOT_CHECK_NEAR_FACTOR=str(settings.spot_check_near_factor),
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(PROJECT_ROOT),
    )
    return env


class WorkerProcess:
    """A real `moderation worker` process consuming the real queue."""

    def __init__(self, settings: Settings, extra_env: dict[str, str] | None = None) -> None:
        env = worker_env(settings)
        env.update(extra_env or {})
        # A file, not a pipe: an unread pipe fills up and blocks a chatty worker.
        self.log_file = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moderation.cli", "worker"], env=env, cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL, stderr=self.log_file,
        )

    def log(self) -> str:
        """Everything the worker has logged so far (JSON lines)."""
        self.log_file.seek(0)
        return self.log_file.read().decode("utf-8", errors="replace")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def start_worker(settings: Settings) -> Iterator[Callable[..., WorkerProcess]]:
    started: list[WorkerProcess] = []

    def start(**extra_env: str) -> WorkerProcess:
        worker = WorkerProcess(settings, extra_env)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def wait_until(predicate: Callable[[], object], timeout: float = 30.0, interval: float = 0.05):
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


@pytest.fixture(scope="session")
def tiny_abuse_corpus(tmp_path_factory) -> Path:
    """The first 400 lines of every abuse corpus: training and quality-gate evaluation on it
    take seconds instead of the full corpora's minutes (loading alone takes ~10 s)."""
    source = Path(Settings.from_env(env={}).abuse_data)
    target = tmp_path_factory.mktemp("tiny-abuse")
    for path in sorted(source.glob("*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            lines = list(itertools.islice(fh, 400))
        (target / path.name).write_text("".join(lines), encoding="utf-8")
    if not any(target.iterdir()):
        pytest.skip(f"no abuse corpora at {source}")
    return target


# --- trained model (shared by every test that needs real scoring) -------------------------
@pytest.fixture(scope="session")
def small_scorer(tiny_abuse_corpus):
    """A real model trained once per session on a few hundred examples per source (seconds,
    not minutes); quality is far below the production model but the shape is the same."""
    from model.train import train

    return train(tiny_abuse_corpus, max_per_source=300)


@pytest.fixture
def active_small_model(runtime, small_scorer) -> str:
    """``small_scorer`` registered and active: the version workers and the API score with."""
    from worker.publishing import register_scorer

    return register_scorer(runtime.models, small_scorer, created_by="tests", activate=True)
