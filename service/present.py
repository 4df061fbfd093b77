"""Turn stored comment records into the API's shape."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def _iso(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, UTC) if ts is not None else None


def comment(record: dict[str, Any], with_statement: bool = False) -> dict[str, Any]:
    """The API's shape of a record; ``with_statement`` adds its Art. 17 statement of reasons
    (one read of the tenant's templates for a held or rejected comment)."""
    out = {
        "id": record["id"],
        "article_id": record["article_id"],
        "text": record.get("text"),
        "author": {"id": record.get("author_id"), "name": record.get("author_name")},
        "external_id": record.get("external_id"),
        "parent_id": record.get("parent_id"),
        "status": record["status"],
        "scores": record.get("scores"),
        "reasons": record.get("reasons", []),
        "spans": record.get("spans", []),
        "model_version": record.get("model_version"),
        "created_at": _iso(record.get("created")),
        "decided_at": _iso(record.get("decided")),
        "decided_by": record.get("decided_by"),
    }
    # scored by a model with abuse kind heads (model/attributes.py); absent otherwise
    if record.get("abuse_kinds"):
        out["abuse_kinds"] = record["abuse_kinds"]
    if with_statement:
        out["statement_of_reasons"] = comments([record])[0]["statement_of_reasons"]
    return out


def comments(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records in the API's shape with their statements of reasons (one read for the lot)."""
    from service.dsa import statements

    return [{**comment(r), "statement_of_reasons": s}
            for r, s in zip(records, statements(list(records)), strict=True)]


def _context_comment(record: dict[str, Any]) -> dict[str, Any]:
    return {"id": record["id"], "text": record.get("text"),
            "author": {"id": record.get("author_id"), "name": record.get("author_name")},
            "status": record.get("status"), "created_at": _iso(record.get("created"))}


def with_context(item: dict[str, Any], record: dict[str, Any],
                 context: dict[str, Any] | None) -> dict[str, Any]:
    """``item`` with ``article`` and ``context`` from ``storage.context.ContextReader.read``
    (moderators only: texts of every status are shown, each with its status)."""
    context = context or {}
    item["article"] = context.get("article")
    if not record.get("parent_id"):
        item["context"] = None
        return item
    parent = context.get("parent")
    item["context"] = {
        "parent": _context_comment(parent) if parent else None,
        "replies": [_context_comment(r) for r in context.get("replies", [])],
        "reply_count": context.get("reply_count", 0),
    }
    return item
