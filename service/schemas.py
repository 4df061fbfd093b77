"""Request and response bodies (marshmallow), shared by validation and the OpenAPI spec."""

from __future__ import annotations

import marshmallow as ma
from flask import current_app
from marshmallow import validate

from core.tenants import TENANT_PATTERN
from model.categories import CATEGORIES
from storage.comments import STATUSES

# Ids travel into Redis key names and URLs: printable, no spaces, bounded.
ID_PATTERN = r"^[A-Za-z0-9._~:@+=-]{1,200}$"


class FullMatch(validate.Regexp):
    """``Regexp`` over the whole value: Python's ``$`` also matches before a final
    newline, which would let "id\n" through. The spec still shows the pattern."""

    def __call__(self, value: str) -> str:
        if self.regex.fullmatch(value) is None:
            raise ma.ValidationError(self._format_error(value))
        return value


def _encodable(value: str) -> None:
    # JSON may carry lone surrogates ("\ud800") that no UTF-8 store can hold.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ma.ValidationError("Must be valid Unicode text (no lone surrogates).") from exc


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ma.ValidationError("Must not be empty or only white space.")


def _text_length(value: str) -> None:
    limit = current_app.config["MODERATION"].max_text_chars
    if len(value) > limit:
        raise ma.ValidationError(f"Longer than the maximum of {limit} characters.")


class AuthorSchema(ma.Schema):
    id = ma.fields.String(required=True, validate=[FullMatch(ID_PATTERN), _encodable])
    name = ma.fields.String(validate=[validate.Length(max=200), _encodable], load_default=None)


class ArticleInSchema(ma.Schema):
    title = ma.fields.String(validate=[validate.Length(min=1, max=300), _encodable],
                             load_default=None, metadata={"description": "The story's headline."})
    url = ma.fields.Url(schemes={"http", "https"}, validate=validate.Length(max=2000),
                        load_default=None,
                        metadata={"description": "The story's address (http or https only)."})
    section = ma.fields.String(validate=[validate.Length(min=1, max=100), _encodable],
                               load_default=None, metadata={"description": "e.g. news, sport."})

    @ma.validates_schema
    def _something(self, data: dict, **kwargs) -> None:
        if not any(data.get(name) for name in ("title", "url", "section")):
            raise ma.ValidationError("Send at least one of title, url, section.")


class CommentInSchema(ma.Schema):
    article_id = ma.fields.String(
        required=True, validate=[FullMatch(ID_PATTERN)],
        metadata={"description": "The site's id of the article the comment is under."},
    )
    text = ma.fields.String(
        required=True, validate=[_not_blank, _text_length, _encodable],
        metadata={"description": "The comment as the reader wrote it; stored verbatim."},
    )
    author = ma.fields.Nested(AuthorSchema, required=True)
    external_id = ma.fields.String(
        validate=[FullMatch(ID_PATTERN)], load_default=None,
        metadata={"description": "The site's own comment id: a retry with the same one returns "
                                 "the same comment and queues nothing."},
    )
    parent_id = ma.fields.String(
        validate=[FullMatch(ID_PATTERN)], load_default=None,
        metadata={"description": "For a reply, the comment it answers: the id this service "
                                 "returned for it, or the site's own external_id of it under "
                                 "the same article. Moderators see it beside the reply."})
    article = ma.fields.Nested(
        ArticleInSchema, load_default=None,
        metadata={"description": "The story the comment is under (stored once per article; "
                                 "the moderators' queue shows the title and links to it)."})


class AcceptedSchema(ma.Schema):
    id = ma.fields.String(required=True)
    status = ma.fields.String(required=True, validate=validate.OneOf(STATUSES))


class SpanSchema(ma.Schema):
    start = ma.fields.Integer(required=True)
    end = ma.fields.Integer(required=True)
    category = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)


class AuthorOutSchema(ma.Schema):
    id = ma.fields.String(required=True)
    name = ma.fields.String(allow_none=True)


class RedressSchema(ma.Schema):
    internal_appeal = ma.fields.String(allow_none=True, metadata={
        "description": "How to appeal (Art. 20); null when the title offers no appeals."})
    appeal_until = ma.fields.DateTime(metadata={"description": "The appeal window's end."})
    out_of_court_settlement = ma.fields.String(allow_none=True)
    judicial_redress = ma.fields.String(allow_none=True)


class StatementOfReasonsSchema(ma.Schema):
    restriction = ma.fields.String(required=True,
                                   metadata={"description": "'held for review' or 'removed'."})
    category = ma.fields.String(required=True)
    ground = ma.fields.String(required=True, metadata={
        "description": "The rule (hold reasons or the moderator's reason code) or the legal "
                       "ground."})
    legal_ground = ma.fields.String(allow_none=True,
                                    metadata={"description": "After a notice judged illegal."})
    automated_detection = ma.fields.Boolean(required=True)
    automated_decision = ma.fields.Boolean(required=True)
    following_notice = ma.fields.Boolean(required=True)
    explanation = ma.fields.String(required=True, metadata={
        "description": "For the author, from the title's templates (PUT /v1/admin/dsa)."})
    redress = ma.fields.Nested(RedressSchema, required=True)


class ArticleOutSchema(ma.Schema):
    title = ma.fields.String(allow_none=True)
    url = ma.fields.String(allow_none=True)
    section = ma.fields.String(allow_none=True)


class ContextCommentSchema(ma.Schema):
    id = ma.fields.String(required=True)
    text = ma.fields.String(allow_none=True)
    author = ma.fields.Nested(AuthorOutSchema, required=True)
    status = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(allow_none=True)


class ContextSchema(ma.Schema):
    parent = ma.fields.Nested(ContextCommentSchema, allow_none=True, metadata={
        "description": "The comment this one answers (null when it is not found in the "
                       "same title and article)."})
    replies = ma.fields.List(ma.fields.Nested(ContextCommentSchema), required=True, metadata={
        "description": "The first replies to the same parent (this comment left out), oldest "
                       "first."})
    reply_count = ma.fields.Integer(required=True, metadata={
        "description": "Replies to the same parent besides this one."})


class CommentSchema(ma.Schema):
    id = ma.fields.String(required=True)
    article_id = ma.fields.String(required=True)
    text = ma.fields.String(required=True, allow_none=True)
    author = ma.fields.Nested(AuthorOutSchema, required=True)
    external_id = ma.fields.String(allow_none=True)
    parent_id = ma.fields.String(allow_none=True)
    status = ma.fields.String(required=True, validate=validate.OneOf(STATUSES))
    scores = ma.fields.Dict(keys=ma.fields.String(validate=validate.OneOf(CATEGORIES)),
                            values=ma.fields.Float(), allow_none=True)
    abuse_kinds = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Float(),
        metadata={"description": "Abuse kind -> probability (severe_toxicity, identity_attack, "
                                 "insult, profanity, threat, sexually_explicit: Perspective's "
                                 "attributes), when the model that scored it has kind heads."})
    reasons = ma.fields.List(ma.fields.String(), required=True)
    spans = ma.fields.List(ma.fields.Nested(SpanSchema), required=True)
    model_version = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime(required=True)
    decided_at = ma.fields.DateTime(allow_none=True)
    decided_by = ma.fields.String(allow_none=True,
                                  metadata={"description": "'model' or 'moderator:<name>'"})
    statement_of_reasons = ma.fields.Nested(StatementOfReasonsSchema, allow_none=True, metadata={
        "description": "Art. 17 DSA: why a held or rejected comment is restricted, and the "
                       "author's redress (null for other statuses). On the single and batch "
                       "reads and decision responses."})
    article = ma.fields.Nested(ArticleOutSchema, allow_none=True, metadata={
        "description": "Moderator and admin keys: the story as the site last described it."})
    context = ma.fields.Nested(ContextSchema, allow_none=True, metadata={
        "description": "Moderator and admin keys: for a reply, the comment it answers and the "
                       "thread's first replies (null for a comment that answers none). Site "
                       "keys never get it: the site has its own threads, and a parent may be "
                       "held or rejected."})


class CommentPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CommentSchema), required=True)
    next_cursor = ma.fields.String(allow_none=True)


MAX_BATCH_READ = 100


class CommaSeparatedIds(ma.fields.Field):
    """``a,b,c`` in the query string: distinct ids in the order given (a repeat counts once)."""

    def _deserialize(self, value, attr, data, **kwargs) -> list[str]:
        if not isinstance(value, str):
            raise ma.ValidationError("A comma-separated list of comment ids.")
        ids = list(dict.fromkeys(part.strip() for part in value.split(",")))
        if not ids or any(FullMatch(ID_PATTERN).regex.fullmatch(i) is None for i in ids):
            raise ma.ValidationError("Comma-separated comment ids, each like the ids POST returns.")
        if len(ids) > MAX_BATCH_READ:
            raise ma.ValidationError(f"At most {MAX_BATCH_READ} ids per request.")
        return ids


class BatchReadQuerySchema(ma.Schema):
    ids = CommaSeparatedIds(
        required=True,
        metadata={"description": f"Up to {MAX_BATCH_READ} comment ids, comma-separated.",
                  "type": "string", "example": "3f2a9c0d1e4b5a69,8c1d2e3f4a5b6c7d"},
    )


class CommentBatchSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CommentSchema), required=True,
                           metadata={"description": "The comments found, in the order asked."})
    missing = ma.fields.List(ma.fields.String(), required=True,
                             metadata={"description": "Ids asked for that there is no comment with."})


class ArticleQuerySchema(ma.Schema):
    tenant = ma.fields.String(validate=validate.Regexp(f"^{TENANT_PATTERN}$"), load_default=None,
                              metadata={"description": "All-tenants keys: the tenant whose "
                                                       "article this is (default: 'default')."})
    status = ma.fields.String(validate=validate.OneOf(STATUSES), load_default=None)
    cursor = ma.fields.String(validate=validate.Regexp(r"^[0-9]{1,18}$"), load_default=None)
    limit = ma.fields.Integer(validate=validate.Range(min=1, max=200), load_default=None)


class HealthSchema(ma.Schema):
    status = ma.fields.String(required=True)
    checks = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw())
