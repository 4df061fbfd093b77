"""What a moderator sees around a comment: the article it is under and, for a reply, the
comment it answers and the first replies to that comment.

Articles: the site may send ``article`` (title, url, section) with each comment; it is
stored once per article of a tenant (``TenantKeys.article_meta``), and written only
when a process sees it change (``ArticleMetaStore.remember`` keeps what it wrote), so a
site that sends it with every comment costs one write per article, not one per comment.

Threads: a reply names its parent in ``parent_id``, either this service's id of the
parent or the site's own ``external_id`` of it under the same article. The worker adds
each scored reply to the parent's reply index (``TenantKeys.replies``, keyed on the
parent as the site named it) in its batch pipeline. ``ContextReader.read`` builds the
context of a whole page of comments in two pipelined round trips however many there
are: parents, reply indexes and articles first; then the records of the replies and of
parents named by external id. A parent of another tenant is never shown: it is looked
up under the comment's own tenant only.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from redis import Redis

from core.tenants import tenant_of
from storage.comments import CommentStore, _decode_record
from storage.keys import Keys

# Replies a context shows (the first ones, in posting order).
CONTEXT_REPLIES = 3
ARTICLE_FIELDS = ("title", "url", "section")
_CONTEXT_FIELDS = ("id", "tenant", "article_id", "text", "author_id", "author_name", "status",
                   "created")
# A process writes an article's metadata again after this long even if it saw no change (so
# a change another process wrote is overwritten back at most this often).
_REMEMBER_SECONDS = 300.0
_REMEMBER_MAX = 10_000


class ArticleMetaStore:
    """Articles' title, url and section, one hash per article of a tenant."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis = redis
        self.keys = keys
        self._written: OrderedDict[tuple[str, str], tuple[tuple, float]] = OrderedDict()

    def remember(self, tenant: str, article_id: str, meta: dict[str, str | None]) -> bool:
        """Store what the site sent about an article, if it differs from what this process
        last wrote (or that was long ago). Returns whether it wrote."""
        value = tuple((name, meta.get(name) or "") for name in ARTICLE_FIELDS)
        if not any(v for _, v in value):
            return False
        key = (tenant, article_id)
        now = time.monotonic()
        seen = self._written.get(key)
        if seen is not None and seen[0] == value and now - seen[1] < _REMEMBER_SECONDS:
            return False
        self.redis.hset(self.keys.tenant(tenant).article_meta(article_id),
                        mapping={**dict(value), "updated_at": repr(time.time())})
        self._written[key] = (value, now)
        self._written.move_to_end(key)
        while len(self._written) > _REMEMBER_MAX:
            self._written.popitem(last=False)
        return True

    def get(self, tenant: str, article_id: str) -> dict[str, str] | None:
        return parse_article(self.redis.hgetall(self.keys.tenant(tenant).article_meta(article_id)))


def parse_article(raw: dict[bytes, bytes] | None) -> dict[str, str] | None:
    if not raw:
        return None
    values = {k.decode(): v.decode("utf-8", errors="replace") for k, v in raw.items()}
    return {name: values.get(name) or None for name in ARTICLE_FIELDS}


class ContextReader:
    def __init__(self, redis: Redis, keys: Keys, comments: CommentStore) -> None:
        self.redis = redis
        self.keys = keys
        self.comments = comments

    def read(self, records: Sequence[dict[str, Any]], replies: int = CONTEXT_REPLIES
             ) -> dict[str, dict[str, Any]]:
        """comment id -> ``{"article": meta or None, "parent": record or None,
        "replies": [records], "reply_count": n}`` for each of ``records`` (``parent``,
        ``replies`` and ``reply_count`` only for replies). Records here are raw (every
        status); the caller decides what to show."""
        k = self.keys
        articles = sorted({(tenant_of(r), r.get("article_id") or "") for r in records})
        threads = [r for r in records if r.get("parent_id")]
        pipe = self.redis.pipeline(transaction=False)
        for tenant, article_id in articles:
            pipe.hgetall(k.tenant(tenant).article_meta(article_id))
        for r in threads:
            own = k.tenant(tenant_of(r))
            pipe.hmget(k.comment(r["parent_id"]), list(_CONTEXT_FIELDS))
            pipe.get(own.external_id(r["article_id"], r["parent_id"]))
            # One more than shown: the comment itself may be among the first.
            pipe.zrange(own.replies(r["article_id"], r["parent_id"]), 0, replies)
            pipe.zcard(own.replies(r["article_id"], r["parent_id"]))
        first = pipe.execute()
        meta = {a: parse_article(raw) for a, raw in zip(articles, first[:len(articles)], strict=True)}
        rest = first[len(articles):]
        wanted: list[str] = []
        plan = []
        for n, r in enumerate(threads):
            direct, by_external, reply_ids, count = rest[4 * n: 4 * n + 4]
            parent = _record(direct)
            if parent is None or not _same_thread(parent, r):
                parent = None
            external = by_external.decode() if by_external else None
            members = [m.decode() for m in reply_ids]
            ids = [m for m in members if m != r["id"]][:replies]
            if parent is None and external:
                wanted.append(external)
            wanted += ids
            # The thread's other replies: the comment itself is not one of them.
            others = int(count) - (1 if r["id"] in members else 0)
            plan.append((r, parent, external, ids, others))
        fetched = dict(zip(wanted, self.comments.get_many(wanted, _CONTEXT_FIELDS), strict=True)) \
            if wanted else {}
        out: dict[str, dict[str, Any]] = {}
        for r in records:
            out[r["id"]] = {"article": meta.get((tenant_of(r), r.get("article_id") or ""))}
        for r, parent, external, ids, count in plan:
            if parent is None and external:
                candidate = fetched.get(external)
                parent = candidate if candidate and _same_thread(candidate, r) else None
            shown = [fetched[i] for i in ids if fetched.get(i) and _same_thread(fetched[i], r)]
            out[r["id"]].update(parent=parent, replies=shown, reply_count=max(0, count))
        return out


def _record(raw: list[bytes | None]) -> dict[str, Any] | None:
    if raw[0] is None:
        return None
    return _decode_record({f.encode(): v for f, v in zip(_CONTEXT_FIELDS, raw, strict=True)
                           if v is not None})


def _same_thread(other: dict[str, Any], comment: dict[str, Any]) -> bool:
    """Another tenant's comment (or one under another article) is never part of a thread."""
    return (tenant_of(other) == tenant_of(comment)
            and (other.get("article_id") or "") == (comment.get("article_id") or ""))


def queue_reply(pipe: Any, keys: Keys, *, tenant: str, article_id: str, parent_ref: str,
                comment_id: str, seq: int, keep_seconds: float) -> None:
    """Add a reply to its parent's reply index on the caller's pipeline (the worker's batch
    pipeline: no round trip of its own). ``keep_seconds`` (retention; 0: forever) bounds how
    long an index outlives its last reply, so purged threads do not leave indexes behind."""
    key = keys.tenant(tenant).replies(article_id, parent_ref)
    pipe.zadd(key, {comment_id: seq}, nx=True)
    if keep_seconds > 0:
        pipe.expire(key, int(keep_seconds))
