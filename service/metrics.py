"""GET /metrics (Prometheus text format) and per-request latency.

Unauthenticated, like /healthz: expose it only to the monitoring network.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily
from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.registry import FailedJobRegistry

from core.metrics import HTTP_REQUEST_SECONDS, QUALITY_GAUGES
from storage.moderation import held_count
from storage.quality import QualityStore, report

blp = Blueprint("metrics", __name__)


class RedisStateCollector:
    """Gauges read from Redis at scrape time: true for the whole deployment."""

    def __init__(self, runtime) -> None:
        self.runtime = runtime

    def collect(self):
        rt = self.runtime
        depth = GaugeMetricFamily("moderation_queue_depth", "Items waiting, by queue.", labels=["queue"])
        workers = GaugeMetricFamily("moderation_workers", "RQ workers registered in Redis.")
        failed = GaugeMetricFamily("moderation_failed_jobs", "Jobs in RQ's failed registry.",
                                   labels=["queue"])
        model = InfoMetricFamily("moderation_active_model", "The model version scoring comments.")
        try:
            depth.add_metric(["pending_comments"], rt.comments.pending_count())
            depth.add_metric(["held_comments"], held_count(rt.redis, rt.keys))
            settings = rt.settings
            for name in (settings.comments_queue, settings.training_queue, settings.webhooks_queue):
                queue = Queue(name, connection=rt.redis)
                depth.add_metric([f"rq:{name}"], queue.count)
                failed.add_metric([name], FailedJobRegistry(queue=queue).count)
            workers.add_metric([], Worker.count(connection=rt.redis))
            model.add_metric([], {"version": rt.models.active_version() or "none"})
        except RedisError:
            return
        yield depth
        yield workers
        yield failed
        yield model
        yield from quality_gauges(rt)


def quality_gauges(rt) -> list[GaugeMetricFamily]:
    """The live quality estimates per tenant over the last QUALITY_GAUGE_DAYS days."""
    gauges = {name: GaugeMetricFamily(name, doc, labels=labels)
              for name, (doc, labels) in QUALITY_GAUGES.items()}
    gauges["moderation_miss_rate_alert_threshold"].add_metric([], rt.settings.miss_rate_alert)
    store = QualityStore(rt.redis, rt.keys)
    last = datetime.now(UTC).date()
    first = last - timedelta(days=max(1, rt.settings.quality_gauge_days) - 1)
    try:
        tenants = store.tenants()
        figures = {t: report(store, t, first, last) for t in tenants}
    except RedisError:
        return [gauges["moderation_miss_rate_alert_threshold"]]
    for tenant, body in figures.items():
        spot = body["spot_checks"]
        gauges["moderation_spot_checks_answered"].add_metric([tenant], spot["checked"])
        if spot["miss_rate"] is not None:
            low, high = spot["interval"]
            for bound, value in (("estimate", spot["miss_rate"]), ("lower", low), ("upper", high)):
                gauges["moderation_spot_check_miss_rate"].add_metric([tenant, bound], value)
        for category, entry in body["categories"].items():
            if entry["precision"] is not None:
                gauges["moderation_hold_precision"].add_metric([tenant, category],
                                                               entry["precision"])
        if body["overturn_rate"] is not None:
            gauges["moderation_overturn_rate"].add_metric([tenant], body["overturn_rate"])
    return list(gauges.values())


@blp.get("/metrics")
def metrics() -> Response:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        process_metrics = CollectorRegistry()
        multiprocess.MultiProcessCollector(process_metrics)
    else:
        process_metrics = REGISTRY
    state = RedisStateCollector(current_app.extensions["moderation"])
    return Response(generate_latest(_Both(process_metrics, state)), mimetype=CONTENT_TYPE_LATEST)


class _Both:
    """What generate_latest needs (a collect()), over two sources, without registering
    a per-app collector in the process-wide registry."""

    def __init__(self, *sources) -> None:
        self.sources = sources

    def collect(self):
        for source in self.sources:
            yield from source.collect()


def _start_timer() -> None:
    g.started = time.perf_counter()


def _observe(response: Response) -> Response:
    started = g.pop("started", None)
    if started is not None and request.url_rule is not None:
        HTTP_REQUEST_SECONDS.labels(
            method=request.method, route=request.url_rule.rule, status=str(response.status_code)
        ).observe(time.perf_counter() - started)
    return response


def register(app: Flask) -> None:
    app.register_blueprint(blp)
    app.before_request(_start_timer)
    app.after_request(_observe)
