"""An article's comments, as the site renders them under a story."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from service import present, tenancy
from service.auth import require
from service.schemas import ArticleQuerySchema, CommentPageSchema

blp = Blueprint("articles", __name__, url_prefix="/v1/articles",
                description="Comments by article.")


@blp.route("/<article_id>/comments")
class ArticleComments(MethodView):
    @require("site", "moderator")
    @blp.arguments(ArticleQuerySchema, location="query")
    @blp.response(200, CommentPageSchema)
    def get(self, query: dict, article_id: str):
        """The article's comments in posting order, optionally only one status.

        Article ids are the site's own: the listing is the key's tenant's article
        (an all-tenants key names the tenant with `tenant`). Pass `next_cursor`
        back as `cursor` for the next page; it is null on the last.
        """
        rt = current_app.extensions["moderation"]
        limit = query.get("limit") or rt.settings.page_size
        after = int(query["cursor"]) if query.get("cursor") else None
        records, next_cursor = rt.comments.list_article(tenancy.acting_tenant(), article_id,
                                                        query.get("status"), after, limit)
        return {
            "items": [present.comment(r) for r in records],
            "next_cursor": str(next_cursor) if next_cursor is not None else None,
        }
