"""`moderation up` and `serve`: one session key for all API processes, kept across restarts."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import urllib.request

import pytest

from core.config import PROJECT_ROOT, Settings
from moderation.launcher import (
    REDIS_URL_HINT,
    SECRET_KEY_FILE,
    Launcher,
    _same_server,
    session_secret,
)
from moderation.redis_server import free_port
from tests.conftest import wait_until


def test_session_secret_is_made_once_private_and_kept(tmp_path):
    var = tmp_path / "var"
    first = session_secret(var)
    path = var / SECRET_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) == 64 and int(first, 16) >= 0
    # A restart (or a second launcher) reads the same key back.
    assert session_secret(var) == first
    assert session_secret(tmp_path / "elsewhere") != first


def test_an_empty_key_file_is_an_error_not_a_new_random_key(tmp_path):
    (tmp_path / SECRET_KEY_FILE).write_text("")
    with pytest.raises(RuntimeError, match=SECRET_KEY_FILE):
        session_secret(tmp_path)


def test_up_uses_an_explicit_secret_key_and_writes_no_file(tmp_path):
    settings = Settings.from_env(env={}, secret_key="from-the-operator", var_dir=str(tmp_path))
    launcher = Launcher(settings, port=0, workers=1, api_processes=2)
    assert launcher._session_secret() == "from-the-operator"
    assert not (tmp_path / SECRET_KEY_FILE).exists()
    settings = Settings.from_env(env={}, var_dir=str(tmp_path))
    kept = Launcher(settings, port=0, workers=1, api_processes=2)._session_secret()
    assert kept == (tmp_path / SECRET_KEY_FILE).read_text().strip()


def _serve(processes: int, port: int, **env: str) -> subprocess.Popen:
    environment = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    environment.update(PYTHONPATH=str(PROJECT_ROOT), LOG_LEVEL="WARNING", **env)
    return subprocess.Popen([sys.executable, "-m", "moderation.cli", "serve", "--host", "127.0.0.1",
                             "--port", str(port), "--processes", str(processes)],
                            env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_serve_refuses_several_processes_without_a_secret_key():
    process = _serve(2, free_port())
    out, err = process.communicate(timeout=60)
    assert process.returncode == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: SECRET_KEY is not set"), err
    assert "2 API processes" in lines[0]


def test_serve_starts_several_processes_with_a_secret_key(redis_url):
    port = free_port()
    process = _serve(2, port, SECRET_KEY="one-key-for-all", REDIS_URL=redis_url)

    def healthy() -> bool:
        assert process.poll() is None, process.communicate()[1]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        wait_until(healthy, timeout=60, interval=0.2)
    finally:
        process.terminate()
        process.communicate(timeout=30)


@pytest.mark.parametrize(("printed", "default", "same"), [
    ("redis://127.0.0.1:6379/0", "redis://localhost:6379/0", True),
    ("redis://127.0.0.1:6379", "redis://localhost:6379/0", True),
    ("redis://127.0.0.1:40123/0", "redis://localhost:6379/0", False),
    ("redis://127.0.0.1:6379/1", "redis://localhost:6379/0", False),
    ("rediss://127.0.0.1:6379/0", "redis://localhost:6379/0", False),
    ("redis://cache.internal:6379/0", "redis://localhost:6379/0", False),
])
def test_up_asks_for_export_redis_url_only_when_other_commands_need_it(printed, default, same):
    assert _same_server(printed, default) is same


def test_readme_quotes_the_redis_url_hint_as_up_prints_it():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert f"#   {REDIS_URL_HINT}redis://127.0.0.1:PORT/0" in readme
