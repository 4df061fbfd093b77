"""Coral Talk's external moderation phase (``POST /v1/integrations/coral``).

Coral POSTs every new or edited comment here and waits (its phase timeout,
200 ms by default) for a verdict: 204 lets the comment through, a 200 body
with ``status: SYSTEM_WITHHELD`` holds it for Coral's moderators. Coral signs
the raw body: ``X-Coral-Signature: sha256=<hex HMAC-SHA256>[,sha256=<hex>...]``
(several during a secret rotation), with the secrets of CORAL_SIGNING_SECRETS.
The signature is the only authentication, so it is checked before anything
else reads the body; the request guard's JSON checks are skipped on this
route (``raw_body``) and done here after the signature.

A header that is not one or more ``sha256=<64 hex>`` values (another scheme,
non-ASCII, empty, huge) is a failed signature like a wrong one: 401. Failed
checks are counted per client address (RATE_LIMIT_CORAL_FAILED_SIGNATURES);
past the limit the address gets 429 until the window ends, before any HMAC is
computed, so a weak secret cannot be guessed online. Only failures count:
Coral, signing correctly, is never limited (a 429 would make it publish the
comment unmoderated).

The comment is recorded as a natively posted one would be (article = Coral's
story id, author = Coral's user id) and decided at once by the model, with the
same policy, author history and webhook events as a worker's decision. Its
external id is a hash of the author, parent, Coral's comment id (when sent) and
the text: Coral sends no id of its own, so a replayed or retried request finds
the comment it stored and gets the same answer, while an edit (new text) is a
new comment.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re
import time

import marshmallow as ma
from flask import Response, current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from limits import RateLimitItem, parse_many
from limits.storage import RedisStorage
from limits.strategies import FixedWindowRateLimiter

from service import scoring
from service.errors import ApiError
from service.schemas import ID_PATTERN, FullMatch, _encodable
from storage.comments import content_external_id
from storage.keys import encode_id

log = logging.getLogger("service.coral")

blp = Blueprint("coral", __name__, url_prefix="/v1/integrations",
                description="Coral Talk external moderation phase.")

SIGNATURE_HEADER = "X-Coral-Signature"
ENDPOINT = "coral.CoralModeration"
HOLD = {"status": "SYSTEM_WITHHELD",
        "actions": [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}]}
REJECT = {"status": "REJECTED",
          "actions": [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}]}
_ID = re.compile(ID_PATTERN)
_ID_FIELD = {"validate": [FullMatch(ID_PATTERN)]}
_SIGNATURE = re.compile(r"sha256=([0-9a-fA-F]{64})")
# Coral sends one signature per active secret (two during a rotation): anything much longer
# is not Coral, and is refused before any HMAC is computed.
MAX_SIGNATURES = 8
MAX_SIGNATURE_HEADER = MAX_SIGNATURES * 72
_FAILURES = "coral_signature_failures"


def signing_secrets() -> list[str]:
    raw = current_app.config["MODERATION"].coral_signing_secrets
    return [s.strip() for s in raw.split(",") if s.strip()]


def offered_signatures(header: str) -> list[bytes]:
    """The well-formed ``sha256=<64 hex>`` values of the header, lower-cased ASCII; any other
    part (another scheme, non-ASCII, junk) offers nothing."""
    if len(header) > MAX_SIGNATURE_HEADER:
        return []
    offered = []
    for part in header.split(",")[:MAX_SIGNATURES]:
        match = _SIGNATURE.fullmatch(part.strip())
        if match:
            offered.append(match.group(1).lower().encode("ascii"))
    return offered


def valid_signature(secrets: list[str], body: bytes, header: str) -> bool:
    """True if any ``sha256=<hex>`` in the header is the HMAC of ``body`` under any secret."""
    offered = offered_signatures(header)
    if not offered:
        return False
    for secret in secrets:
        # Bytes on both sides: compare_digest refuses non-ASCII str (a 500, before).
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode("ascii")
        # Every pair is compared, so the time taken does not tell which one matched.
        if sum(hmac.compare_digest(expected, s) for s in offered):
            return True
    return False


class FailedSignatureLimit:
    """Failed signature checks per client address, in fixed windows counted in Redis."""

    def __init__(self, limits: list[RateLimitItem], connection_pool, key_prefix: str) -> None:
        self.limits = limits
        self.strategy = FixedWindowRateLimiter(
            RedisStorage("redis://", connection_pool=connection_pool, key_prefix=key_prefix))

    def retry_after(self, address: str) -> int | None:
        """Seconds until ``address`` may try again, or None while it is under every limit."""
        for item in self.limits:
            if not self.strategy.test(item, address):
                reset = self.strategy.get_window_stats(item, address).reset_time
                return min(item.get_expiry(), max(1, math.ceil(reset - time.time())))
        return None

    def count_failure(self, address: str) -> bool:
        """Count one failure; True when it used up a limit (the address is refused from now)."""
        return not all([self.strategy.hit(item, address) for item in self.limits])


def _failure_limit() -> FailedSignatureLimit | None:
    return current_app.extensions.get(_FAILURES)


class _Lenient(ma.Schema):
    class Meta:
        # Coral adds fields between versions (tenant, tenantDomain...); keep working.
        unknown = ma.EXCLUDE


class CoralCommentSchema(_Lenient):
    body = ma.fields.String(required=True, validate=[_encodable],
                            metadata={"description": "Configure the phase's format as "
                                                     "PLAIN_TEXT (HTML is scored as is)."})
    parentID = ma.fields.String(allow_none=True, load_default=None)
    id = ma.fields.String(allow_none=True, load_default=None,
                          metadata={"description": "Not sent by Coral today; part of the "
                                                   "replay key when present."})


class CoralAuthorSchema(_Lenient):
    id = ma.fields.String(required=True, **_ID_FIELD)
    role = ma.fields.String(load_default=None)


class CoralStorySchema(_Lenient):
    id = ma.fields.String(required=True, **_ID_FIELD)
    url = ma.fields.String(load_default=None)


class CoralSiteSchema(_Lenient):
    id = ma.fields.String(load_default=None)


class CoralTenantSchema(_Lenient):
    id = ma.fields.String(load_default=None)
    domain = ma.fields.String(load_default=None)


class CoralRequestSchema(_Lenient):
    action = ma.fields.String(required=True, validate=ma.validate.OneOf(["NEW", "EDIT"]))
    comment = ma.fields.Nested(CoralCommentSchema, required=True)
    author = ma.fields.Nested(CoralAuthorSchema, required=True)
    story = ma.fields.Nested(CoralStorySchema, required=True)
    site = ma.fields.Nested(CoralSiteSchema, load_default=None)
    tenantID = ma.fields.String(load_default=None)
    tenantDomain = ma.fields.String(load_default=None)
    tenant = ma.fields.Nested(CoralTenantSchema, load_default=None)


class CoralActionSchema(ma.Schema):
    actionType = ma.fields.String(required=True)
    reason = ma.fields.String(required=True)


class CoralResponseSchema(ma.Schema):
    status = ma.fields.String(required=True,
                              validate=ma.validate.OneOf(["SYSTEM_WITHHELD", "REJECTED"]))
    actions = ma.fields.List(ma.fields.Nested(CoralActionSchema), required=True)


@blp.before_request
def _verify_signature() -> None:
    if request.endpoint != ENDPOINT:
        return
    secrets = signing_secrets()
    if not secrets:
        raise ApiError(503, "coral_not_configured",
                       "Coral integration is off: set CORAL_SIGNING_SECRETS.")
    limit = _failure_limit()
    # Encoded like every id in a key name (an IPv6 address holds ':').
    address = encode_id(request.remote_addr or "unknown")
    if limit is not None:
        retry_after = limit.retry_after(address)
        if retry_after is not None:
            raise ApiError(429, "rate_limited",
                           f"Too many failed {SIGNATURE_HEADER} checks from this address; "
                           f"retry after {retry_after} s.",
                           details={"retry_after": retry_after},
                           headers={"Retry-After": str(retry_after)})
    body = request.get_data(cache=True)
    if not valid_signature(secrets, body, request.headers.get(SIGNATURE_HEADER, "")):
        exhausted = limit is not None and limit.count_failure(address)
        # At most one line per failure under the limit, and one when it is reached.
        log.warning("coral signature rejected", extra={"request_id": g.get("request_id"),
                                                       "limit_reached": exhausted})
        raise ApiError(401, "invalid_signature",
                       f"Missing or invalid {SIGNATURE_HEADER} (HMAC-SHA256 of the raw body).")
    try:
        json.loads(body)
    except RecursionError as exc:
        raise ApiError(400, "json_too_deep", "The JSON body is nested too deeply.") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "malformed_json", "The body is not valid JSON (UTF-8).") from exc


def _mark_raw_body(state) -> None:
    # The request guard reads this flag and leaves the body to the view.
    for rule in state.app.url_map.iter_rules():
        if rule.endpoint == ENDPOINT:
            rule.raw_body = True


def _install_failure_limit(state) -> None:
    # Parsed when the app is built: a malformed setting stops start-up, not a request.
    setting = state.app.config["MODERATION"].rate_limit_coral_failed_signatures
    try:
        limits = parse_many(setting) if setting.strip() else []
    except ValueError as exc:
        raise ValueError(f"RATE_LIMIT_CORAL_FAILED_SIGNATURES={setting!r}: {exc}") from exc
    if limits:
        rt = state.app.extensions["moderation"]
        state.app.extensions[_FAILURES] = FailedSignatureLimit(
            limits, rt.redis.connection_pool, rt.keys.coral_signature_failures)


blp.record_once(_mark_raw_body)
blp.record_once(_install_failure_limit)


@blp.route("/coral")
class CoralModeration(MethodView):
    @blp.doc(security=[{"coralSignature": []}])
    @blp.arguments(CoralRequestSchema)
    @blp.response(204, description="Pass: the model does not hold the comment.")
    @blp.alt_response(200, schema=CoralResponseSchema,
                      description="Hold (SYSTEM_WITHHELD) or reject the comment in Coral.")
    @blp.alt_response(401, description="Missing or invalid X-Coral-Signature.")
    @blp.alt_response(429, description="Too many failed signature checks from this address "
                                       "(RATE_LIMIT_CORAL_FAILED_SIGNATURES); see Retry-After.")
    @blp.alt_response(503, description="The integration is off (CORAL_SIGNING_SECRETS unset).")
    def post(self, body: dict):
        """Coral's external moderation phase: score the comment at once and answer with a verdict.

        Long comments (over MAX_TEXT_CHARS) and comments arriving while no model
        is active are withheld (fail closed): a comment on a policing story that
        nobody checked is the riskier mistake.
        """
        rt = current_app.extensions["moderation"]
        comment = body["comment"]
        text = comment["body"]
        if not text.strip():
            return Response(status=204)
        if len(text) > rt.settings.max_text_chars:
            log.warning("coral comment too long to score; withheld",
                        extra={"story_id": body["story"]["id"], "chars": len(text)})
            return HOLD, 200
        parent = comment.get("parentID")
        parent = parent if parent and _ID.fullmatch(parent) else None
        author = body["author"]["id"]
        stored = scoring.store_pending(
            rt,
            # Coral calls without an API key; its comments are CORAL_TENANT's.
            tenant=rt.settings.coral_tenant,
            article_id=body["story"]["id"],
            text=text,
            author_id=author,
            # The replay key: the same comment sent again finds the one stored.
            external_id=content_external_id(author, parent, comment.get("id"), text),
            parent_id=parent,
            request_id=g.get("request_id"),
        )
        record = stored.record
        if record.get("status") == "pending":
            try:
                model, score = scoring.score(rt, text)
            except scoring.ModelUnavailable:
                # Stored and leased: a worker decides it once a model is active.
                log.error("coral comment withheld: no active model", extra={"comment_id": stored.id})
                return HOLD, 200
            record = scoring.decide(rt, stored, model, score)
        status = record.get("status")
        log.info("coral verdict", extra={"comment_id": stored.id, "status": status,
                                         "action": body["action"], "new_comment": stored.created})
        if status == "held":
            return HOLD, 200
        if status == "rejected":
            return REJECT, 200
        return Response(status=204)
