"""Decision webhooks: signed events, fanned out by RQ jobs with retries.

Whoever records a decision (the scoring jobs, the synchronous integrations,
a moderator) calls ``emit_decisions`` after the decision is written. That
costs one read of the registered webhooks per call (a batch) and, only when
some are registered, one pipelined round trip that enqueues one delivery job
per decision and webhook. The HTTP call happens later in a worker, so a slow
or dead receiver never slows scoring down.

Signature (documented in docs/INTEGRATIONS.md, where a receiver's check is
shown): ``X-Moderation-Signature: t=<unix seconds>,v1=<hex>`` where ``<hex>`` is
HMAC-SHA256 with the webhook's secret over ``"<t>.<raw body>"``. The timestamp
is the time of the attempt, so a receiver can refuse old (replayed) requests.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from redis import Redis
from rq import Queue, Retry, get_current_job

from core.config import Settings
from storage.keys import Keys
from storage.webhooks import FailedDelivery, WebhookStore

log = logging.getLogger("worker.webhooks")

DELIVER_JOB = "worker.webhooks.deliver"
EVENT_TYPE = "comment.decided"
SIGNATURE_HEADER = "X-Moderation-Signature"
USER_AGENT = "newsroom-moderation-webhooks/1"


class DeliveryFailed(RuntimeError):
    """The receiver did not answer 2xx in time; RQ retries the job."""


# Events and signatures --------------------------------------------------------
def decision_event(record: dict[str, Any]) -> dict[str, Any]:
    """The event sent for one decided comment: ids and outcome, never the text.

    ``reasons`` are the model's hold reasons, or the moderator's reason code when
    a moderator decided.
    """
    decided = record.get("decided")
    reasons = list(record.get("reasons") or [])
    if str(record.get("decided_by") or "").startswith("moderator:") and record.get("decision_reason"):
        reasons = [record["decision_reason"]]
    return {
        "id": "evt_" + secrets.token_hex(12),
        "type": EVENT_TYPE,
        "timestamp": datetime.fromtimestamp(float(decided) if decided else time.time(), UTC)
        .isoformat().replace("+00:00", "Z"),
        "comment_id": record["id"],
        "article_id": record.get("article_id"),
        "external_id": record.get("external_id"),
        "status": record["status"],
        "reasons": reasons,
        "decided_by": record.get("decided_by"),
        "model_version": record.get("model_version"),
    }


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The value of the X-Moderation-Signature header for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, body: bytes, header: str, tolerance: float = 300.0,
           now: float | None = None) -> bool:
    """What a receiver does: a v1 signature matches and the timestamp is recent."""
    parts = [p.partition("=") for p in header.split(",")]
    stamps = [v for k, _, v in parts if k.strip() == "t"]
    signatures = [v.strip() for k, _, v in parts if k.strip() == "v1"]
    if len(stamps) != 1 or not stamps[0].strip().isdigit() or not signatures:
        return False
    timestamp = int(stamps[0])
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).rpartition("v1=")[2]
    return any(hmac.compare_digest(expected, s) for s in signatures)


# Emitting ---------------------------------------------------------------------
def webhooks_queue(redis: Redis, settings: Settings) -> Queue:
    return Queue(settings.webhooks_queue, connection=redis)


def retry_backoff(settings: Settings) -> list[int]:
    return [int(s) for s in settings.webhook_retry_backoff.split(",") if s.strip()]


def enqueue_delivery(queue: Queue, settings: Settings, delivery_id: str, key_id: str, body: str,
                     pipeline: Any = None, job_id: str | None = None) -> None:
    backoff = retry_backoff(settings)
    queue.enqueue_call(
        DELIVER_JOB,
        args=(delivery_id, key_id, body),
        job_id=job_id or f"webhook-{delivery_id}",
        # Several timeouts' worth: the HTTP call is bounded by WEBHOOK_TIMEOUT.
        timeout=max(int(settings.webhook_timeout * 3) + 5, 15),
        retry=Retry(max=len(backoff), interval=backoff) if backoff else None,
        result_ttl=600,
        # The delivery is kept in the webhook failures for replay; RQ's copy can go sooner.
        failure_ttl=24 * 3600,
        pipeline=pipeline,
    )


def emit_decisions(redis: Redis, keys: Keys, settings: Settings,
                   records: Iterable[dict[str, Any]]) -> int:
    """Queue a ``comment.decided`` delivery of each record to every registered webhook.

    Each record needs ``id``, ``article_id``, ``status`` and should carry
    ``external_id``, ``reasons``, ``decided_by``, ``model_version``, ``decided``.
    Returns the number of deliveries queued (0, without enqueueing, when no
    webhook is registered).
    """
    records = list(records)
    if not records:
        return 0
    targets = WebhookStore(redis, keys).registered()
    if not targets:
        return 0
    queue = webhooks_queue(redis, settings)
    pipe = redis.pipeline()
    count = 0
    for record in records:
        body = json.dumps(decision_event(record), separators=(",", ":"))
        for key_id in targets:
            enqueue_delivery(queue, settings, secrets.token_hex(10), key_id, body, pipeline=pipe)
            count += 1
    pipe.execute()
    return count


# Delivering -------------------------------------------------------------------
class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect would send the signed event somewhere nobody registered.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, secret: str, body: str, delivery_id: str, timeout: float) -> str | None:
    """POST one signed event; None on a 2xx answer, else what went wrong (no response body)."""
    data = body.encode()
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: sign(secret, data, int(time.time())),
        "X-Moderation-Event": EVENT_TYPE,
        "X-Moderation-Delivery": delivery_id,
    })
    try:
        with _opener.open(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return type(reason).__name__ if not isinstance(reason, str) else reason
    return None if 200 <= status < 300 else f"HTTP {status}"


def deliver(delivery_id: str, key_id: str, body: str) -> str:
    """RQ job: POST one event to the key's current webhook; raise so RQ retries it."""
    from worker.context import get_context

    ctx = get_context()
    store = WebhookStore(ctx.redis, ctx.keys)
    hook = store.get(key_id)
    if hook is None:
        return "webhook removed"
    error = post(hook.url, hook.secret, body, delivery_id, ctx.settings.webhook_timeout)
    if error is None:
        return "delivered"
    job = get_current_job()
    # The retry plan travels with the job (set by whoever enqueued it).
    planned = len(job.retry_intervals or []) if job is not None else 0
    retries_left = (job.retries_left or 0) if job is not None else 0
    attempts = planned - retries_left + 1
    log.warning("webhook delivery failed", extra={
        "delivery_id": delivery_id, "key_id": key_id, "error": error, "attempt": attempts,
        "retries_left": retries_left})
    if not retries_left:
        store.record_failure(
            FailedDelivery(id=delivery_id, key_id=key_id, url=hook.url, body=body,
                           attempts=attempts, last_error=error, failed_at=time.time()),
            keep_seconds=ctx.settings.webhook_failure_days * 86400,
        )
    raise DeliveryFailed(f"delivery {delivery_id}: {error}")
