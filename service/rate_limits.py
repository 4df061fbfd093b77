"""Rate limits (flask-limiter), counted in the service's Redis.

Who is counted: a request with a valid API key counts against that key, and a
request from the moderators' page against the signed-in moderator's key (a
newsroom's moderators often share one address); any other request (no key, a
wrong or revoked key, the docs, the page's sign-in) counts against the client
address, so guessing keys is throttled too. The check runs before
authentication for that reason, and reuses the key it looked up
(``auth.presented_key``).

Which limit: posting comments, reading comments (single and batch reads share
one allowance, several times the posting rate, because a site polls what it
posts), and a default per route and method for everything else. The two comment
routes are the site's hot path: with a key they are counted by
storage/rate_windows.py (all windows in one round trip, same fixed-window
semantics), everything else by flask-limiter.

The counters share the runtime's connection pool, so they live in the same
Redis (URL, TLS or Sentinel) under the service's key prefix. If that Redis is
unreachable the limiter falls back to per-process memory counters and the
request goes on: the view itself then answers 503 if it needs Redis, and no
request fails because of the limiter (the hot routes' counters are skipped then).
"""

from __future__ import annotations

import functools
import logging
import math
import time

from flask import Flask, Response, current_app, g, request, session
from flask_limiter import Limit, Limiter, RateLimitExceeded
from limits import RateLimitItem, parse_many
from redis.exceptions import RedisError
from werkzeug.middleware.proxy_fix import ProxyFix

from core.config import Settings
from service import auth
from service.errors import error_response
from service.web import session as page_session
from storage.keys import Keys
from storage.rate_windows import RateWindows, Refusal, Windows

log = logging.getLogger("service.rate_limits")

# Probes are called by load balancers every few seconds from a few addresses. Coral Talk
# calls from one address with no API key (its HMAC signature authenticates it, and is as
# cheap to check as a counter); a 429 there would publish the comment unmoderated.
_EXEMPT_ENDPOINTS = frozenset({"health.Health", "health.Ready", "static", "coral.CoralModeration"})
_POST_COMMENTS = ("comments.Comments", "POST")
_READ_COMMENTS = frozenset({("comments.Comments", "GET"), ("comments.Comment", "GET")})
_POST_REPORTS = ("moderation.Reports", "POST")
_POST_NOTICES = frozenset({("dsa.Notices", "POST"), ("dsa.Appeals", "POST")})
_PAGE_BLUEPRINT = "moderate"


def _settings() -> Settings:
    return current_app.config["MODERATION"]


def _key_id() -> str | None:
    """The API key the request acts with: its bearer key, or on the moderators' page the
    signed-in moderator's (the signed session cookie names the key; the page itself checks
    that the key is still valid)."""
    key = auth.presented_key()
    if key is not None:
        return key.id
    if request.blueprint == _PAGE_BLUEPRINT:
        data = session.get(page_session.SESSION_KEY)
        if isinstance(data, dict) and data.get("id"):
            return str(data["id"])
    return None


def _caller() -> str:
    key_id = _key_id()
    if key_id is not None:
        return f"key:{key_id}"
    return f"addr:{request.remote_addr or 'unknown'}"


def _anonymous() -> bool:
    return _key_id() is None


def _is_post_comments() -> bool:
    return (request.endpoint, request.method) == _POST_COMMENTS


def _is_read_comments() -> bool:
    return (request.endpoint, request.method) in _READ_COMMENTS


def _is_post_reports() -> bool:
    return (request.endpoint, request.method) == _POST_REPORTS


def _is_post_notices() -> bool:
    return (request.endpoint, request.method) in _POST_NOTICES


def _has_own_limit() -> bool:
    return (_is_post_comments() or _is_read_comments() or _is_post_reports()
            or _is_post_notices())


def build_limiter(settings: Settings, connection_pool: object) -> Limiter:
    return Limiter(
        key_func=_caller,
        default_limits=[
            Limit(lambda: _settings().rate_limit_anonymous, key_function=_caller,
                  scope="anonymous", shared=True, exempt_when=lambda: not _anonymous(),
                  error_message="requests without a valid API key"),
            # Posting and reading comments with a key: _count_hot_route, below.
            # Readers' reports are relayed by the site's key; a flood of them is capped here
            # per key (and per reader and per comment in storage/moderation.py).
            Limit(lambda: _settings().rate_limit_reports, key_function=_caller,
                  per_method=True, error_message="readers' reports sent with this key",
                  exempt_when=lambda: _anonymous() or not _is_post_reports()),
            # Notices and appeals are relayed by the site's key too: one shared budget.
            Limit(lambda: _settings().rate_limit_notices, key_function=_caller,
                  scope="notices", shared=True,
                  error_message="notices and appeals sent with this key",
                  exempt_when=lambda: _anonymous() or not _is_post_notices()),
            Limit(lambda: _settings().rate_limit_default, key_function=_caller, per_method=True,
                  error_message="requests with this key to this route",
                  exempt_when=lambda: _anonymous() or _has_own_limit()),
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
    return _refused(str(error.limit.limit), error.description, retry_after)


def _refused(limit: str, description: str, retry_after: int) -> Response:
    _log_once_per_window(limit, retry_after)
    return error_response(
        429, "rate_limited", f"Too many {description}; retry after {retry_after} s.",
        details={"limit": limit, "retry_after": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


# The site's hot routes, counted per key by storage/rate_windows.py in one round trip
# instead of by flask-limiter (two scripts and its per-request choice of limits): scope
# of the counters, the setting that holds the limits, what a refusal names.
_HOT_ROUTES = {
    _POST_COMMENTS: ("post-comments", "rate_limit_post_comments", "comments posted with this key"),
    **{route: ("read-comments", "rate_limit_read_comments", "comment reads with this key")
       for route in _READ_COMMENTS},
}


@functools.lru_cache(maxsize=64)
def _parsed(spec: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(spec)) if spec.strip() else ()


def _hot_route_key_id() -> str | None:
    """The key id of a request to a hot route with a valid bearer key (None otherwise: an
    anonymous request stays with flask-limiter's per-address limit)."""
    if (request.endpoint, request.method) not in _HOT_ROUTES:
        return None
    try:
        key = auth.presented_key()
    except RedisError:  # authentication answers 503 for it
        return None
    return key.id if key is not None else None


def _count_hot_route() -> Response | None:
    key_id = _hot_route_key_id()
    if key_id is None:
        return None
    route = (request.endpoint, request.method)
    scope, setting, _ = _HOT_ROUTES[route]
    limits = _parsed(getattr(_settings(), setting))
    if not limits:
        return None
    windows = Windows(current_app.extensions["moderation"].keys, f"key:{key_id}", scope, limits)
    if route == _POST_COMMENTS:
        # Counted by the create script (take_post_windows), so that a POST is one round
        # trip; a POST that never reaches it is counted by _count_post_not_created.
        g.post_windows = windows
        return None
    return _hit(windows)


def _hit(windows: Windows) -> Response | None:
    counters: RateWindows = current_app.extensions["moderation_rate_windows"]
    try:
        refusal = counters.hit(windows.caller, windows.scope, windows.limits)
    except RedisError:
        # As flask-limiter's swallow_errors: no request fails because of the counters; the
        # view answers 503 itself when it needs the Redis that went away.
        return None
    return refused(refusal) if refusal is not None else None


def take_post_windows() -> Windows | None:
    """The rate-limit windows a POST of a comment is to be counted in, for the create
    script to count (once: the caller takes them)."""
    return g.pop("post_windows", None)


def refused(refusal: Refusal) -> Response:
    """The 429 answer to a request past ``refusal``'s window."""
    description = next(d for s, _, d in _HOT_ROUTES.values() if s == refusal.scope)
    return _refused(str(refusal.limit), description, refusal.retry_after)


def _count_post_not_created(response: Response) -> Response:
    """A POST that ended before the create script (a body that fails validation, a key
    without the site role, ...) still counts, as every request does, and past the limit
    is answered 429 as it would have been before any check."""
    windows = take_post_windows()
    if windows is None:
        return response
    answer = _hit(windows)
    if answer is None:
        return response
    if "request_id" in g:
        answer.headers["X-Request-ID"] = g.request_id
    return answer


def _log_once_per_window(limit: str, window_left: int) -> None:
    """One line per caller, limit and window: a client hammering past its limit would
    otherwise write a line per refused request."""
    caller = _caller()
    rt = current_app.extensions["moderation"]
    try:
        first = rt.redis.set(rt.keys.rate_limit_logged(caller, limit), "1", nx=True,
                             ex=max(1, window_left))
    except RedisError:
        first = True  # the limiter is counting in memory; better a line too many than none
    if first:
        # The key id, never the address (personal data); ids are what logs carry.
        log.info("rate limited", extra={"endpoint": request.endpoint, "limit": limit,
                                         "key_id": caller[4:] if caller.startswith("key:") else None,
                                         "until_s": window_left})


def register(app: Flask) -> None:
    """Install the limiter; call it where its check should run among the before-request hooks
    (before authentication)."""
    settings: Settings = app.config["MODERATION"]
    if settings.proxy_hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops)
    runtime = app.extensions["moderation"]
    limiter = build_limiter(settings, runtime.redis.connection_pool)
    limiter.request_filter(lambda: request.endpoint in _EXEMPT_ENDPOINTS
                           or _hot_route_key_id() is not None)
    limiter.init_app(app)
    app.extensions["moderation_rate_windows"] = RateWindows(runtime.redis, runtime.keys)
    app.before_request(_count_hot_route)
    app.after_request(_count_post_not_created)
    # flask-limiter logs every refused request at INFO; _too_many_requests logs once a window.
    logging.getLogger("flask-limiter").setLevel(logging.WARNING)
    app.extensions["moderation_limiter"] = limiter
    app.register_error_handler(RateLimitExceeded, _too_many_requests)
