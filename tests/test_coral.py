"""Coral Talk's external moderation phase: signatures over the raw body, Coral's request and
response shapes, and the comment recorded as a natively posted one."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

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


@pytest.fixture
def active_small_model(runtime, small_scorer) -> str:
    from worker.publishing import register_scorer

    return register_scorer(runtime.models, small_scorer, created_by="tests", activate=True)


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
    ids = runtime.redis.zrange(runtime.keys.article_comments(story), 0, -1)
    assert len(ids) == 1
    record = runtime.comments.get(ids[0].decode())
    assert record["status"] == "held" and record["decided_by"] == "model"
    assert record["model_version"] == active_small_model
    assert record["author_id"] == coral_request()["author"]["id"]
    assert record["external_id"] == "coral-c-1" and record["parent_id"] == "coral-parent"
    assert record["text"] == coral_request()["comment"]["body"]
    assert runtime.redis.zscore(runtime.keys.held_queue, record["id"]) is not None
    assert runtime.redis.zscore(runtime.keys.pending, record["id"]) is None


def test_pass_answers_204_and_records_an_approved_comment(client, runtime, active_small_model):
    hold_everything(runtime, False)
    response = send(client, coral_request(), "whsec_new")
    assert response.status_code == 204 and response.get_data() == b""
    story = coral_request()["story"]["id"]
    (cid,) = runtime.redis.zrange(runtime.keys.article_comments(story, "approved"), 0, -1)
    assert runtime.comments.get(cid.decode())["decided_by"] == "model"


def test_a_retried_request_with_coral_comment_id_is_recorded_once(client, runtime,
                                                                  active_small_model):
    hold_everything(runtime, True)
    first = send(client, coral_request(id="coral-c-7"), "whsec_new")
    hold_everything(runtime, False)
    second = send(client, coral_request(id="coral-c-7"), "whsec_new")
    # The second answer is the recorded decision, not a fresh one.
    assert first.status_code == second.status_code == 200
    story = coral_request()["story"]["id"]
    assert runtime.redis.zcard(runtime.keys.article_comments(story)) == 1


def test_openapi_documents_the_route_and_its_signature(client):
    spec = client.get("/openapi.json").get_json()
    operation = spec["paths"][URL]["post"]
    assert operation["security"] == [{"coralSignature": []}]
    assert {"200", "204", "401"} <= set(operation["responses"])
    assert spec["components"]["securitySchemes"]["coralSignature"]["name"] == "X-Coral-Signature"
