"""A comment's first two history events (posted, the model's decision) are fields of its
record, so posting and scoring append to no list; later events go to the history list.
Every reader sees one history, in order, from records stored either way."""

from __future__ import annotations

import json
import time

import pytest

from storage.erasure import Eraser
from storage.moderation import ModerationStore, Moderator
from tests.conftest import make_settings
from tests.moderation_support import StubActive
from tests.test_worker_jobs import StubScorer
from worker import jobs
from worker.context import WorkerContext, set_context


@pytest.fixture
def ctx(redis_url, redis_client):
    context = WorkerContext.build(make_settings(redis_url), redis_client)
    context.model = StubActive(StubScorer())
    set_context(context)
    yield context
    set_context(None)


def _store(ctx) -> ModerationStore:
    return ModerationStore(ctx.redis, ctx.keys, ctx.comments, ctx.settings)


def _events(ctx, cid: str) -> list[str]:
    return [e["event"] for e in ctx.comments.history(cid)]


def test_posting_and_scoring_append_to_no_list_and_later_events_follow_them(ctx, redis_client):
    cid = ctx.comments.create(article_id="story", text="you absolute idiot",
                              author_id="reader-1").id
    jobs.drain(ctx)
    assert ctx.comments.get(cid)["status"] == "held"
    assert redis_client.llen(ctx.keys.history(cid)) == 0
    assert _events(ctx, cid) == ["posted", "scored"]
    _store(ctx).decide(cid, moderator=Moderator("k1", "Sam"), action="approve",
                       reason_code="other", note="fine in context")
    assert redis_client.llen(ctx.keys.history(cid)) == 1
    assert _events(ctx, cid) == ["posted", "scored", "decided"]
    assert ctx.comments.history_length(cid) == 3
    # Pages across the record's events and the list's.
    events, total = _store(ctx).history(cid, tenant="default", offset=1, limit=2)
    assert [e["event"] for e in events] == ["scored", "decided"] and total == 3
    events, total = _store(ctx).history(cid, tenant="default", offset=2, limit=5)
    assert [e["event"] for e in events] == ["decided"] and total == 3


def test_a_record_from_before_keeps_its_whole_history_in_the_list(ctx, redis_client):
    cid = ctx.comments.create(article_id="story", text="a civil comment", author_id="r").id
    jobs.drain(ctx)
    record = ctx.keys.comment(cid)
    # As the release before stored it: both events in the list, none on the record.
    old = [redis_client.hget(record, f) for f in ("ev_posted", "ev_scored")]
    redis_client.hdel(record, "ev_posted", "ev_scored")
    redis_client.rpush(ctx.keys.history(cid), *old)
    assert [e["event"] for e in ctx.comments.history(cid)] == ["posted", "scored"]
    assert ctx.comments.history_length(cid) == 2


def test_an_event_while_pending_stays_before_the_models_decision(ctx, redis_client):
    """The model's event is placed by its time among the list's: a withdrawal or report
    logged while the comment was pending comes before it."""
    cid = ctx.comments.create(article_id="story", text="a civil comment", author_id="r").id
    redis_client.rpush(ctx.keys.history(cid), json.dumps({"event": "noted", "at": 1.0}))
    jobs.drain(ctx)
    # "noted" is older than the post here: the post still comes first only by time.
    assert _events(ctx, cid) == ["noted", "posted", "scored"]


def test_a_second_model_decision_would_show_in_the_history(ctx, redis_client):
    """Should a comment be scored twice (the status compare-and-set broken), the second
    "scored" event goes to the list instead of overwriting the record's: it shows."""
    cid = ctx.comments.create(article_id="story", text="a civil comment", author_id="r").id
    jobs.drain(ctx)
    redis_client.hset(ctx.keys.comment(cid), "status", "pending")
    assert ctx.comments.transition(cid, tenant="default", article_id="story", expected="pending",
                                   new_status="approved", fields={}, event="scored",
                                   event_data={"by": "model"}, inline_event=True) == 1
    assert _events(ctx, cid) == ["posted", "scored", "scored"]


def test_erasure_redacts_the_events_on_the_record_too(ctx, redis_client):
    secret = "Zebulon Quartermaine of 14 Larkspur Close"
    cid = ctx.comments.create(article_id="story", text=secret, author_id="reader-9").id
    # An event on the record quoting the text (as a moderator's note or evidence might).
    record = ctx.keys.comment(cid)
    redis_client.hset(record, "ev_scored", json.dumps({"event": "scored", "at": time.time(),
                                                       "excerpt": secret[:20]}))
    redis_client.hset(record, "status", "approved")
    report = Eraser(redis_client, ctx.keys).erase_author("default", "reader-9", by="admin:k")
    assert report.history_events_redacted >= 1
    assert b"Zebulon" not in redis_client.hget(record, "ev_scored")
    assert _events(ctx, cid) == ["posted", "scored", "erased"]
