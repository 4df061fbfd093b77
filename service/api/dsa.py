"""The EU Digital Services Act's routes: notices (Art. 16), appeals (Art. 20), the title's
options and statement templates (Art. 17), and the transparency report (Art. 15/24).

Sites file notices and appeals on behalf of readers and authors and read their outcome
(also sent as signed webhook events); moderators decide them from the queue's ``notice``
and ``appeal`` categories; admins set the options and read the report. Everything is
scoped to the key's tenant: another tenant's notice, appeal or comment is not found.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import marshmallow as ma
from flask import Response, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from service import tenancy
from service.api.moderation import already_decided, claimed_by_other, not_found
from service.auth import require
from service.dsa import decide_appeal, decide_notice, dsa_store
from service.errors import ApiError, ErrorSchema
from service.schemas import ID_PATTERN
from service.tenancy import TenantQuerySchema
from storage.dsa import (
    APPEAL_OUTCOMES,
    MAX_TEXT,
    NOTICE_ACTIONS,
    TEMPLATE_CATEGORIES,
    NotFound,
    NoticeError,
)
from storage.moderation import (
    MAX_NOTE_CHARS,
    REASON_CODES,
    ClaimConflict,
    DecisionConflict,
    ReviewPending,
)
from storage.moderation import NotFound as CommentNotFound

blp = Blueprint("dsa", __name__, url_prefix="/v1",
                description="EU Digital Services Act: notices of illegal content, appeals, "
                            "statements of reasons and the transparency report.")

# A year and a bit: the report is yearly (Art. 15/24).
MAX_REPORT_DAYS = 400
_REF = validate.Regexp(r"^[a-z]{3}_[0-9a-f]{20}$")


def _iso(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, UTC) if ts is not None else None


def _error(exc: NoticeError) -> ApiError:
    return ApiError(exc.status, exc.code, str(exc), exc.details)


def _decision_errors(exc: Exception) -> ApiError:
    if isinstance(exc, ClaimConflict):
        return claimed_by_other(exc)
    if isinstance(exc, DecisionConflict):
        return already_decided(exc)
    if isinstance(exc, ReviewPending):
        return review_pending(exc)
    raise exc


def review_pending(exc: ReviewPending) -> ApiError:
    return ApiError(409, f"{exc.category}_pending",
                    f"The comment waits under an open {exc.category}: decide it through "
                    f"/v1/{exc.category}s/{{id}}/decision, which tells the "
                    f"{'notifier' if exc.category == 'notice' else 'author'} the outcome.",
                    {"category": exc.category})


# Schemas ----------------------------------------------------------------------------------------
class NotifierSchema(ma.Schema):
    name = ma.fields.String(validate=validate.Length(max=200), load_default=None, allow_none=True)
    email = ma.fields.Email(validate=validate.Length(max=320), load_default=None, allow_none=True)


class NoticeInSchema(ma.Schema):
    law = ma.fields.String(required=True, validate=validate.Regexp(r"^[\w.:/()§ -]{1,120}$"),
                           metadata={"description": "The law the comment is said to break, as a "
                                                    "short label ('UK Sexual Offences (Amendment) "
                                                    "Act 1992 s.1', 'defamation'): the report "
                                                    "counts notices by it."})
    explanation = ma.fields.String(required=True, validate=validate.Length(min=1, max=MAX_TEXT),
                                   metadata={"description": "Why the notifier thinks it illegal."})
    notifier = ma.fields.Nested(NotifierSchema, load_default=None, allow_none=True, metadata={
        "description": "Optional contact (personal data: kept RETENTION_DAYS, erasable)."})
    good_faith = ma.fields.Boolean(load_default=True, metadata={
        "description": "The notifier's statement that the notice is accurate and complete."})


class NoticeSchema(ma.Schema):
    id = ma.fields.String(required=True, metadata={"description": "The notice's reference."})
    tenant = ma.fields.String(required=True)
    comment_id = ma.fields.String(required=True)
    law = ma.fields.String(required=True)
    explanation = ma.fields.String(allow_none=True)
    notifier_name = ma.fields.String(allow_none=True)
    notifier_email = ma.fields.String(allow_none=True)
    good_faith = ma.fields.Boolean()
    received_at = ma.fields.DateTime(required=True)
    status = ma.fields.String(required=True, metadata={"description": "open or decided"})
    decision = ma.fields.String(allow_none=True, metadata={"description": "illegal or not_illegal"})
    legal_ground = ma.fields.String(allow_none=True)
    decision_explanation = ma.fields.String(allow_none=True)
    action_taken = ma.fields.String(allow_none=True,
                                    metadata={"description": "removed, kept or published"})
    comment_status = ma.fields.String(allow_none=True)
    decided_at = ma.fields.DateTime(allow_none=True)
    decided_by = ma.fields.String(allow_none=True)
    automated = ma.fields.Boolean(metadata={"description": "Always false: people decide notices."})


class NoticeDecisionInSchema(ma.Schema):
    illegal = ma.fields.Boolean(required=True)
    legal_ground = ma.fields.String(validate=validate.Length(min=1, max=300), load_default=None,
                                    metadata={"description": "Required when illegal."})
    explanation = ma.fields.String(required=True,
                                   validate=validate.Length(min=1, max=MAX_NOTE_CHARS))
    action = ma.fields.String(validate=validate.OneOf(NOTICE_ACTIONS), load_default=None,
                              metadata={"description": "reject (take down; the only choice when "
                                                       "illegal), keep (the default otherwise) or "
                                                       "approve (publish a held comment)."})
    reason_code = ma.fields.String(validate=validate.OneOf(REASON_CODES), load_default=None,
                                   metadata={"description": "The house rule of a rejection that "
                                                            "is not for illegality."})


class NotifierErasureInSchema(ma.Schema):
    email = ma.fields.Email(required=True)


class ErasedSchema(ma.Schema):
    erased = ma.fields.Integer(required=True)


class AppealInSchema(ma.Schema):
    author_id = ma.fields.String(required=True, validate=validate.Regexp(ID_PATTERN), metadata={
        "description": "The author appealing (the site's id): must be the comment's author."})
    statement = ma.fields.String(validate=validate.Length(max=MAX_TEXT), load_default=None)


class AppealSchema(ma.Schema):
    id = ma.fields.String(required=True)
    tenant = ma.fields.String(required=True)
    comment_id = ma.fields.String(required=True)
    statement = ma.fields.String(allow_none=True)
    filed_at = ma.fields.DateTime(required=True)
    status = ma.fields.String(required=True, metadata={"description": "open or decided"})
    original_status = ma.fields.String(allow_none=True)
    original_decided_by = ma.fields.String(allow_none=True)
    original_decided_at = ma.fields.DateTime(allow_none=True)
    outcome = ma.fields.String(allow_none=True, metadata={"description": "uphold or reverse"})
    decision_explanation = ma.fields.String(allow_none=True)
    comment_status = ma.fields.String(allow_none=True)
    decided_at = ma.fields.DateTime(allow_none=True)
    decided_by = ma.fields.String(allow_none=True)


class AppealDecisionInSchema(ma.Schema):
    outcome = ma.fields.String(required=True, validate=validate.OneOf(APPEAL_OUTCOMES))
    explanation = ma.fields.String(required=True,
                                   validate=validate.Length(min=1, max=MAX_NOTE_CHARS))


class DsaOptionsSchema(ma.Schema):
    appeals_enabled = ma.fields.Boolean()
    appeal_window_days = ma.fields.Integer(validate=validate.Range(min=183, max=3650), metadata={
        "description": "At least six months (Art. 20(1))."})
    appeal_route = ma.fields.String(validate=validate.Length(max=1000))
    out_of_court = ma.fields.String(validate=validate.Length(max=1000))
    judicial_redress = ma.fields.String(validate=validate.Length(max=1000))


class DsaSettingsSchema(ma.Schema):
    tenant = ma.fields.String()
    options = ma.fields.Nested(DsaOptionsSchema, required=True)
    templates = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(), required=True)


class DsaSettingsInSchema(ma.Schema):
    options = ma.fields.Nested(DsaOptionsSchema, load_default=dict)
    templates = ma.fields.Dict(
        keys=ma.fields.String(validate=validate.OneOf(TEMPLATE_CATEGORIES)),
        values=ma.fields.String(validate=validate.Length(min=1, max=1000), allow_none=True),
        load_default=dict,
        metadata={"description": "Category -> author-facing explanation ({ground} and "
                                 "{category} are filled in); null restores the default."})


class TransparencyQuerySchema(TenantQuerySchema):
    from_ = ma.fields.Date(data_key="from", load_default=None,
                           metadata={"description": "First UTC day (default: 30 days ago)."})
    to = ma.fields.Date(load_default=None, metadata={"description": "Last UTC day (default: today)."})
    format = ma.fields.String(validate=validate.OneOf(("json", "csv")), load_default=None)


# Presenting -------------------------------------------------------------------------------------
def present_notice(notice: dict[str, Any]) -> dict[str, Any]:
    return {**notice, "received_at": _iso(notice["received"]), "decided_at": _iso(notice["decided"]),
            "automated": False}


def present_appeal(appeal: dict[str, Any]) -> dict[str, Any]:
    return {**appeal, "filed_at": _iso(appeal["filed"]), "decided_at": _iso(appeal["decided"]),
            "original_decided_at": _iso(appeal["original_decided"])}


def _visible(record: dict[str, Any] | None, what: str, ref: str) -> dict[str, Any]:
    if not tenancy.can_see(record):
        raise ApiError(404, f"{what}_not_found", f"No {what} with id {ref!r}.")
    return record  # type: ignore[return-value]


# Views ------------------------------------------------------------------------------------------
@blp.route("/comments/<comment_id>/notices")
class Notices(MethodView):
    @require("site")
    @blp.arguments(NoticeInSchema)
    @blp.response(201, NoticeSchema, headers={"Location": {"schema": {"type": "string"}}})
    @blp.alt_response(404, schema=ErrorSchema, description="No such comment in the key's tenant.")
    @blp.alt_response(409, schema=ErrorSchema,
                      description="`comment_pending`: not decided yet (nothing published).")
    @blp.alt_response(429, schema=ErrorSchema,
                      description="`notice_limit_reached` (MAX_NOTICES_PER_COMMENT) or "
                                  "`rate_limited` (RATE_LIMIT_NOTICES).")
    def post(self, body: dict, comment_id: str):
        """A reader's notice that a comment is illegal (Art. 16 DSA), sent by the site.

        Queues the comment for moderators under the category `notice` (a published
        comment stays published until they decide). Returns the notice's reference: its
        outcome is at `GET /v1/notices/{id}` and comes as a `notice.decided` webhook event.
        """
        notifier = body.get("notifier") or {}
        try:
            notice = dsa_store().file_notice(
                comment_id, tenant=tenancy.acting_tenant(), law=body["law"],
                explanation=body["explanation"], notifier_name=notifier.get("name"),
                notifier_email=notifier.get("email"), good_faith=body["good_faith"])
        except NotFound as exc:
            raise not_found(comment_id) from exc
        except NoticeError as exc:
            raise _error(exc) from exc
        location = url_for("dsa.Notice", notice_id=notice["id"])
        return present_notice(notice), 201, {"Location": location}


@blp.route("/notices/<notice_id>")
class Notice(MethodView):
    @require("site", "moderator")
    @blp.response(200, NoticeSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such notice in the key's tenant.")
    def get(self, notice_id: str):
        """A notice and, once decided, its outcome: what the site tells the notifier."""
        notice = _visible(dsa_store().notice(notice_id), "notice", notice_id)
        return present_notice(notice)


@blp.route("/notices/<notice_id>/decision")
class NoticeDecision(MethodView):
    @require("moderator")
    @blp.arguments(NoticeDecisionInSchema)
    @blp.response(200, NoticeSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such notice.")
    @blp.alt_response(409, schema=ErrorSchema, description="`notice_decided`, "
                      "`claimed_by_other`, `already_decided` or `appeal_pending`.")
    def post(self, body: dict, notice_id: str):
        """Decide the legality of the noticed comment, with the legal ground and an
        explanation. Illegal: the comment is taken down (rejected, reason `legal`). Every
        open notice of the comment gets the outcome; each notifier's site gets a
        `notice.decided` event, and the author's a `comment.decided` one with the statement
        of reasons when the comment's status changes."""
        try:
            notice = decide_notice(notice_id, moderator=tenancy.moderator(),
                                   illegal=body["illegal"], legal_ground=body["legal_ground"],
                                   explanation=body["explanation"], action=body["action"],
                                   reason_code=body["reason_code"])
        except NotFound as exc:
            raise ApiError(404, "notice_not_found", f"No notice with id {notice_id!r}.") from exc
        except CommentNotFound as exc:
            raise ApiError(404, "notice_not_found", f"No notice with id {notice_id!r}.") from exc
        except NoticeError as exc:
            raise _error(exc) from exc
        except (ClaimConflict, DecisionConflict, ReviewPending) as exc:
            raise _decision_errors(exc) from exc
        return present_notice(notice)


@blp.route("/notices/erasure")
class NotifierErasure(MethodView):
    @require("site")
    @blp.arguments(NotifierErasureInSchema)
    @blp.response(200, ErasedSchema)
    @blp.doc(parameters=[{"in": "query", "name": "tenant", "schema": {"type": "string"},
                          "description": tenancy.TENANT_DESCRIPTION}])
    def post(self, body: dict):
        """Erase a notifier's name and e-mail from every notice they sent this title."""
        return {"erased": dsa_store().erase_notifier(tenancy.acting_tenant(), body["email"])}


@blp.route("/comments/<comment_id>/appeals")
class Appeals(MethodView):
    @require("site")
    @blp.arguments(AppealInSchema)
    @blp.response(201, AppealSchema, headers={"Location": {"schema": {"type": "string"}}})
    @blp.alt_response(403, schema=ErrorSchema,
                      description="`appeals_disabled` (the title's option) or `not_the_author`.")
    @blp.alt_response(409, schema=ErrorSchema, description="`not_appealable` (not held or "
                      "rejected), `appeal_open`, `appeal_window_closed`.")
    def post(self, body: dict, comment_id: str):
        """The author appeals the hold or rejection of their comment (Art. 20 DSA), sent by the
        site: the comment joins the moderators' queue under `appeal`. The outcome is at
        `GET /v1/appeals/{id}` and comes as an `appeal.decided` webhook event."""
        try:
            appeal = dsa_store().file_appeal(comment_id, tenant=tenancy.acting_tenant(),
                                             statement=body["statement"],
                                             author_id=body["author_id"])
        except NotFound as exc:
            raise not_found(comment_id) from exc
        except NoticeError as exc:
            raise _error(exc) from exc
        return present_appeal(appeal), 201, {"Location": url_for("dsa.Appeal",
                                                                 appeal_id=appeal["id"])}


@blp.route("/appeals/<appeal_id>")
class Appeal(MethodView):
    @require("site", "moderator")
    @blp.response(200, AppealSchema)
    @blp.alt_response(404, schema=ErrorSchema, description="No such appeal in the key's tenant.")
    def get(self, appeal_id: str):
        """An appeal and, once decided, its outcome."""
        return present_appeal(_visible(dsa_store().appeal(appeal_id), "appeal", appeal_id))


@blp.route("/appeals/<appeal_id>/decision")
class AppealDecision(MethodView):
    @require("moderator")
    @blp.arguments(AppealDecisionInSchema)
    @blp.response(200, AppealSchema)
    @blp.alt_response(403, schema=ErrorSchema, description="`same_moderator`: you made the "
                      "decision under appeal.")
    @blp.alt_response(409, schema=ErrorSchema, description="`appeal_decided`, "
                      "`claimed_by_other`, `already_decided` or `notice_pending`.")
    def post(self, body: dict, appeal_id: str):
        """Uphold (the comment stays down, rejected) or reverse (it is published) an appeal.
        Only a moderator other than the one whose decision is appealed may decide it (any
        moderator, when the model decided). Both decisions stay in the comment's history;
        the site gets `comment.decided` and `appeal.decided` events."""
        try:
            appeal = decide_appeal(appeal_id, moderator=tenancy.moderator(),
                                   outcome=body["outcome"], explanation=body["explanation"])
        except (NotFound, CommentNotFound) as exc:
            raise ApiError(404, "appeal_not_found", f"No appeal with id {appeal_id!r}.") from exc
        except NoticeError as exc:
            raise _error(exc) from exc
        except (ClaimConflict, DecisionConflict, ReviewPending) as exc:
            raise _decision_errors(exc) from exc
        return present_appeal(appeal)


@blp.route("/admin/dsa")
class DsaSettingsView(MethodView):
    @require("admin")
    @blp.arguments(TenantQuerySchema, location="query")
    @blp.response(200, DsaSettingsSchema)
    def get(self, query: dict):
        """The title's DSA options and statement-of-reasons templates (defaults included)."""
        tenant = tenancy.acting_tenant()
        return {"tenant": tenant, **dsa_store().tenant_settings(tenant).as_dict()}

    @require("admin")
    @blp.arguments(TenantQuerySchema, location="query")
    @blp.arguments(DsaSettingsInSchema)
    @blp.response(200, DsaSettingsSchema)
    def put(self, query: dict, body: dict):
        """Change options (those not named keep their value) and templates (null: default)."""
        tenant = tenancy.acting_tenant()
        settings = dsa_store().update_settings(tenant, body["options"], body["templates"])
        return {"tenant": tenant, **settings.as_dict()}


@blp.route("/reports/transparency")
class Transparency(MethodView):
    @require("admin")
    @blp.arguments(TransparencyQuerySchema, location="query")
    @blp.response(200)
    @blp.alt_response(422, schema=ErrorSchema, description="`invalid_range`.")
    def get(self, query: dict):
        """The title's transparency report (Art. 15/24 DSA) for UTC days `from`..`to`: decisions
        by category, ground and automated or human; notices and what was done; appeals and
        their outcomes; median handling times. JSON, or CSV with `Accept: text/csv` or
        `format=csv`."""
        today = datetime.now(UTC).date()
        end: date = query["to"] or today
        start: date = query["from_"] or end - timedelta(days=30)
        if start > end or (end - start).days >= MAX_REPORT_DAYS:
            raise ApiError(422, "invalid_range", f"`from` must not be after `to`, and a report "
                           f"covers at most {MAX_REPORT_DAYS} days.")
        report = dsa_store().report(tenancy.acting_tenant(), start, end)
        wants_csv = query["format"] == "csv" or (
            query["format"] is None
            and request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv")
        if wants_csv:
            return Response(_csv(report), mimetype="text/csv", headers={
                "Content-Disposition": f"attachment; filename=transparency-{report['tenant']}-"
                                       f"{start.isoformat()}-{end.isoformat()}.csv"})
        return report


def _csv(report: dict[str, Any]) -> str:
    """One row per figure: section, item, detail, method, value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["tenant", "from", "to", "section", "item", "detail", "method", "value"])
    head = [report["tenant"], report["from"], report["to"]]
    for d in report["decisions"]:
        writer.writerow([*head, "decisions", d["status"], d["category"], d["method"], d["count"]])
    for section in ("notices", "appeals"):
        data = report[section]
        writer.writerow([*head, section, "received", "", "", data["received"]])
        for group in ("by_law", "decided", "actions", "outcomes"):
            for name, value in (data.get(group) or {}).items():
                writer.writerow([*head, section, group, name, "human", value])
        median = data["median_handling_seconds"]
        writer.writerow([*head, section, "median_handling_seconds", "", "",
                         "" if median is None else median])
    return out.getvalue()

