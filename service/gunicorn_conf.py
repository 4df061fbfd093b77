"""gunicorn settings the service needs whatever the command line says."""

import os


def child_exit(server, worker) -> None:
    # Multi-process Prometheus metrics: forget the gauges of a dead worker process.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
