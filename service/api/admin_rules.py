"""A tenant's rules for admins: repeat posts, links from new authors, new commenters, word lists.

Every rule is off until set. A tenant's admin sets its own tenant's rules; an
all-tenants admin names the tenant with ``?tenant=`` (default: ``default``).
Workers read the rules with each batch's policy (worker/policy.py), so a change
applies to comments scored after it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from service import tenancy
from service.auth import require as require_role
from service.tenancy import TenantQuerySchema
from storage.tenant_rules import MAX_WORD_CHARS, MAX_WORDS, RulesStore

blp = Blueprint("admin_rules", __name__, url_prefix="/v1/admin/policy/rules",
                description="Admins: a tenant's rules (repeats, links, new commenters, word lists).")

_WORD = ma.fields.String(validate=validate.Length(min=1, max=MAX_WORD_CHARS))


class RulesInSchema(ma.Schema):
    repeat_minutes = ma.fields.Float(
        validate=validate.Range(min=0, max=10080),
        metadata={"description": "Hold a comment near-identical to one the same author posted "
                                 "within this many minutes (reason `spam: repeated`). 0: off."})
    link_min_approved = ma.fields.Integer(
        strict=True, validate=validate.Range(min=0, max=10000),
        metadata={"description": "Hold comments with links from authors with fewer approved "
                                 "comments than this (reason `spam: link from a new author`). "
                                 "0: off."})
    new_author_comments = ma.fields.Integer(
        strict=True, validate=validate.Range(min=0, max=10000),
        metadata={"description": "Hold the first this-many comments of every author (reason "
                                 "`new_commenter`). 0: off."})
    banned_words = ma.fields.List(
        _WORD, validate=validate.Length(max=MAX_WORDS),
        metadata={"description": "Words or phrases that reject a comment (reason `banned_word`), "
                                 "matched as whole words through obfuscation. Replaces the list."})
    suspect_words = ma.fields.List(
        _WORD, validate=validate.Length(max=MAX_WORDS),
        metadata={"description": "Words or phrases that hold a comment (reason `suspect_word`). "
                                 "Replaces the list."})

    @ma.validates_schema
    def _not_empty(self, data: dict, **kwargs: Any) -> None:
        if not data:
            raise ma.ValidationError("Name at least one rule.")


class RulesAuditSchema(ma.Schema):
    at = ma.fields.DateTime()
    by = ma.fields.String()
    key_id = ma.fields.String(allow_none=True)
    changed = ma.fields.List(ma.fields.String())
    repeat_minutes = ma.fields.Float()
    link_min_approved = ma.fields.Integer()
    new_author_comments = ma.fields.Integer()
    banned_words = ma.fields.Integer(metadata={"description": "How many (never the words)."})
    suspect_words = ma.fields.Integer(metadata={"description": "How many (never the words)."})


class RulesSchema(ma.Schema):
    tenant = ma.fields.String(required=True)
    repeat_minutes = ma.fields.Float(required=True)
    link_min_approved = ma.fields.Integer(required=True)
    new_author_comments = ma.fields.Integer(required=True)
    banned_words = ma.fields.List(ma.fields.String(), required=True)
    suspect_words = ma.fields.List(ma.fields.String(), required=True)
    updated_at = ma.fields.DateTime(allow_none=True)
    updated_by = ma.fields.String(allow_none=True)
    audit = ma.fields.List(ma.fields.Nested(RulesAuditSchema), required=True,
                           metadata={"description": "Recent changes, newest first."})


def _store() -> RulesStore:
    rt = current_app.extensions["moderation"]
    return RulesStore(rt.redis, rt.keys)


def _iso(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, UTC) if ts is not None else None


def _present(tenant: str) -> dict[str, Any]:
    store = _store()
    rules = store.get(tenant).to_dict()
    return {**rules, "tenant": tenant, "updated_at": _iso(rules["updated_at"]),
            "audit": [{**e, "at": _iso(e["at"])} for e in store.audit(tenant)]}


@blp.route("")
class Rules(MethodView):
    @require_role("admin")
    @blp.arguments(TenantQuerySchema, location="query")
    @blp.response(200, RulesSchema)
    def get(self, query: dict):
        """The tenant's rules in force (0 or an empty list: off) and recent changes."""
        return _present(tenancy.acting_tenant())

    @require_role("admin")
    @blp.arguments(TenantQuerySchema, location="query")
    @blp.arguments(RulesInSchema)
    @blp.response(200, RulesSchema)
    def put(self, query: dict, body: dict):
        """Change the rules named in the body (the others keep their values); 0 or an empty
        list turns a rule off. Applies to comments scored after the change; audited with who
        made it (word lists as counts only)."""
        tenant = tenancy.acting_tenant()
        key = tenancy.key()
        _store().update(tenant, body, by=f"admin:{key.name}", key_id=key.id)
        return _present(tenant)
