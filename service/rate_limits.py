"""Rate limits (flask-limiter), counted in the service's Redis.

Who is counted: a request with a valid API key counts against that key; any
other request (no key, a wrong or revoked key, the docs, the moderator page's
sign-in) counts against the client address, so guessing keys is throttled too.
The check runs before authentication for that reason, and reuses the key it
looked up (``auth.presented_key``).

The counters share the runtime's connection pool, so they live in the same
Redis (URL, TLS or Sentinel) under the service's key prefix. If that Redis is
unreachable the limiter falls back to per-process memory counters and the
request goes on: the view itself then answers 503 if it needs Redis, and no
request fails because of the limiter.
"""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, Response, current_app, request
from flask_limiter import Limit, Limiter, RateLimitExceeded
from werkzeug.middleware.proxy_fix import ProxyFix

from core.config import Settings
from service import auth
from service.errors import error_response
from storage.keys import Keys

log = logging.getLogger("service.rate_limits")

# Probes are called by load balancers every few seconds from a few addresses. Coral Talk
# calls from one address with no API key (its HMAC signature authenticates it, and is as
# cheap to check as a counter); a 429 there would publish the comment unmoderated.
_EXEMPT_ENDPOINTS = frozenset({"health.Health", "health.Ready", "static", "coral.CoralModeration"})
_POST_COMMENTS = ("comments.Comments", "POST")


def _settings() -> Settings:
    return current_app.config["MODERATION"]


def _caller() -> str:
    key = auth.presented_key()
    if key is not None:
        return f"key:{key.id}"
    return f"addr:{request.remote_addr or 'unknown'}"


def _anonymous() -> bool:
    return auth.presented_key() is None


def _is_post_comments() -> bool:
    return (request.endpoint, request.method) == _POST_COMMENTS


def build_limiter(settings: Settings, connection_pool: object) -> Limiter:
    return Limiter(
        key_func=_caller,
        default_limits=[
            Limit(lambda: _settings().rate_limit_anonymous, key_function=_caller,
                  scope="anonymous", shared=True, exempt_when=lambda: not _anonymous(),
                  error_message="requests without a valid API key"),
            Limit(lambda: _settings().rate_limit_post_comments, key_function=_caller,
                  per_method=True, error_message="comments posted with this key",
                  exempt_when=lambda: _anonymous() or not _is_post_comments()),
            Limit(lambda: _settings().rate_limit_default, key_function=_caller, per_method=True,
                  error_message="requests with this key to this route",
                  exempt_when=lambda: _anonymous() or _is_post_comments()),
        ],
        # One INCR per limit and request: cheap, and Retry-After is exact.
        strategy="fixed-window",
        storage_uri="redis://",
        storage_options={
            "connection_pool": connection_pool,
            "key_prefix": Keys(settings.key_prefix).rate_limit_prefix,
        },
        headers_enabled=False,
        swallow_errors=True,
        in_memory_fallback_enabled=True,
    )


def _too_many_requests(error: RateLimitExceeded) -> Response:
    limiter: Limiter = current_app.extensions["moderation_limiter"]
    retry_after = 1
    try:
        current = limiter.current_limit
        if current is not None:
            # reset_at is rounded up to the next whole second; never past the window.
            window = int(error.limit.limit.get_expiry())
            retry_after = min(window, max(1, math.ceil(current.reset_at - time.time())))
    except Exception:  # the counters' Redis went away meanwhile: a short, safe hint
        log.warning("rate limit reset time unavailable")
    log.info("rate limited", extra={"endpoint": request.endpoint, "limit": str(error.limit.limit)})
    return error_response(
        429, "rate_limited", f"Too many {error.description}; retry after {retry_after} s.",
        details={"limit": str(error.limit.limit), "retry_after": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


def register(app: Flask) -> None:
    """Install the limiter; call it where its check should run among the before-request hooks
    (before authentication)."""
    settings: Settings = app.config["MODERATION"]
    if settings.proxy_hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops)
    runtime = app.extensions["moderation"]
    limiter = build_limiter(settings, runtime.redis.connection_pool)
    limiter.request_filter(lambda: request.endpoint in _EXEMPT_ENDPOINTS)
    limiter.init_app(app)
    app.extensions["moderation_limiter"] = limiter
    app.register_error_handler(RateLimitExceeded, _too_many_requests)
