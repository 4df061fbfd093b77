"""`moderation up`: the whole service on one machine, stopped cleanly on Ctrl-C or SIGTERM."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from core.config import Settings
from moderation.bootstrap import ensure_admin_key, ensure_migrated, ensure_model
from moderation.commands.service import gunicorn_command
from moderation.progress import ProgressBar
from moderation.redis_server import RedisServer, port_is_free
from service.runtime import Runtime

DEFAULT_REDIS_PORT = 6379
SECRET_KEY_FILE = "secret_key"
# Quoted by README's curl section: keep the two the same (tests/test_launcher.py).
REDIS_URL_HINT = "Other `moderation` commands need: export REDIS_URL="


def session_secret(var_dir: str | os.PathLike) -> str:
    """The moderator-session signing key kept in ``var_dir/secret_key``, created on first use.

    Every API process `up` starts must sign sessions with one key, or a sign-in made on one
    process is refused by the next; keeping it in a file makes sign-ins survive a restart too.
    The file is created with mode 0600 in one step (O_EXCL), so the key is never readable by
    others, and two launchers racing to create it end up with the same key.
    """
    path = Path(var_dir) / SECRET_KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if key:
            return key
        raise RuntimeError(f"{path} is empty; delete it to have a new key made") from None
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key


def _same_server(url: str, other: str) -> bool:
    """Whether two redis:// URLs name one server and database (localhost = 127.0.0.1)."""
    a, b = urlsplit(url), urlsplit(other)
    local = {"localhost", "127.0.0.1", "::1"}

    def host(parts) -> str:
        return "localhost" if parts.hostname in local else (parts.hostname or "")

    return (a.scheme, host(a), a.port or 6379, a.path.strip("/") or "0") == \
           (b.scheme, host(b), b.port or 6379, b.path.strip("/") or "0")


class Launcher:
    def __init__(self, settings: Settings, *, port: int, workers: int, api_processes: int,
                 webhook_workers: int = 1) -> None:
        self.settings = settings
        self.port = port
        self.workers = workers
        self.webhook_workers = webhook_workers
        self.api_processes = api_processes
        self.redis_server: RedisServer | None = None
        self.children: list[tuple[str, list[str], subprocess.Popen]] = []
        self.stopping = False

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        try:
            env = self._start_redis()
            env["SECRET_KEY"] = self._session_secret()
            runtime = Runtime.build(Settings.from_env(env))
            for number, description, touched in ensure_migrated(runtime.redis, runtime.keys):
                print(f"migration {number} ({description}): {touched} items", flush=True)
            print("checking for an active model ...", flush=True)
            version = ensure_model(runtime.models, runtime.settings, progress=ProgressBar())
            print(f"model: {version}", flush=True)
            admin_key = ensure_admin_key(runtime.api_keys)
            self._spawn("api", gunicorn_command(self.port, self.api_processes), env)
            for name, command in self.worker_commands():
                self._spawn(name, command, env)
            self._announce(env["REDIS_URL"], admin_key)
            return self._supervise(env)
        finally:
            self._stop_all()

    def _session_secret(self) -> str:
        if self.settings.secret_key:
            return self.settings.secret_key
        key = session_secret(self.settings.var_dir)
        print(f"moderator sessions are signed with the key in "
              f"{Path(self.settings.var_dir) / SECRET_KEY_FILE}", flush=True)
        return key

    def worker_commands(self) -> list[tuple[str, list[str]]]:
        """The worker processes `up` runs: scoring, webhook and training workers on queues of
        their own, so that neither a slow receiver nor a training run holds up scoring."""
        worker = [sys.executable, "-m", "moderation.cli", "worker", "--queues"]
        return ([(f"worker-{n + 1}", [*worker, "comments"]) for n in range(self.workers)]
                + [(f"webhook-worker-{n + 1}", [*worker, "webhooks"])
                   for n in range(self.webhook_workers)]
                + [("training-worker", [*worker, "training"])])

    def _start_redis(self) -> dict[str, str]:
        env = dict(os.environ)
        # One metrics folder for the API processes and workers: /metrics adds them all up.
        metrics_dir = Path(self.settings.var_dir) / "metrics"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        env.setdefault("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir))
        if not self.settings.redis_url and not self.settings.redis_sentinels:
            data_dir = Path(self.settings.var_dir) / "redis"
            # Redis's usual port when it is free: then `moderation keys create` and the
            # other commands find this server without REDIS_URL.
            port = DEFAULT_REDIS_PORT if port_is_free(DEFAULT_REDIS_PORT) else None
            self.redis_server = RedisServer(port=port, data_dir=str(data_dir)).start()
            env["REDIS_URL"] = self.redis_server.url
            print(f"started a private Redis at {self.redis_server.url} (data in {data_dir})", flush=True)
        else:
            env.setdefault("REDIS_URL", self.settings.redis_url)
        return env

    def _spawn(self, name: str, command: list[str], env: dict[str, str]) -> None:
        process = subprocess.Popen(command, env=env)
        self.children.append((name, command, process))

    def _announce(self, redis_url: str, admin_key: str | None) -> None:
        base = f"http://localhost:{self.port}"
        print(
            "\nThe moderation service is running.\n"
            f"  API            {base}/v1/comments\n"
            f"  API docs       {base}/docs  (OpenAPI: {base}/openapi.json)\n"
            f"  moderators     {base}/moderate\n"
            f"  health         {base}/healthz  {base}/readyz\n"
            f"  redis          {redis_url}\n"
            f"  workers        {self.workers} scoring, {self.webhook_workers} webhook, 1 training\n"
            "Press Ctrl-C to stop everything this command started.",
            flush=True,
        )
        if not _same_server(redis_url, Settings.from_env(env={}).effective_redis_url()):
            print(f"{REDIS_URL_HINT}{redis_url}", flush=True)
        if admin_key:
            print("An all-tenants admin key was created; it is shown once. Create site and "
                  "moderator keys with `moderation keys create --role site --name www "
                  "[--tenant TITLE]`.", flush=True)
            print(f"ADMIN_KEY={admin_key}", flush=True)

    def _supervise(self, env: dict[str, str]) -> int:
        while not self.stopping:
            time.sleep(0.5)
            for index, (name, command, process) in enumerate(self.children):
                if process.poll() is not None and not self.stopping:
                    # A crashed worker or API is restarted; Redis keeps its pending work.
                    print(f"{name} exited with {process.returncode}; restarting", flush=True)
                    self.children[index] = (name, command, subprocess.Popen(command, env=env))
        return 0

    def _on_signal(self, signum: int, frame: object) -> None:
        self.stopping = True

    def _stop_all(self) -> None:
        self.stopping = True
        for _, _, process in self.children:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 15
        for _, _, process in self.children:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
        if self.redis_server:
            self.redis_server.stop()
            print("stopped.", flush=True)
