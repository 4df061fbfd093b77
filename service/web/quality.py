"""``/moderate/quality``: the live quality figures over time, as charts, for editors.

Moderators and admins of a title see its figures; an all-tenants key every title's
summed, or one title's with ``?tenant=``. The figures are those of ``GET
/v1/quality`` (storage/quality.py), embedded in the page as JSON and drawn by the
page's own script with Chart.js, served from this app (the page needs no internet).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app, g, render_template, request

from core.tenants import ALL_TENANTS, is_tenant
from service.web import blp, login_required
from storage.quality import MAX_DAYS, QualityStore, report

DAY_CHOICES = (7, 30, 90, 365)
DEFAULT_DAYS = 30


def _days() -> int:
    try:
        days = int(request.args.get("days", DEFAULT_DAYS))
    except ValueError:
        return DEFAULT_DAYS
    return min(max(days, 1), MAX_DAYS)


def _tenant() -> str:
    """The moderator's title; an all-tenants moderator's chosen one, or all ('*')."""
    own = g.moderator.tenant
    if own != ALL_TENANTS:
        return own
    asked = (request.args.get("tenant") or "").strip()
    return asked if is_tenant(asked) else ALL_TENANTS


@blp.route("/quality", methods=["GET"])
@login_required
def quality():
    rt = current_app.extensions["moderation"]
    days = _days()
    last = datetime.now(UTC).date()
    first = last - timedelta(days=days - 1)
    tenant = _tenant()
    figures = report(QualityStore(rt.redis, rt.keys), tenant, first, last)
    return render_template("moderate/quality.html", figures=figures, days=days,
                           day_choices=DAY_CHOICES, tenant=tenant,
                           all_tenants=g.moderator.tenant == ALL_TENANTS)
