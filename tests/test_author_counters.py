"""An author's ``posted`` count is derived (held + approved + rejected - twice), so the model's
decide script counts one HINCRBY per comment instead of two; migration 6 turns the stored
``posted`` of authors from before into ``twice``. Real Redis, the real drain job and scripts."""

from __future__ import annotations

import pytest

from storage.authors import AuthorStore
from storage.migrations import _derive_posted, migrate
from tests.conftest import make_settings
from tests.moderation_support import StubActive
from tests.test_worker_jobs import StubScorer
from worker import jobs
from worker.context import WorkerContext, set_context
from worker.tallies import Tallies


@pytest.fixture
def ctx(redis_url, redis_client):
    context = WorkerContext.build(make_settings(redis_url), redis_client)
    context.model = StubActive(StubScorer())
    set_context(context)
    yield context
    set_context(None)


def _counts(ctx, tenant: str, author: str) -> dict[str, int]:
    return AuthorStore(ctx.redis, ctx.keys, ctx.settings).profile(tenant, author)["counts"]


def _decide(ctx, tenant: str, author: str, text: str = "a civil comment") -> str:
    cid = ctx.comments.create(tenant=tenant, article_id="story", text=text, author_id=author).id
    jobs.drain(ctx)
    return cid


def _moderate(ctx, tenant: str, author: str, cid: str, old: str, new: str) -> None:
    pipe = ctx.redis.pipeline()
    AuthorStore(ctx.redis, ctx.keys, ctx.settings).queue_decided(
        pipe, tenant=tenant, author_id=author, comment_id=cid, created=1.0, old_status=old,
        new_status=new)
    pipe.execute()


def test_authors_counted_before_read_the_same_after_migration_6(ctx, redis_client):
    keys = ctx.keys
    redis_client.set(keys.schema_version, 5)
    # As the release before left them: five decided, four ever held (three of them then
    # rejected by a moderator, one approved), ...
    old = {"posted": "5", "held": "4", "approved": "1", "rejected": "3"}
    redis_client.hset(keys.tenant("default").author("reader:a"), mapping=old)
    # ... another tenant's author of the same id, and an author with a ban and no counters.
    redis_client.hset(keys.tenant("acme").author("reader:a"),
                      mapping={"posted": "2", "held": "0", "approved": "2", "rejected": "0"})
    redis_client.hset(keys.tenant("acme").author("banned"), mapping={"ban_at": "1.0"})
    assert [m[0] for m in migrate(redis_client, keys)][:1] == [6]
    assert _counts(ctx, "default", "reader:a") == {"posted": 5, "held": 4, "approved": 1,
                                                   "rejected": 3}
    assert _counts(ctx, "acme", "reader:a") == {"posted": 2, "held": 0, "approved": 2, "rejected": 0}
    assert redis_client.hgetall(keys.tenant("acme").author("banned")) == {b"ban_at": b"1.0"}
    # Once per hash, whatever runs it again.
    assert _derive_posted(redis_client, keys) == 0
    assert _counts(ctx, "default", "reader:a")["posted"] == 5
    # Counting goes on from there: a model decision, then a moderator's on a held one.
    _decide(ctx, "default", "reader:a")
    held = _decide(ctx, "default", "reader:a", "you idiot")
    assert _counts(ctx, "default", "reader:a") == {"posted": 7, "held": 5, "approved": 2,
                                                   "rejected": 3}
    _moderate(ctx, "default", "reader:a", held, "held", "approved")
    assert _counts(ctx, "default", "reader:a") == {"posted": 7, "held": 5, "approved": 3,
                                                   "rejected": 3}
    assert AuthorStore(redis_client, keys, ctx.settings).state("default", "reader:a").posted == 7


def test_every_path_keeps_posted_the_comments_decided(ctx, redis_client):
    # The model approves, holds and (a banned word's closed article aside) the moderators
    # decide first, re-decide and overturn.
    a = _decide(ctx, "default", "r")
    b = _decide(ctx, "default", "r", "you idiot")
    _moderate(ctx, "default", "r", b, "held", "rejected")
    _moderate(ctx, "default", "r", b, "rejected", "approved")
    _moderate(ctx, "default", "r", a, "approved", "rejected")
    # Decided by a moderator before the model scored it: counted once, by the moderator.
    c = ctx.comments.create(article_id="story", text="a civil comment", author_id="r").id
    _moderate(ctx, "default", "r", c, "pending", "approved")
    counts = _counts(ctx, "default", "r")
    assert counts == {"posted": 3, "held": 1, "approved": 2, "rejected": 1}
    # The model's decide script counts one HINCRBY a comment (no 'posted' of its own).
    # (The batch's quality counters wait in memory: worker/tallies.py.)
    ctx.tallies = Tallies(interval=3600.0)
    cid = ctx.comments.create(article_id="story", text="a civil comment", author_id="s").id
    ctx.comments.lease(10, 30)
    redis_client.config_resetstat()
    assert jobs.score_and_decide(ctx, [cid])["decided"] == 1
    assert redis_client.info("commandstats")["cmdstat_hincrby"]["calls"] == 1
    assert redis_client.hgetall(ctx.keys.tenant("default").author("s")) == {b"approved": b"1"}
    assert _counts(ctx, "default", "s")["posted"] == 1
