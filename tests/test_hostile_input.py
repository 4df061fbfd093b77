"""Hostile and odd input: each gets a clear 4xx with a JSON error, or is stored verbatim.

Never a 500. Obfuscated abuse is stored as written (moderators see what the
reader wrote); scoring normalises a copy (the model's tests cover that).
"""

from __future__ import annotations

import io
import json

import pytest

BASE = {"article_id": "hostile-input", "author": {"id": "r1"}}


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"code", "message", "details"}
    if code:
        assert body["code"] == code
    return body


def post_raw(client, headers, data: bytes | str, content_type="application/json"):
    return client.post("/v1/comments", data=data, headers=headers, content_type=content_type)


# -- Sizes ------------------------------------------------------------------------

def test_body_over_the_limit_is_413(client, site_headers, settings):
    text = "x" * (settings.max_body_bytes + 1)
    response = post_raw(client, site_headers, json.dumps({**BASE, "text": text}))
    assert_error(response, 413, "body_too_large")


def test_body_over_the_limit_without_content_length_is_413(client, site_headers, settings):
    body = json.dumps({**BASE, "text": "y" * (settings.max_body_bytes * 2)}).encode()
    response = client.post("/v1/comments", headers=site_headers, content_type="application/json",
                           input_stream=io.BytesIO(body),
                           environ_overrides={"wsgi.input_terminated": True})
    assert_error(response, 413, "body_too_large")


@pytest.mark.parametrize("field, value", [
    ("text", "z" * 10_001),
    ("author", {"id": "r1", "name": "n" * 201}),
    ("author", {"id": "i" * 201}),
    ("article_id", "a" * 201),
    ("external_id", "e" * 201),
    ("parent_id", "p" * 201),
])
def test_oversized_fields_are_422(client, site_headers, field, value):
    body = assert_error(client.post("/v1/comments", json={**BASE, "text": "ok", field: value},
                                    headers=site_headers), 422, "validation_error")
    assert field in body["details"]["json"]


# -- Shape and encoding ---------------------------------------------------------

def test_deeply_nested_json_is_400_not_a_crash(client, site_headers):
    depth = 30_000
    response = post_raw(client, site_headers, "[" * depth + "]" * depth)
    assert_error(response, 400, "json_too_deep")


@pytest.mark.parametrize("depth", [50, 900])
def test_moderately_nested_fields_are_422(client, site_headers, depth):
    nested = "{\"a\":" * depth + "1" + "}" * depth
    response = post_raw(client, site_headers,
                        '{"article_id":"a1","author":{"id":"r1"},"text":' + nested + "}")
    assert_error(response, 422, "validation_error")


@pytest.mark.parametrize("raw", [
    b'{"article_id":"a1","author":{"id":"r1"},"text":"\xff\xfe bad"}',
    b'{"article_id":"a1","author":{"id":"r1"},"text":"\xc3\x28"}',
    b"\xef\xbb\xbf\xff",
])
def test_invalid_utf8_is_400(client, site_headers, raw):
    assert_error(post_raw(client, site_headers, raw), 400, "malformed_json")


@pytest.mark.parametrize("raw", [b"{", b"not json", b'{"text": NaN}x', b"[]", b"null", b'"str"'])
def test_malformed_or_wrong_top_level_json_is_4xx(client, site_headers, raw):
    response = post_raw(client, site_headers, raw)
    assert response.status_code in (400, 422)
    assert_error(response, response.status_code)


def test_non_json_content_type_is_415(client, site_headers):
    response = post_raw(client, site_headers, "text=hi", content_type="application/x-www-form-urlencoded")
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("value", ["a1\x00", "a 1", "a1\n", "<script>", "ä1", "a1\r"])
def test_ids_with_odd_characters_are_422(client, site_headers, value):
    response = client.post("/v1/comments", json={**BASE, "text": "ok", "article_id": value},
                           headers=site_headers)
    assert_error(response, 422, "validation_error")


@pytest.mark.parametrize("query", [
    "limit=abc", "limit=0", "limit=100000000000000000000000", "cursor=-1", "cursor=1e9",
    "status=bogus", "status=%00", "cursor=" + "9" * 40,
])
def test_bad_listing_queries_are_422(client, site_headers, query):
    response = client.get(f"/v1/articles/a1/comments?{query}", headers=site_headers)
    assert_error(response, 422, "validation_error")


@pytest.mark.parametrize("path", [
    "/v1/comments/%00", "/v1/comments/%ff%fe", "/v1/comments/" + "x" * 5000,
    "/v1/comments/..%2F..%2Fetc", "/v1/comments/%E2%80%AE",
])
def test_odd_paths_are_404(client, site_headers, path):
    assert_error(client.get(path, headers=site_headers), 404)


def test_unsupported_method_is_json_405(client, site_headers):
    body = assert_error(client.put("/v1/comments", json={}, headers=site_headers), 405)
    assert body["code"] == "method_not_allowed"


@pytest.mark.parametrize("header", [
    "Bearer " + "k" * 20_000, "Bearer mk_\u00e9\u00e8", "Basic dXNlcjpwYXNz", "Bearer", "bearer  ",
])
def test_odd_authorization_headers_are_401(client, header):
    assert_error(client.get("/v1/comments/x", headers={"Authorization": header}), 401, "unauthorized")


def test_request_id_header_injection_is_not_echoed(client, site_headers):
    response = client.get("/healthz", headers={"X-Request-ID": "abc\tdef<script>"})
    assert response.headers["X-Request-ID"] != "abc\tdef<script>"
    assert "<" not in response.headers["X-Request-ID"]


# -- Stored verbatim ------------------------------------------------------------

VERBATIM = {
    "nul_and_controls": "before\x00after \x07\x1b[31mred\x1b[0m \x7f end",
    "rtl_override": "harmless \u202etxt.exe\u202c and \u200f\u05e9\u05dc\u05d5\u05dd",
    "zero_width": "i\u200bd\u200ci\u200do\ufefft",
    "emoji": "\U0001f92c\U0001f595 \U0001f3f4\u200d\u2620\ufe0f \U0001f468\u200d\U0001f469\u200d\U0001f467",
    "homoglyphs": "f\u0443\u0441k \u0456d\u0456\u043et \uff46\uff55\uff43\uff4b",
    "spaced_out": "f u c k  y o u  1d10t  b.i.t.c.h",
    "html_script": '<script>alert(1)</script><img src=x onerror="alert(2)"> &lt;b&gt;',
    "combining": "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349",
    "newlines": "line1\r\nline2\rline3\n\n\tindented",
    "sql_and_format": "'; DROP TABLE comments;-- %s %(x)s {0} ${jndi:ldap://x}",
    "astral_and_nonchars": "\U00010348 \uffff \U0010fffd",
}


@pytest.mark.parametrize("name", sorted(VERBATIM))
def test_odd_text_is_stored_verbatim(client, site_headers, name):
    text = VERBATIM[name]
    posted = client.post("/v1/comments", json={**BASE, "text": text,
                                               "author": {"id": "r1", "name": text[:200]}},
                         headers=site_headers)
    assert posted.status_code == 202, posted.get_data(as_text=True)
    got = client.get(posted.headers["Location"], headers=site_headers)
    assert got.status_code == 200
    # JSON, never HTML: a browser will not render the script.
    assert got.mimetype == "application/json"
    body = got.get_json()
    assert body["text"] == text
    assert body["author"]["name"] == text[:200]
    listing = client.get("/v1/articles/hostile-input/comments", headers=site_headers).get_json()
    assert [c["text"] for c in listing["items"]] == [text]


def test_hostile_texts_score_without_error(small_scorer):
    """The model scores every odd text (on its normalised copy) without raising, and its
    spans point inside the original text."""
    texts = list(VERBATIM.values()) + ["x" * 10_000, "\x00" * 50, "\u200b" * 100]
    scores = small_scorer.score_batch(texts)
    assert len(scores) == len(texts)
    for text, score in zip(texts, scores, strict=True):
        for value in score.scores.values():
            assert 0.0 <= value <= 1.0
        for span in score.spans:
            assert 0 <= span.start <= span.end <= len(text)
