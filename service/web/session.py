"""Who is signed in to the moderator page.

A moderator signs in once with their API key; the session cookie then holds
only the key's id (never the key). Every request reads the key again (role,
name, tenant), so revoking a key with `moderation keys revoke` also ends its
page sessions at once, and the page shows only what the key's tenant may see.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, session

from core.tenants import DEFAULT_TENANT
from service.auth import GRANTS
from storage import moderation

SESSION_KEY = "moderator"


@dataclass(frozen=True)
class Moderator:
    key_id: str
    name: str
    role: str
    tenant: str = DEFAULT_TENANT

    @property
    def identity(self) -> moderation.Moderator:
        """This moderator as claims and decisions know it: the key id, as on the API."""
        return moderation.Moderator(key_id=self.key_id, name=self.name, tenant=self.tenant)


def may_moderate(role: str) -> bool:
    return role in GRANTS["moderator"]


def sign_in(moderator: Moderator) -> None:
    # A fresh session on sign-in, so nothing set before it (a planted cookie) survives.
    session.clear()
    session.permanent = True
    session[SESSION_KEY] = {"id": moderator.key_id}


def sign_out() -> None:
    session.clear()


def current() -> Moderator | None:
    """The signed-in moderator, or None (no session, or the key was revoked or demoted)."""
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
        return None
    key = current_app.extensions["moderation"].api_keys.get(data["id"])
    if key is None or not may_moderate(key.role):
        session.clear()
        return None
    return Moderator(key_id=key.id, name=key.name, role=key.role, tenant=key.tenant)
