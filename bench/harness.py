"""Start a throwaway deployment for benchmarks: private Redis, a registered model,
gunicorn API and N workers, all on this machine. Used by the bench scripts."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from redis import Redis

from core.config import PROJECT_ROOT, Settings
from moderation.commands.service import gunicorn_command
from moderation.redis_server import RedisServer, free_port
from service.runtime import Runtime
from worker.publishing import register_scorer


def pin_one_core() -> str:
    """Pin this process (and what it starts later) to one CPU, for figures of one scoring
    thread; says what it did, for the report."""
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    except (AttributeError, OSError):
        return "not pinned"


def model_file(model_path: str | None, settings: Settings) -> Path:
    """``model_path``, or without one a quick model (300 examples per source) trained and saved
    in a temporary folder: the benches time the model as loaded from its file."""
    if model_path:
        return Path(model_path)
    from model.artifact import save
    from model.train import train

    print("no --model: training a quick model (max 300 per source)...", file=sys.stderr)
    path = Path(tempfile.mkdtemp()) / "bench.skops"
    save(train(settings, max_per_source=300), path)
    return path


def load_or_train_scorer(model_path: str | None, max_per_source: int | None):
    from model.artifact import load
    from model.train import train

    if model_path and Path(model_path).exists():
        return load(model_path)
    scorer = train(Settings.from_env(), max_per_source=max_per_source)
    if model_path:
        from model.artifact import save

        save(scorer, model_path)
    return scorer


@contextmanager
def deployment(*, workers: int, api_processes: int, scorer, appendonly: bool = True,
               env_overrides: dict[str, str] | None = None, worker_stderr=None,
               gunicorn_args: list[str] | None = None):
    with RedisServer(appendonly=appendonly) as redis_server:
        settings = Settings.from_env(env={}, redis_url=redis_server.url)
        runtime = Runtime.build(settings)
        register_scorer(runtime.models, scorer, created_by="bench", activate=True)
        _, site_key = runtime.api_keys.create("site", "bench")
        metrics_dir = tempfile.mkdtemp(prefix="bench-metrics-")
        env = dict(os.environ, REDIS_URL=redis_server.url, LOG_LEVEL="WARNING",
                   PYTHONPATH=str(PROJECT_ROOT), PROMETHEUS_MULTIPROC_DIR=metrics_dir,
                   RATE_LIMIT_DEFAULT="", RATE_LIMIT_POST_COMMENTS="", RATE_LIMIT_READ_COMMENTS="",
                   RATE_LIMIT_ANONYMOUS="")
        env.update(env_overrides or {})
        port = free_port()
        command = gunicorn_command(port, api_processes, host="127.0.0.1")
        command = [c for c in command if c not in ("--access-logfile", "-")]
        # Later options win in gunicorn's command line (e.g. --worker-class gthread --threads 4).
        command[-1:-1] = gunicorn_args or []
        procs = [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)]
        for _ in range(workers):
            procs.append(subprocess.Popen([sys.executable, "-m", "moderation.cli", "worker"],
                                          env=env, stdout=subprocess.DEVNULL,
                                          stderr=worker_stderr or subprocess.DEVNULL))
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(base + "/readyz", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        try:
            yield {"base": base, "site_key": site_key, "redis": Redis.from_url(redis_server.url),
                   "runtime": runtime, "port": port, "processes": procs}
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
