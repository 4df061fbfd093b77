"""Checks every request passes before a view sees it: request id, body type and JSON shape.

webargs would treat a non-JSON body as "missing fields" (a confusing 422) and
let a deeply nested document raise RecursionError (a 500); both are decided
here with a clear 4xx instead.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable

from flask import Flask, Response, g, request

from service.errors import ApiError

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_BODY_METHODS = {"POST", "PUT", "PATCH"}


def _assign_request_id() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex


def _check_json_body() -> None:
    if request.method not in _BODY_METHODS or not request.path.startswith("/v1/"):
        return
    if request.endpoint and getattr(request.url_rule, "raw_body", False):
        return
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        raise ApiError(413, "body_too_large", f"Request bodies are limited to {limit} bytes.")
    if not request.get_data(cache=True):
        if request.mimetype and not request.is_json:
            raise ApiError(415, "unsupported_media_type", "Send the body as application/json.")
        return
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "Send the body as application/json.",
                       {"content_type": request.mimetype or None})
    try:
        json.loads(request.get_data(cache=True))
    except RecursionError as exc:
        raise ApiError(400, "json_too_deep", "The JSON body is nested too deeply.") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "malformed_json", "The body is not valid JSON (UTF-8).") from exc


def _echo_request_id(response: Response) -> Response:
    if "request_id" in g:
        response.headers["X-Request-ID"] = g.request_id
    return response


def register(app: Flask, after: Callable[[Flask], None] | None = None) -> None:
    """Install the guard; ``after`` registers hooks that run between the request id
    and the body checks (authentication, so that unauthenticated callers get 401)."""
    app.before_request(_assign_request_id)
    if after is not None:
        after(app)
    app.before_request(_check_json_body)
    app.after_request(_echo_request_id)
