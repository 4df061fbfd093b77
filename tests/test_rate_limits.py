"""Rate limits per key and per client address, counted in the real Redis."""

from __future__ import annotations

import pytest
from redis import Redis

from moderation.redis_server import free_port
from tests.conftest import make_settings

COMMENT = {"article_id": "a1", "text": "A fair point about the inquiry.", "author": {"id": "r1"}}


@pytest.fixture
def limited(redis_url, redis_client):
    """An app with small limits, built per test from the given settings."""
    from service.app import create_app
    from service.runtime import Runtime

    def build(**limits):
        settings = make_settings(redis_url, **limits)
        runtime = Runtime.build(settings, redis_client)
        app = create_app(settings, runtime)
        app.config["TESTING"] = True
        return app.test_client(), runtime

    return build


def bearer(runtime, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {runtime.api_keys.create(role, 'rl test')[1]}"}


def assert_limited(response) -> int:
    assert response.status_code == 429, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == "rate_limited"
    assert body["message"] and isinstance(body["details"], dict)
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert body["details"]["retry_after"] == retry_after
    return retry_after


def test_default_limit_counts_per_key(limited, redis_client):
    client, rt = limited(rate_limit_default="3/minute")
    first, second = bearer(rt, "site"), bearer(rt, "site")
    for _ in range(3):
        assert client.get("/v1/comments/nope", headers=first).status_code == 404
    assert_limited(client.get("/v1/comments/nope", headers=first))
    # Another key has its own allowance.
    assert client.get("/v1/comments/nope", headers=second).status_code == 404
    # The counters live in Redis under the service's prefix.
    assert list(redis_client.scan_iter("mod:ratelimit:*"))


def test_posting_comments_has_its_own_limit(limited):
    client, rt = limited(rate_limit_post_comments="2/minute", rate_limit_default="100/minute")
    site = bearer(rt, "site")
    accepted = [client.post("/v1/comments", json=COMMENT, headers=site) for _ in range(2)]
    assert [r.status_code for r in accepted] == [202, 202]
    assert_limited(client.post("/v1/comments", json=COMMENT, headers=site))
    # Reading is counted separately.
    assert client.get(accepted[0].headers["Location"], headers=site).status_code == 200
    # Nothing past the limit was stored.
    assert rt.comments.pending_count() == 2


def test_requests_without_a_valid_key_count_per_address(limited):
    client, rt = limited(rate_limit_anonymous="2/minute")
    wrong = {"Authorization": "Bearer mk_guess_notakey"}
    here = {"REMOTE_ADDR": "198.51.100.7"}
    for _ in range(2):
        assert client.get("/v1/comments/x", headers=wrong, environ_base=here).status_code == 401
    # Key guessing is throttled: the third attempt is refused before any lookup.
    assert_limited(client.get("/v1/comments/x", headers=wrong, environ_base=here))
    assert_limited(client.get("/openapi.json", environ_base=here))
    # Another address, and a valid key from the same address, are not affected.
    other = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/v1/comments/x", headers=wrong, environ_base=other).status_code == 401
    site = bearer(rt, "site")
    assert client.get("/v1/comments/x", headers=site, environ_base=here).status_code == 404
    # Probes are exempt: load balancers call them often.
    for _ in range(5):
        assert client.get("/healthz", environ_base=here).status_code == 200


def test_empty_limit_disables_it(limited):
    client, rt = limited(rate_limit_default="", rate_limit_post_comments="",
                         rate_limit_anonymous="")
    site = bearer(rt, "site")
    statuses = {client.get("/v1/comments/x", headers=site).status_code for _ in range(40)}
    assert statuses == {404}


def test_retry_after_tracks_the_window(limited):
    client, rt = limited(rate_limit_default="1/hour")
    site = bearer(rt, "site")
    client.get("/v1/comments/x", headers=site)
    response = client.get("/v1/comments/x", headers=site)
    assert response.status_code == 429
    assert 60 < int(response.headers["Retry-After"]) <= 3600


def test_limiter_storage_down_never_fails_a_request(redis_url):
    """With its Redis unreachable the limiter falls back to memory; requests that
    need Redis answer 503 storage_unavailable, the rest go on."""
    from service.app import create_app
    from service.runtime import Runtime

    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings = make_settings(dead, rate_limit_default="100/minute",
                             rate_limit_anonymous="100/minute")
    runtime = Runtime.build(settings, Redis.from_url(dead, socket_connect_timeout=0.2,
                                                     socket_timeout=0.2))
    app = create_app(settings, runtime)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/openapi.json").status_code == 200
    for path in ("/v1/comments/x", "/v1/articles/a1/comments"):
        response = client.get(path, headers={"Authorization": "Bearer mk_x_y"})
        assert response.status_code == 503
        assert response.get_json()["code"] == "storage_unavailable"
        assert response.headers["Retry-After"]
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["status"] == "not_ready"
