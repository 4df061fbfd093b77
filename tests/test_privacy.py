"""Personal data: erasure of an author everywhere, retention purge, no texts in logs."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time

import pytest

from core.config import PROJECT_ROOT
from storage.erasure import ERASED, Eraser
from storage.examples import ExampleStore
from tests.conftest import make_settings, wait_until
from worker.retention import purge_expired

SECRET_TEXT = "Zebulon Quartermaine lives at 14 Larkspur Close and I saw what he did"
SECRET_NAME = "Persephone Wigglesworth-Ng"
OTHER_TEXT = "A different reader's unrelated comment about the inquiry"


def everything_in_redis(redis_client) -> bytes:
    """Every value of every key, concatenated: a needle in it is stored somewhere."""
    out = []
    for key in redis_client.scan_iter(count=1000):
        kind = redis_client.type(key)
        if kind == b"string":
            out.append(redis_client.get(key) or b"")
        elif kind == b"hash":
            out.extend(k + b"=" + v for k, v in redis_client.hgetall(key).items())
        elif kind == b"list":
            out.extend(redis_client.lrange(key, 0, -1))
        elif kind == b"set":
            out.extend(redis_client.smembers(key))
        elif kind == b"zset":
            out.extend(redis_client.zrange(key, 0, -1))
        out.append(key)
    return b"\n".join(out)


def decide(runtime, cid: str, article_id: str, status: str, *, decided: float | None = None,
           note: str | None = None) -> None:
    text = runtime.comments.get(cid)["text"]
    fields = {"scores": {"abuse": 0.9}, "reasons": ["abuse"], "decided": repr(decided or time.time()),
              "decided_by": "model", "model_version": "v1",
              "evidence": {"abuse": [text[:20]]}}
    if note:
        fields["decision_note"] = note
    event_data = {"by": "model", "status": status}
    if note:
        event_data["note"] = note
    assert runtime.comments.transition(cid, article_id=article_id, expected="*", new_status=status,
                                       fields=fields, event="scored", event_data=event_data) == 1


@pytest.fixture
def seeded(runtime, redis_client):
    c = runtime.comments
    decided = c.create(article_id="story-1", text=SECRET_TEXT, author_id="victim-author",
                       author_name=SECRET_NAME, external_id="site-1").id
    pending = c.create(article_id="story-1", text=SECRET_TEXT + " again", author_id="victim-author",
                       author_name=SECRET_NAME).id
    other = c.create(article_id="story-1", text=OTHER_TEXT, author_id="someone-else",
                     author_name="Other Person").id
    decide(runtime, decided, "story-1", "held", note=f"quotes: {SECRET_TEXT[:30]}")
    decide(runtime, other, "story-1", "approved")
    redis_client.zadd(runtime.keys.author_comments("victim-author"), {decided: 1.0})
    redis_client.hset(runtime.keys.author("victim-author"),
                      mapping={"posted": 2, "held": 1, "name": SECRET_NAME})
    ExampleStore(redis_client, runtime.keys).record(
        decided, text=SECRET_TEXT, labels={"abuse": 1}, scores={"abuse": 0.9}, model_version="v1",
        moderator="m1", reason_code="abuse", decided_at=time.time())
    ExampleStore(redis_client, runtime.keys).record(
        other, text=OTHER_TEXT, labels={"abuse": 0}, scores={"abuse": 0.1}, model_version="v1",
        moderator="m1", reason_code="ok", decided_at=time.time())
    return {"decided": decided, "pending": pending, "other": other}


def test_erasing_an_author_removes_texts_and_names_everywhere(client, admin_headers, seeded,
                                                              runtime, redis_client):
    assert SECRET_NAME.encode() in everything_in_redis(redis_client)
    response = client.delete("/v1/authors/victim-author", headers=admin_headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    report = response.get_json()
    assert report == {
        "author_id": "victim-author", "comments": 2, "texts_erased": 2, "names_erased": 2,
        "history_events_redacted": 1, "examples_deleted": 1, "pending_withdrawn": 1,
        "profile_fields_erased": 1,
    }

    stored = everything_in_redis(redis_client)
    for needle in (SECRET_TEXT[:20], "Quartermaine", "Larkspur", SECRET_NAME, "Wigglesworth"):
        assert needle.encode() not in stored, needle
    # The other reader's data is untouched.
    assert OTHER_TEXT.encode() in stored and b"Other Person" in stored

    # Decisions and counts stay; the texts read as erased.
    held = client.get(f"/v1/comments/{seeded['decided']}", headers=admin_headers).get_json()
    assert held["status"] == "held" and held["scores"] == {"abuse": 0.9}
    assert held["text"] is None and held["author"] == {"id": "victim-author", "name": None}
    withdrawn = runtime.comments.get(seeded["pending"])
    assert withdrawn["status"] == "rejected" and withdrawn["reasons"] == ["author_erased"]
    assert seeded["pending"] not in {m.decode() for m in redis_client.zrange(runtime.keys.pending, 0, -1)}
    assert redis_client.hget(runtime.keys.author("victim-author"), "posted") == b"2"
    history = runtime.comments.history(seeded["decided"])
    assert [e["event"] for e in history] == ["posted", "scored", "erased"]
    assert history[1]["note"] == ERASED and history[1]["status"] == "held"
    assert ExampleStore(redis_client, runtime.keys).get(seeded["other"]) is not None

    again = client.delete("/v1/authors/victim-author", headers=admin_headers).get_json()
    assert again["comments"] == 2 and again["texts_erased"] == 0 and again["names_erased"] == 0


def test_erasure_is_admin_only_and_checks_the_id(client, moderator_headers, admin_headers):
    assert client.delete("/v1/authors/a1", headers=moderator_headers).status_code == 403
    bad = client.delete("/v1/authors/bad%0Aid", headers=admin_headers)
    assert bad.status_code == 422 and bad.get_json()["code"] == "invalid_author_id"
    unknown = client.delete("/v1/authors/never-seen", headers=admin_headers)
    assert unknown.status_code == 200 and unknown.get_json()["comments"] == 0


def test_erasure_finds_comments_missing_from_the_author_index(runtime, redis_client):
    # A pending comment handed to its own retry job is in no index but its record.
    cid = runtime.comments.create(article_id="s", text=SECRET_TEXT, author_id="au-x").id
    runtime.comments.detach_from_lease(cid)
    report = Eraser(redis_client, runtime.keys).erase_author("au-x", by="test")
    assert report.comments == 1 and report.texts_erased == 1
    assert SECRET_TEXT.encode() not in everything_in_redis(redis_client)


def test_retention_purges_only_old_decided_comments(runtime, redis_client):
    c = runtime.comments
    day = 86400
    old_decided = c.create(article_id="s", text="old and decided", author_id="a", external_id="e1").id
    recent_decided = c.create(article_id="s", text="recent and decided", author_id="a").id
    old_pending = c.create(article_id="s", text="old but pending", author_id="a").id
    decide(runtime, old_decided, "s", "held", decided=time.time() - 40 * day)
    decide(runtime, recent_decided, "s", "approved", decided=time.time() - 2 * day)
    redis_client.zadd(runtime.keys.author_comments("a"), {old_decided: 1, recent_decided: 2})
    redis_client.hset(runtime.keys.author("a"), mapping={"posted": 2})

    off = make_settings(runtime.settings.redis_url, retention_days=0.0)
    assert purge_expired(redis_client, runtime.keys, off) is None

    settings = make_settings(runtime.settings.redis_url, retention_days=30.0)
    report = purge_expired(redis_client, runtime.keys, settings)
    assert report.purged == 1 and report.scanned == 3
    assert c.get(old_decided) is None and c.history(old_decided) == []
    assert c.get(recent_decided) is not None and c.get(old_pending) is not None
    stored = everything_in_redis(redis_client)
    assert old_decided.encode() not in stored
    assert b"old and decided" not in stored
    # Counters stay; the site's external id can be used again.
    assert redis_client.hget(runtime.keys.author("a"), "posted") == b"2"
    assert c.create(article_id="s", text="reposted", author_id="a", external_id="e1").created
    # A second sweep finds nothing more.
    assert purge_expired(redis_client, runtime.keys, settings).purged == 0


def _cli_env(settings, **extra: str) -> dict[str, str]:
    return dict(os.environ, REDIS_URL=settings.redis_url, MODERATION_KEY_PREFIX=settings.key_prefix,
                LOG_LEVEL="WARNING", PYTHONPATH=str(PROJECT_ROOT), **extra)


def test_purge_command(settings, runtime, redis_client):
    cid = runtime.comments.create(article_id="s", text="purge me", author_id="a").id
    decide(runtime, cid, "s", "approved", decided=time.time() - 10 * 86400)
    done = subprocess.run([sys.executable, "-m", "moderation.cli", "purge", "--days", "5"],
                          env=_cli_env(settings), cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1])["purged"] == 1
    assert runtime.comments.get(cid) is None


def test_worker_purges_at_start_up(runtime, start_worker):
    cid = runtime.comments.create(article_id="s", text="expired", author_id="a").id
    decide(runtime, cid, "s", "approved", decided=time.time() - 3 * 86400)
    start_worker(RETENTION_DAYS="1", RETENTION_INTERVAL="3600")
    wait_until(lambda: runtime.comments.get(cid) is None, timeout=30)


def test_comment_text_never_reaches_the_logs(client, site_headers, runtime, start_worker,
                                             small_scorer, caplog):
    """An end-to-end run (API in-process, a real worker process, both at DEBUG) logs
    ids and counts, never the comment's words or the author's name."""
    from worker.publishing import register_scorer

    register_scorer(runtime.models, small_scorer, created_by="test", activate=True)
    caplog.set_level(logging.DEBUG)
    worker = start_worker(LOG_LEVEL="DEBUG")
    posted = client.post("/v1/comments", headers=site_headers, json={
        "article_id": "log-check", "text": SECRET_TEXT, "author": {"id": "r9", "name": SECRET_NAME}})
    assert posted.status_code == 202
    cid = posted.get_json()["id"]
    wait_until(lambda: runtime.comments.get(cid)["status"] != "pending", timeout=60)
    bad = client.post("/v1/comments", headers=site_headers,
                      json={"article_id": "bad id", "text": SECRET_TEXT, "author": {"id": "r9"}})
    assert bad.status_code == 422
    worker.stop()
    worker_logs = worker.log()
    assert cid in worker_logs or "batch decided" in worker_logs  # the worker did log
    for needle in ("Quartermaine", "Larkspur", "Wigglesworth"):
        assert needle not in worker_logs, needle
        assert needle not in caplog.text, needle
