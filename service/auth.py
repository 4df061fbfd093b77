"""Bearer API keys with roles.

Views declare who may call them with ``@require(...)``; a before-request hook
authenticates before anything else looks at the request, so a caller without a
valid key learns nothing (not even whether the body was well formed).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, current_app, g, request

from service.errors import ApiError
from storage.api_keys import ApiKey

# Which key roles may act in each capacity: an admin can do what a moderator can.
GRANTS = {
    "site": {"site", "admin"},
    "moderator": {"moderator", "admin"},
    "admin": {"admin"},
}


def current_key() -> ApiKey | None:
    return getattr(g, "api_key", None)


def _view_attribute(endpoint: str | None, method: str, name: str) -> Any:
    if endpoint is None:
        return None
    view = current_app.view_functions.get(endpoint)
    view_class = getattr(view, "view_class", None)
    target = getattr(view_class, method.lower(), None) if view_class else view
    return getattr(target, name, None)


def required_capacities(endpoint: str | None, method: str) -> tuple[str, ...] | None:
    """The capacities the view behind ``endpoint`` declares (None: no authentication)."""
    return _view_attribute(endpoint, method, "_required_capacities")


def accepts_query_key(view: Callable) -> Callable:
    """Also accept the key as ``?key=`` on this view (Perspective API clients send it so;
    a key in a URL ends up in access logs, so no other view takes it)."""
    view._query_key = True
    return view


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        if _view_attribute(request.endpoint, request.method, "_query_key"):
            return request.args.get("key", "").strip() or None
        return None
    return token.strip()


def presented_key() -> ApiKey | None:
    """The valid key the request carries, if any (looked up once per request).

    The rate limiter runs before authentication (so that failed attempts count
    against the caller's address) and needs the same answer.
    """
    if "presented_key" not in g:
        token = _bearer_token()
        g.presented_key = (
            current_app.extensions["moderation"].api_keys.authenticate(token) if token else None
        )
    return g.presented_key


def _bearer_key() -> ApiKey:
    if _bearer_token() is None:
        raise ApiError(401, "unauthorized", "Send an API key as 'Authorization: Bearer <key>'.",
                       headers={"WWW-Authenticate": "Bearer"})
    key = presented_key()
    if key is None:
        raise ApiError(401, "unauthorized", "Unknown or revoked API key.",
                       headers={"WWW-Authenticate": "Bearer"})
    return key


def check(capacities: tuple[str, ...], key: ApiKey) -> None:
    allowed = set().union(*(GRANTS[c] for c in capacities))
    if key.role not in allowed:
        raise ApiError(403, "forbidden",
                       f"A {key.role} key may not do this; it needs: {' or '.join(capacities)}.")


def _authenticate_request() -> None:
    capacities = required_capacities(request.endpoint, request.method)
    if capacities is None:
        return
    key = _bearer_key()
    g.api_key = key
    check(capacities, key)


def require(*capacities: str) -> Callable:
    """Allow the view to keys whose role grants any of ``capacities``."""
    for capacity in capacities:
        if capacity not in GRANTS:
            raise ValueError(f"unknown capacity {capacity!r}")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any):
            # The hook has run; this guards against a view reached without it.
            key = current_key()
            if key is None:
                raise ApiError(401, "unauthorized", "Authentication required.")
            check(capacities, key)
            return view(*args, **kwargs)

        wrapper._required_capacities = capacities
        return wrapper

    return decorator


def register(app: Flask) -> None:
    app.before_request(_authenticate_request)
