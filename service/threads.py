"""Article metadata and thread context as the API and the page use them (storage/context.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import current_app

from storage.context import ArticleMetaStore, ContextReader


def article_store() -> ArticleMetaStore:
    """The process's store (it remembers what it wrote, so one per process, not per request)."""
    rt = current_app.extensions["moderation"]
    store = rt.extras.get("article_meta")
    if store is None:
        store = rt.extras["article_meta"] = ArticleMetaStore(rt.redis, rt.keys)
    return store


def contexts(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """comment id -> raw context of each record, read in two round trips for the lot."""
    if not records:
        return {}
    rt = current_app.extensions["moderation"]
    return ContextReader(rt.redis, rt.keys, rt.comments).read(records)
