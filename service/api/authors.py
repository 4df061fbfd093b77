"""Authors for moderators: history beside a held comment, and bans."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from service import present, tenancy
from service.auth import require
from service.errors import ApiError
from service.schemas import ID_PATTERN, CommentSchema
from service.tenancy import TenantQuerySchema
from storage.authors import AuthorStore

blp = Blueprint("authors", __name__, url_prefix="/v1/authors",
                description="Moderators: an author's history, pre-moderation state and bans. "
                            "Author ids are each site's own: an author is one tenant's.")

_ID = re.compile(ID_PATTERN)
RECENT_COMMENTS = 10


def authors() -> AuthorStore:
    rt = current_app.extensions["moderation"]
    return AuthorStore(rt.redis, rt.keys, rt.settings)


def _iso(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, UTC) if ts is not None else None


def _checked(author_id: str) -> str:
    if not _ID.match(author_id):
        raise ApiError(422, "invalid_author_id", "Not a valid author id.", {"author_id": author_id})
    return author_id


def profile(tenant: str, author_id: str) -> dict[str, Any]:
    rt = current_app.extensions["moderation"]
    store = authors()
    data = store.profile(tenant, author_id, RECENT_COMMENTS)
    records = [r for r in rt.comments.get_many(data.pop("recent_comment_ids")) if r is not None]
    ban = data["ban"]
    return {
        **data,
        "ban": {**ban, "at": _iso(ban["at"])} if ban else None,
        "recent_comments": [present.comment(r) for r in records],
        "audit": [{**e, "at": _iso(e.get("at"))} for e in store.audit(tenant, author_id)],
    }


class AuthorCountsSchema(ma.Schema):
    posted = ma.fields.Integer(required=True, metadata={"description": "Comments scored so far."})
    held = ma.fields.Integer(required=True, metadata={"description": "Ever held for review."})
    approved = ma.fields.Integer(required=True, metadata={"description": "Currently approved."})
    rejected = ma.fields.Integer(required=True, metadata={"description": "Currently rejected."})


class AuthorBanSchema(ma.Schema):
    reason = ma.fields.String(allow_none=True)
    by = ma.fields.String(allow_none=True)
    at = ma.fields.DateTime(allow_none=True)


class AuthorAuditEventSchema(ma.Schema):
    event = ma.fields.String(required=True, metadata={"description": "banned or unbanned"})
    by = ma.fields.String(required=True, metadata={"description": "moderator:<key id>"})
    by_name = ma.fields.String(allow_none=True, metadata={"description": "The key's name."})
    reason = ma.fields.String(required=True)
    at = ma.fields.DateTime(required=True)


class AuthorProfileSchema(ma.Schema):
    id = ma.fields.String(required=True)
    tenant = ma.fields.String(required=True, metadata={"description": "The title the author is of."})
    counts = ma.fields.Nested(AuthorCountsSchema, required=True)
    banned = ma.fields.Boolean(required=True)
    ban = ma.fields.Nested(AuthorBanSchema, allow_none=True)
    premoderated = ma.fields.Boolean(
        required=True,
        metadata={"description": "Every new comment is held (reason author_history): the "
                                 "rejection rate over the recent window reached the threshold."})
    recent_decisions = ma.fields.Integer(required=True,
                                         metadata={"description": "Moderator decisions in the window."})
    rejection_rate = ma.fields.Float(required=True)
    recent_comments = ma.fields.List(ma.fields.Nested(CommentSchema), required=True)
    audit = ma.fields.List(ma.fields.Nested(AuthorAuditEventSchema), required=True)


class BanInSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=500))



@blp.route("/<author_id>")
class Author(MethodView):
    @require("moderator")
    @blp.arguments(TenantQuerySchema, location="query")
    @blp.response(200, AuthorProfileSchema)
    def get(self, query: dict, author_id: str):
        """Counts of the author's comments, their latest comments, ban and pre-moderation state.

        An author the service has not seen has zero counts (not a 404): the id is the site's.
        """
        return profile(tenancy.acting_tenant(), _checked(author_id))


@blp.route("/<author_id>/ban")
class Ban(MethodView):
    @require("moderator")
    @blp.arguments(TenantQuerySchema, location="query")
    @blp.arguments(BanInSchema)
    @blp.response(200, AuthorProfileSchema)
    def post(self, query: dict, body: dict, author_id: str):
        """Ban an author of the tenant: their comments scored from now on are rejected
        (reason banned_author)."""
        tenant, who = tenancy.acting_tenant(), tenancy.moderator()
        authors().ban(tenant, _checked(author_id), by=who.by, by_name=who.name,
                      reason=body["reason"])
        return profile(tenant, author_id)

    @require("moderator")
    @blp.arguments(TenantQuerySchema, location="query")
    @blp.arguments(BanInSchema)
    @blp.response(200, AuthorProfileSchema)
    def delete(self, query: dict, body: dict, author_id: str):
        """Lift a ban (recorded with its reason; lifting no ban changes nothing)."""
        tenant, who = tenancy.acting_tenant(), tenancy.moderator()
        authors().unban(tenant, _checked(author_id), by=who.by, by_name=who.name,
                        reason=body["reason"])
        return profile(tenant, author_id)
