"""Which tenant (title) a request acts in, and what its key may see.

A key of one tenant sees that tenant's data only. Anything of another tenant
is answered exactly as something that does not exist (404), never 403, so a
key cannot even learn that another title's comment id is real. An
all-tenants key ("*", moderators and admins only) sees everything; where a
route works on one tenant's data (an article, an author, thresholds) it names
the tenant with ``?tenant=`` and otherwise acts in the default tenant.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import marshmallow as ma
from flask import request

from core.tenants import ALL_TENANTS, DEFAULT_TENANT, TENANT_PATTERN, is_tenant, may_see, tenant_of
from service.auth import current_key
from service.errors import ApiError
from storage.api_keys import ApiKey
from storage.moderation import Moderator

TENANT_DESCRIPTION = (
    "The tenant (title) to act in. All-tenants keys ('*'): any tenant (default: 'default'). "
    "Other keys act in their own tenant; naming another answers 404 tenant_not_found."
)


class TenantQuerySchema(ma.Schema):
    tenant = ma.fields.String(validate=ma.validate.Regexp(f"^{TENANT_PATTERN}$"), load_default=None,
                              metadata={"description": TENANT_DESCRIPTION})


def key() -> ApiKey:
    found = current_key()
    if found is None:  # the auth hook guarantees a key; this keeps the type checker honest
        raise ApiError(401, "unauthorized", "Authentication required.")
    return found


def requested_tenant() -> str | None:
    """The ``?tenant=`` of the request, if any (422 when it is not a tenant id)."""
    value = request.args.get("tenant")
    if value is None or value == "":
        return None
    if not is_tenant(value):
        raise ApiError(422, "invalid_tenant", f"A tenant is {TENANT_PATTERN}.",
                       {"tenant": value[:100]})
    return value


def tenant_not_found(tenant: str) -> ApiError:
    return ApiError(404, "tenant_not_found", f"No tenant {tenant!r} for this key.")


def acting_tenant() -> str:
    """The one tenant the request reads or writes: the key's own, or for an all-tenants
    key the requested one (default: the default tenant)."""
    own = key().tenant
    asked = requested_tenant()
    if own == ALL_TENANTS:
        return asked or DEFAULT_TENANT
    if asked is not None and asked != own:
        raise tenant_not_found(asked)
    return own


def viewing_tenant() -> str | None:
    """The tenant a listing over tenants shows (the review queue): the key's own, the
    requested one for an all-tenants key, or None for every tenant."""
    own = key().tenant
    asked = requested_tenant()
    if own == ALL_TENANTS:
        return asked
    if asked is not None and asked != own:
        raise tenant_not_found(asked)
    return own


def can_see(record: dict[str, Any] | None) -> bool:
    """Whether the calling key may read this record: the one per-comment check of the single
    and the batch read (another tenant's comment reads as one that does not exist)."""
    return record is not None and may_see(key().tenant, tenant_of(record))


def moderator() -> Moderator:
    """The calling key as the moderator it acts as (identity: the key id)."""
    found = key()
    return Moderator(key_id=found.id, name=found.name, tenant=found.tenant)


def all_tenants_only(view: Callable) -> Callable:
    """For routes whose effect reaches every tenant (model versions): an all-tenants key only."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        if key().tenant != ALL_TENANTS:
            raise ApiError(403, "all_tenants_required",
                           "This acts for every tenant: it needs an all-tenants key "
                           "(moderation keys create --tenant '*').")
        return view(*args, **kwargs)

    return wrapper
