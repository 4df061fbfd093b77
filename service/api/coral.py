"""Coral Talk's external moderation phase (``POST /v1/integrations/coral``).

Coral POSTs every new or edited comment here and waits (its phase timeout,
200 ms by default) for a verdict: 204 lets the comment through, a 200 body
with ``status: SYSTEM_WITHHELD`` holds it for Coral's moderators. Coral signs
the raw body: ``X-Coral-Signature: sha256=<hex HMAC-SHA256>[,sha256=<hex>...]``
(several during a secret rotation), with the secrets of CORAL_SIGNING_SECRETS.
The signature is the only authentication, so it is checked before anything
else reads the body; the request guard's JSON checks are skipped on this
route (``raw_body``) and done here after the signature.

The comment is recorded as a natively posted one would be (article = Coral's
story id, author = Coral's user id, external id = Coral's comment id when the
request carries one) and decided at once by the model, with the same policy,
author history and webhook events as a worker's decision.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re

import marshmallow as ma
from flask import Response, current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from service import scoring
from service.errors import ApiError
from service.schemas import ID_PATTERN

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
_ID_FIELD = {"validate": ma.validate.Regexp(ID_PATTERN)}


def signing_secrets() -> list[str]:
    raw = current_app.config["MODERATION"].coral_signing_secrets
    return [s.strip() for s in raw.split(",") if s.strip()]


def valid_signature(secrets: list[str], body: bytes, header: str) -> bool:
    """True if any ``sha256=<hex>`` in the header is the HMAC of ``body`` under any secret."""
    offered = [p.strip()[len("sha256="):] for p in header.split(",") if p.strip().startswith("sha256=")]
    if not offered:
        return False
    for secret in secrets:
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        # Every pair is compared, so the time taken does not tell which one matched.
        if sum(hmac.compare_digest(expected, s.lower()) for s in offered):
            return True
    return False


class _Lenient(ma.Schema):
    class Meta:
        # Coral adds fields between versions (tenant, tenantDomain...); keep working.
        unknown = ma.EXCLUDE


class CoralCommentSchema(_Lenient):
    body = ma.fields.String(required=True, metadata={"description": "Configure the phase's "
                                                     "format as PLAIN_TEXT (HTML is scored as is)."})
    parentID = ma.fields.String(allow_none=True, load_default=None)
    id = ma.fields.String(allow_none=True, load_default=None,
                          metadata={"description": "Not sent by Coral today; used as external_id "
                                                   "(idempotency) when present."})


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
    body = request.get_data(cache=True)
    if not valid_signature(secrets, body, request.headers.get(SIGNATURE_HEADER, "")):
        log.warning("coral signature rejected", extra={"request_id": g.get("request_id")})
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


blp.record_once(_mark_raw_body)


@blp.route("/coral")
class CoralModeration(MethodView):
    @blp.doc(security=[{"coralSignature": []}])
    @blp.arguments(CoralRequestSchema)
    @blp.response(204, description="Pass: the model does not hold the comment.")
    @blp.alt_response(200, schema=CoralResponseSchema,
                      description="Hold (SYSTEM_WITHHELD) or reject the comment in Coral.")
    @blp.alt_response(401, description="Missing or invalid X-Coral-Signature.")
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
        external = comment.get("id")
        parent = comment.get("parentID")
        stored = scoring.store_pending(
            rt,
            article_id=body["story"]["id"],
            text=text,
            author_id=body["author"]["id"],
            external_id=external if external and _ID.match(external) else None,
            parent_id=parent if parent and _ID.match(parent) else None,
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
