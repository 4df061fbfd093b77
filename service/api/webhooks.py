"""Decision webhooks: a site key registers a callback URL; failed deliveries are listed and replayed.

Every registered webhook receives every decision (this service moderates one
newsroom; several keys are several consumers of the same decisions). Delivery
and signing are in worker/webhooks.py.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from urllib.parse import urlsplit

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from service.auth import current_key, require
from service.errors import ApiError
from storage.webhooks import FailedDelivery, WebhookStore
from worker.webhooks import enqueue_delivery, webhooks_queue

blp = Blueprint("webhooks", __name__, url_prefix="/v1/webhooks",
                description="Signed callbacks for every moderation decision.")

MAX_URL_CHARS = 2048


def _callback_url(value: str) -> None:
    if any(c.isspace() or ord(c) < 32 for c in value):
        raise ma.ValidationError("Must not contain white space or control characters.")
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 -- raises ValueError on a malformed port
    except ValueError as exc:
        raise ma.ValidationError("Not a valid URL.") from exc
    # Only web requests: no file:, gopher: or other schemes a URL opener would follow.
    if parts.scheme not in ("http", "https") or not host:
        raise ma.ValidationError("Must be an http:// or https:// URL with a host.")
    if parts.username is not None or parts.password is not None:
        raise ma.ValidationError("Must not carry credentials; the signature authenticates us.")
    if parts.fragment:
        raise ma.ValidationError("Must not have a #fragment.")


class WebhookInSchema(ma.Schema):
    url = ma.fields.String(
        required=True, validate=[ma.validate.Length(max=MAX_URL_CHARS), _callback_url],
        metadata={"description": "Where decisions are POSTed; must be reachable from the workers."},
    )


class WebhookSchema(ma.Schema):
    key_id = ma.fields.String(required=True)
    url = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(required=True)


class WebhookCreatedSchema(WebhookSchema):
    secret = ma.fields.String(
        required=True,
        metadata={"description": "The signing secret, shown only now. Registering again issues "
                                 "a new one."},
    )


class FailureSchema(ma.Schema):
    id = ma.fields.String(required=True, metadata={"description": "The delivery id (replay it by this)."})
    key_id = ma.fields.String(required=True)
    url = ma.fields.String(required=True, metadata={"description": "Where it was sent."})
    attempts = ma.fields.Integer(required=True)
    last_error = ma.fields.String(required=True,
                                  metadata={"description": "e.g. 'HTTP 500', 'TimeoutError'."})
    failed_at = ma.fields.DateTime(required=True)
    event = ma.fields.Dict(required=True, metadata={"description": "The event body."})


class FailurePageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(FailureSchema), required=True)


class FailureQuerySchema(ma.Schema):
    limit = ma.fields.Integer(validate=ma.validate.Range(min=1, max=200), load_default=50)


class ReplaySchema(ma.Schema):
    id = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"description": "'queued'"})


def _store() -> WebhookStore:
    rt = current_app.extensions["moderation"]
    return WebhookStore(rt.redis, rt.keys)


def _iso(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _failure(f: FailedDelivery) -> dict:
    return {"id": f.id, "key_id": f.key_id, "url": f.url, "attempts": f.attempts,
            "last_error": f.last_error, "failed_at": _iso(f.failed_at), "event": f.event()}


def _scope() -> str | None:
    """Whose deliveries the caller sees: its own key's, or every key's for an admin."""
    key = current_key()
    return None if key.role == "admin" else key.id


@blp.route("")
class Webhook(MethodView):
    @require("site")
    @blp.arguments(WebhookInSchema)
    @blp.response(200, WebhookCreatedSchema)
    def put(self, body: dict):
        """Register (or replace) this key's callback URL; returns a new signing secret once.

        Each delivery is `POST <url>` with a JSON `comment.decided` event and the header
        `X-Moderation-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
        """
        hook = _store().register(current_key().id, body["url"])
        return {"key_id": hook.key_id, "url": hook.url, "secret": hook.secret,
                "created_at": _iso(hook.created)}

    @require("site")
    @blp.response(200, WebhookSchema)
    def get(self):
        """This key's callback URL (the secret is never shown again)."""
        hook = _store().get(current_key().id)
        if hook is None:
            raise ApiError(404, "webhook_not_found", "No webhook is registered for this key.")
        return {"key_id": hook.key_id, "url": hook.url, "created_at": _iso(hook.created)}

    @require("site")
    @blp.response(204)
    def delete(self):
        """Stop deliveries to this key's callback URL (queued ones are dropped)."""
        if not _store().delete(current_key().id):
            raise ApiError(404, "webhook_not_found", "No webhook is registered for this key.")


@blp.route("/failures")
class Failures(MethodView):
    @require("site")
    @blp.arguments(FailureQuerySchema, location="query")
    @blp.response(200, FailurePageSchema)
    def get(self, query: dict):
        """Deliveries whose retries ran out, newest first (an admin key sees every key's)."""
        failures = _store().failures(_scope(), query["limit"])
        return {"items": [_failure(f) for f in failures]}


@blp.route("/failures/<delivery_id>/replay")
class Replay(MethodView):
    @require("site")
    @blp.response(202, ReplaySchema)
    def post(self, delivery_id: str):
        """Send a failed delivery again (same event and delivery id, a fresh signature),
        to the key's current URL, with the usual retries."""
        rt = current_app.extensions["moderation"]
        store = WebhookStore(rt.redis, rt.keys)
        failure = store.failure(delivery_id)
        scope = _scope()
        if failure is None or (scope is not None and failure.key_id != scope):
            raise ApiError(404, "delivery_not_found", f"No failed delivery {delivery_id!r}.")
        if store.get(failure.key_id) is None:
            raise ApiError(409, "webhook_not_registered",
                           "The webhook this delivery was for has been removed; register one first.")
        if store.take_failure(delivery_id) is None:
            raise ApiError(409, "replay_in_progress", "This delivery is already being replayed.")
        enqueue_delivery(webhooks_queue(rt.redis, rt.settings), rt.settings, failure.id,
                         failure.key_id, failure.body,
                         job_id=f"webhook-{failure.id}-replay-{secrets.token_hex(4)}")
        return {"id": failure.id, "status": "queued"}
