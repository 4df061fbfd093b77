"""`moderation up`, `serve` and `worker`: run the service whole or in parts."""

from __future__ import annotations

import argparse
import os
import sys

from core.config import Settings

# JSON access log lines; the path only (no query string), never bodies.
_ACCESS_LOG = '{"http":"%(m)s %(U)s","status":%(s)s,"ms":%(M)s,"request_id":"%({x-request-id}o)s"}'


def gunicorn_command(port: int, workers: int, host: str = "0.0.0.0") -> list[str]:
    return [
        sys.executable, "-m", "gunicorn",
        "--workers", str(workers),
        "--bind", f"{host}:{port}",
        # Measured on 2 cores (bench/RESULTS.md, issue 17): gthread accepts more requests but
        # takes the CPU the scoring worker needs, so decisions fall seconds behind.
        "--worker-class", "sync",
        "--config", "python:service.gunicorn_conf",
        # Short keep-alive and timeouts: requests are small and must not pile up.
        "--timeout", "30",
        "--graceful-timeout", "10",
        "--access-logfile", "-",
        "--access-logformat", _ACCESS_LOG,
        "service.wsgi:app",
    ]


def _serve(args: argparse.Namespace) -> int:
    if not Settings.from_env().secret_key:
        if args.processes > 1:
            # Each process would sign moderator sessions with its own random key, so a sign-in
            # made on one would bounce back to the login page on the next: refuse instead.
            print(f"error: SECRET_KEY is not set, so each of the {args.processes} API processes "
                  "would sign moderator sessions with its own random key and sign-ins would not "
                  "hold; set one SECRET_KEY for all (e.g. SECRET_KEY=$(openssl rand -hex 32)) or "
                  "run --processes 1", file=sys.stderr)
            return 2
        print("note: SECRET_KEY is not set; moderator sign-ins end when this process restarts",
              file=sys.stderr)
    command = gunicorn_command(args.port, args.processes, args.host)
    os.execv(command[0], command)
    return 1  # pragma: no cover - execv does not return


def _worker(args: argparse.Namespace) -> int:
    from worker.runner import run_worker

    if args.metrics_port:
        # A worker on its own machine serves its metrics itself; on one machine with the
        # API, PROMETHEUS_MULTIPROC_DIR lets the API's /metrics include it instead.
        from prometheus_client import start_http_server

        start_http_server(args.metrics_port)
    run_worker(Settings.from_env(), burst=args.burst, name=args.name, queues=args.queues)
    return 0


def _up(args: argparse.Namespace) -> int:
    from moderation.launcher import Launcher

    return Launcher(Settings.from_env(), port=args.port, workers=args.workers,
                    api_processes=args.processes, webhook_workers=args.webhook_workers).run()


def _init(args: argparse.Namespace) -> int:
    from moderation.bootstrap import ensure_admin_key, ensure_migrated, ensure_model
    from moderation.progress import ProgressBar
    from service.runtime import Runtime

    runtime = Runtime.build(Settings.from_env())
    for number, description, touched in ensure_migrated(runtime.redis, runtime.keys):
        print(f"migration {number} ({description}): {touched} items")
    print(f"active model: {ensure_model(runtime.models, runtime.settings, progress=ProgressBar())}")
    admin_key = ensure_admin_key(runtime.api_keys)
    if admin_key:
        print("created an all-tenants admin key; it is shown once:")
        print(admin_key)
    else:
        print("an all-tenants admin key exists already; none created")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    init = sub.add_parser("init", help="prepare a Redis for service: train and activate a model if "
                                       "none is active, create a first admin key if none exists")
    init.set_defaults(func=_init)

    up = sub.add_parser("up", help="run everything on this machine: Redis (if REDIS_URL is unset), "
                                   "a model (trained if none), the API and workers")
    up.add_argument("--port", type=int, default=8000, help="API port (default 8000)")
    up.add_argument("--workers", type=int, default=1, help="scoring worker processes (default 1)")
    up.add_argument("--webhook-workers", type=int, default=1,
                    help="webhook delivery worker processes (default 1)")
    up.add_argument("--processes", type=int, default=2, help="API processes (default 2)")
    up.set_defaults(func=_up)

    serve = sub.add_parser("serve", help="run the API under gunicorn")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--processes", type=int, default=2, help="gunicorn worker processes")
    serve.set_defaults(func=_serve)

    worker = sub.add_parser("worker", help="run one worker (scoring by default; see --queues)")
    worker.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    worker.add_argument("--name", default=None, help="worker name (default: RQ's)")
    worker.add_argument("--metrics-port", type=int, default=0,
                        help="serve this worker's Prometheus metrics on this port (0: off)")
    worker.add_argument("--queues", default=None,
                        help="comma-separated queues to consume: comments, webhooks, training "
                             "(default: WORKER_QUEUES, else comments; run webhooks and training "
                             "on workers of their own)")
    worker.set_defaults(func=_worker)
