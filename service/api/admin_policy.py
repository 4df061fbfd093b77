"""Hold thresholds for admins: read the ones in force, override them, see who changed what.

Precedence (as workers apply it per batch, worker/policy.py): the tenant's own
override (set by an admin of that tenant, or an all-tenants admin naming it
with ``?tenant=``) > the all-tenants override (an all-tenants admin without
``?tenant=``) > the HOLD_THRESHOLD_* environment settings > the active model's
own calibrated thresholds.

Per-kind abuse thresholds (``abuse:threat``, ``abuse:profanity``...) follow the
same two override levels and have no default: unset, only the abuse threshold
holds for abuse.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from core.tenants import ALL_TENANTS
from model.attributes import KINDS
from model.categories import CATEGORIES
from service import tenancy
from service.auth import require as require_role
from service.runtime import Runtime
from service.tenancy import TenantQuerySchema
from storage.model_registry import UnknownVersion
from storage.thresholds import ThresholdStore, kind_threshold_name

blp = Blueprint("admin_policy", __name__, url_prefix="/v1/admin/policy",
                description="Admins: hold thresholds per category, audited.")


def runtime() -> Runtime:
    return current_app.extensions["moderation"]


KIND_THRESHOLDS = tuple(kind_threshold_name(k) for k in KINDS)


class PolicyInSchema(ma.Schema):
    thresholds = ma.fields.Dict(
        required=True,
        keys=ma.fields.String(validate=validate.OneOf((*CATEGORIES, *KIND_THRESHOLDS))),
        values=ma.fields.Float(allow_none=True, validate=validate.Range(min=0.0, max=1.0)),
        validate=validate.Length(min=1),
        metadata={"description": "Category -> hold threshold in [0, 1] (a comment is held when its "
                                 "probability reaches it); null removes the override. Categories "
                                 "not named keep their current value. Abuse kinds too, as "
                                 "abuse:<kind> (abuse:threat, abuse:insult, abuse:profanity, "
                                 "abuse:identity_attack, abuse:severe_toxicity, "
                                 "abuse:sexually_explicit): held when the kind's score reaches "
                                 "it, whatever the abuse score."},
    )


class AuditEventSchema(ma.Schema):
    at = ma.fields.DateTime()
    by = ma.fields.String()
    key_id = ma.fields.String(allow_none=True)
    tenant = ma.fields.String(allow_none=True)
    old = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float())
    new = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float())


class PolicySchema(ma.Schema):
    tenant = ma.fields.String(allow_none=True, metadata={
        "description": "The tenant these are the thresholds of; null: every tenant's common ones."})
    thresholds = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float(), required=True,
                                metadata={"description": "The thresholds in force per category"})
    sources = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(), required=True,
                             metadata={"description": "Where each comes from: tenant (its own "
                                                      "override), admin (all tenants' override), "
                                                      "environment or model"})
    overrides = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float(), required=True,
                               metadata={"description": "The overrides a PUT here changes: the "
                                                        "tenant's own, or with tenant null the "
                                                        "all-tenants ones"})
    global_overrides = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float(),
                                      metadata={"description": "All tenants' overrides (under a "
                                                               "tenant's own)"})
    model_version = ma.fields.String(allow_none=True)
    model_thresholds = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float())
    audit = ma.fields.List(ma.fields.Nested(AuditEventSchema), required=True,
                           metadata={"description": "Recent changes, newest first"})


def _scope() -> str | None:
    """Whose thresholds: the admin's tenant; an all-tenants admin's named tenant, or None
    (the overrides common to every tenant)."""
    if tenancy.key().tenant == ALL_TENANTS:
        return tenancy.requested_tenant()
    return tenancy.acting_tenant()


def _policy(tenant: str | None) -> dict[str, Any]:
    rt = runtime()
    store = ThresholdStore(rt.redis, rt.keys)
    version = rt.models.active_version()
    model_thresholds: dict[str, float] = {}
    if version:
        try:
            model_thresholds = rt.models.meta(version).get("thresholds") or {}
        except UnknownVersion:
            pass
    env = {"abuse": rt.settings.hold_threshold_abuse,
           "victim_identification": rt.settings.hold_threshold_victim_identification}
    common = store.overrides()
    own = store.overrides(tenant) if tenant is not None else {}
    thresholds: dict[str, float] = {}
    sources: dict[str, str] = {}
    for category in CATEGORIES:
        if category in own:
            thresholds[category], sources[category] = own[category], "tenant"
        elif category in common:
            thresholds[category], sources[category] = common[category], "admin"
        elif env.get(category, -1) >= 0:
            thresholds[category], sources[category] = env[category], "environment"
        elif category in model_thresholds:
            thresholds[category], sources[category] = model_thresholds[category], "model"
    for name in KIND_THRESHOLDS:  # no default: listed only when set
        if name in own:
            thresholds[name], sources[name] = own[name], "tenant"
        elif name in common:
            thresholds[name], sources[name] = common[name], "admin"
    audit = [
        {**e, "at": datetime.fromtimestamp(e["at"], UTC)} for e in store.audit(20, tenant)
    ]
    return {"tenant": tenant, "thresholds": thresholds, "sources": sources,
            "overrides": own if tenant is not None else common, "global_overrides": common,
            "model_version": version, "model_thresholds": model_thresholds, "audit": audit}


@blp.route("")
class Policy(MethodView):
    @require_role("admin")
    @blp.arguments(TenantQuerySchema, location="query")
    @blp.response(200, PolicySchema)
    def get(self, query: dict):
        """The hold thresholds in force for the admin's tenant (an all-tenants admin: those
        common to every tenant, or one tenant's with `tenant`), where each comes from, and
        recent changes."""
        return _policy(_scope())

    @require_role("admin")
    @blp.arguments(TenantQuerySchema, location="query")
    @blp.arguments(PolicyInSchema)
    @blp.response(200, PolicySchema)
    def put(self, query: dict, body: dict):
        """Override hold thresholds (0-1) per category, or clear an override with null.

        A tenant's admin sets its tenant's own thresholds (other tenants keep
        theirs); an all-tenants admin sets those common to every tenant, or one
        tenant's with `tenant`. Applies to comments scored after the change
        (workers read thresholds once per batch); comments already decided keep
        their decision. Every change is audited with who made it and the old and
        new values.
        """
        rt = runtime()
        key = tenancy.key()
        tenant = _scope()
        ThresholdStore(rt.redis, rt.keys).update(body["thresholds"], by=f"admin:{key.name}",
                                                 key_id=key.id, tenant=tenant)
        return _policy(tenant)
