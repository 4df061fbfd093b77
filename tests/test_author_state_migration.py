"""What the scoring batch reads of an author is on the author's hash (one HMGET): the ban
and the recent moderator outcomes are copied there by the writes that make them, and
migration 5 copies them for authors from before. Migration 4 marks queued comments'
records, which the decide script reads with the status instead of asking the queue."""

from __future__ import annotations

import pytest

from storage.authors import AuthorStore
from storage.comments import queue_index_keys
from storage.migrations import migrate
from tests.conftest import make_settings
from tests.moderation_support import StubActive
from tests.test_worker_jobs import StubScorer
from worker import jobs
from worker.context import WorkerContext, set_context


@pytest.fixture
def ctx(redis_url, redis_client):
    context = WorkerContext.build(make_settings(redis_url, author_min_decisions=3,
                                                author_reject_rate=0.5), redis_client)
    context.model = StubActive(StubScorer())
    set_context(context)
    yield context
    set_context(None)


def _status(ctx, author: str, tenant: str = "default") -> str:
    cid = ctx.comments.create(tenant=tenant, article_id="story", text="a civil comment",
                              author_id=author).id
    jobs.drain(ctx)
    return ctx.comments.get(cid)["status"]


def _as_before(redis, keys) -> None:
    # A store migrated up to step 3, as the release before these fields left it.
    redis.set(keys.schema_version, 3)


def test_bans_and_outcomes_from_before_are_read_after_the_migration(ctx, redis_client):
    keys = ctx.keys
    _as_before(redis_client, keys)
    # Bans as every release wrote them: the banned set and ``ban_at`` on the author's hash ...
    for tenant, author in (("default", "banned:one"), ("acme", "other")):
        own = keys.tenant(tenant)
        redis_client.sadd(own.banned_authors, author)
        redis_client.hset(own.author(author), mapping={"ban_at": "1.0", "ban_by": "moderator:k"})
    # ... and the outcomes list only: three rejections of four moderator decisions.
    outcomes = keys.tenant("acme").author_outcomes("troll")
    redis_client.rpush(outcomes, "rejected:c4", "approved:c3", "rejected:c2", "rejected:c1")
    assert _status(ctx, "troll", tenant="acme") == "approved"  # not migrated: not seen yet
    assert [m[0] for m in migrate(redis_client, keys)][:2] == [4, 5]
    assert redis_client.hget(keys.tenant("acme").author("troll"), "outcomes") == b"rarr"
    assert _status(ctx, "banned:one") == "rejected"
    assert _status(ctx, "other", tenant="acme") == "rejected"
    assert _status(ctx, "other") == "approved"  # the default tenant's "other" is someone else
    assert _status(ctx, "troll", tenant="acme") == "held"  # premoderated
    assert _status(ctx, "troll") == "approved"


def test_bans_and_moderator_outcomes_reach_the_author_hash_as_they_are_made(ctx, redis_client):
    authors = AuthorStore(redis_client, ctx.keys, ctx.settings)
    authors.ban("default", "reader-1", by="moderator:k1", reason="spam")
    assert _status(ctx, "reader-1") == "rejected"
    authors.unban("default", "reader-1", by="moderator:k1", reason="appeal")
    assert _status(ctx, "reader-1") == "approved"
    pipe = redis_client.pipeline()
    for n, status in enumerate(["rejected", "rejected", "approved"]):
        authors.queue_decided(pipe, tenant="default", author_id="reader-2", comment_id=f"c{n}",
                              created=1.0 + n, old_status="held", new_status=status)
    pipe.execute()
    state = authors.state("default", "reader-2")
    assert (state.decisions, round(state.rejection_rate, 2), state.premoderated) == (3, 0.67, True)
    assert _status(ctx, "reader-2") == "held"


def test_a_queued_pending_comment_leaves_the_queue_when_the_model_decides_it(ctx, redis_client):
    """A comment queued while still pending (its record marked by migration 4 if it was
    queued before the mark existed) leaves every queue index when the model approves it."""
    keys = ctx.keys
    cid = ctx.comments.create(article_id="story", text="a civil comment", author_id="a1").id
    queue = queue_index_keys(keys, "default", "story")
    # the all-tenants queue of the release before, the tenant's, the article's
    names = (keys.held_queue, queue[0], queue[3])
    for name in names:
        redis_client.zadd(name, {cid: 5})
    _as_before(redis_client, keys)
    assert [m[0] for m in migrate(redis_client, keys)][:2] == [4, 5]
    assert redis_client.hget(keys.comment(cid), "queued") == b"[]"
    jobs.drain(ctx)
    record = ctx.comments.get(cid)
    assert record["status"] == "approved" and "queued" not in record
    assert not any(redis_client.zscore(name, cid) for name in names)
    # Idempotent: nothing left to mark.
    redis_client.set(keys.schema_version, 3)
    assert [m[2] for m in migrate(redis_client, keys)][:2] == [0, 0]
