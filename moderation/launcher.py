"""`moderation up`: the whole service on one machine, stopped cleanly on Ctrl-C or SIGTERM."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

from core.config import PROJECT_ROOT, Settings
from moderation.bootstrap import ensure_admin_key, ensure_model
from moderation.commands.service import gunicorn_command
from moderation.progress import ProgressBar
from moderation.redis_server import RedisServer, port_is_free
from service.runtime import Runtime

DEFAULT_REDIS_PORT = 6379



class Launcher:
    def __init__(self, settings: Settings, *, port: int, workers: int, api_processes: int) -> None:
        self.settings = settings
        self.port = port
        self.workers = workers
        self.api_processes = api_processes
        self.redis_server: RedisServer | None = None
        self.children: list[tuple[str, list[str], subprocess.Popen]] = []
        self.stopping = False

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        try:
            env = self._start_redis()
            runtime = Runtime.build(Settings.from_env(env))
            print("checking for an active model ...", flush=True)
            version = ensure_model(runtime.models, runtime.settings, progress=ProgressBar())
            print(f"model: {version}", flush=True)
            admin_key = ensure_admin_key(runtime.api_keys)
            self._spawn("api", gunicorn_command(self.port, self.api_processes), env)
            for n in range(self.workers):
                self._spawn(f"worker-{n + 1}", [sys.executable, "-m", "moderation.cli", "worker",
                                                "--queues", "comments,webhooks"], env)
            # Training has a worker of its own so that it never holds up scoring.
            self._spawn("training-worker", [sys.executable, "-m", "moderation.cli", "worker",
                                            "--queues", "training"], env)
            self._announce(env["REDIS_URL"], admin_key)
            return self._supervise(env)
        finally:
            self._stop_all()

    def _start_redis(self) -> dict[str, str]:
        env = dict(os.environ)
        # One metrics folder for the API processes and workers: /metrics adds them all up.
        metrics_dir = PROJECT_ROOT / "var" / "metrics"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        env.setdefault("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir))
        if not self.settings.redis_url and not self.settings.redis_sentinels:
            data_dir = PROJECT_ROOT / "var" / "redis"
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
            f"  workers        {self.workers} scoring, 1 training\n"
            "Press Ctrl-C to stop everything this command started.",
            flush=True,
        )
        if redis_url != Settings.from_env(env={}).effective_redis_url():
            print(f"Other `moderation` commands need: export REDIS_URL={redis_url}", flush=True)
        if admin_key:
            print("A first admin key was created; it is shown once. Create site and moderator keys "
                  "with `moderation keys create --role site --name www`.", flush=True)
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
