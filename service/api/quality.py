"""Live quality figures (admins) and the spot-check rate per tenant.

``GET /v1/quality`` adds up the day-by-day counters of storage/quality.py: spot
checks and the estimated miss rate of auto-approval, precision of holds per
category, overturn rate, holds per 1,000 comments, median time to decision; in
total, per model version and per day. An admin sees its own tenant's; an
all-tenants admin every tenant's summed, or one tenant's with ``?tenant=``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from core.tenants import ALL_TENANTS, TENANT_PATTERN
from service import tenancy
from service.auth import require as require_role
from service.errors import ApiError
from service.runtime import Runtime
from service.tenancy import TENANT_DESCRIPTION, TenantQuerySchema
from storage.quality import MAX_DAYS, QualityStore, report

blp = Blueprint("quality", __name__, url_prefix="/v1",
                description="Admins: live quality figures (spot checks, precision of holds, "
                            "overturns, time to decision) and the spot-check rate.")

DEFAULT_DAYS = 30


def runtime() -> Runtime:
    return current_app.extensions["moderation"]


class QualityQuerySchema(ma.Schema):
    tenant = ma.fields.String(validate=validate.Regexp(f"^{TENANT_PATTERN}$"), load_default=None,
                              metadata={"description": TENANT_DESCRIPTION + " All-tenants keys "
                                        "without it: every tenant's figures summed."})
    from_ = ma.fields.Date(data_key="from", load_default=None,
                           metadata={"description": "First UTC day (YYYY-MM-DD) of the model's "
                                                    "decisions counted; default: 29 days before "
                                                    "`to`."})
    to = ma.fields.Date(load_default=None,
                        metadata={"description": "Last UTC day counted (default: today)."})


class SpotChecksSchema(ma.Schema):
    sampled = ma.fields.Integer(metadata={"description": "Approved comments drawn for a check"})
    expected = ma.fields.Float(metadata={"description": "Sum of inclusion probabilities over "
                                                        "approved comments (the expected draw)"})
    checked = ma.fields.Integer(metadata={"description": "Spot checks a moderator answered"})
    missed = ma.fields.Integer(metadata={"description": "Answered 'reject': should have been held"})
    miss_rate = ma.fields.Float(allow_none=True, metadata={
        "description": "Estimated share of auto-approved comments that should have been held "
                       "(Hajek estimator, each check weighted by 1/its inclusion probability)"})
    interval = ma.fields.List(ma.fields.Float(), allow_none=True, metadata={
        "description": "95 % interval [low, high] (Wilson, on the effective sample size)"})
    effective_n = ma.fields.Float(metadata={"description": "Kish effective sample size"})
    missed_by_reason = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())


class CategorySchema(ma.Schema):
    holds = ma.fields.Integer(metadata={"description": "Comments the model held for it"})
    reviewed = ma.fields.Integer(metadata={"description": "Of those, decided by a moderator"})
    confirmed = ma.fields.Integer(metadata={"description": "Of those, rejected (hold confirmed)"})
    precision = ma.fields.Float(allow_none=True, metadata={"description": "confirmed / reviewed"})


class TimesSchema(ma.Schema):
    model_median_seconds = ma.fields.Float(allow_none=True, metadata={
        "description": "Posting to the model's decision"})
    people_median_seconds = ma.fields.Float(allow_none=True, metadata={
        "description": "Posting to a moderator's decision of a held comment"})


class FiguresSchema(ma.Schema):
    comments = ma.fields.Integer(metadata={"description": "Comments the model decided"})
    approved = ma.fields.Integer()
    held = ma.fields.Integer()
    rejected = ma.fields.Integer()
    holds_per_1000 = ma.fields.Float(allow_none=True)
    spot_checks = ma.fields.Nested(SpotChecksSchema)
    categories = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(CategorySchema))
    reviewed = ma.fields.Integer(metadata={"description": "Model decisions a moderator then "
                                                          "decided (holds, rejections, spot checks)"})
    overturned = ma.fields.Integer(metadata={"description": "Of those, decided the other way"})
    overturn_rate = ma.fields.Float(allow_none=True)
    time_to_decision = ma.fields.Nested(TimesSchema)


class DaySchema(FiguresSchema):
    day = ma.fields.String()


class QualitySchema(FiguresSchema):
    tenant = ma.fields.String(metadata={"description": "The tenant, or '*' for all summed"})
    from_ = ma.fields.String(data_key="from")
    to = ma.fields.String()
    by_version = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(FiguresSchema),
                                metadata={"description": "The same figures per model version"})
    daily = ma.fields.List(ma.fields.Nested(DaySchema), metadata={
        "description": "The same figures per UTC day, oldest first"})


def quality_range(first: date | None, last: date | None) -> tuple[date, date]:
    """The days asked for (422 when backwards or longer than MAX_DAYS)."""
    last = last or datetime.now(UTC).date()
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ApiError(422, "invalid_range", "`from` is after `to`.",
                       {"from": first.isoformat(), "to": last.isoformat()})
    if (last - first).days + 1 > MAX_DAYS:
        raise ApiError(422, "invalid_range", f"A range is at most {MAX_DAYS} days.",
                       {"from": first.isoformat(), "to": last.isoformat()})
    return first, last


def quality_report(tenant: str, first: date, last: date) -> dict[str, Any]:
    rt = runtime()
    return report(QualityStore(rt.redis, rt.keys), tenant, first, last)


@blp.route("/quality")
class Quality(MethodView):
    @require_role("admin")
    @blp.arguments(QualityQuerySchema, location="query")
    @blp.response(200, QualitySchema)
    def get(self, query: dict):
        """Live quality figures over a range of days: the spot-checked miss rate of
        auto-approval with its 95 % interval, precision of holds per category, overturn
        rate, holds per 1,000 comments, median time to decision (model and people); in
        total, per model version and per day. Counted on the day of the model's decision."""
        first, last = quality_range(query.get("from_"), query.get("to"))
        tenant = tenancy.viewing_tenant() or ALL_TENANTS
        return quality_report(tenant, first, last)


class SpotCheckPolicyInSchema(ma.Schema):
    rate = ma.fields.Float(required=True, allow_none=True,
                           validate=validate.Range(min=0.0, max=1.0),
                           metadata={"description": "Share of auto-approved comments spot-checked "
                                                    "far from a threshold (near thresholds more, "
                                                    "SPOT_CHECK_NEAR_*); null: back to "
                                                    "SPOT_CHECK_RATE"})


class SpotCheckAuditSchema(ma.Schema):
    at = ma.fields.DateTime()
    by = ma.fields.String()
    key_id = ma.fields.String(allow_none=True)
    old = ma.fields.Float(allow_none=True)
    new = ma.fields.Float(allow_none=True)


class SpotCheckPolicySchema(ma.Schema):
    tenant = ma.fields.String()
    rate = ma.fields.Float(metadata={"description": "The rate in force"})
    source = ma.fields.String(metadata={"description": "tenant (set here) or environment"})
    near_band = ma.fields.Float()
    near_factor = ma.fields.Float()
    audit = ma.fields.List(ma.fields.Nested(SpotCheckAuditSchema))


def _spot_policy(tenant: str) -> dict[str, Any]:
    rt = runtime()
    store = QualityStore(rt.redis, rt.keys)
    own = store.rate_override(tenant)
    audit = [{**e, "at": datetime.fromtimestamp(e["at"], UTC)} for e in store.rate_audit(tenant)]
    return {"tenant": tenant, "rate": own if own is not None else rt.settings.spot_check_rate,
            "source": "tenant" if own is not None else "environment",
            "near_band": rt.settings.spot_check_near_band,
            "near_factor": rt.settings.spot_check_near_factor, "audit": audit}


@blp.route("/admin/policy/spot-checks")
class SpotCheckPolicy(MethodView):
    @require_role("admin")
    @blp.arguments(TenantQuerySchema, location="query")
    @blp.response(200, SpotCheckPolicySchema)
    def get(self, query: dict):
        """The spot-check rate in force for the tenant (an all-tenants admin names it with
        `tenant`; default: the default tenant), and recent changes."""
        return _spot_policy(tenancy.acting_tenant())

    @require_role("admin")
    @blp.arguments(TenantQuerySchema, location="query")
    @blp.arguments(SpotCheckPolicyInSchema)
    @blp.response(200, SpotCheckPolicySchema)
    def put(self, query: dict, body: dict):
        """Set the tenant's spot-check rate (0-1), or null to fall back to SPOT_CHECK_RATE.
        Workers read it once per batch; audited."""
        key = tenancy.key()
        tenant = tenancy.acting_tenant()
        rt = runtime()
        QualityStore(rt.redis, rt.keys).set_rate(tenant, body["rate"], by=f"admin:{key.name}",
                                                 key_id=key.id)
        return _spot_policy(tenant)
