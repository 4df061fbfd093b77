"""Every error the API returns is JSON: {"code", "message", "details"}.

``code`` is stable (clients branch on it); ``message`` is for people.
"""

from __future__ import annotations

import logging

import marshmallow as ma
from flask import Flask, jsonify
from redis.exceptions import RedisError
from werkzeug.exceptions import HTTPException

log = logging.getLogger("service.errors")

# HTTP status -> stable code, for errors raised without a code of their own.
_DEFAULT_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class ErrorSchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "Stable machine-readable code"})
    message = ma.fields.String(required=True, metadata={"description": "Human-readable explanation"})
    details = ma.fields.Dict(metadata={"description": "Per-field problems or other context"})


class ApiError(HTTPException):
    """An HTTP error with a stable code; raise it from views and helpers."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: dict | None = None,
        headers: dict | None = None,
    ) -> None:
        super().__init__(description=message)
        self.code = status
        self.error_code = code
        self.details = details or {}
        self.extra_headers = headers or {}


def error_response(status: int, code: str, message: str, details: dict | None = None, headers=None):
    body = {"code": code, "message": message, "details": details or {}}
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_http_exception(error: HTTPException):
    status = error.code or 500
    if isinstance(error, ApiError):
        return error_response(status, error.error_code, error.description, error.details,
                              error.extra_headers)
    data = getattr(error, "data", None) or {}
    details = data.get("errors") or data.get("messages") or {}
    code = _DEFAULT_CODES.get(status, "http_error")
    message = data.get("message") or error.description or error.name
    if status == 422 and details:
        # webargs nests by location ("json", "query"); name each bad field.
        fields = sorted({f for loc in details.values() if isinstance(loc, dict) for f in loc})
        if fields:
            message = "Invalid fields: " + ", ".join(fields)
    if status == 400 and "json" in str(message).lower():
        code = "malformed_json"
    headers = dict(data.get("headers") or {})
    if status == 405 and error.get_headers():
        headers.update({k: v for k, v in error.get_headers() if k == "Allow"})
    return error_response(status, code, str(message), details, headers)


def handle_redis_error(error: RedisError):
    # The text of a Redis error can echo a command; log its type only.
    log.error("redis unavailable", extra={"error_type": type(error).__name__})
    return error_response(
        503, "storage_unavailable", "The comment store is unavailable; try again shortly.",
        headers={"Retry-After": "5"},
    )


def handle_unexpected(error: Exception):
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    if isinstance(error, RedisError):
        return handle_redis_error(error)
    log.exception("unhandled error", extra={"error_type": type(error).__name__})
    return error_response(500, "internal_error", "Something went wrong on our side.")


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(RedisError, handle_redis_error)
    app.register_error_handler(Exception, handle_unexpected)
