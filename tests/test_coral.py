"""Coral Talk's external moderation phase: signatures over the raw body, Coral's request and
response shapes, and the comment recorded as a natively posted one."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading

import pytest
from rq import Queue

from storage.comments import content_external_id
from storage.webhooks import WebhookStore
from tests.conftest import make_settings

SECRETS = "whsec_old,whsec_new"
URL = "/v1/integrations/coral"


def coral_request(body: str = "The IOPC report is damning.", **comment) -> dict:
    """Coral's ExternalModerationRequest as its docs show it."""
    return {
        "action": "NEW",
        "comment": {"body": body, "parentID": None, **comment},
        "author": {"id": "baf4e943-3594-4fcc-b2ba-3e8de7a76352", "role": "COMMENTER"},
        "story": {"id": "245b3856-b0a0-4d2f-a6bb-58c71f18d6a6",
                  "url": "https://news.example/rotherham-iopc"},
        "site": {"id": "a4bede88-2d2c-4424-bc18-4322a9e285a6"},
        "tenantID": "19ba5794-7eeb-4d46-a81b-c00c61672501",
        "tenantDomain": "news.example",
    }


def signed(payload: dict | bytes, *secrets: str) -> tuple[bytes, dict[str, str]]:
    """Body and headers as Coral sends them: JSON with 2-space indent, one sha256= per secret."""
    raw = payload if isinstance(payload, bytes) else json.dumps(payload, indent=2).encode()
    header = ",".join("sha256=" + hmac.new(s.encode(), raw, hashlib.sha256).hexdigest()
                      for s in secrets)
    return raw, {"X-Coral-Signature": header, "Content-Type": "application/json"}


def send(client, payload: dict | bytes, *secrets: str, headers: dict | None = None):
    raw, sig_headers = signed(payload, *secrets)
    return client.post(URL, data=raw, headers={**sig_headers, **(headers or {})})


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == code and body["message"] and isinstance(body["details"], dict)
    return body


def stored_comments(redis_client) -> list[bytes]:
    return [k for k in redis_client.scan_iter("mod:c:*") if k.count(b":") == 2]


@pytest.fixture
def settings(redis_url, redis_client):
    return make_settings(redis_url, coral_signing_secrets=SECRETS)


def hold_everything(runtime, hold: bool) -> None:
    """Admin thresholds that make the model's verdict certain, whatever the small model scores."""
    value = "0" if hold else "1.01"
    runtime.redis.hset(runtime.keys.thresholds,
                       mapping={"abuse": value, "victim_identification": value})


# Signatures ---------------------------------------------------------------------------
@pytest.mark.parametrize("header", [
    None,
    "",
    "sha256=",
    "sha256=" + "0" * 64,
    "sha1=" + "0" * 40,
])
def test_missing_or_wrong_signature_is_401_and_stores_nothing(client, redis_client, header):
    raw = json.dumps(coral_request(), indent=2).encode()
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["X-Coral-Signature"] = header
    assert_error(client.post(URL, data=raw, headers=headers), 401, "invalid_signature")
    assert stored_comments(redis_client) == []


def _utf8_header(value: str) -> str:
    """A header value as WSGI carries raw UTF-8 bytes (each byte a latin-1 character)."""
    return value.encode("utf-8").decode("latin-1")


GOOD_HEX = "0" * 64


@pytest.mark.parametrize("header", [
    "sha256=" + "é" * 64,                                 # non-ASCII (latin-1 byte)
    _utf8_header("sha256=" + "€" * 64),                   # non-ASCII (UTF-8 bytes)
    _utf8_header("sha256=" + GOOD_HEX[:-1] + "€"),
    "sha256=" + "٣" * 64,                                 # Unicode digits are not hex
    " ",
    ",,,",
    "sha256=" + GOOD_HEX + "," * 100_000,                 # huge
    ",".join(["sha256=" + GOOD_HEX] * 10_000),            # huge, well-formed parts
    "sha256=" + "a" * 100_000,
    "sha1=" + "0" * 40,                                   # other schemes
    "SHA256=" + GOOD_HEX,
    "hmac-sha256=" + GOOD_HEX,
    "Bearer " + GOOD_HEX,
    "t=1760000000,v1=" + GOOD_HEX,
    "sha256=" + "g" * 64,                                 # not hex
    "sha256=" + GOOD_HEX[:63],                            # too short
    "sha256=" + GOOD_HEX + "0",                           # too long
])
def test_malformed_signatures_are_401_never_500(client, redis_client, header):
    raw = json.dumps(coral_request(), indent=2).encode()
    response = client.post(URL, data=raw, headers={"Content-Type": "application/json"},
                           environ_overrides={"HTTP_X_CORAL_SIGNATURE": header})
    assert_error(response, 401, "invalid_signature")
    assert stored_comments(redis_client) == []


def test_a_valid_signature_beside_junk_still_passes(client):
    raw, headers = signed(coral_request(body=" "), "whsec_new")
    headers["X-Coral-Signature"] = "sha1=abc, sha256=" + "é" * 64 + "," + headers["X-Coral-Signature"]
    assert client.post(URL, data=raw, headers=headers).status_code == 204


def test_signature_must_cover_the_exact_raw_body(client, redis_client):
    raw, headers = signed(coral_request(), "whsec_new")
    # The same JSON re-serialised (compact) is another byte string: its signature fails.
    compact = json.dumps(json.loads(raw), separators=(",", ":")).encode()
    assert_error(client.post(URL, data=compact, headers=headers), 401, "invalid_signature")
    assert_error(send(client, coral_request(), "whsec_unknown"), 401, "invalid_signature")
    assert stored_comments(redis_client) == []


def test_any_configured_secret_and_any_offered_signature_pass(client):
    # During a rotation Coral signs with several secrets; one match is enough.
    for secrets in (("whsec_old",), ("whsec_new",), ("whsec_retired", "whsec_new")):
        response = send(client, coral_request(), *secrets)
        assert response.status_code != 401, secrets


def test_not_configured_is_503(redis_url, redis_client, runtime):
    from service.app import create_app

    app = create_app(make_settings(redis_url), runtime)
    response = send(app.test_client(), coral_request(), "whsec_new")
    assert_error(response, 503, "coral_not_configured")


def test_coral_is_not_throttled_as_an_anonymous_caller(redis_url, runtime):
    from service.app import create_app

    settings = make_settings(redis_url, coral_signing_secrets=SECRETS, rate_limit_anonymous="1/minute")
    client = create_app(settings, runtime).test_client()
    for _ in range(3):
        assert send(client, coral_request(body=" "), "whsec_new").status_code == 204
    assert client.get("/v1/comments/x").status_code == 401
    assert client.get("/v1/comments/x").status_code == 429


def _limited_client(redis_url, runtime, limit: str):
    from service.app import create_app

    settings = make_settings(redis_url, coral_signing_secrets=SECRETS,
                             rate_limit_coral_failed_signatures=limit)
    return create_app(settings, runtime).test_client()


def _from(address: str) -> dict:
    return {"environ_overrides": {"REMOTE_ADDR": address}}


def test_failed_signatures_are_limited_per_address(redis_url, runtime, redis_client):
    client = _limited_client(redis_url, runtime, "3/minute")
    attacker, other = "203.0.113.7", "198.51.100.2"
    raw = json.dumps(coral_request(body=" ")).encode()
    bad = {"X-Coral-Signature": "sha256=" + GOOD_HEX, "Content-Type": "application/json"}
    for _ in range(3):
        assert_error(client.post(URL, data=raw, headers=bad, **_from(attacker)), 401,
                     "invalid_signature")
    limited = client.post(URL, data=raw, headers=bad, **_from(attacker))
    body = assert_error(limited, 429, "rate_limited")
    retry_after = int(limited.headers["Retry-After"])
    assert 1 <= retry_after <= 60 and body["details"]["retry_after"] == retry_after
    # Refused before the HMAC: from that address, a valid signature is refused too
    # (otherwise the answer would tell a guessed secret from a wrong one).
    raw_ok, good = signed(coral_request(body=" "), "whsec_new")
    assert client.post(URL, data=raw_ok, headers=good, **_from(attacker)).status_code == 429
    # Other addresses are not affected.
    assert client.post(URL, data=raw_ok, headers=good, **_from(other)).status_code == 204
    assert_error(client.post(URL, data=raw, headers=bad, **_from(other)), 401, "invalid_signature")
    # The counter is a key of the service's own (prefix, TTL of the window).
    (key,) = [k for k in redis_client.scan_iter("mod:coral-sigfail:*") if attacker.encode() in k]
    assert 0 < redis_client.ttl(key) <= 60


def test_valid_signatures_never_count(redis_url, runtime):
    client = _limited_client(redis_url, runtime, "2/minute")
    raw_ok, good = signed(coral_request(body=" "), "whsec_old")
    for _ in range(10):
        assert client.post(URL, data=raw_ok, headers=good).status_code == 204
    bad = {**good, "X-Coral-Signature": "sha256=" + GOOD_HEX}
    assert client.post(URL, data=raw_ok, headers=bad).status_code == 401
    assert client.post(URL, data=raw_ok, headers=bad).status_code == 401
    assert client.post(URL, data=raw_ok, headers=bad).status_code == 429


def test_failed_signature_limit_can_be_turned_off(redis_url, runtime):
    client = _limited_client(redis_url, runtime, "")
    raw = json.dumps(coral_request(body=" ")).encode()
    bad = {"X-Coral-Signature": "sha256=" + GOOD_HEX, "Content-Type": "application/json"}
    assert {client.post(URL, data=raw, headers=bad).status_code for _ in range(30)} == {401}


def test_a_malformed_failed_signature_limit_stops_start_up(redis_url, runtime):
    with pytest.raises(ValueError, match="RATE_LIMIT_CORAL_FAILED_SIGNATURES"):
        _limited_client(redis_url, runtime, "lots")


def test_signed_but_malformed_bodies_get_4xx(client):
    assert_error(send(client, b"{not json", "whsec_new"), 400, "malformed_json")
    assert_error(send(client, b"[" * 5000 + b"]" * 5000, "whsec_new"), 400, "json_too_deep")
    missing = coral_request()
    del missing["story"]
    body = assert_error(send(client, missing, "whsec_new"), 422, "validation_error")
    assert "story" in body["details"]["json"]
    bad_action = dict(coral_request(), action="DELETE")
    assert_error(send(client, bad_action, "whsec_new"), 422, "validation_error")


# Verdicts ------------------------------------------------------------------------------
def test_no_active_model_withholds_and_leaves_the_comment_to_the_workers(client, runtime,
                                                                         redis_client):
    response = send(client, coral_request(), "whsec_new")
    assert response.status_code == 200
    assert response.get_json() == {"status": "SYSTEM_WITHHELD", "actions": [
        {"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}]}
    (key,) = stored_comments(redis_client)
    record = runtime.comments.get(key.decode().rsplit(":", 1)[1])
    assert record["status"] == "pending"
    # Leased to the API process (a worker scores it when the lease ends); no drain job queued.
    assert runtime.redis.zscore(runtime.keys.pending, record["id"]) > record["created"]
    assert redis_client.llen("rq:queue:comments") == 0


def test_blank_body_passes_without_storing(client, redis_client):
    response = send(client, coral_request(body="  "), "whsec_new")
    assert response.status_code == 204 and response.get_data() == b""
    assert stored_comments(redis_client) == []


def test_hold_answers_system_withheld_and_records_the_comment(client, runtime, active_small_model):
    hold_everything(runtime, True)
    response = send(client, coral_request(id="coral-c-1", parentID="coral-parent"), "whsec_new")
    assert response.status_code == 200
    assert response.get_json() == {"status": "SYSTEM_WITHHELD", "actions": [
        {"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}]}
    story = coral_request()["story"]["id"]
    ids = runtime.redis.zrange(runtime.keys.tenant("default").article_comments(story), 0, -1)
    assert len(ids) == 1
    record = runtime.comments.get(ids[0].decode())
    assert record["status"] == "held" and record["decided_by"] == "model"
    assert record["model_version"] == active_small_model
    assert record["author_id"] == coral_request()["author"]["id"]
    # The replay key: author, parent, Coral's comment id (when sent) and text.
    assert record["external_id"] == content_external_id(
        record["author_id"], "coral-parent", "coral-c-1", record["text"])
    assert record["parent_id"] == "coral-parent"
    assert record["text"] == coral_request()["comment"]["body"]
    assert runtime.redis.zscore(runtime.keys.tenant("default").held_queue, record["id"]) is not None
    assert runtime.redis.zscore(runtime.keys.pending, record["id"]) is None


def test_pass_answers_204_and_records_an_approved_comment(client, runtime, active_small_model):
    hold_everything(runtime, False)
    response = send(client, coral_request(), "whsec_new")
    assert response.status_code == 204 and response.get_data() == b""
    story = coral_request()["story"]["id"]
    (record,), _ = runtime.comments.list_article("default", story, "approved", None, 10)
    assert record["decided_by"] == "model"


def test_a_retried_request_with_coral_comment_id_is_recorded_once(client, runtime,
                                                                  active_small_model):
    hold_everything(runtime, True)
    first = send(client, coral_request(id="coral-c-7"), "whsec_new")
    hold_everything(runtime, False)
    second = send(client, coral_request(id="coral-c-7"), "whsec_new")
    # The second answer is the recorded decision, not a fresh one.
    assert first.status_code == second.status_code == 200
    story = coral_request()["story"]["id"]
    assert runtime.redis.zcard(runtime.keys.tenant("default").article_comments(story)) == 1


def test_a_replayed_request_without_coral_comment_id_is_recorded_once(client, runtime,
                                                                     active_small_model):
    # Coral's request carries no comment id: the replay key is the author, parent and text.
    hold_everything(runtime, True)
    raw, headers = signed(coral_request(body="Replayed word for word."), "whsec_new")
    first = client.post(URL, data=raw, headers=headers)
    hold_everything(runtime, False)
    again = [client.post(URL, data=raw, headers=headers) for _ in range(3)]
    assert {(r.status_code, r.get_data()) for r in again} == {(first.status_code, first.get_data())}
    assert first.status_code == 200
    story = coral_request()["story"]["id"]
    (cid,) = runtime.redis.zrange(runtime.keys.tenant("default").article_comments(story), 0, -1)
    record = runtime.comments.get(cid.decode())
    assert record["external_id"].startswith("sha256:")
    assert [e["event"] for e in runtime.comments.history(cid.decode())] == ["posted", "scored"]


def test_the_same_request_twice_at_once_is_recorded_and_decided_once(app, runtime, make_key,
                                                                      active_small_model):
    # Coral retries on a timeout while the first request may still be scoring: both race
    # on one replay key. One comment, one decision, one webhook event, one answer.
    hold_everything(runtime, True)
    key_id = runtime.api_keys.authenticate(make_key("site")).id
    WebhookStore(runtime.redis, runtime.keys).register(key_id, "https://x.example/h")
    for n in range(5):
        raw, headers = signed(coral_request(body=f"Sent twice at once, round {n}."), "whsec_new")
        barrier = threading.Barrier(2)
        answers: list = []

        def post(raw=raw, headers=headers, barrier=barrier, answers=answers) -> None:
            client = app.test_client()
            barrier.wait(10)
            response = client.post(URL, data=raw, headers=headers)
            answers.append((response.status_code, response.get_data()))

        threads = [threading.Thread(target=post) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(answers) == 2 and answers[0] == answers[1] and answers[0][0] == 200
    story = coral_request()["story"]["id"]
    ids = [c.decode() for c in runtime.redis.zrange(
        runtime.keys.tenant("default").article_comments(story), 0, -1)]
    assert len(ids) == 5
    for cid in ids:
        events = [e["event"] for e in runtime.comments.history(cid)]
        assert events == ["posted", "scored"], events
    author = coral_request()["author"]["id"]
    assert runtime.redis.zcard(runtime.keys.tenant("default").author_comments(author)) == 5
    assert len(Queue("webhooks", connection=runtime.redis).get_job_ids()) == 5


def test_an_edit_or_another_author_is_a_new_comment(client, runtime, active_small_model):
    hold_everything(runtime, False)
    send(client, coral_request(body="First version."), "whsec_new")
    send(client, dict(coral_request(body="Second version."), action="EDIT"), "whsec_new")
    other_author = coral_request(body="First version.")
    other_author["author"] = {"id": "someone-else", "role": "COMMENTER"}
    send(client, other_author, "whsec_new")
    reply = coral_request(body="First version.", parentID="coral-parent")
    send(client, reply, "whsec_new")
    story = coral_request()["story"]["id"]
    assert runtime.redis.zcard(runtime.keys.tenant("default").article_comments(story)) == 4


def test_odd_ids_and_unstorable_text_are_refused_or_ignored(client, runtime, active_small_model):
    hold_everything(runtime, False)
    newline_author = coral_request()
    newline_author["author"] = {"id": "reader\n", "role": "COMMENTER"}
    assert_error(send(client, newline_author, "whsec_new"), 422, "validation_error")
    surrogate = json.dumps(coral_request(body="x")).replace('"x"', '"\\ud800"').encode()
    assert_error(send(client, surrogate, "whsec_new"), 422, "validation_error")
    # A parent id that is not a valid id is dropped, not stored.
    assert send(client, coral_request(parentID="p\n"), "whsec_new").status_code == 204
    story = coral_request()["story"]["id"]
    (cid,) = runtime.redis.zrange(runtime.keys.tenant("default").article_comments(story), 0, -1)
    assert runtime.comments.get(cid.decode()).get("parent_id") is None


def test_openapi_documents_the_route_and_its_signature(client):
    spec = client.get("/openapi.json").get_json()
    operation = spec["paths"][URL]["post"]
    assert operation["security"] == [{"coralSignature": []}]
    assert {"200", "204", "401", "429"} <= set(operation["responses"])
    assert spec["components"]["securitySchemes"]["coralSignature"]["name"] == "X-Coral-Signature"
