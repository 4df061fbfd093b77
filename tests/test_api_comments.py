"""Intake API: validation, idempotency, listings and error shapes, against real Redis."""

from __future__ import annotations

import json

import pytest

VALID = {"article_id": "rotherham-iopc", "text": "The IOPC report is damning.", "author": {"id": "r1"}}


def post(client, headers, body, **kwargs):
    return client.post("/v1/comments", json=body, headers=headers, **kwargs)


def assert_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], dict)
    return body


def test_post_accepts_and_stores_pending(client, site_headers, redis_client):
    response = post(client, site_headers, {**VALID, "author": {"id": "r1", "name": "Reader One"}})
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "pending"
    assert response.headers["Location"].endswith(f"/v1/comments/{body['id']}")
    stored = client.get(response.headers["Location"], headers=site_headers).get_json()
    assert stored["text"] == VALID["text"]
    assert stored["author"] == {"id": "r1", "name": "Reader One"}
    assert stored["status"] == "pending" and stored["decided_by"] is None
    # One scoring job queued for it.
    assert redis_client.llen("rq:queue:comments") == 1


def test_burst_of_posts_shares_one_queued_job(client, site_headers, redis_client):
    for n in range(5):
        assert post(client, site_headers, {**VALID, "text": f"comment {n}"}).status_code == 202
    assert redis_client.llen("rq:queue:comments") == 1
    assert redis_client.zcard("mod:pending") == 5


def test_external_id_makes_retries_idempotent(client, site_headers, redis_client):
    body = {**VALID, "external_id": "site-123"}
    first = post(client, site_headers, body)
    second = post(client, site_headers, body)
    assert first.status_code == 202 and second.status_code == 200
    assert first.get_json()["id"] == second.get_json()["id"]
    assert redis_client.zcard("mod:pending") == 1
    assert redis_client.llen("rq:queue:comments") == 1
    # The same external id under another article is another comment.
    other = post(client, site_headers, {**body, "article_id": "another-story"})
    assert other.status_code == 202 and other.get_json()["id"] != first.get_json()["id"]


@pytest.mark.parametrize("change", [
    {"text": "The IOPC report is damning!"},
    {"author": {"id": "r2"}},
    {"author": {"id": "r1", "name": "Someone Else"}},
    {"parent_id": "c-9"},
])
def test_a_known_external_id_with_a_different_comment_is_a_conflict(client, site_headers,
                                                                    redis_client, change):
    body = {**VALID, "author": {"id": "r1"}, "external_id": "site-7"}
    first = post(client, site_headers, body)
    assert first.status_code == 202
    retry = post(client, site_headers, body)
    assert retry.status_code == 200 and retry.get_json()["id"] == first.get_json()["id"]
    conflict = assert_error(post(client, site_headers, {**body, **change}), 409, "external_id_conflict")
    assert conflict["details"] == {"external_id": "site-7", "id": first.get_json()["id"]}
    # Nothing of the second body was stored.
    stored = client.get(first.headers["Location"], headers=site_headers).get_json()
    assert stored["text"] == VALID["text"] and stored["author"] == {"id": "r1", "name": None}
    assert redis_client.zcard("mod:pending") == 1


@pytest.mark.parametrize(
    "body, fields",
    [
        ({}, {"article_id", "text", "author"}),
        ({**VALID, "text": ""}, {"text"}),
        ({**VALID, "text": "   \n "}, {"text"}),
        ({**VALID, "text": "x" * 10_001}, {"text"}),
        ({**VALID, "author": {}}, {"author"}),
        ({**VALID, "article_id": "has spaces"}, {"article_id"}),
        ({**VALID, "article_id": "a" * 201}, {"article_id"}),
        ({**VALID, "surprise": 1}, {"surprise"}),
        ({**VALID, "text": 42}, {"text"}),
        ({**VALID, "text": "lone \ud800 surrogate"}, {"text"}),
    ],
)
def test_validation_errors_name_each_bad_field(client, site_headers, body, fields):
    response = client.post("/v1/comments", data=json.dumps(body), headers=site_headers,
                           content_type="application/json")
    error = assert_error(response, 422, "validation_error")
    named = set(error["details"]["json"])
    assert named == fields
    for field in fields:
        assert field in error["message"]


def test_malformed_json_is_400(client, site_headers):
    response = client.post("/v1/comments", data=b'{"text": ', headers=site_headers,
                           content_type="application/json")
    assert_error(response, 400, "malformed_json")


def test_invalid_utf8_is_400(client, site_headers):
    response = client.post("/v1/comments", data=b'{"text": "\xff\xfe"}', headers=site_headers,
                           content_type="application/json")
    assert_error(response, 400, "malformed_json")


def test_deeply_nested_json_is_400(client, site_headers):
    response = client.post("/v1/comments", data=b"[" * 50_000 + b"]" * 50_000,
                           headers=site_headers, content_type="application/json")
    assert response.status_code in (400, 413)
    assert response.get_json()["code"] in ("json_too_deep", "body_too_large")
    shallow_deep = b"[" * 5_000 + b"]" * 5_000
    assert_error(client.post("/v1/comments", data=shallow_deep, headers=site_headers,
                             content_type="application/json"), 400, "json_too_deep")


def test_wrong_content_type_is_415(client, site_headers):
    response = client.post("/v1/comments", data="text=hello", headers=site_headers,
                           content_type="application/x-www-form-urlencoded")
    assert_error(response, 415, "unsupported_media_type")


def test_body_over_limit_is_413(client, site_headers, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = json.dumps({**VALID, "text": "y" * (limit + 10)})
    response = client.post("/v1/comments", data=body, headers=site_headers,
                           content_type="application/json")
    assert_error(response, 413, "body_too_large")


def test_unknown_comment_is_404(client, site_headers):
    assert_error(client.get("/v1/comments/doesnotexist", headers=site_headers), 404, "comment_not_found")


def test_unknown_route_and_method_are_json(client, site_headers):
    assert_error(client.get("/v1/nothing-here", headers=site_headers), 404, "not_found")
    assert_error(client.delete("/v1/comments", headers=site_headers), 405, "method_not_allowed")


def test_missing_and_wrong_keys(client, make_key):
    assert_error(client.post("/v1/comments", json=VALID), 401, "unauthorized")
    bad = {"Authorization": "Bearer mk_nope_nope"}
    assert_error(client.post("/v1/comments", json=VALID, headers=bad), 401, "unauthorized")
    moderator = {"Authorization": f"Bearer {make_key('moderator')}"}
    assert_error(client.post("/v1/comments", json=VALID, headers=moderator), 403, "forbidden")


def test_text_is_stored_verbatim(client, site_headers):
    text = "<script>alert(1)</script> \u202eevil\u200b \x00 emoji \U0001f600"
    created = post(client, site_headers, {**VALID, "text": text}).get_json()
    stored = client.get(f"/v1/comments/{created['id']}", headers=site_headers).get_json()
    assert stored["text"] == text


def test_article_listing_is_ordered_and_paginated(client, site_headers):
    ids = [post(client, site_headers, {**VALID, "text": f"comment {n}"}).get_json()["id"]
           for n in range(5)]
    post(client, site_headers, {**VALID, "article_id": "elsewhere", "text": "other story"})
    seen, cursor = [], None
    while True:
        url = "/v1/articles/rotherham-iopc/comments?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=site_headers).get_json()
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
    pending = client.get("/v1/articles/rotherham-iopc/comments?status=pending",
                         headers=site_headers).get_json()
    assert [i["id"] for i in pending["items"]] == ids
    approved = client.get("/v1/articles/rotherham-iopc/comments?status=approved",
                          headers=site_headers).get_json()
    assert approved["items"] == [] and approved["next_cursor"] is None
    assert_error(client.get("/v1/articles/rotherham-iopc/comments?status=nope", headers=site_headers),
                 422, "validation_error")


def test_openapi_and_docs(client):
    spec = client.get("/openapi.json").get_json()
    assert "/v1/comments" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert client.get("/docs").status_code == 200


def test_health_and_readiness(client, runtime):
    assert client.get("/healthz").get_json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["checks"]["model"] == "missing"
