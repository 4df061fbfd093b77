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


def required_capacities(endpoint: str | None, method: str) -> tuple[str, ...] | None:
    """The capacities the view behind ``endpoint`` declares (None: no authentication)."""
    if endpoint is None:
        return None
    view = current_app.view_functions.get(endpoint)
    view_class = getattr(view, "view_class", None)
    target = getattr(view_class, method.lower(), None) if view_class else view
    return getattr(target, "_required_capacities", None)


def _bearer_key() -> ApiKey:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "Send an API key as 'Authorization: Bearer <key>'.",
                       headers={"WWW-Authenticate": "Bearer"})
    key = current_app.extensions["moderation"].api_keys.authenticate(token.strip())
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
