"""Prometheus metrics shared by the API and the workers.

Under gunicorn (several API processes) and `moderation up` (API and workers on one
machine), set PROMETHEUS_MULTIPROC_DIR to one empty folder for all of them; the
API's /metrics then adds up every process. Workers on other machines expose their
own port (`moderation worker --metrics-port N`). Queue depths and the active model
are read from Redis when /metrics is scraped, so they are right whichever process
answers.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

COMMENTS_ACCEPTED = Counter(
    "moderation_comments_accepted_total", "Comments accepted by the API (202; retries not counted)."
)
COMMENTS_DECIDED = Counter(
    "moderation_comments_decided_total",
    "Comments decided, by outcome and the category that caused a hold ('none' when approved).",
    ["decided_by", "status", "category"],
)
SCORING_SECONDS = Histogram(
    "moderation_scoring_batch_seconds", "Time to score one batch with the model.", buckets=LATENCY_BUCKETS
)
SCORING_BATCH_SIZE = Histogram(
    "moderation_scoring_batch_size", "Comments per scored batch.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
POST_TO_DECISION_SECONDS = Histogram(
    "moderation_post_to_decision_seconds", "From the API accepting a comment to the model's decision.",
    buckets=LATENCY_BUCKETS,
)
HTTP_REQUEST_SECONDS = Histogram(
    "moderation_http_request_seconds", "API request latency by route template and status.",
    ["method", "route", "status"], buckets=LATENCY_BUCKETS,
)


def record_decision(decided_by: str, status: str, reasons: list[str]) -> None:
    categories = {reason.split(":", 1)[0] for reason in reasons} or {"none"}
    for category in categories:
        COMMENTS_DECIDED.labels(decided_by=decided_by, status=status, category=category).inc()


# Live quality estimates: gauges computed from the quality counters in Redis when /metrics
# is scraped (service/metrics.py), so every API process answers the same figures.
QUALITY_GAUGES = {
    "moderation_spot_check_miss_rate": (
        "Estimated share of auto-approved comments that should have been held, over the last "
        "QUALITY_GAUGE_DAYS days (bound: estimate, lower, upper of the 95 % interval).",
        ["tenant", "bound"]),
    "moderation_spot_checks_answered": (
        "Spot checks moderators answered over the last QUALITY_GAUGE_DAYS days.", ["tenant"]),
    "moderation_hold_precision": (
        "Share of the model's holds moderators confirmed, by category, over the last "
        "QUALITY_GAUGE_DAYS days.", ["tenant", "category"]),
    "moderation_overturn_rate": (
        "Share of reviewed model decisions moderators decided the other way, over the last "
        "QUALITY_GAUGE_DAYS days.", ["tenant"]),
    "moderation_miss_rate_alert_threshold": (
        "MISS_RATE_ALERT: alert when the miss rate's lower bound is above it.", []),
}

