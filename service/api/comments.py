"""Posting comments and reading their decisions (site role)."""

from __future__ import annotations

from flask import g, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from core.metrics import COMMENTS_ACCEPTED
from service import present, rate_limits, tenancy, threads
from service.auth import require
from service.errors import ApiError, ErrorSchema
from service.runtime import Runtime
from service.schemas import (
    AcceptedSchema,
    BatchReadQuerySchema,
    CommentBatchSchema,
    CommentInSchema,
    CommentSchema,
)
from worker.queues import DRAIN_FLAG_TTL, schedule_drain

blp = Blueprint("comments", __name__, url_prefix="/v1/comments",
                description="Post reader comments and read the moderation decision.")


# Instances, not classes: webargs builds a schema given as a class anew for every request,
# a measurable share of a POST's CPU (bench/profiles/post-after.txt); loading is stateless.
_COMMENT_IN = CommentInSchema()
_BATCH_READ_QUERY = BatchReadQuerySchema()


def runtime() -> Runtime:
    from flask import current_app

    return current_app.extensions["moderation"]


@blp.route("")
class Comments(MethodView):
    @require("site", "moderator")
    @blp.arguments(_BATCH_READ_QUERY, location="query")
    @blp.response(200, CommentBatchSchema)
    def get(self, query: dict):
        """Read up to 100 comments at once: `?ids=a,b,c`.

        Each item has the same fields as the single read; ids with no comment (or
        another tenant's) are listed under `missing`. One request however many ids, for a site polling
        the comments it has posted until they are decided.
        """
        ids = query["ids"]
        records = runtime().comments.get_many(ids)
        seen, missing = [], []
        for comment_id, record in zip(ids, records, strict=True):
            if tenancy.can_see(record):
                seen.append(record)
            else:
                missing.append(comment_id)
        return {"items": present.comments(seen), "missing": missing}

    @require("site")
    @blp.arguments(_COMMENT_IN)
    @blp.response(202, AcceptedSchema,
                  headers={"Location": {"description": "URL of the comment",
                                        "schema": {"type": "string"}}})
    @blp.alt_response(200, schema=AcceptedSchema,
                      description="A retry with a known external_id and the same comment (text, "
                                  "author, author name, parent): the comment already stored.")
    @blp.alt_response(409, schema=ErrorSchema,
                      description="`external_id_conflict`: the external_id is taken by a "
                                  "different comment (another text, author or parent) under "
                                  "this article; nothing was stored.")
    @blp.doc(parameters=[{"in": "query", "name": "tenant", "schema": {"type": "string"},
                          "description": tenancy.TENANT_DESCRIPTION}])
    def post(self, body: dict):
        """Submit a comment for moderation.

        The comment is stored as `pending` and queued for scoring; poll its URL
        (the `Location` header) for the decision. It belongs to the key's tenant.
        """
        rt = runtime()
        created = rt.comments.create(
            rate_windows=rate_limits.take_post_windows(),
            tenant=tenancy.acting_tenant(),
            article_id=body["article_id"],
            text=body["text"],
            author_id=body["author"]["id"],
            author_name=body["author"].get("name"),
            external_id=body.get("external_id"),
            parent_id=body.get("parent_id"),
            request_id=g.get("request_id"),
            flag_ttl=DRAIN_FLAG_TTL,
        )
        if created.refusal is not None:
            return rate_limits.refused(created.refusal)
        if body.get("article"):
            # Once per article (and per change), not per comment: see storage/context.py.
            threads.article_store().remember(tenancy.acting_tenant(), body["article_id"],
                                             body["article"])
        if created.created:
            COMMENTS_ACCEPTED.inc()
        if created.schedule_scoring:
            schedule_drain(rt.queue, g.get("request_id"))
        location = url_for("comments.Comment", comment_id=created.id)
        if not created.created:
            if not created.same_submission:
                raise ApiError(409, "external_id_conflict",
                               "This external_id is already used by a different comment under this "
                               "article (another text, author or parent); nothing was stored.",
                               {"external_id": body.get("external_id"), "id": created.id})
            record = rt.comments.get(created.id)
            return {"id": created.id, "status": record["status"]}, 200, {"Location": location}
        return {"id": created.id, "status": "pending"}, 202, {"Location": location}


@blp.route("/<comment_id>")
class Comment(MethodView):
    @require("site", "moderator")
    @blp.response(200, CommentSchema)
    def get(self, comment_id: str):
        """A comment with its status, scores, hold reasons and who decided (another tenant's
        comment is not found). Moderator and admin keys also get `article` and, for a reply,
        `context`: the comment it answers and the thread's first replies."""
        record = runtime().comments.get(comment_id)
        if not tenancy.can_see(record):
            raise ApiError(404, "comment_not_found", f"No comment with id {comment_id!r}.")
        item = present.comment(record, with_statement=True)
        if tenancy.key().role in ("moderator", "admin"):
            present.with_context(item, record, threads.contexts([record]).get(record["id"]))
        return item
