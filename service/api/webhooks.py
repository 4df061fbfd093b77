"""Decision webhooks: a site key registers a callback URL; failed deliveries are listed and replayed.

A webhook belongs to the key that registered it and to that key's tenant: it
receives the decisions of that tenant's comments (a key over all tenants, "*",
receives every tenant's). The URL must lead to a public address unless the
operator allows the host (WEBHOOK_ALLOWED_HOSTS); worker/webhook_targets.py
checks it here and again at every send. Failures are listed a page at a time,
only the caller's own (a site key: its key's; an admin key: its tenant's, or
every tenant's for "*"). Delivery and signing are in worker/webhooks.py.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from service.auth import current_key, require
from service.errors import ApiError
from storage.webhooks import FailedDelivery, FailureScope, InvalidCursor, WebhookStore
from worker.webhook_targets import TargetRefused, allow_list, check_registration, parse_target
from worker.webhooks import enqueue_delivery, webhooks_queue

blp = Blueprint("webhooks", __name__, url_prefix="/v1/webhooks",
                description="Signed callbacks for every moderation decision.")

MAX_URL_CHARS = 2048
MAX_PAGE = 200


def _callback_url(value: str) -> None:
    # The same parser the worker sends with: what is validated is what is used.
    try:
        parse_target(value)
    except TargetRefused as exc:
        raise ma.ValidationError(str(exc)) from exc


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
    last_error = ma.fields.String(
        required=True,
        metadata={"description": "'receiver unreachable', 'receiver answered with an error' or "
                                 "'receiver address not allowed' (no statuses or error classes)."})
    failed_at = ma.fields.DateTime(required=True)
    event = ma.fields.Dict(required=True, metadata={"description": "The event body."})


class FailurePageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(FailureSchema), required=True)
    next_cursor = ma.fields.String(allow_none=True, required=True,
                                   metadata={"description": "Pass as `cursor` for the next page; "
                                                            "null on the last."})


class FailureQuerySchema(ma.Schema):
    limit = ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_PAGE), load_default=50)
    cursor = ma.fields.String(validate=ma.validate.Length(max=100), load_default=None)


class ReplayManyQuerySchema(ma.Schema):
    limit = ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_PAGE), load_default=50)
    cursor = ma.fields.String(validate=ma.validate.Length(max=100), load_default=None)


class ReplayManySchema(ma.Schema):
    queued = ma.fields.List(ma.fields.String(), required=True,
                            metadata={"description": "Delivery ids queued again."})
    skipped = ma.fields.List(ma.fields.String(), required=True,
                             metadata={"description": "Delivery ids left listed: their key has no "
                                                      "webhook now."})
    more = ma.fields.Boolean(required=True,
                             metadata={"description": "More failures are listed; call again."})
    next_cursor = ma.fields.String(
        allow_none=True, required=True,
        metadata={"description": "Where this call stopped: pass it as `cursor` to go on past "
                                 "the skipped ones (replayed ones have left the list anyway)."})


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


def _scope() -> FailureScope:
    """Whose failed deliveries the caller sees: its own key's, or for an admin its tenant's
    (every tenant's for an admin over all tenants)."""
    key = current_key()
    if key.role == "admin":
        return FailureScope(tenant=key.tenant)
    return FailureScope(key_id=key.id)


def _replay(rt, store: WebhookStore, failure: FailedDelivery) -> bool:
    """Queue a failed delivery again; False if another replay took it first."""
    if store.take_failure(failure.id) is None:
        return False
    enqueue_delivery(webhooks_queue(rt.redis, rt.settings), rt.settings, failure.id,
                     failure.key_id, failure.body,
                     job_id=f"webhook-{failure.id}-replay-{secrets.token_hex(4)}",
                     tenant=failure.event().get("tenant"))
    return True


@blp.route("")
class Webhook(MethodView):
    @require("site")
    @blp.arguments(WebhookInSchema)
    @blp.response(200, WebhookCreatedSchema)
    def put(self, body: dict):
        """Register (or replace) this key's callback URL; returns a new signing secret once.

        Each delivery is `POST <url>` with a JSON `comment.decided` event and the header
        `X-Moderation-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
        The host must resolve to public addresses only (not loopback, private, link-local,
        multicast, reserved or cloud metadata), unless the operator allows it in
        `WEBHOOK_ALLOWED_HOSTS`; otherwise 422 `webhook_url_not_allowed`.
        """
        rt = current_app.extensions["moderation"]
        try:
            check_registration(body["url"], allow_list(rt.settings.webhook_allowed_hosts))
        except TargetRefused as exc:
            raise ApiError(422, "webhook_url_not_allowed", str(exc),
                           details={"json": {"url": [str(exc)]}}) from exc
        key = current_key()
        hook = _store().register(key.id, body["url"], tenant=key.tenant)
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
        """Deliveries whose retries ran out, newest first, a page at a time (`limit` up to
        200; pass `next_cursor` back as `cursor`). A site key sees its own key's; an admin
        key its tenant's (every tenant's for a key over all tenants)."""
        try:
            failures, next_cursor = _store().failures(_scope(), query["limit"], query["cursor"])
        except InvalidCursor as exc:
            raise ApiError(400, "invalid_cursor", str(exc)) from exc
        return {"items": [_failure(f) for f in failures], "next_cursor": next_cursor}


@blp.route("/failures/replay")
class ReplayMany(MethodView):
    @require("site")
    @blp.arguments(ReplayManyQuerySchema, location="query")
    @blp.response(202, ReplayManySchema)
    def post(self, query: dict):
        """Send up to `limit` (at most 200) of the caller's listed failures again, newest
        first. Replayed ones leave the list; call again with `next_cursor` as `cursor` while
        `more` is true to work through the rest."""
        rt = current_app.extensions["moderation"]
        store = WebhookStore(rt.redis, rt.keys)
        try:
            failures, next_cursor = store.failures(_scope(), query["limit"], query["cursor"])
        except InvalidCursor as exc:
            raise ApiError(400, "invalid_cursor", str(exc)) from exc
        queued, skipped = [], []
        hooked: dict[str, bool] = {}
        for failure in failures:
            if failure.key_id not in hooked:
                hooked[failure.key_id] = store.get(failure.key_id) is not None
            if not hooked[failure.key_id]:
                skipped.append(failure.id)
            elif _replay(rt, store, failure):
                queued.append(failure.id)
        return {"queued": queued, "skipped": skipped, "more": next_cursor is not None,
                "next_cursor": next_cursor}


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
        if failure is None or not _scope().covers(failure):
            raise ApiError(404, "delivery_not_found", f"No failed delivery {delivery_id!r}.")
        if store.get(failure.key_id) is None:
            raise ApiError(409, "webhook_not_registered",
                           "The webhook this delivery was for has been removed; register one first.")
        if not _replay(rt, store, failure):
            raise ApiError(409, "replay_in_progress", "This delivery is already being replayed.")
        return {"id": failure.id, "status": "queued"}
