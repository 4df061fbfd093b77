"""The Perspective-compatible AnalyzeComment endpoint: routing of the colon path, ?key= and
Bearer authentication, Perspective's request/response/error shapes, doNotStore."""

from __future__ import annotations

import json

import pytest

from storage.authors import STORED_COUNTERS, posted_of

URL = "/v1alpha1/comments:analyze"
ERROR_KEYS = {"code", "message", "status"}
TEXT = "Leave the family alone, the police have a job to do."


def analyze_body(**overrides) -> dict:
    body = {"comment": {"text": TEXT}, "requestedAttributes": {"TOXICITY": {}},
            "languages": ["en"], "doNotStore": True}
    body.update(overrides)
    return body


@pytest.fixture
def site_key(make_key) -> str:
    return make_key("site")


@pytest.fixture
def analyze(client, site_key):
    def call(body=None, *, key: str | None = None, raw: bytes | None = None, **kwargs):
        data = raw if raw is not None else json.dumps(analyze_body() if body is None else body)
        return client.post(f"{URL}?key={key or site_key}", data=data,
                           content_type="application/json", **kwargs)

    return call


def perspective_error(response, status: int, rpc_status: str, message: str | None = None) -> str:
    """Perspective's (Google's) error shape: {"error": {"code", "message", "status"}}."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == ERROR_KEYS
    assert body["error"]["code"] == status and body["error"]["status"] == rpc_status
    if message is not None:
        assert body["error"]["message"] == message
    return body["error"]["message"]


def stored_comments(redis_client) -> list[bytes]:
    return [k for k in redis_client.scan_iter("mod:c:*") if k.count(b":") == 2]


# Routing and authentication ----------------------------------------------------------------
def test_colon_path_routes_also_percent_encoded(client, site_key):
    for path in (URL, "/v1alpha1/comments%3Aanalyze"):
        response = client.post(f"{path}?key={site_key}", json={})
        # Reached the view: Perspective's validation error, not a 404.
        perspective_error(response, 400, "INVALID_ARGUMENT", "Comment must be non-empty.")


def test_other_methods_and_nearby_paths_get_perspective_errors(client, site_key):
    perspective_error(client.get(f"{URL}?key={site_key}"), 404, "NOT_FOUND")
    perspective_error(client.delete(URL), 404, "NOT_FOUND")
    assert client.post("/v1alpha1/comments:suggestscore").status_code == 404


def test_missing_key_is_permission_denied(client):
    perspective_error(client.post(URL, json=analyze_body()), 403, "PERMISSION_DENIED",
                      "The request is missing a valid API key.")


def test_unknown_key_is_invalid_argument(client):
    perspective_error(client.post(f"{URL}?key=mk_nope_nope", json=analyze_body()), 400,
                      "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.")


def test_moderator_key_is_forbidden(client, make_key):
    response = client.post(f"{URL}?key={make_key('moderator')}", json=analyze_body())
    perspective_error(response, 403, "PERMISSION_DENIED")


def test_bearer_header_works_too_and_query_keys_work_nowhere_else(client, site_key):
    response = client.post(URL, json={}, headers={"Authorization": f"Bearer {site_key}"})
    perspective_error(response, 400, "INVALID_ARGUMENT", "Comment must be non-empty.")
    # A key in a URL is for Perspective clients only; the native API wants the header.
    native = client.get(f"/v1/comments/abc?key={site_key}")
    assert native.status_code == 401 and native.get_json()["code"] == "unauthorized"


# Request validation, with Perspective's messages ------------------------------------------
@pytest.mark.parametrize("body, message", [
    ({"requestedAttributes": {"TOXICITY": {}}}, "Comment must be non-empty."),
    (analyze_body(comment={"text": "  "}), "Comment must be non-empty."),
    (analyze_body(requestedAttributes={}), "Missing requested_attributes"),
    ({"comment": {"text": TEXT}}, "Missing requested_attributes"),
    (analyze_body(requestedAttributes={"FLIRTATION": {}}), "Unknown requested attribute: FLIRTATION"),
    (analyze_body(languages=["fr"]), "Attribute TOXICITY does not support request languages: fr"),
    (analyze_body(languages=["en", "de"]), "Attribute TOXICITY does not support request languages: de"),
    (analyze_body(requestedAttributes={"TOXICITY": {"scoreType": "RAW"}}),
     "Requested score type RAW is not supported by attribute TOXICITY"),
    (analyze_body(comment={"text": TEXT, "type": "HTML"}),
     "Currently, only 'PLAIN_TEXT' comments are supported"),
    (analyze_body(comment={"text": "x" * 10_001}), "Comment text too long."),
    (analyze_body(surprise=1), 'Invalid JSON payload received. Unknown name "surprise": Cannot find field.'),
    (analyze_body(authorId="reader 7"), "Invalid value at 'author_id': letters, digits and "
                                        "._~:@+=- only, 1 to 200 characters."),
    (analyze_body(authorId="reader-7\n"), "Invalid value at 'author_id': letters, digits and "
                                          "._~:@+=- only, 1 to 200 characters."),
    (analyze_body(authorId=7), "Invalid value at 'author_id': letters, digits and "
                               "._~:@+=- only, 1 to 200 characters."),
])
def test_invalid_requests_get_perspectives_400(analyze, body, message):
    perspective_error(analyze(body), 400, "INVALID_ARGUMENT", message)


@pytest.mark.parametrize("raw", [b"{not json", b"[" * 5000 + b"]" * 5000, b"[]", b""])
def test_malformed_json_is_invalid_argument(analyze, raw):
    message = perspective_error(analyze(raw=raw), 400, "INVALID_ARGUMENT")
    assert message.startswith("Invalid JSON payload received") or message.startswith("Comment")


def test_oversized_body_is_invalid_argument(analyze):
    raw = json.dumps(analyze_body(comment={"text": "x" * 70_000})).encode()
    message = perspective_error(analyze(raw=raw), 400, "INVALID_ARGUMENT")
    assert "payload size exceeds the limit" in message


def test_no_active_model_is_unavailable_and_stores_nothing(analyze, redis_client):
    perspective_error(analyze(analyze_body(doNotStore=False)), 503, "UNAVAILABLE")
    assert stored_comments(redis_client) == []


def test_rate_limit_is_resource_exhausted_per_key(redis_url, runtime, site_key):
    from service.app import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(redis_url, rate_limit_default="2/minute"), runtime)
    client = app.test_client()
    for _ in range(2):
        perspective_error(client.post(f"{URL}?key={site_key}", json={}), 400, "INVALID_ARGUMENT")
    limited = client.post(f"{URL}?key={site_key}", json={})
    perspective_error(limited, 429, "RESOURCE_EXHAUSTED")
    assert int(limited.headers["Retry-After"]) >= 1


def test_openapi_documents_the_colon_path(client):
    spec = client.get("/openapi.json").get_json()
    operation = spec["paths"][URL]["post"]
    assert {"perspectiveKey": []} in operation["security"]
    assert {"200", "400", "403", "503"} <= set(operation["responses"])
    scheme = spec["components"]["securitySchemes"]["perspectiveKey"]
    assert scheme == {**scheme, "type": "apiKey", "in": "query", "name": "key"}
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    if "$ref" in body:
        body = spec["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert "Extension" in body["properties"]["authorId"]["description"]


# Scoring ----------------------------------------------------------------------------------
def test_response_has_perspectives_shape(analyze, small_scorer, active_small_model):
    body = analyze_body(requestedAttributes={"TOXICITY": {}, "VICTIM_IDENTIFICATION": {}},
                        clientToken="comment-53922")
    response = analyze(body)
    assert response.status_code == 200, response.get_data(as_text=True)
    result = response.get_json()
    assert set(result) == {"attributeScores", "languages", "clientToken"}
    assert result["languages"] == ["en"] and result["clientToken"] == "comment-53922"
    expected = small_scorer.score(TEXT).scores
    scores = result["attributeScores"]
    assert set(scores) == {"TOXICITY", "VICTIM_IDENTIFICATION"}
    for attribute, category in (("TOXICITY", "abuse"), ("VICTIM_IDENTIFICATION",
                                                          "victim_identification")):
        assert scores[attribute] == {"summaryScore": {"value": pytest.approx(expected[category]),
                                                      "type": "PROBABILITY"}}


def test_languages_default_to_english_and_token_is_optional(analyze, active_small_model):
    body = analyze_body()
    del body["languages"]
    result = analyze(body).get_json()
    assert result["languages"] == ["en"] and "clientToken" not in result


def test_score_threshold_omits_lower_scores(analyze, small_scorer, active_small_model):
    value = small_scorer.score(TEXT).scores["abuse"]
    above = analyze(analyze_body(requestedAttributes={"TOXICITY": {"scoreThreshold": value + 0.01}}))
    assert above.get_json()["attributeScores"] == {}
    at = analyze(analyze_body(requestedAttributes={"TOXICITY": {"scoreThreshold": value}}))
    assert set(at.get_json()["attributeScores"]) == {"TOXICITY"}


def test_span_annotations_are_the_models_spans(analyze, small_scorer, active_small_model):
    text = "The girl is Emily Harrison, she is 14 and goes to Oakwood Academy in Leeds, what an idiot."
    expected = small_scorer.score(text)
    vi_spans = [(s.start, s.end) for s in expected.spans if s.category == "victim_identification"]
    assert vi_spans, "the small model finds no evidence in this text; pick another"
    body = analyze_body(comment={"text": text}, spanAnnotations=True,
                        requestedAttributes={"VICTIM_IDENTIFICATION": {}})
    result = analyze(body).get_json()["attributeScores"]["VICTIM_IDENTIFICATION"]
    value = result["summaryScore"]["value"]
    assert [(s["begin"], s["end"]) for s in result["spanScores"]] == vi_spans
    assert all(s["score"] == {"value": value, "type": "PROBABILITY"} for s in result["spanScores"])
    without = analyze(dict(body, spanAnnotations=False)).get_json()
    assert "spanScores" not in without["attributeScores"]["VICTIM_IDENTIFICATION"]


KIND_ATTRIBUTES = ["SEVERE_TOXICITY", "IDENTITY_ATTACK", "INSULT", "PROFANITY", "THREAT",
                   "SEXUALLY_EXPLICIT"]


@pytest.fixture
def model_without_kinds(runtime, small_scorer) -> str:
    """The small model as trained before kind heads existed (no heads), active."""
    import copy

    from worker.publishing import register_scorer

    old = copy.copy(small_scorer)
    old.heads = None
    old.version = f"{small_scorer.version}-nokinds"
    return register_scorer(runtime.models, old, created_by="tests", activate=True)


@pytest.mark.parametrize("attribute", KIND_ATTRIBUTES)
def test_attributes_the_model_lacks_are_unsupported(analyze, model_without_kinds, attribute):
    body = analyze_body(requestedAttributes={"TOXICITY": {}, attribute: {}})
    perspective_error(analyze(body), 400, "INVALID_ARGUMENT",
                      f"Attribute {attribute} does not support request languages: en")
    assert analyze(analyze_body()).status_code == 200  # TOXICITY alone still answers


def test_every_production_attribute_is_the_models_kind_score(analyze, small_scorer,
                                                            active_small_model):
    text = "you stupid cunt I hope you die, I know where you live"
    expected = small_scorer.score(text)
    assert set(small_scorer.kinds) == {a.lower() for a in KIND_ATTRIBUTES}
    body = analyze_body(comment={"text": text},
                        requestedAttributes={a: {} for a in ["TOXICITY", *KIND_ATTRIBUTES]})
    response = analyze(body)
    assert response.status_code == 200, response.get_data(as_text=True)
    scores = response.get_json()["attributeScores"]
    assert set(scores) == {"TOXICITY", *KIND_ATTRIBUTES}
    for attribute in KIND_ATTRIBUTES:
        assert scores[attribute]["summaryScore"] == {
            "value": pytest.approx(expected.kinds[attribute.lower()]), "type": "PROBABILITY"}
    assert scores["TOXICITY"]["summaryScore"]["value"] == pytest.approx(expected.scores["abuse"])
    # the kinds differ: these are separate heads, not the toxicity score repeated
    assert len({round(scores[a]["summaryScore"]["value"], 4) for a in KIND_ATTRIBUTES}) > 3


def test_kind_span_scores_are_that_kinds_evidence(analyze, small_scorer, active_small_model):
    text = "shut up you pathetic idiot, you fucking deserve to be shot"
    expected = small_scorer.score(text)
    by_kind = {k: [(s.start, s.end) for s in expected.spans if s.category == "abuse" and s.kind == k]
               for k in ("insult", "threat", "profanity")}
    assert all(by_kind.values()), f"the small model shows no such spans here: {expected.spans}"
    body = analyze_body(comment={"text": text}, spanAnnotations=True,
                        requestedAttributes={"INSULT": {}, "THREAT": {}, "PROFANITY": {},
                                             "SEVERE_TOXICITY": {}})
    scores = analyze(body).get_json()["attributeScores"]
    for attribute in ("INSULT", "THREAT", "PROFANITY"):
        entry = scores[attribute]
        assert [(s["begin"], s["end"]) for s in entry["spanScores"]] == by_kind[attribute.lower()]
        assert all(s["score"] == entry["summaryScore"] for s in entry["spanScores"])
    assert "spanScores" not in scores["SEVERE_TOXICITY"]  # no span kind backs it


def test_do_not_store_stores_nothing(analyze, redis_client, active_small_model):
    keys_before = set(redis_client.scan_iter("mod:*"))
    response = analyze(analyze_body(doNotStore=True))
    assert response.status_code == 200 and "X-Moderation-Comment-Id" not in response.headers
    new_keys = set(redis_client.scan_iter("mod:*")) - keys_before
    # Only the API process's own bookkeeping (none today); never a comment or an index.
    assert not [k for k in new_keys if k.startswith((b"mod:c:", b"mod:a:", b"mod:pending",
                                                     b"mod:seq", b"mod:au:"))]


def test_stored_comments_are_decided_by_the_model(analyze, runtime, client, site_key,
                                                  active_small_model):
    response = analyze(analyze_body(doNotStore=False, communityId="rotherham-iopc"))
    assert response.status_code == 200
    comment_id = response.headers["X-Moderation-Comment-Id"]
    record = client.get(f"/v1/comments/{comment_id}",
                        headers={"Authorization": f"Bearer {site_key}"}).get_json()
    assert record["article_id"] == "rotherham-iopc" and record["text"] == TEXT
    assert record["status"] in ("approved", "held") and record["decided_by"] == "model"
    assert record["model_version"] == active_small_model
    assert record["scores"]["abuse"] == pytest.approx(
        response.get_json()["attributeScores"]["TOXICITY"]["summaryScore"]["value"], abs=1e-4)
    assert runtime.redis.zscore(runtime.keys.pending, comment_id) is None


def test_author_id_extension_gives_the_stored_comment_an_author(analyze, runtime,
                                                                active_small_model):
    response = analyze(analyze_body(doNotStore=False, authorId="reader-77"))
    assert response.status_code == 200
    comment_id = response.headers["X-Moderation-Comment-Id"]
    assert runtime.comments.get(comment_id)["author_id"] == "reader-77"
    stored = runtime.keys.tenant("default").author_stored("reader-77")
    assert runtime.redis.zscore(stored, comment_id) is not None
    # The model's decision counts in the author's history, as for a native comment.
    assert posted_of(*runtime.redis.hmget(runtime.keys.tenant("default").author("reader-77"),
                                   STORED_COUNTERS)) == 1


def test_without_author_id_the_stored_comment_has_no_author(analyze, runtime, redis_client,
                                                            active_small_model):
    response = analyze(analyze_body(doNotStore=False))
    assert runtime.comments.get(response.headers["X-Moderation-Comment-Id"])["author_id"] == ""
    assert not list(redis_client.scan_iter("mod:au:*"))


def test_do_not_store_with_an_author_stores_nothing(analyze, redis_client, active_small_model):
    response = analyze(analyze_body(doNotStore=True, authorId="reader-77"))
    assert response.status_code == 200 and "X-Moderation-Comment-Id" not in response.headers
    assert stored_comments(redis_client) == [] and not list(redis_client.scan_iter("mod:au:*"))


def test_a_newly_activated_version_takes_over(analyze, runtime, small_scorer, active_small_model):
    import copy

    from tests.conftest import wait_until
    from worker.publishing import register_scorer

    def version_used() -> str:
        response = analyze(analyze_body(doNotStore=False))
        return runtime.comments.get(response.headers["X-Moderation-Comment-Id"])["model_version"]

    assert version_used() == active_small_model
    successor = copy.copy(small_scorer)
    successor.version = active_small_model + "-next"
    register_scorer(runtime.models, successor, created_by="tests", activate=True)
    # Reloaded by the process's watcher within MODEL_POLL_INTERVAL, not by a request.
    wait_until(lambda: version_used() == successor.version, timeout=30)
