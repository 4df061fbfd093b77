"""Per-article moderation policy: read by moderators, set by admins."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from service import tenancy
from service.auth import require
from service.errors import ApiError
from service.schemas import ID_PATTERN
from service.tenancy import TenantQuerySchema
from storage.article_policy import MAX_TERM_CHARS, MAX_TERMS, MODES, ArticlePolicy, ArticlePolicyStore

blp = Blueprint("article_policy", __name__, url_prefix="/v1/articles",
                description="Article policy: mode, sensitivity, protected terms, allowed names.")

_ID = re.compile(ID_PATTERN)


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ma.ValidationError("Must not be empty or only white space.")


def _encodable(value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ma.ValidationError("Must be valid Unicode text (no lone surrogates).") from exc


_TERM = ma.fields.String(validate=[validate.Length(min=1, max=MAX_TERM_CHARS), _not_blank, _encodable])


class ArticlePolicyInSchema(ma.Schema):
    mode = ma.fields.String(
        required=True, validate=validate.OneOf(MODES),
        metadata={"description": "auto: the model decides; premoderate: every comment is held; "
                                 "closed: every comment is rejected."})
    sensitive = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "Lower the victim-identification threshold (times "
                                 "SENSITIVE_VI_FACTOR): stories about sexual offences or children."})
    protected_terms = ma.fields.List(
        _TERM, load_default=list, validate=validate.Length(max=MAX_TERMS),
        metadata={"description": "Names or details that must never appear: a comment containing "
                                 "one is held (protected_term), matched ignoring case, accents "
                                 "and spacing."})
    allowed_names = ma.fields.List(
        _TERM, load_default=list, validate=validate.Length(max=MAX_TERMS),
        metadata={"description": "People who may be named (defendants named in court, officials): "
                                 "they do not count as victim identification."})


class ArticlePolicyOutSchema(ArticlePolicyInSchema):
    article_id = ma.fields.String(required=True)
    tenant = ma.fields.String(required=True, metadata={"description": "The title the article is of."})
    updated_at = ma.fields.DateTime(allow_none=True)
    updated_by = ma.fields.String(allow_none=True)


def _present(tenant: str, article_id: str, policy: ArticlePolicy) -> dict[str, Any]:
    data = policy.to_dict()
    at = data.pop("updated_at")
    return {**data, "article_id": article_id, "tenant": tenant,
            "updated_at": datetime.fromtimestamp(at, UTC) if at is not None else None}


def _checked(article_id: str) -> str:
    if not _ID.match(article_id):
        raise ApiError(422, "invalid_article_id", "Not a valid article id.")
    return article_id


def policies() -> ArticlePolicyStore:
    rt = current_app.extensions["moderation"]
    return ArticlePolicyStore(rt.redis, rt.keys)


@blp.route("/<article_id>/policy")
class Policy(MethodView):
    @require("moderator")
    @blp.arguments(TenantQuerySchema, location="query")
    @blp.response(200, ArticlePolicyOutSchema)
    def get(self, query: dict, article_id: str):
        """The article's policy (an article never configured has the defaults: auto, not sensitive).
        Article ids are each site's own: this is the key's tenant's article."""
        tenant = tenancy.acting_tenant()
        return _present(tenant, article_id, policies().get(tenant, _checked(article_id)))

    @require("admin")
    @blp.arguments(TenantQuerySchema, location="query")
    @blp.arguments(ArticlePolicyInSchema)
    @blp.response(200, ArticlePolicyOutSchema)
    def put(self, query: dict, body: dict, article_id: str):
        """Replace the article's policy. It applies to comments scored from now on."""
        tenant, key = tenancy.acting_tenant(), tenancy.key()
        policy = policies().put(
            tenant, _checked(article_id), mode=body["mode"], sensitive=body["sensitive"],
            protected_terms=body["protected_terms"], allowed_names=body["allowed_names"],
            by=f"admin:{key.id}", by_name=key.name,
        )
        return _present(tenant, article_id, policy)
