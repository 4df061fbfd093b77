"""Decision webhooks: signed events, fanned out by RQ jobs with retries.

Whoever records a decision (the scoring jobs, the synchronous integrations,
a moderator) calls ``emit_decisions`` after the decision is written. That
costs one read of the registered webhooks of the batch's tenants per call and,
only when some are registered, one pipelined round trip that enqueues one
delivery job per decision and webhook (and RQ's read of the server version):
three round trips at most, whatever the batch (tests/test_webhook_isolation.py).
A decision goes only to the webhooks of keys of the comment's tenant (and of
keys over all tenants). The HTTP call happens later on the webhook workers (the
``webhooks`` queue, which scoring workers do not consume), so a slow or dead
receiver never slows scoring down.

Before each send the job checks that the key still exists (a revoked key's
deliveries stop at once), asks the webhook's circuit breaker (after
WEBHOOK_BREAKER_FAILURES consecutive failures the deliveries wait, unsent, for
WEBHOOK_BREAKER_COOLOFF seconds, then one trial decides), resolves the host and
checks every address (worker/webhook_targets.py), and connects to the checked
address. What a site sees of a failure is generic: nothing that tells one
closed port from another.

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
import random
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import urllib3
from redis import Redis
from rq import Queue, Retry, get_current_job
from rq.job import Job

from core.config import Settings
from core.tenants import may_see, tenant_of
from storage.api_keys import ApiKeyStore
from storage.dsa import DsaSettings, statement_of_reasons
from storage.keys import Keys
from storage.webhooks import FailedDelivery, WebhookBreaker, WebhookStore
from worker.webhook_targets import (
    AllowList,
    Resolver,
    TargetRefused,
    allow_list,
    parse_target,
    resolve_checked,
    system_resolver,
)

log = logging.getLogger("worker.webhooks")

DELIVER_JOB = "worker.webhooks.deliver"
EVENT_TYPE = "comment.decided"
SIGNATURE_HEADER = "X-Moderation-Signature"
USER_AGENT = "newsroom-moderation-webhooks/1"

# What the failure listing says. Deliberately coarse: naming the error class or status
# would let a key map which ports of a host answer.
UNREACHABLE = "receiver unreachable"
ANSWERED_ERROR = "receiver answered with an error"
NOT_ALLOWED = "receiver address not allowed"
# Addresses of one name tried when connecting is refused (IPv6 unreachable, say).
MAX_ADDRESSES = 2


class DeliveryFailed(RuntimeError):
    """The receiver did not answer 2xx in time; RQ retries the job."""


# Events and signatures --------------------------------------------------------
def decision_event(record: dict[str, Any], dsa: DsaSettings | None = None) -> dict[str, Any]:
    """The event sent for one decided comment: ids and outcome, never the text.

    ``reasons`` are the model's hold reasons, or the moderator's reason code when
    a moderator decided. A hold or rejection carries its ``statement_of_reasons``
    (Art. 17 DSA), built from the record and the tenant's templates ``dsa``.
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
        "tenant": tenant_of(record),
        "article_id": record.get("article_id"),
        "external_id": record.get("external_id"),
        "status": record["status"],
        "reasons": reasons,
        "decided_by": record.get("decided_by"),
        "model_version": record.get("model_version"),
        "statement_of_reasons": _jsonable(statement_of_reasons(
            record, dsa or DsaSettings.from_hash(None))),
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value


def dsa_event(kind: str, tenant: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A ``notice.decided`` or ``appeal.decided`` event: the outcome for the notifier or the
    author, never a comment's text (``payload`` is the notice or appeal without contact)."""
    payload = dict(payload)
    # The notice's or appeal's own reference: "notice_id" / "appeal_id" ("id" is the event's).
    ref = payload.pop("id", None)
    return {**_jsonable(payload), "id": "evt_" + secrets.token_hex(12), "type": kind,
            f"{kind.split('.')[0]}_id": ref,
            "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"), "tenant": tenant}


def emit_events(redis: Redis, keys: Keys, settings: Settings,
                events: Iterable[dict[str, Any]]) -> int:
    """Queue deliveries of ready-made events (each names its ``tenant``) to the webhooks of
    their tenants; returns how many were queued."""
    events = list(events)
    if not events:
        return 0
    targets = WebhookStore(redis, keys).targets(e["tenant"] for e in events)
    if not any(targets.values()):
        return 0
    queue = webhooks_queue(redis, settings)
    pipe = redis.pipeline()
    count = 0
    for event in events:
        body = json.dumps(event, separators=(",", ":"))
        for key_id in targets[event["tenant"]]:
            enqueue_delivery(queue, settings, secrets.token_hex(10), key_id, body, pipeline=pipe,
                             tenant=event["tenant"])
            count += 1
    pipe.execute()
    return count


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
                     pipeline: Any = None, job_id: str | None = None, tenant: str | None = None,
                     *, at: datetime | None = None, intervals: list[int] | None = None,
                     prior_attempts: int = 0, queued_at: float | None = None) -> None:
    """Queue one delivery (at ``at``, if given) with the retry plan ``intervals`` (default:
    WEBHOOK_RETRY_BACKOFF). ``prior_attempts`` counts the sends earlier jobs of the same
    delivery made (a deferred delivery keeps its count); ``queued_at`` is when the
    delivery first went out, which bounds how long a breaker may keep deferring it."""
    plan = retry_backoff(settings) if intervals is None else intervals
    options = dict(
        args=(delivery_id, key_id, body),
        kwargs={"tenant": tenant, "queued_at": queued_at if queued_at is not None else time.time(),
                "prior_attempts": prior_attempts},
        job_id=job_id or f"webhook-{delivery_id}",
        # Several timeouts' worth: the HTTP call is bounded by WEBHOOK_TIMEOUT.
        timeout=max(int(settings.webhook_timeout * 3) + 5, 15),
        retry=Retry(max=len(plan), interval=plan) if plan else None,
        result_ttl=600,
        # The delivery is kept in the webhook failures for replay; RQ's copy can go sooner.
        failure_ttl=24 * 3600,
    )
    if at is None:
        queue.enqueue_call(DELIVER_JOB, pipeline=pipeline, **options)
    else:
        queue.schedule_job(queue.create_job(DELIVER_JOB, **options), at, pipeline=pipeline)


def emit_decisions(redis: Redis, keys: Keys, settings: Settings,
                   records: Iterable[dict[str, Any]], *,
                   targets: dict[str, list[str]] | None = None,
                   templates: dict[str, DsaSettings] | None = None) -> int:
    """Queue a ``comment.decided`` delivery of each record to every webhook of its tenant.

    Each record needs ``id``, ``article_id``, ``status`` and should carry ``tenant``
    (absent: the default tenant), ``external_id``, ``reasons``, ``decided_by``,
    ``model_version``, ``decided``. Returns the number of deliveries queued (0,
    without enqueueing, when no webhook of those tenants is registered).
    ``targets`` and ``templates``: the key ids with a webhook and the DSA settings of
    every tenant of ``records``, as a scoring batch's policy read them (worker/policy.py);
    without them they are read here.
    """
    records = list(records)
    if not records:
        return 0
    tenants = {tenant_of(r) for r in records}
    if targets is None or templates is None or not tenants <= targets.keys() <= templates.keys():
        # The templates of tenants with a hold or rejection in the lot ride in the same
        # round trip as the targets: a statement of reasons costs no extra one.
        restricted = sorted({tenant_of(r) for r in records
                             if r.get("status") in ("held", "rejected")})
        targets, raw = WebhookStore(redis, keys).targets_and_hashes(
            tenants, [keys.tenant(t).dsa_settings for t in restricted])
        templates = {t: DsaSettings.from_hash(h) for t, h in zip(restricted, raw, strict=True)}
    if not any(targets[t] for t in tenants):
        return 0
    queue = webhooks_queue(redis, settings)
    pipe = redis.pipeline()
    count = 0
    for record in records:
        tenant = tenant_of(record)
        if not targets[tenant]:
            continue
        body = json.dumps(decision_event(record, templates.get(tenant)), separators=(",", ":"))
        for key_id in targets[tenant]:
            enqueue_delivery(queue, settings, secrets.token_hex(10), key_id, body, pipeline=pipe,
                             tenant=tenant)
            count += 1
    pipe.execute()
    return count


# Sending ----------------------------------------------------------------------
@dataclass(frozen=True)
class Attempt:
    """One send's outcome: ``error`` is what the site may see (None: delivered), ``detail``
    what the operators' log may say (a status or an exception class)."""

    error: str | None = None
    detail: str = ""

    @property
    def reached_receiver(self) -> bool:
        # A refused address never left this machine: it says nothing of the receiver's health.
        return self.error != NOT_ALLOWED


def post(url: str, secret: str, body: str, delivery_id: str, timeout: float,
         allowed: AllowList, resolver: Resolver = system_resolver,
         ca_certs: str | None = None) -> Attempt:
    """POST one signed event to ``url`` if its host resolves to allowed addresses only,
    connecting to the checked address (the name goes in Host and TLS). Never follows a
    redirect and never reads the response body. ``ca_certs``: a CA bundle instead of the
    system's (tests)."""
    try:
        target = parse_target(url)
        addresses = resolve_checked(target, allowed, resolver)
    except TargetRefused:
        return Attempt(NOT_ALLOWED, "address refused")
    except (OSError, UnicodeError, ValueError) as exc:
        return Attempt(UNREACHABLE, type(exc).__name__)
    data = body.encode()
    headers = {
        "Host": target.host_header,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: sign(secret, data, int(time.time())),
        "X-Moderation-Event": _event_type(body),
        "X-Moderation-Delivery": delivery_id,
    }
    outcome = Attempt(UNREACHABLE, "no address")
    for ip in addresses[:MAX_ADDRESSES]:
        try:
            status = _send(target.scheme, str(ip), target.port, target.host, target.path, data,
                           headers, timeout, ca_certs)
        except urllib3.exceptions.NewConnectionError as exc:
            # Refused or no route: the next address may work. (A connect timeout is not
            # retried: that would double the time a dead receiver holds the worker.)
            outcome = Attempt(UNREACHABLE, type(exc).__name__)
            continue
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            return Attempt(UNREACHABLE, type(exc).__name__)
        return Attempt() if 200 <= status < 300 else Attempt(ANSWERED_ERROR, f"HTTP {status}")
    return outcome


def _event_type(body: str) -> str:
    try:
        kind = json.loads(body).get("type")
    except (ValueError, AttributeError):
        kind = None
    return kind if isinstance(kind, str) and kind.isascii() and len(kind) < 64 else EVENT_TYPE


def _send(scheme: str, ip: str, port: int, host: str, path: str, data: bytes,
          headers: dict[str, str], timeout: float, ca_certs: str | None) -> int:
    pool_options: dict[str, Any] = dict(
        timeout=urllib3.Timeout(connect=timeout, read=timeout, total=timeout),
        retries=False, maxsize=1, block=False)
    if scheme == "https":
        # Connect to the checked address; SNI and the certificate check use the name.
        pool: urllib3.HTTPConnectionPool = urllib3.HTTPSConnectionPool(
            ip, port, cert_reqs="CERT_REQUIRED", ca_certs=ca_certs, server_hostname=host,
            assert_hostname=host, **pool_options)
    else:
        pool = urllib3.HTTPConnectionPool(ip, port, **pool_options)
    try:
        response = pool.urlopen("POST", path, body=data, headers=headers, redirect=False,
                                retries=False, assert_same_host=False, preload_content=False,
                                release_conn=False)
        try:
            return response.status
        finally:
            # The body is never read: a receiver cannot make us download anything.
            response.close()
    finally:
        pool.close()


# Delivering -------------------------------------------------------------------
def breaker(redis: Redis, keys: Keys, settings: Settings) -> WebhookBreaker:
    # A trial is in flight for at most one send (connect and response).
    return WebhookBreaker(redis, keys, settings.webhook_breaker_failures,
                          settings.webhook_breaker_cooloff, trial_seconds=settings.webhook_timeout * 2 + 1)


def deliver(delivery_id: str, key_id: str, body: str, tenant: str | None = None,
            queued_at: float | None = None, prior_attempts: int = 0) -> str:
    """RQ job: POST one event to the key's current webhook; raise so RQ retries it."""
    from worker.context import get_context

    ctx = get_context()
    return deliver_once(ctx.redis, ctx.keys, ctx.settings, get_current_job(), delivery_id, key_id,
                        body, tenant=tenant, queued_at=queued_at, prior_attempts=prior_attempts)


def deliver_once(redis: Redis, keys: Keys, settings: Settings, job: Job | None, delivery_id: str,
                 key_id: str, body: str, *, tenant: str | None = None, queued_at: float | None = None,
                 prior_attempts: int = 0, resolver: Resolver = system_resolver) -> str:
    """One delivery attempt (the body of the ``deliver`` job; ``job`` is the RQ job running
    it, None when called directly). Returns what happened, or raises DeliveryFailed."""
    store = WebhookStore(redis, keys)
    key = ApiKeyStore(redis, keys).get(key_id)
    if key is None:
        # Revoked: nothing more goes out for it, queued or not.
        store.delete(key_id)
        return "key revoked"
    owner = key.tenant
    if tenant is not None and not may_see(owner, tenant):
        return "key no longer of this tenant"
    hook = store.get(key_id)
    if hook is None:
        return "webhook removed"
    now = time.time()
    queued_at = now if queued_at is None else queued_at
    plan, retries_left = _retry_state(job)
    attempts_before = prior_attempts + len(plan) - retries_left
    gate = breaker(redis, keys, settings)
    admission = gate.admit(key_id, now)
    if not admission.send:
        # Deferred, unsent: the worker is free at once for other receivers.
        give_up_at = queued_at + sum(retry_backoff(settings)) + settings.webhook_breaker_cooloff
        if now >= give_up_at:
            _record_failure(store, settings, hook.url, delivery_id, key_id, owner, body,
                            max(attempts_before, 1), UNREACHABLE)
            return "failed: receiver's breaker stayed open"
        spread = min(5.0, settings.webhook_breaker_cooloff / 10) if admission.state == "open" else 1.0
        wake = max(admission.until, now) + random.uniform(0.05, max(spread, 0.1))
        enqueue_delivery(webhooks_queue(redis, settings), settings, delivery_id, key_id, body,
                         job_id=f"webhook-{delivery_id}-w{secrets.token_hex(4)}", tenant=tenant,
                         at=datetime.fromtimestamp(wake, UTC), intervals=plan[len(plan) - retries_left:],
                         prior_attempts=attempts_before, queued_at=queued_at)
        return f"deferred: breaker {admission.state}"
    attempt = post(hook.url, hook.secret, body, delivery_id, settings.webhook_timeout,
                   allow_list(settings.webhook_allowed_hosts), resolver=resolver)
    if attempt.reached_receiver:
        gate.record(key_id, attempt.error is None)
    if attempt.error is None:
        return "delivered"
    # Operators' log: the status or error class (never shown to the site), no event body.
    log.warning("webhook delivery failed", extra={
        "delivery_id": delivery_id, "key_id": key_id, "error": attempt.error,
        "detail": attempt.detail, "attempt": attempts_before + 1, "retries_left": retries_left})
    if not retries_left:
        _record_failure(store, settings, hook.url, delivery_id, key_id, owner, body,
                        attempts_before + 1, attempt.error)
    raise DeliveryFailed(f"delivery {delivery_id}: {attempt.error}")


def _retry_state(job: Job | None) -> tuple[list[int], int]:
    """The job's retry plan and the retries it has left (the plan travels with the job)."""
    if job is None:
        return [], 0
    return list(job.retry_intervals or []), int(job.retries_left or 0)


def _record_failure(store: WebhookStore, settings: Settings, url: str, delivery_id: str, key_id: str,
                    tenant: str, body: str, attempts: int, error: str) -> None:
    store.record_failure(
        FailedDelivery(id=delivery_id, key_id=key_id, url=url, body=body, attempts=attempts,
                       last_error=error, failed_at=time.time(), tenant=tenant),
        keep_seconds=settings.webhook_failure_days * 86400,
    )
