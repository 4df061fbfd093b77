"""The worker's settings cache (worker/policy.py ``PolicyCache``): a scoring batch reads one
settings version instead of the thresholds, rules, article policies, webhook targets and DSA
templates, and every writer changes that version in the transaction of its write, so a change
made through the API applies from the very next batch. Real Redis, real workers, two tenants.
"""

from __future__ import annotations

import pytest

from storage.keys import Keys
from tests.conftest import wait_until
from tests.test_policy_phases import CountingRedis
from worker.policy import Policy, PolicyCache

pytest_plugins = ["tests.moderation_fixtures"]

TENANTS = ("acme", "bravo")
TEXT = "The council should publish the report before the vote."


@pytest.fixture
def titles(runtime) -> dict[str, dict[str, dict[str, str]]]:
    """Keys of two tenants: {tenant: {role: headers}}."""
    return {t: {role: {"Authorization": f"Bearer {runtime.api_keys.create(role, f'{t}-{role}', t)[1]}"}
                for role in ("site", "admin")} for t in TENANTS}


def _put(client, headers, url, body):
    response = client.put(url, headers=headers, json=body)
    assert response.status_code == 200, response.get_data(as_text=True)


def _thresholds(client, titles, tenant, value):
    _put(client, titles[tenant]["admin"], "/v1/admin/policy",
         {"thresholds": {"abuse": value, "victim_identification": value}})


def _decided(client, titles, tenant, text=TEXT, article="story"):
    """Post one comment for ``tenant`` and wait for its decision: its status."""
    site = titles[tenant]["site"]
    response = client.post("/v1/comments", headers=site, json={
        "article_id": article, "text": text, "author": {"id": "reader-1"}})
    assert response.status_code == 202, response.get_data(as_text=True)
    cid = response.get_json()["id"]

    def status():
        found = client.get(f"/v1/comments/{cid}", headers=site).get_json()["status"]
        return found if found != "pending" else None

    return wait_until(status, timeout=60)


def test_changes_through_the_api_apply_from_the_next_batch_of_a_running_worker(
        client, titles, active_small_model, start_worker):
    # One worker process throughout: its cache outlives every batch and job below.
    start_worker()
    for tenant in TENANTS:
        _thresholds(client, titles, tenant, 1.0)
    assert [_decided(client, titles, t) for t in TENANTS] == ["approved", "approved"]

    # One tenant's thresholds: its next comment is held, the other's not.
    _thresholds(client, titles, "acme", 0.0)
    assert [_decided(client, titles, t) for t in TENANTS] == ["held", "approved"]
    _thresholds(client, titles, "acme", 1.0)
    _thresholds(client, titles, "bravo", 0.0)
    assert [_decided(client, titles, t) for t in TENANTS] == ["approved", "held"]
    _thresholds(client, titles, "bravo", 1.0)

    # An article's policy, for the same article id under both titles.
    _put(client, titles["bravo"]["admin"], "/v1/articles/story/policy", {"mode": "closed"})
    assert [_decided(client, titles, t) for t in TENANTS] == ["approved", "rejected"]
    _put(client, titles["bravo"]["admin"], "/v1/articles/story/policy", {"mode": "auto"})
    _put(client, titles["acme"]["admin"], "/v1/articles/story/policy", {"mode": "premoderate"})
    assert [_decided(client, titles, t) for t in TENANTS] == ["held", "approved"]
    _put(client, titles["acme"]["admin"], "/v1/articles/story/policy", {"mode": "auto"})

    # A tenant's word list.
    _put(client, titles["acme"]["admin"], "/v1/admin/policy/rules", {"banned_words": ["council"]})
    assert [_decided(client, titles, t) for t in TENANTS] == ["rejected", "approved"]
    _put(client, titles["acme"]["admin"], "/v1/admin/policy/rules", {"banned_words": []})
    _put(client, titles["bravo"]["admin"], "/v1/admin/policy/rules", {"suspect_words": ["vote"]})
    assert [_decided(client, titles, t) for t in TENANTS] == ["approved", "held"]


class _Model:
    thresholds = {"abuse": 0.5, "victim_identification": 0.4}


def _batch():
    return [{"tenant": t, "article_id": "s", "author_id": "a"} for t in TENANTS]


def test_a_batch_reads_the_version_and_its_authors_only_while_nothing_changes(
        redis_url, redis_client, settings, runtime):
    from storage.thresholds import ThresholdStore

    cache = PolicyCache(60.0)
    counting = CountingRedis.from_url(redis_url)
    first = Policy.load(counting, runtime.keys, settings, _Model(), _batch(), cache)
    assert first.base_threshold("abuse", _batch()[0]) == 0.5
    redis_client.config_resetstat()
    counting.batches = 0
    again = Policy.load(counting, runtime.keys, settings, _Model(), _batch(), cache)
    stats = {k.removeprefix("cmdstat_"): v["calls"]
             for k, v in redis_client.info("commandstats").items()}
    stats.pop("config|resetstat", None)
    # The version and one HMGET per author (two tenants: two authors), in one round trip.
    assert stats == {"get": 1, "hmget": 2}
    assert (counting.single, counting.batches) == (0, 1)
    assert again.base_threshold("abuse", _batch()[0]) == 0.5
    assert again.webhook_targets == {"acme": [], "bravo": []}

    # A writer changes the version in its own transaction: read again at once, one tenant
    # only affected.
    ThresholdStore(redis_client, runtime.keys).update({"abuse": 0.9}, by="t", tenant="acme")
    changed = Policy.load(counting, runtime.keys, settings, _Model(), _batch(), cache)
    acme, bravo = _batch()
    assert changed.base_threshold("abuse", acme) == 0.9
    assert changed.base_threshold("abuse", bravo) == 0.5


def test_a_change_around_the_stores_is_seen_within_the_cache_age(redis_url, redis_client,
                                                                  settings, runtime):
    now = [1000.0]
    cache = PolicyCache(10.0, clock=lambda: now[0])
    keys: Keys = runtime.keys
    acme = _batch()[0]
    assert Policy.load(redis_client, keys, settings, _Model(), [acme], cache).base_threshold(
        "abuse", acme) == 0.5
    # Written by hand, without the version: unseen until the cache is that old.
    redis_client.hset(keys.tenant("acme").thresholds, "abuse", "0.8")
    now[0] += 9.0
    assert Policy.load(redis_client, keys, settings, _Model(), [acme], cache).base_threshold(
        "abuse", acme) == 0.5
    now[0] += 1.0
    assert Policy.load(redis_client, keys, settings, _Model(), [acme], cache).base_threshold(
        "abuse", acme) == 0.8


def test_a_flushed_store_is_read_again(redis_url, redis_client, settings, runtime):
    """The version is a random token, not a counter: a store emptied and written again
    cannot bring back the value a worker holds."""
    from storage.thresholds import ThresholdStore

    cache = PolicyCache(600.0)
    store = ThresholdStore(redis_client, runtime.keys)
    acme = _batch()[0]
    store.update({"abuse": 0.7}, by="t", tenant="acme")
    assert Policy.load(redis_client, runtime.keys, settings, _Model(), [acme], cache
                       ).base_threshold("abuse", acme) == 0.7
    redis_client.flushall()
    store.update({"abuse": 0.6}, by="t", tenant="acme")
    assert Policy.load(redis_client, runtime.keys, settings, _Model(), [acme], cache
                       ).base_threshold("abuse", acme) == 0.6


def test_webhook_registrations_and_dsa_templates_apply_from_the_next_batch(redis_client, settings,
                                                                           runtime):
    from storage.dsa import DsaStore
    from storage.webhooks import WebhookStore

    cache = PolicyCache(600.0)
    acme, bravo = _batch()
    assert Policy.load(redis_client, runtime.keys, settings, _Model(), _batch(), cache
                       ).webhook_targets == {"acme": [], "bravo": []}
    WebhookStore(redis_client, runtime.keys).register("k1", "https://a.example/h", tenant="acme")
    WebhookStore(redis_client, runtime.keys).register("k2", "https://all.example/h", tenant="*")
    loaded = Policy.load(redis_client, runtime.keys, settings, _Model(), _batch(), cache)
    assert loaded.webhook_targets == {"acme": ["k1", "k2"], "bravo": ["k2"]}
    DsaStore(redis_client, runtime.keys, settings).update_settings(
        "bravo", {}, {"abuse": "Held: abuse."})
    loaded = Policy.load(redis_client, runtime.keys, settings, _Model(), _batch(), cache)
    assert loaded.dsa_settings["bravo"].templates["abuse"] == "Held: abuse."
    assert loaded.dsa_settings["acme"].templates.get("abuse") != "Held: abuse."
    WebhookStore(redis_client, runtime.keys).delete("k1")
    assert Policy.load(redis_client, runtime.keys, settings, _Model(), _batch(), cache
                       ).webhook_targets == {"acme": ["k2"], "bravo": ["k2"]}
