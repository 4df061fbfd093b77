"""The per-process cache of API-key look-ups (API_KEY_CACHE_SECONDS): it saves a Redis
round trip per request, and a key revoked elsewhere is refused once the entry expires."""

from __future__ import annotations

import pytest

from service.app import create_app
from service.runtime import Runtime
from storage.api_keys import MAX_CACHE_SECONDS, ApiKeyStore
from storage.keys import Keys
from tests.conftest import make_settings, wait_until

COMMENT = {"article_id": "a1", "text": "a fair point", "author": {"id": "r1"}}


def _client(redis_url, redis_client, cache_seconds):
    settings = make_settings(redis_url, api_key_cache_seconds=cache_seconds)
    runtime = Runtime.build(settings, redis_client)
    app = create_app(settings, runtime)
    app.config["TESTING"] = True
    return app.test_client(), runtime


def _hgetall_calls(redis_client) -> int:
    return int(redis_client.info("commandstats").get("cmdstat_hgetall", {}).get("calls", 0))


def test_a_cached_key_costs_no_look_up(redis_url, redis_client):
    client, runtime = _client(redis_url, redis_client, 30)
    _, plain = runtime.api_keys.create("site", "www")
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.post("/v1/comments", json=COMMENT, headers=headers).status_code == 202
    redis_client.config_resetstat()
    assert client.post("/v1/comments", json={**COMMENT, "text": "another"},
                       headers=headers).status_code == 202
    # The create script reads nothing with HGETALL: any call here would be the key's.
    assert _hgetall_calls(redis_client) == 0


def test_a_key_revoked_elsewhere_is_refused_when_its_entry_expires(redis_url, redis_client):
    client, runtime = _client(redis_url, redis_client, 1)
    key, plain = runtime.api_keys.create("site", "www")
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.post("/v1/comments", json=COMMENT, headers=headers).status_code == 202
    # Another process (the CLI, another API process) revokes it: a store of its own.
    assert ApiKeyStore(redis_client, Keys(runtime.settings.key_prefix)).revoke(key.id)
    response = wait_until(
        lambda: (r := client.post("/v1/comments", json=COMMENT, headers=headers)).status_code
        == 401 and r, timeout=10)
    assert response.get_json()["code"] == "unauthorized"


def test_a_key_revoked_through_this_process_is_refused_at_once(redis_url, redis_client):
    client, runtime = _client(redis_url, redis_client, 60)
    key, plain = runtime.api_keys.create("site", "www")
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.post("/v1/comments", json=COMMENT, headers=headers).status_code == 202
    assert runtime.api_keys.revoke(key.id)
    assert client.post("/v1/comments", json=COMMENT, headers=headers).status_code == 401


def test_without_the_cache_a_revocation_elsewhere_is_seen_at_once(redis_url, redis_client):
    client, runtime = _client(redis_url, redis_client, 0)
    key, plain = runtime.api_keys.create("site", "www")
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.post("/v1/comments", json=COMMENT, headers=headers).status_code == 202
    assert ApiKeyStore(redis_client, Keys(runtime.settings.key_prefix)).revoke(key.id)
    assert client.post("/v1/comments", json=COMMENT, headers=headers).status_code == 401


def test_unknown_keys_are_never_cached(redis_url, redis_client):
    client, runtime = _client(redis_url, redis_client, 60)
    headers = {"Authorization": "Bearer mk_00000000_not-a-key"}
    for _ in range(3):
        assert client.post("/v1/comments", json=COMMENT, headers=headers).status_code == 401
    assert runtime.api_keys._cache == {}


@pytest.mark.parametrize("configured, effective", [(1000.0, MAX_CACHE_SECONDS), (-5.0, 0.0),
                                                   (2.5, 2.5)])
def test_the_revocation_delay_is_bounded(redis_client, configured, effective):
    assert ApiKeyStore(redis_client, Keys("mod:"), configured).cache_seconds == effective
