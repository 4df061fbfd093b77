"""Decision webhooks: registration, signed events, RQ delivery with retries against a real
local HTTP receiver and a real worker, failures listed and replayed."""

from __future__ import annotations

import dataclasses
import json
import time

import pytest
from rq import Queue
from rq.registry import FinishedJobRegistry

from tests.conftest import make_settings, wait_until
from tests.webhook_support import (
    LOOPBACK_ALLOWED,
    assert_error,
    receiver_fixture,  # noqa: F401 -- the receiver fixture
    register,
    webhook_worker_env,
)
from worker.webhooks import ANSWERED_ERROR, SIGNATURE_HEADER, emit_decisions, sign, verify

RECORD = {"id": "c1", "article_id": "story-1", "external_id": "site-9", "status": "held",
          "reasons": ["abuse: insult"], "decided_by": "model", "model_version": "v1",
          "decided": 1_760_000_000.5, "text": "never sent"}


@pytest.fixture
def settings(redis_url, redis_client):
    # Retries a second apart, so that a delivery's whole retry plan runs within a test; the
    # receivers are on loopback, which only an allow-list entry opens.
    return make_settings(redis_url, webhook_retry_backoff="1,1,1",
                         webhook_allowed_hosts=LOOPBACK_ALLOWED)


@pytest.fixture
def start_webhook_worker(start_worker, settings):
    def start(**extra: str):
        return start_worker(**webhook_worker_env(settings, **extra))

    return start


def webhook_jobs(redis_client) -> list:
    return Queue("webhooks", connection=redis_client).get_jobs()


# Registration ---------------------------------------------------------------------
def test_register_shows_secret_once_then_get_and_delete(client, site_headers):
    created = register(client, site_headers, "https://news.example/hooks")
    assert set(created) == {"key_id", "url", "secret", "created_at"}
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    shown = client.get("/v1/webhooks", headers=site_headers)
    assert shown.status_code == 200
    assert shown.get_json() == {"key_id": created["key_id"], "url": "https://news.example/hooks",
                                "created_at": created["created_at"]}
    again = register(client, site_headers, "https://news.example/hooks/v2")
    assert again["secret"] != created["secret"]
    assert client.delete("/v1/webhooks", headers=site_headers).status_code == 204
    assert_error(client.get("/v1/webhooks", headers=site_headers), 404, "webhook_not_found")
    assert_error(client.delete("/v1/webhooks", headers=site_headers), 404, "webhook_not_found")


def test_webhooks_need_a_site_key(client, moderator_headers):
    assert_error(client.put("/v1/webhooks", json={"url": "https://x.example/"},
                            headers=moderator_headers), 403, "forbidden")
    assert_error(client.get("/v1/webhooks"), 401, "unauthorized")


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "ftp://files.example/x", "gopher://127.0.0.1:6379/_FLUSHALL",
    "javascript:alert(1)", "http://", "https://user:pw@news.example/", "http://news example/",
    "https://news.example/#frag", "https://news.example:99999/", "not a url",
])
def test_only_plain_http_urls_are_accepted(client, site_headers, url):
    response = client.put("/v1/webhooks", json={"url": url}, headers=site_headers)
    body = assert_error(response, 422, "validation_error")
    assert "url" in body["details"]["json"]


# Signatures -------------------------------------------------------------------------
def test_signature_verifies_and_rejects_tampering_and_old_timestamps():
    body = b'{"id":"evt_1"}'
    header = sign("whsec_s", body, 1_000)
    assert header.startswith("t=1000,v1=") and len(header.split("v1=")[1]) == 64
    assert verify("whsec_s", body, header, now=1_010)
    assert not verify("whsec_s", body + b" ", header, now=1_010)
    assert not verify("whsec_other", body, header, now=1_010)
    assert not verify("whsec_s", body, header, now=1_000 + 301)
    assert not verify("whsec_s", body, "v1=" + header.split("v1=")[1], now=1_010)


# Emitting ---------------------------------------------------------------------------
def test_emit_does_nothing_without_webhooks(runtime, redis_client):
    assert emit_decisions(runtime.redis, runtime.keys, runtime.settings, [RECORD]) == 0
    assert webhook_jobs(redis_client) == []


def test_emit_queues_one_delivery_per_decision_and_webhook(client, runtime, redis_client, make_key):
    for _ in range(2):
        register(client, {"Authorization": f"Bearer {make_key('site')}"}, "https://x.example/h")
    records = [dict(RECORD, id=f"c{n}") for n in range(3)]
    assert emit_decisions(runtime.redis, runtime.keys, runtime.settings, records) == 6
    jobs = webhook_jobs(redis_client)
    assert len(jobs) == 6
    assert {j.retries_left for j in jobs} == {3}
    assert {tuple(j.retry_intervals) for j in jobs} == {(1, 1, 1)}
    event = json.loads(jobs[0].args[2])
    assert set(event) == {"id", "type", "timestamp", "comment_id", "tenant", "article_id",
                          "external_id", "status", "reasons", "decided_by", "model_version",
                          "statement_of_reasons"}
    assert event["tenant"] == "default"
    assert event["type"] == "comment.decided"
    assert event["timestamp"] == "2025-10-09T08:53:20.500000Z"
    assert "never sent" not in json.dumps([j.args for j in jobs])


def test_moderator_decision_emits_an_event(client, site_headers, moderator_headers, redis_client):
    register(client, site_headers, "https://x.example/h")
    posted = client.post("/v1/comments", json={"article_id": "a1", "text": "Fine words.",
                                               "author": {"id": "r1"}}, headers=site_headers)
    comment_id = posted.get_json()["id"]
    decided = client.post(f"/v1/comments/{comment_id}/decision", headers=moderator_headers,
                          json={"action": "reject", "reason_code": "legal"})
    assert decided.status_code == 200, decided.get_data(as_text=True)
    events = [json.loads(j.args[2]) for j in webhook_jobs(redis_client)]
    assert len(events) == 1
    assert events[0]["comment_id"] == comment_id and events[0]["status"] == "rejected"
    assert events[0]["decided_by"].startswith("moderator:") and events[0]["reasons"] == ["legal"]


# Delivery with a real worker -----------------------------------------------------------
def test_delivery_fails_twice_then_succeeds(client, site_headers, runtime, receiver,
                                            start_webhook_worker):
    target = receiver([500, 503])
    secret = register(client, site_headers, target.url)["secret"]
    start_webhook_worker()
    assert emit_decisions(runtime.redis, runtime.keys, runtime.settings, [RECORD]) == 1
    wait_until(lambda: target.answered(200), timeout=60)
    # Once its job has finished (no retry left scheduled) nothing more can arrive.
    wait_until(lambda: FinishedJobRegistry("webhooks", connection=runtime.redis).count == 1,
               timeout=30)
    assert [r["status"] for r in target.requests] == [500, 503, 200]
    bodies = {r["body"] for r in target.requests}
    assert len(bodies) == 1  # the same event each time
    deliveries = {r["headers"]["X-Moderation-Delivery"] for r in target.requests}
    assert len(deliveries) == 1
    for request in target.requests:
        assert request["headers"]["Content-Type"] == "application/json"
        assert request["headers"]["X-Moderation-Event"] == "comment.decided"
        assert verify(secret, request["body"], request["headers"][SIGNATURE_HEADER])
        assert not verify("whsec_wrong", request["body"], request["headers"][SIGNATURE_HEADER])
    event = json.loads(target.requests[-1]["body"])
    assert event["comment_id"] == "c1" and event["status"] == "held"
    assert event["external_id"] == "site-9" and event["reasons"] == ["abuse: insult"]
    assert client.get("/v1/webhooks/failures", headers=site_headers).get_json() == {
        "items": [], "next_cursor": None}


def test_spent_retries_are_listed_and_can_be_replayed(client, site_headers, make_key, runtime,
                                                      receiver, start_webhook_worker):
    target = receiver([500, 500])
    register(client, site_headers, target.url)
    start_webhook_worker()
    one_retry = dataclasses.replace(runtime.settings, webhook_retry_backoff="1")
    emit_decisions(runtime.redis, runtime.keys, one_retry, [RECORD])

    def listed():
        return client.get("/v1/webhooks/failures", headers=site_headers).get_json()["items"]

    failures = wait_until(listed, timeout=60)
    assert len(failures) == 1 and len(target.requests) == 2
    failure = failures[0]
    # Generic: no status (a status per port would make the listing a port scanner).
    assert failure["attempts"] == 2 and failure["last_error"] == ANSWERED_ERROR
    assert failure["url"] == target.url and failure["event"]["comment_id"] == "c1"

    # Another site key neither sees nor replays it; an admin sees every key's of its tenant.
    other = {"Authorization": f"Bearer {make_key('site')}"}
    assert client.get("/v1/webhooks/failures", headers=other).get_json()["items"] == []
    assert_error(client.post(f"/v1/webhooks/failures/{failure['id']}/replay", headers=other),
                 404, "delivery_not_found")
    admin = {"Authorization": f"Bearer {make_key('admin')}"}
    assert len(client.get("/v1/webhooks/failures", headers=admin).get_json()["items"]) == 1

    replay = client.post(f"/v1/webhooks/failures/{failure['id']}/replay", headers=site_headers)
    assert replay.status_code == 202 and replay.get_json() == {"id": failure["id"], "status": "queued"}
    assert_error(client.post(f"/v1/webhooks/failures/{failure['id']}/replay", headers=site_headers),
                 404, "delivery_not_found")
    wait_until(lambda: target.answered(200), timeout=30)
    replayed = target.answered(200)[0]
    assert replayed["body"] == target.requests[0]["body"]
    assert replayed["headers"]["X-Moderation-Delivery"] == failure["id"]
    assert listed() == []


def test_replay_needs_a_registered_webhook(client, site_headers, runtime):
    from storage.webhooks import FailedDelivery, WebhookStore

    store = WebhookStore(runtime.redis, runtime.keys)
    key_id = register(client, site_headers, "https://x.example/h")["key_id"]
    store.record_failure(FailedDelivery(id="d1", key_id=key_id, url="https://x.example/h",
                                        body=json.dumps({"id": "evt"}), attempts=3,
                                        last_error="receiver unreachable", failed_at=time.time()),
                         keep_seconds=60)
    client.delete("/v1/webhooks", headers=site_headers)
    assert_error(client.post("/v1/webhooks/failures/d1/replay", headers=site_headers),
                 409, "webhook_not_registered")


def test_model_decisions_reach_the_receiver(client, site_headers, receiver, start_worker,
                                            start_webhook_worker, active_small_model):
    target = receiver([])
    secret = register(client, site_headers, target.url)["secret"]
    start_worker()  # scoring (the default queues: comments only)
    start_webhook_worker()
    posted = client.post("/v1/comments", json={"article_id": "a1", "text": "Thanks for the report.",
                                               "author": {"id": "r1"}, "external_id": "e-1"},
                         headers=site_headers)
    comment_id = posted.get_json()["id"]
    wait_until(lambda: target.answered(200), timeout=60)
    request = target.requests[0]
    assert verify(secret, request["body"], request["headers"][SIGNATURE_HEADER])
    event = json.loads(request["body"])
    stored = client.get(f"/v1/comments/{comment_id}", headers=site_headers).get_json()
    assert event["comment_id"] == comment_id and event["external_id"] == "e-1"
    assert event["status"] == stored["status"] and event["decided_by"] == "model"
    assert event["model_version"] == active_small_model
