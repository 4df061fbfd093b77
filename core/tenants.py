"""Tenants: the titles (news sites) sharing one deployment.

A tenant id is a short slug. Data and keys from before tenants existed carry no
tenant and belong to ``DEFAULT_TENANT``, so a single-site deployment never
names one. Moderator and admin keys may hold ``ALL_TENANTS`` ("*"): they see
and act on every title.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

DEFAULT_TENANT = "default"
ALL_TENANTS = "*"
TENANT_PATTERN = r"[a-z0-9][a-z0-9_-]{0,62}"
_TENANT = re.compile(TENANT_PATTERN)


def is_tenant(value: object) -> bool:
    """True for a tenant id (a slug; never "*")."""
    return isinstance(value, str) and _TENANT.fullmatch(value) is not None


def check_tenant(value: str, *, allow_all: bool = False) -> str:
    """``value`` if it is a tenant id (or "*" when ``allow_all``); ValueError otherwise."""
    if allow_all and value == ALL_TENANTS:
        return value
    if not is_tenant(value):
        raise ValueError(f"a tenant is {TENANT_PATTERN} (lower-case letters, digits, '_' and '-')"
                         + (" or '*' for all tenants" if allow_all else ""))
    return value


def tenant_of(record: Mapping[str, Any] | None) -> str:
    """The tenant a stored record belongs to (records from before tenants: the default)."""
    value = (record or {}).get("tenant")
    return value if isinstance(value, str) and value else DEFAULT_TENANT


def may_see(key_tenant: str, tenant: str) -> bool:
    """Whether a key of ``key_tenant`` may read or act on data of ``tenant``."""
    return key_tenant == ALL_TENANTS or key_tenant == tenant
