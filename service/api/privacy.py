"""Personal data: erase an author on request (admin)."""

from __future__ import annotations

import logging
import re

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from service import tenancy
from service.auth import require
from service.errors import ApiError
from service.schemas import ID_PATTERN
from service.tenancy import TenantQuerySchema
from storage.erasure import Eraser

log = logging.getLogger("service.privacy")

blp = Blueprint("privacy", __name__, url_prefix="/v1/authors",
                description="Admins: erase an author's personal data.")

_ID = re.compile(ID_PATTERN)


class ErasureSchema(ma.Schema):
    author_id = ma.fields.String(required=True)
    tenant = ma.fields.String(required=True, metadata={"description": "The title the author is of."})
    comments = ma.fields.Integer(required=True, metadata={
        "description": "The author's comments found (each keeps its id, status and decision)."})
    texts_erased = ma.fields.Integer(required=True)
    names_erased = ma.fields.Integer(required=True, metadata={
        "description": "Comments whose author name was erased."})
    history_events_redacted = ma.fields.Integer(required=True, metadata={
        "description": "History events that quoted the text or name, or carried a moderator's "
                       "note or a reader's report reason."})
    examples_deleted = ma.fields.Integer(required=True, metadata={
        "description": "Labelled training examples deleted."})
    pending_withdrawn = ma.fields.Integer(required=True, metadata={
        "description": "Comments still awaiting a decision, now rejected (reason author_erased)."})
    profile_fields_erased = ma.fields.Integer(required=True, metadata={
        "description": "Name, ban reason and audit reasons erased from the author's profile."})
    notice_texts_erased = ma.fields.Integer(required=True, metadata={
        "description": "Explanations of notices about the author's comments and the author's "
                       "appeal statements erased (DSA)."})


@blp.route("/<author_id>")
class AuthorData(MethodView):
    @require("admin")
    @blp.arguments(TenantQuerySchema, location="query")
    @blp.response(200, ErasureSchema)
    def delete(self, query: dict, author_id: str):
        """Erase the author's comment texts and names everywhere.

        Decisions, scores, counters and bans stay (the author id is the site's own
        reference); texts, names, evidence excerpts, moderators' notes, readers' report
        reasons and labelled examples go, from every comment stored under the author
        (posted here, through Perspective with `authorId`, or through Coral; pending
        ones are withdrawn). The author's comments are found through an index, so the
        request's work grows with the author's comments, not with the store. Repeating
        the call is harmless and reports zero texts. The author is the admin's tenant's
        (an all-tenants admin names the tenant with `tenant`).
        """
        if _ID.fullmatch(author_id) is None:
            raise ApiError(422, "invalid_author_id", "Not a valid author id.")
        rt = current_app.extensions["moderation"]
        key = tenancy.key()
        report = Eraser(rt.redis, rt.keys).erase_author(tenancy.acting_tenant(), author_id,
                                                        by=f"admin:{key.id}")
        log.info("author erased", extra={"comments": report.comments,
                                         "texts_erased": report.texts_erased, "key_id": key.id})
        return report.as_dict()
