"""Personal data: erasure of an author everywhere, retention purge, no texts in logs."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import subprocess
import sys
import time

import pytest

from core.config import PROJECT_ROOT
from storage.authors import STORED_COUNTERS, posted_of
from storage.erasure import ERASED, Eraser
from storage.examples import ExampleStore
from storage.moderation import ModerationStore
from tests.conftest import make_settings, wait_until
from worker.retention import purge_expired

SECRET_TEXT = "Zebulon Quartermaine lives at 14 Larkspur Close and I saw what he did"
SECRET_NAME = "Persephone Wigglesworth-Ng"
OTHER_TEXT = "A different reader's unrelated comment about the inquiry"


CORAL_SECRET = "whsec_privacy"


@pytest.fixture
def settings(redis_url, redis_client):
    return make_settings(redis_url, coral_signing_secrets=CORAL_SECRET)


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
    assert runtime.comments.transition(cid, tenant="default", article_id=article_id, expected="*",
                                       new_status=status, fields=fields, event="scored",
                                       event_data=event_data) == 1


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
    redis_client.zadd(runtime.keys.tenant("default").author_comments("victim-author"), {decided: 1.0})
    redis_client.hset(runtime.keys.tenant("default").author("victim-author"),
                      mapping={"held": 1, "approved": 1, "name": SECRET_NAME})
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
        "author_id": "victim-author", "tenant": "default", "comments": 2, "texts_erased": 2,
        "names_erased": 2,
        "history_events_redacted": 1, "examples_deleted": 1, "pending_withdrawn": 1,
        "profile_fields_erased": 1, "notice_texts_erased": 0,
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
    assert posted_of(*redis_client.hmget(runtime.keys.tenant("default").author("victim-author"),
                                   STORED_COUNTERS)) == 2
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


def test_erasure_finds_pending_comments_through_the_author_index(runtime, redis_client):
    # A pending comment handed to its own retry job is in no scoring index, and the
    # author's counted index only learns of a comment when it is decided.
    cid = runtime.comments.create(article_id="s", text=SECRET_TEXT, author_id="au-x").id
    runtime.comments.detach_from_lease(cid)
    assert redis_client.zscore(runtime.keys.tenant("default").author_comments("au-x"), cid) is None
    assert redis_client.zscore(runtime.keys.tenant("default").author_stored("au-x"), cid) is not None
    report = Eraser(redis_client, runtime.keys).erase_author("default", "au-x", by="test")
    assert report.comments == 1 and report.texts_erased == 1
    assert SECRET_TEXT.encode() not in everything_in_redis(redis_client)


def _command_calls(redis_client) -> dict[str, int]:
    stats = redis_client.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()}


def _calls_during(redis_client, action) -> dict[str, int]:
    before = _command_calls(redis_client)
    action()
    after = _command_calls(redis_client)
    return {n: after[n] - before.get(n, 0) for n in after
            if after[n] != before.get(n, 0) and n != "info"}


LARGE_STORE = 200_000
# Redis commands erasure may spend per comment of the author (record read, withdrawal,
# history read and rewrite, field deletes, example, erased event) and per request.
PER_COMMENT = 15
PER_REQUEST = 60


@pytest.fixture
def large_store(runtime, redis_client):
    """200,000 comment records of other authors, written straight into Redis: a scan inside
    the request would read every one of them (and run past gunicorn's timeout)."""
    # Written by a server-side loop: 200,000 HSETs from Python would take most of a minute.
    fill = redis_client.register_script("""
    for i = tonumber(ARGV[2]), tonumber(ARGV[3]) do
      redis.call('HSET', ARGV[1] .. string.format('bulk%012d', i),
                 'author_id', 'bulk-author-' .. (i % 5000), 'status', 'approved',
                 'text', "another reader's words")
    end
    """)
    chunk = 20_000
    for start in range(0, LARGE_STORE, chunk):
        fill(args=[runtime.keys.comment(""), start, start + chunk - 1])
    return LARGE_STORE


def _seed_author(runtime, author_id: str, count: int) -> list[str]:
    ids = []
    for i in range(count):
        cid = runtime.comments.create(article_id="story-9", text=f"{SECRET_TEXT} #{i}",
                                      author_id=author_id, author_name=SECRET_NAME).id
        if i % 2:
            decide(runtime, cid, "story-9", "held", note=f"note on {SECRET_TEXT[:25]}")
        ids.append(cid)
    return ids


def test_erasure_work_grows_with_the_authors_comments_not_the_store(
        client, admin_headers, runtime, redis_client, large_store, settings):
    authored = 30
    _seed_author(runtime, "prolific", authored)
    _seed_author(runtime, "cli-author", authored)
    assert redis_client.dbsize() > large_store

    responses = []
    calls = _calls_during(redis_client, lambda: responses.append(
        client.delete("/v1/authors/prolific", headers=admin_headers)))
    assert responses[0].status_code == 200
    assert responses[0].get_json()["texts_erased"] == authored
    assert "scan" not in calls and "keys" not in calls
    assert sum(calls.values()) <= PER_REQUEST + PER_COMMENT * authored, calls

    # The command line takes the same path.
    done = []
    calls = _calls_during(redis_client, lambda: done.append(subprocess.run(
        [sys.executable, "-m", "moderation.cli", "erase-author", "cli-author"],
        env=_cli_env(settings), cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)))
    assert done[0].returncode == 0, done[0].stderr[-2000:]
    assert json.loads(done[0].stdout.strip().splitlines()[-1])["texts_erased"] == authored
    assert "scan" not in calls and "keys" not in calls
    assert sum(calls.values()) <= PER_REQUEST + PER_COMMENT * authored, calls
    for author in ("prolific", "cli-author"):
        index = runtime.keys.tenant("default").author_stored(author)
        ids = [m.decode() for m in redis_client.zrange(index, 0, -1)]
        assert len(ids) == authored
        assert all("text" not in r and "erased" in r for r in map(runtime.comments.get, ids))


def _coral(client, author_id: str, text: str):
    raw = json.dumps({"action": "NEW", "comment": {"body": text, "parentID": None},
                      "author": {"id": author_id, "role": "COMMENTER"},
                      "story": {"id": "story-1", "url": "https://news.example/s"}}).encode()
    signature = hmac.new(CORAL_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return client.post("/v1/integrations/coral", data=raw, headers={
        "Content-Type": "application/json", "X-Coral-Signature": f"sha256={signature}"})


def _perspective(client, site_headers, text: str, **extra):
    return client.post("/v1alpha1/comments:analyze", headers=site_headers, json={
        "comment": {"text": text}, "requestedAttributes": {"TOXICITY": {}},
        "communityId": "story-1", "doNotStore": False, **extra})


def test_erasure_reaches_comments_posted_through_every_path(client, site_headers, admin_headers,
                                                            runtime, redis_client,
                                                            active_small_model):
    native = client.post("/v1/comments", headers=site_headers, json={
        "article_id": "story-1", "text": SECRET_TEXT, "author": {"id": "reader-9", "name": SECRET_NAME}})
    assert native.status_code == 202  # no worker runs: it stays pending
    via_perspective = _perspective(client, site_headers, SECRET_TEXT + " (perspective)",
                                   authorId="reader-9")
    assert via_perspective.status_code == 200, via_perspective.get_data(as_text=True)
    perspective_id = via_perspective.headers["X-Moderation-Comment-Id"]
    assert runtime.comments.get(perspective_id)["author_id"] == "reader-9"
    assert _coral(client, "reader-9", SECRET_TEXT + " (coral)").status_code in (200, 204)
    anonymous = _perspective(client, site_headers, OTHER_TEXT)
    assert runtime.comments.get(anonymous.headers["X-Moderation-Comment-Id"])["author_id"] == ""

    report = client.delete("/v1/authors/reader-9", headers=admin_headers).get_json()
    assert report["comments"] == 3 and report["texts_erased"] == 3
    assert report["names_erased"] == 1 and report["pending_withdrawn"] == 1
    stored = everything_in_redis(redis_client)
    for needle in ("Quartermaine", "Larkspur", "Wigglesworth"):
        assert needle.encode() not in stored, needle
    # Coral's replay key is a hash of the text: gone with it.
    assert b"sha256:" not in stored
    assert OTHER_TEXT.encode() in stored  # no author: nothing to erase it by


def test_report_reasons_are_erased_with_the_comment(client, site_headers, admin_headers, runtime,
                                                    redis_client):
    cid = runtime.comments.create(article_id="s", text=SECRET_TEXT, author_id="au-r").id
    decide(runtime, cid, "s", "approved")
    other = runtime.comments.create(article_id="s", text=OTHER_TEXT, author_id="au-o").id
    decide(runtime, other, "s", "approved")
    def report(comment_id: str, reader: str, reason: str) -> None:
        response = client.post(f"/v1/comments/{comment_id}/reports", headers=site_headers,
                               json={"reader_id": reader, "reason": reason})
        assert response.status_code == 200, response.get_data(as_text=True)

    # Part of the text, not all of it: no needle matches it, yet it quotes the comment.
    report(cid, "reader-1", "it says he lives at 14 Larkspur Close!")
    report(cid, "reader-2", "doxxing")
    report(other, "reader-1", "off topic, not abusive")
    erased = Eraser(redis_client, runtime.keys).erase_author("default", "au-r", by="test")
    assert erased.history_events_redacted >= 2
    history = runtime.comments.history(cid)
    reported = [e for e in history if e["event"] == "reported"]
    assert [e["reason"] for e in reported] == [ERASED, ERASED]
    assert [e["by"] for e in reported] == ["reader:reader-1", "reader:reader-2"]
    stored = everything_in_redis(redis_client)
    assert b"Larkspur" not in stored and b"doxxing" not in stored
    assert b"off topic, not abusive" in stored  # another author's comment keeps its reports
    # A report arriving after the erasure counts, but its reason is not kept.
    report(cid, "reader-3", "he is Zebulon, everyone knows")
    assert runtime.comments.history(cid)[-1] == {**runtime.comments.history(cid)[-1],
                                                 "event": "reported", "reason": ERASED}
    assert b"everyone knows" not in everything_in_redis(redis_client)


def test_retention_purges_comments_stuck_pending(client, site_headers, runtime, redis_client):
    c = runtime.comments
    day = 86400
    stuck = c.create(article_id="s", text="stuck pending for a year", author_id="a-p").id
    fresh = c.create(article_id="s", text="pending since today", author_id="a-p").id
    # Its own retry job failed: out of the lease set, still pending; posted 40 days ago.
    c.detach_from_lease(stuck)
    redis_client.hset(runtime.keys.comment(stuck), "created", repr(time.time() - 40 * day))
    reported = client.post(f"/v1/comments/{stuck}/reports", headers=site_headers,
                           json={"reader_id": "reader-1", "reason": "quotes it: stuck pending"})
    assert reported.status_code == 200

    report = purge_expired(redis_client, runtime.keys,
                           make_settings(runtime.settings.redis_url, retention_days=30.0))
    assert report.purged == 1 and report.pending_purged == 1
    assert c.get(stuck) is None and c.history(stuck) == []
    assert not redis_client.exists(runtime.keys.reports(stuck))
    stored = everything_in_redis(redis_client)
    assert stuck.encode() not in stored and b"stuck pending" not in stored
    assert c.get(fresh)["status"] == "pending"
    assert redis_client.zscore(runtime.keys.pending, fresh) is not None


def test_retention_purges_only_old_decided_comments(runtime, redis_client):
    c = runtime.comments
    day = 86400
    old_decided = c.create(article_id="s", text="old and decided", author_id="a", external_id="e1").id
    recent_decided = c.create(article_id="s", text="recent and decided", author_id="a").id
    old_pending = c.create(article_id="s", text="old but pending", author_id="a").id
    decide(runtime, old_decided, "s", "held", decided=time.time() - 40 * day)
    decide(runtime, recent_decided, "s", "approved", decided=time.time() - 2 * day)
    redis_client.zadd(runtime.keys.tenant("default").author_comments("a"),
                      {old_decided: 1, recent_decided: 2})
    redis_client.hset(runtime.keys.tenant("default").author("a"), mapping={"approved": 2})

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
    assert posted_of(*redis_client.hmget(runtime.keys.tenant("default").author("a"),
                                   STORED_COUNTERS)) == 2
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
                                             active_small_model, caplog):
    """An end-to-end run (API in-process, a real worker process, both at DEBUG) logs
    ids and counts, never the comment's words or the author's name."""
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


def test_a_purged_held_comment_leaves_no_queue_index_behind(runtime, redis_client):
    """Purging goes through the same queue unindexing as a decision: no index, and no
    category listed for an index that no longer exists (a category outside the known ones
    is listed in the scope's set; the known ones never are)."""
    keys, own = runtime.keys, runtime.keys.tenant("default")
    cid = runtime.comments.create(article_id="s", text="held long ago", author_id="a").id
    decide(runtime, cid, "s", "held", decided=time.time() - 40 * 86400)
    runtime.redis.hset(keys.comment(cid), "reasons", '["abuse: threat", "legacy_rule"]')
    store = ModerationStore(redis_client, keys, runtime.comments, runtime.settings)
    # re-indexed by a report: under each category its reasons name now
    assert store.report(cid, tenant="default", reader_id="r1", reason="x")["queued"]
    assert redis_client.smembers(own.held_categories) == {b"legacy_rule"}
    assert redis_client.zscore(own.held_category("legacy_rule"), cid) is not None

    settings = make_settings(runtime.settings.redis_url, retention_days=30.0)
    assert purge_expired(redis_client, keys, settings).purged == 1
    for key in (own.held_queue, own.held_article("s"),
                keys.held_category("abuse"), own.held_category("abuse"),
                keys.held_category("legacy_rule"), own.held_category("legacy_rule"),
                keys.held_category("reader_report"), own.held_category("reader_report"),
                keys.held_kind("threat"), own.held_kind("threat")):
        assert not redis_client.exists(key), key
    assert not redis_client.smembers(keys.held_categories)
    assert not redis_client.smembers(own.held_categories)


def test_a_comment_decided_again_after_the_sweep_read_it_is_kept(runtime, redis_client):
    """The age is checked again where the comment is deleted, so a moderator's decision
    landing between the sweep's read and its delete keeps the comment."""
    c = runtime.comments
    cid = c.create(article_id="s", text="decided again today", author_id="a").id
    decide(runtime, cid, "s", "approved", decided=time.time() - 40 * 86400)
    stale = {"tenant": "default", "article_id": "s", "author_id": "a", "external_id": None}
    cutoff = time.time() - 30 * 86400
    decide(runtime, cid, "s", "rejected")  # after the sweep's read: decided today
    assert c.purge(cid, **stale, cutoff=cutoff) == 0
    assert c.get(cid)["status"] == "rejected"
    assert redis_client.zscore(runtime.keys.tenant("default").author_stored("a"), cid) is not None
    decide(runtime, cid, "s", "approved", decided=time.time() - 40 * 86400)
    assert c.purge(cid, **stale, cutoff=cutoff) == 1
    assert c.get(cid) is None
