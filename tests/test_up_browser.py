"""What a newcomer meets in a browser: `moderation up` with two API processes, and /docs offline.

`moderation up` runs for real (gunicorn with two processes, a worker) against the test Redis, in
a private VAR_DIR; headless Chromium (Debian's package, driven by Playwright as in
tests/test_moderate_browser.py) signs in on /moderate and loads the page again and again.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from moderation.launcher import SECRET_KEY_FILE
from moderation.redis_server import free_port
from tests.browser_fixtures import Page, needs_chromium
from tests.conftest import wait_until

pytest_plugins = ["tests.browser_fixtures"]
pytestmark = needs_chromium

PAGE_LOADS = 20


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


class Up:
    """`moderation up` as a child process, as a newcomer runs it (no SECRET_KEY set)."""

    def __init__(self, settings, var_dir: Path, processes: int = 2, port: int | None = None) -> None:
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
        env.update(REDIS_URL=settings.redis_url, MODERATION_KEY_PREFIX=settings.key_prefix,
                   VAR_DIR=str(var_dir), LOG_LEVEL="WARNING", RATE_LIMIT_ANONYMOUS="",
                   RATE_LIMIT_DEFAULT="")
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.output = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moderation.cli", "up", "--port", str(self.port),
             "--processes", str(processes), "--workers", "1"],
            env=env, cwd=var_dir.parent, stdout=self.output, stderr=subprocess.STDOUT,
        )
        try:
            wait_until(lambda: self.process.poll() is not None or _answers(self.base + "/healthz"),
                       timeout=90, interval=0.2)
        except AssertionError:
            self.stop()
            raise AssertionError(f"`moderation up` did not answer /healthz:\n{self.log()}") from None
        assert self.process.poll() is None, self.log()

    def log(self) -> str:
        self.output.seek(0)
        return self.output.read().decode("utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def start_up(settings, runtime, small_scorer, tmp_path) -> Iterator:
    from worker.publishing import register_scorer

    # An active model: `up` then starts at once instead of training the full one.
    register_scorer(runtime.models, small_scorer, created_by="test", activate=True)
    started: list[Up] = []

    def start(**kwargs) -> Up:
        up = Up(settings, tmp_path / "var", **kwargs)
        started.append(up)
        return up

    yield start
    for up in started:
        up.stop()


def _bounces(page: Page, loads: int) -> list[int]:
    """The page loads (numbered from 1) that landed on the login page instead of the queue."""
    bounced = []
    for n in range(1, loads + 1):
        page.tab.goto(page.base + "/moderate")
        if urlsplit(page.tab.url).path != "/moderate":
            bounced.append(n)
    return bounced


def test_sign_in_holds_across_up_s_two_api_processes_and_a_restart(browser, start_up, runtime,
                                                                   tmp_path):
    key = runtime.api_keys.create("moderator", "alice")[1]
    up = start_up(processes=2)
    page = Page(browser, up.base)
    try:
        page.sign_in(key)
        assert _bounces(page, PAGE_LOADS) == []
        secret = tmp_path / "var" / SECRET_KEY_FILE
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
        kept = secret.read_text()
        up.stop()
        # Started again on the same port: the same key, so the browser's session cookie still
        # opens the queue.
        up = start_up(processes=2, port=up.port)
        # The tab stayed open: its live-queue poll met a closed port while `up` was down, and the
        # browser logs each refusal, handing the log over to Playwright in its own time (seen
        # arriving after the next page load). Those refusals, and nothing else, are expected.
        assert secret.read_text() == kept
        assert _bounces(page, PAGE_LOADS) == []
        assert [e for e in page.errors if "ERR_CONNECTION_REFUSED" not in e] == []
    finally:
        page.context.close()


def _api(base: str, method: str, path: str, key: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_the_live_queue_under_up_s_two_api_processes(browser, start_up, runtime, monkeypatch):
    """The page's light poll, answered by whichever of `up`'s gunicorn processes: a comment
    the worker holds appears without a reload, and leaves when a colleague decides it."""
    from storage.thresholds import ThresholdStore

    monkeypatch.setenv("MODERATE_POLL_SECONDS", "1")
    # Every comment held, whatever the small model makes of it.
    ThresholdStore(runtime.redis, runtime.keys).update(
        {"abuse": 0.0, "victim_identification": 0.0}, by="test")
    key = runtime.api_keys.create("moderator", "alice")[1]
    colleague = runtime.api_keys.create("moderator", "bob")[1]
    site = runtime.api_keys.create("site", "www")[1]
    up = start_up(processes=2)
    page = Page(browser, up.base)
    try:
        page.sign_in(key)
        assert page.tab.locator("[data-testid=empty]").is_visible()
        status, posted = _api(up.base, "POST", "/v1/comments", site, {
            "article_id": "stadium", "text": "You lot are clueless, absolute idiots",
            "author": {"id": "reader-1"},
            "article": {"title": "Stadium plan approved", "url": "https://news.example/stadium"}})
        assert status == 202, posted
        card = page.card(posted["id"])
        card.wait_for(timeout=60_000)  # scored by up's worker, then the next poll brings it
        assert card.locator("[data-testid=story]").inner_text() == "Stadium plan approved"
        total = page.tab.locator("[data-testid=total]")
        assert total.inner_text().startswith("1 held")
        # The page claimed it as it arrived; the claim lapses, and a colleague decides it.
        wait_until(lambda: runtime.redis.get(runtime.keys.claim(posted["id"])) is not None)
        runtime.redis.delete(runtime.keys.claim(posted["id"]))
        status, decided = _api(up.base, "POST", f"/v1/comments/{posted['id']}/decision", colleague,
                               {"action": "reject", "reason_code": "abuse"})
        assert status == 200, decided
        card.wait_for(state="detached")
        wait_until(lambda: total.inner_text().startswith("0 held"))
        assert page.tab.locator("[data-testid=empty]").is_visible()
        assert page.errors == []
    finally:
        page.context.close()


@pytest.fixture
def live(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def test_docs_render_with_the_network_closed(browser, live):
    context = browser.new_context()
    context.set_default_timeout(15_000)
    refused: list[str] = []

    def only_this_server(route) -> None:
        # The network is closed: anything not served by the service itself fails.
        if route.request.url.startswith(live + "/"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", only_this_server)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        tab.goto(live + "/docs")
        # Swagger UI's own DOM, built from /openapi.json: the title and an operation.
        title = tab.locator(".swagger-ui .info .title")
        title.wait_for()
        assert "Newsroom comment moderation" in title.inner_text()
        tab.locator(".opblock-summary-path", has_text="/v1/comments").first.wait_for()
        assert refused == [] and errors == []
    finally:
        context.close()
