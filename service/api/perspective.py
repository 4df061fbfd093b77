"""A Perspective-compatible AnalyzeComment endpoint (``POST /v1alpha1/comments:analyze``).

Requests, responses and errors have the shapes of Google's Perspective API
(``{"error": {"code", "message", "status"}}`` on failure, with Perspective's
messages), so a newsroom's existing Perspective client only changes its base
URL and key. Attributes map onto this service's categories:

    TOXICITY              -> abuse
    VICTIM_IDENTIFICATION -> victim_identification (this service's own)
    SEVERE_TOXICITY, IDENTITY_ATTACK, INSULT, PROFANITY, THREAT, SEXUALLY_EXPLICIT
                          -> the abuse kind of that name in lower case (a calibrated
                             head on the abuse features, model/attributes.py), when the
                             active model has one; a model trained before kinds existed
                             answers Perspective's "does not support request languages"
                             error for them

Scoring is synchronous with the active model (``service.scoring``). Unless the
request says ``doNotStore``, the comment is also stored and decided by the
model like a natively posted one.

Perspective's request names no author, so the service accepts one extension
field, ``authorId`` (the site's own reader id, as ``author.id`` on
``POST /v1/comments``). With it, a stored comment has an author: erasing that
author reaches it, and author history and bans apply. Without it, the stored
text has no owner and stays until retention purges it.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import marshmallow as ma
from flask import Blueprint as FlaskBlueprint
from flask import Response, current_app, g, jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint
from werkzeug.exceptions import HTTPException

from service import scoring, tenancy
from service.auth import accepts_query_key, current_key, require
from service.schemas import ID_PATTERN

log = logging.getLogger("service.perspective")

blp = Blueprint("perspective", __name__, url_prefix="/v1alpha1",
                description="Perspective API compatible comment analysis (AnalyzeComment).")

# Perspective attribute -> this service's category name.
NATIVE_ATTRIBUTES = {"TOXICITY": "abuse", "VICTIM_IDENTIFICATION": "victim_identification"}
# Perspective's other production attributes: served when the model has that abuse kind.
OPTIONAL_ATTRIBUTES = ("SEVERE_TOXICITY", "INSULT", "THREAT", "IDENTITY_ATTACK", "PROFANITY",
                       "SEXUALLY_EXPLICIT")
# The evidence spans (model/features.py's span kinds) that back each kind's spanScores; a kind
# with none (SEVERE_TOXICITY) answers its summary score only.
KIND_SPANS = {"insult": ("insult",), "threat": ("threat",), "profanity": ("profanity",),
              "identity_attack": ("hate", "slur"), "sexually_explicit": ("sexual",)}
SUPPORTED_LANGUAGES = ("en",)
_REQUEST_FIELDS = {"comment", "context", "requestedAttributes", "languages", "spanAnnotations",
                   "doNotStore", "clientToken", "sessionId", "communityId",
                   # This service's own extension (Perspective has no author field).
                   "authorId"}
_ID = re.compile(ID_PATTERN)
# HTTP status -> google.rpc status name.
_RPC_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
               404: "NOT_FOUND", 409: "ABORTED", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
               501: "UNIMPLEMENTED", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}


class PerspectiveError(HTTPException):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(description=message)
        self.code = status


def invalid(message: str) -> PerspectiveError:
    return PerspectiveError(400, message)


def error_body(status: int, message: str, rpc_status: str | None = None) -> dict[str, Any]:
    return {"error": {"code": status, "message": message,
                      "status": rpc_status or _RPC_STATUS.get(status, "UNKNOWN")}}


# Schemas (the OpenAPI description; validation is below, with Perspective's messages) ----
class TextEntrySchema(ma.Schema):
    text = ma.fields.String(required=True, metadata={"description": "The comment, plain text."})
    type = ma.fields.String(validate=ma.validate.OneOf(["PLAIN_TEXT"]))


class AttributeParametersSchema(ma.Schema):
    scoreType = ma.fields.String(validate=ma.validate.OneOf(["PROBABILITY"]))
    scoreThreshold = ma.fields.Float(metadata={"description": "Omit the attribute when its "
                                                              "score is below this."})


class AnalyzeRequestSchema(ma.Schema):
    comment = ma.fields.Nested(TextEntrySchema, required=True)
    context = ma.fields.Dict(metadata={"description": "Accepted and ignored (as by Perspective)."})
    requestedAttributes = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Nested(AttributeParametersSchema), required=True,
        metadata={"description": "TOXICITY, VICTIM_IDENTIFICATION; SEVERE_TOXICITY, INSULT, "
                                 "THREAT, IDENTITY_ATTACK, PROFANITY, SEXUALLY_EXPLICIT when "
                                 "the active model has abuse kinds (models trained before them "
                                 "answer 400 for these)."},
    )
    languages = ma.fields.List(ma.fields.String(), metadata={"description": "Only 'en'."})
    spanAnnotations = ma.fields.Boolean()
    doNotStore = ma.fields.Boolean(metadata={"description": "True: nothing is stored. False "
                                             "(default): the comment is stored and decided."})
    clientToken = ma.fields.String()
    sessionId = ma.fields.String()
    communityId = ma.fields.String(metadata={"description": "Used as the article id when stored."})
    authorId = ma.fields.String(metadata={
        "description": "Extension (not in Google's API): the site's id of the comment's author, "
                       "as author.id of POST /v1/comments. Stored with the comment, so erasing "
                       "the author reaches it, and author history and bans apply to it.",
        "pattern": ID_PATTERN})


class ScoreSchema(ma.Schema):
    value = ma.fields.Float(required=True)
    type = ma.fields.String(required=True)


class SpanScoreSchema(ma.Schema):
    begin = ma.fields.Integer(required=True)
    end = ma.fields.Integer(required=True)
    score = ma.fields.Nested(ScoreSchema, required=True)


class AttributeScoresSchema(ma.Schema):
    summaryScore = ma.fields.Nested(ScoreSchema, required=True)
    spanScores = ma.fields.List(ma.fields.Nested(SpanScoreSchema))


class AnalyzeResponseSchema(ma.Schema):
    attributeScores = ma.fields.Dict(keys=ma.fields.String(),
                                     values=ma.fields.Nested(AttributeScoresSchema), required=True)
    languages = ma.fields.List(ma.fields.String(), required=True)
    clientToken = ma.fields.String()


class GoogleErrorDetailSchema(ma.Schema):
    code = ma.fields.Integer(required=True)
    message = ma.fields.String(required=True)
    status = ma.fields.String(required=True)


class GoogleErrorSchema(ma.Schema):
    error = ma.fields.Nested(GoogleErrorDetailSchema, required=True)


# Request parsing ------------------------------------------------------------------
def _parse(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise invalid("Invalid JSON payload received.") from exc
    if not isinstance(data, dict):
        raise invalid("Invalid JSON payload received. Expected an object.")
    for name in data:
        if name not in _REQUEST_FIELDS:
            raise invalid(f'Invalid JSON payload received. Unknown name "{name}": Cannot find field.')
    comment = data.get("comment")
    if comment is None:
        raise invalid("Comment must be non-empty.")
    if not isinstance(comment, dict) or not isinstance(comment.get("text", ""), str):
        raise invalid("Invalid value at 'comment.text' (TYPE_STRING).")
    if comment.get("type", "PLAIN_TEXT") != "PLAIN_TEXT":
        raise invalid("Currently, only 'PLAIN_TEXT' comments are supported")
    text = comment.get("text", "")
    if not text.strip():
        raise invalid("Comment must be non-empty.")
    if len(text) > current_app.config["MODERATION"].max_text_chars:
        raise invalid("Comment text too long.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise invalid("Invalid value at 'comment.text': not valid UTF-8.") from exc
    attributes = data.get("requestedAttributes")
    if not attributes:
        raise invalid("Missing requested_attributes")
    if not isinstance(attributes, dict):
        raise invalid("Invalid value at 'requested_attributes' (type.googleapis.com/"
                      "google.commentanalyzer.v1alpha1.AttributeParameters).")
    languages = data.get("languages") or []
    if not isinstance(languages, list) or not all(isinstance(x, str) for x in languages):
        raise invalid("Invalid value at 'languages' (TYPE_STRING).")
    unsupported = [x for x in languages if x.lower().split("-")[0] not in SUPPORTED_LANGUAGES]
    requested: dict[str, dict[str, Any]] = {}
    for name, params in attributes.items():
        params = params if params is not None else {}
        if name not in NATIVE_ATTRIBUTES and name not in OPTIONAL_ATTRIBUTES:
            raise invalid(f"Unknown requested attribute: {name}")
        if not isinstance(params, dict):
            raise invalid(f"Invalid value at 'requested_attributes[{name}]'.")
        score_type = params.get("scoreType", "PROBABILITY")
        if score_type != "PROBABILITY":
            raise invalid(f"Requested score type {score_type} is not supported by attribute {name}")
        threshold = params.get("scoreThreshold")
        if threshold is not None and (isinstance(threshold, bool)
                                      or not isinstance(threshold, (int, float))):
            raise invalid(f"Invalid value at 'requested_attributes[{name}].score_threshold' (TYPE_FLOAT).")
        if unsupported:
            raise invalid(f"Attribute {name} does not support request languages: "
                          f"{', '.join(unsupported)}")
        requested[name] = {"threshold": threshold}
    for flag in ("spanAnnotations", "doNotStore"):
        if not isinstance(data.get(flag, False), bool):
            raise invalid(f"Invalid value at '{flag}' (TYPE_BOOL).")
    token = data.get("clientToken")
    if token is not None and not isinstance(token, str):
        raise invalid("Invalid value at 'client_token' (TYPE_STRING).")
    author = data.get("authorId")
    if author is not None and (not isinstance(author, str) or _ID.fullmatch(author) is None):
        raise invalid("Invalid value at 'author_id': letters, digits and ._~:@+=- only, "
                      "1 to 200 characters.")
    return {
        "text": text,
        "attributes": requested,
        "languages": languages or list(SUPPORTED_LANGUAGES),
        "spans": bool(data.get("spanAnnotations", False)),
        "store": not data.get("doNotStore", False),
        "client_token": token,
        "community_id": data.get("communityId") if isinstance(data.get("communityId"), str) else None,
        "author_id": author,
    }


def category_for(attribute: str, categories: Any) -> str | None:
    """The model category behind a Perspective attribute, or None if the model lacks it."""
    category = NATIVE_ATTRIBUTES.get(attribute, attribute.lower())
    return category if category in categories else None


def model_categories(model: Any) -> tuple[str, ...]:
    """The model's categories and abuse kinds (what its attributes can map onto)."""
    from model.categories import CATEGORIES

    base = tuple(getattr(model, "categories", None) or model.thresholds or CATEGORIES)
    return (*base, *getattr(model, "kinds", ()))


def _value(score: Any, category: str) -> float:
    if category in score.scores:
        return float(score.scores[category])
    return float(score.kinds.get(category, 0.0))


def _spans(score: Any, category: str) -> list[Any]:
    if category in score.scores:
        return [s for s in score.spans if s.category == category]
    kinds = KIND_SPANS.get(category, ())
    return [s for s in score.spans if s.category == "abuse" and s.kind in kinds]


@blp.route("/comments:analyze")
class Analyze(MethodView):
    @accepts_query_key
    @require("site")
    @blp.doc(
        requestBody={"required": True, "content": {"application/json": {"schema": AnalyzeRequestSchema}}},
        security=[{"perspectiveKey": []}, {"bearerAuth": []}],
        # Replaces the service's default error response: every error here is Google's shape.
        responses={"default": {"description": "Any other error, in Perspective's error shape.",
                               "content": {"application/json": {"schema": GoogleErrorSchema}}}},
    )
    @blp.response(200, AnalyzeResponseSchema,
                  headers={"X-Moderation-Comment-Id": {
                      "description": "The stored comment's id (absent with doNotStore).",
                      "schema": {"type": "string"}}})
    @blp.alt_response(400, schema=GoogleErrorSchema,
                      description="Perspective's INVALID_ARGUMENT: bad request, unknown or "
                                  "unsupported attribute, unsupported language, bad API key.")
    @blp.alt_response(403, schema=GoogleErrorSchema,
                      description="PERMISSION_DENIED: no key, or a key without the site role.")
    @blp.alt_response(503, schema=GoogleErrorSchema, description="UNAVAILABLE: no active model.")
    def post(self):
        """Score a comment the way Perspective's AnalyzeComment does.

        Authenticate with `?key=<API key>` (as Perspective clients do) or a Bearer
        header. Summary scores are the model's calibrated probabilities; span
        scores (with `spanAnnotations`) are the model's evidence spans, in code
        points of `comment.text`, each carrying its attribute's summary score.
        """
        rt = current_app.extensions["moderation"]
        parsed = _parse(request.get_data(cache=True))
        try:
            model = scoring.scorer(rt)
        except scoring.ModelUnavailable as exc:
            raise PerspectiveError(503, "No model is active on this service yet.") from exc
        categories = model_categories(model)
        for name in parsed["attributes"]:
            if category_for(name, categories) is None:
                raise invalid(f"Attribute {name} does not support request languages: "
                              f"{', '.join(parsed['languages'])}")
        headers = {}
        stored = None
        if parsed["store"]:
            community = parsed["community_id"]
            # Without the authorId extension the comment has no author: no erasure by author
            # reaches it (retention does), and author history and bans do not apply.
            stored = scoring.store_pending(
                rt, tenant=tenancy.acting_tenant(),
                article_id=community if community and _ID.fullmatch(community) else "perspective",
                text=parsed["text"], author_id=parsed["author_id"] or "",
                request_id=g.get("request_id"))
            headers["X-Moderation-Comment-Id"] = stored.id
        score = model.score_batch([parsed["text"]])[0]
        if stored is not None:
            scoring.decide(rt, stored, model, score)
        log.info("perspective analyze", extra={
            "key_id": getattr(current_key(), "id", None), "attributes": sorted(parsed["attributes"]),
            "stored": stored is not None, "comment_id": stored.id if stored else None})
        body: dict[str, Any] = {"attributeScores": {}, "languages": parsed["languages"]}
        for name, options in parsed["attributes"].items():
            category = category_for(name, categories)
            value = _value(score, category)
            if options["threshold"] is not None and value < options["threshold"]:
                continue
            entry: dict[str, Any] = {"summaryScore": {"value": value, "type": "PROBABILITY"}}
            spans = _spans(score, category)
            if parsed["spans"] and spans:
                entry["spanScores"] = [
                    {"begin": s.start, "end": s.end, "score": {"value": value, "type": "PROBABILITY"}}
                    for s in spans
                ]
            body["attributeScores"][name] = entry
        if parsed["client_token"] is not None:
            body["clientToken"] = parsed["client_token"]
        return body, 200, headers


def _not_found() -> Response:
    response = jsonify(error_body(404, "Method not found."))
    response.status_code = 404
    return response


# Other methods on the path get Perspective's answer too, not the service's 405
# (registered on Flask's level so that the OpenAPI document does not list them).
FlaskBlueprint.add_url_rule(blp, "/comments:analyze", "analyze_other_methods", _not_found,
                            methods=["GET", "PUT", "PATCH", "DELETE"])


@blp.errorhandler(PerspectiveError)
def _perspective_error(error: PerspectiveError) -> Response:
    response = jsonify(error_body(error.code, error.description))
    response.status_code = error.code
    return response


@blp.after_request
def _to_perspective_shape(response: Response) -> Response:
    """Reshape the service's own errors (authentication, rate limits, body size, storage)
    raised on this route into Perspective's error shape."""
    if response.status_code < 400 or not response.is_json:
        return response
    data = response.get_json(silent=True)
    if not isinstance(data, dict) or "error" in data or "code" not in data:
        return response
    status, message = response.status_code, str(data.get("message") or "")
    if status == 401:
        if request.args.get("key") or request.headers.get("Authorization"):
            status, message = 400, "API key not valid. Please pass a valid API key."
        else:
            status, message = 403, "The request is missing a valid API key."
        response.headers.pop("WWW-Authenticate", None)
    elif status in (413, 415, 422):
        status = 400
        if data.get("code") == "body_too_large":
            limit = current_app.config["MODERATION"].max_body_bytes
            message = f"Request payload size exceeds the limit: {limit} bytes."
    response.set_data(json.dumps(error_body(status, message)))
    response.status_code = status
    return response
