"""Scripts on the scoring batch's pipelines run as plain EVALSHA (storage/scripts.py): no
SCRIPT EXISTS before each pipeline, and a server that lost its scripts (SCRIPT FLUSH, a
restart, a fail-over) still runs every one of them exactly once. Real Redis, the real drain
job and decision scripts (the model is a table)."""

from __future__ import annotations

import pytest

from storage import scripts
from tests.moderation_support import post, score_pending

pytest_plugins = ["tests.moderation_fixtures"]

_COUNT = """
redis.call('INCR', KEYS[1])
return redis.call('GET', KEYS[1])
"""


def test_a_flushed_script_is_loaded_and_run_once(redis_client):
    script = redis_client.register_script(_COUNT)
    pipe = redis_client.pipeline(transaction=False)
    pipe.set("other", "1")
    scripts.queue(script, pipe, ["n"], [])
    assert scripts.execute(redis_client, pipe) == [True, b"1"]
    redis_client.script_flush()
    pipe = redis_client.pipeline(transaction=False)
    scripts.queue(script, pipe, ["n"], [])
    pipe.get("other")
    scripts.queue(script, pipe, ["n"], [])
    assert scripts.execute(redis_client, pipe) == [b"2", b"1", b"3"]
    assert redis_client.get("n") == b"3"


def test_errors_other_than_noscript_are_kept_or_raised(redis_client):
    script = redis_client.register_script("return redis.call('INCR', KEYS[1])")
    redis_client.set("text", "not a number")
    pipe = redis_client.pipeline(transaction=False)
    scripts.queue(script, pipe, ["text"], [])
    scripts.queue(script, pipe, ["n"], [])
    results = scripts.execute(redis_client, pipe, raise_on_error=False)
    assert isinstance(results[0], Exception) and results[1] == 1
    pipe = redis_client.pipeline(transaction=False)
    scripts.queue(script, pipe, ["text"], [])
    with pytest.raises(Exception, match="not an integer"):
        scripts.execute(redis_client, pipe)


def test_a_scoring_batch_sends_no_script_exists(client, site_headers, worker_ctx, redis_client):
    for n in range(5):
        post(client, site_headers, f"comment {n}", author=f"reader-{n}")
    redis_client.config_resetstat()
    assert score_pending()["decided"] == 5
    stats = redis_client.info("commandstats")
    # (SCRIPT LOAD may run: a script's first EVALSHA on this server answers NOSCRIPT.)
    assert stats["cmdstat_evalsha"]["calls"] >= 5 and "cmdstat_script|exists" not in stats


@pytest.mark.parametrize("spot_checks", [0.0, 1.0])
def test_a_script_flush_between_batches_still_decides_every_comment_once(
        client, site_headers, moderator_headers, worker_ctx, scorer, redis_client, spot_checks):
    worker_ctx.settings = worker_ctx.settings.__class__.from_env(
        env={}, **{**worker_ctx.settings.__dict__, "spot_check_rate": spot_checks})
    rude = scorer.set("you absolute idiot", abuse=0.97)
    ids = []
    for batch in range(3):
        # The server forgets every script between batches (and before the first).
        redis_client.script_flush()
        ids += [post(client, site_headers, text, author="reader-1")
                for text in (rude, f"fine comment {batch}", f"another fine one {batch}")]
        assert score_pending()["decided"] == 3
    records = [client.get(f"/v1/comments/{cid}", headers=site_headers).get_json() for cid in ids]
    assert [r["status"] for r in records] == ["held", "approved", "approved"] * 3
    # Each decision counted once: the author's counters and the history's model event.
    profile = client.get("/v1/authors/reader-1", headers=moderator_headers).get_json()
    assert profile["counts"] == {"posted": 9, "held": 3, "approved": 6, "rejected": 0}
    for cid in ids:
        history = client.get(f"/v1/comments/{cid}/history", headers=moderator_headers).get_json()
        events = history["events"]
        assert [e["event"] for e in events].count("scored") == 1
    if spot_checks:
        # Every approval drawn for a spot check, each queued once.
        queue = client.get("/v1/moderation/queue?category=spot_check&limit=50",
                           headers=moderator_headers).get_json()
        assert len(queue["items"]) == 6
