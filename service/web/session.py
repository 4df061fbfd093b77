"""Who is signed in to the moderator page.

A moderator signs in once with their API key; the session cookie then holds
only the key's id, name and role (never the key). Every request re-checks that
the key still exists with a moderating role, so revoking a key with
`moderation keys revoke` also ends its page sessions at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, session

from service.auth import GRANTS

SESSION_KEY = "moderator"


@dataclass(frozen=True)
class Moderator:
    key_id: str
    name: str
    role: str

    @property
    def identity(self) -> str:
        """How decisions and claims name this moderator (the same as the API's bearer keys)."""
        return self.name


def may_moderate(role: str) -> bool:
    return role in GRANTS["moderator"]


def sign_in(moderator: Moderator) -> None:
    # A fresh session on sign-in, so nothing set before it (a planted cookie) survives.
    session.clear()
    session.permanent = True
    session[SESSION_KEY] = {"id": moderator.key_id, "name": moderator.name, "role": moderator.role}


def sign_out() -> None:
    session.clear()


def current() -> Moderator | None:
    """The signed-in moderator, or None (no session, or the key was revoked or demoted)."""
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict) or not data.get("id"):
        return None
    rt = current_app.extensions["moderation"]
    digest = rt.redis.hget(rt.keys.api_keys, data["id"])
    role = rt.redis.hget(rt.keys.api_key(digest.decode()), "role") if digest else None
    if role is None or not may_moderate(role.decode()):
        session.clear()
        return None
    return Moderator(key_id=data["id"], name=str(data.get("name", "")), role=role.decode())
