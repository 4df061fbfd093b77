"""Webhooks stay within their owner: a site's webhook gets its tenant's decisions only, a
revoked key's webhook stops at once, a slow receiver delays neither scoring nor other sites
(own workers, circuit breaker), and failure listings are the caller's own, a page at a time."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
from redis import Redis
from rq import Queue, Worker
from rq.registry import ScheduledJobRegistry

from core.config import PROJECT_ROOT
from storage.webhooks import Admission, FailedDelivery, FailureScope, WebhookBreaker, WebhookStore
from tests.conftest import make_settings, wait_until, worker_env
from tests.test_policy_phases import CountingRedis
from tests.webhook_support import (
    LOOPBACK_ALLOWED,
    assert_error,
    receiver_fixture,  # noqa: F401 -- the receiver fixture
    register,
    set_key_tenant,
    webhook_worker_env,
)
from worker.webhooks import UNREACHABLE, deliver_once, emit_decisions

RECORD = {"id": "c1", "article_id": "story-1", "status": "held", "reasons": ["abuse: insult"],
          "decided_by": "model", "model_version": "v1", "decided": 1_760_000_000.0}


@pytest.fixture
def settings(redis_url, redis_client):
    return make_settings(redis_url, webhook_retry_backoff="1,1,1",
                         webhook_allowed_hosts=LOOPBACK_ALLOWED)


@pytest.fixture
def tenant_key(runtime, make_key):
    """A key of a role in a tenant: (plain key, key id, auth headers)."""
    def make(role: str, tenant: str) -> tuple[str, str, dict[str, str]]:
        plain = make_key(role, tenant)
        return plain, runtime.api_keys.authenticate(plain).id, {"Authorization": f"Bearer {plain}"}

    return make


def webhook_jobs(redis_client, settings) -> list:
    return Queue(settings.webhooks_queue, connection=redis_client).get_jobs()


# Tenants ---------------------------------------------------------------------------------
def test_a_decision_goes_only_to_webhooks_of_its_tenant(client, runtime, settings, tenant_key,
                                                        receiver, start_worker, redis_client):
    alpha_rx, beta_rx, default_rx, all_rx = receiver(), receiver(), receiver(), receiver()
    _, alpha_id, alpha = tenant_key("site", "alpha")
    _, beta_id, beta = tenant_key("site", "beta")
    _, default_id, default = tenant_key("site", "default")
    _, all_id, everywhere = tenant_key("admin", "*")
    for headers, rx in ((alpha, alpha_rx), (beta, beta_rx), (default, default_rx), (everywhere, all_rx)):
        register(client, headers, rx.url)
    records = [dict(RECORD, id="a1", tenant="alpha"), dict(RECORD, id="b1", tenant="beta"),
               dict(RECORD, id="a2", tenant="alpha"), dict(RECORD, id="d1")]  # no tenant: default
    assert emit_decisions(runtime.redis, runtime.keys, settings, records) == 8
    routed = sorted((json.loads(j.args[2])["comment_id"], j.args[1])
                    for j in webhook_jobs(redis_client, settings))
    assert routed == sorted([("a1", alpha_id), ("a1", all_id), ("a2", alpha_id), ("a2", all_id),
                             ("b1", beta_id), ("b1", all_id), ("d1", default_id), ("d1", all_id)])

    start_worker(**webhook_worker_env(settings))
    wait_until(lambda: all_rx.count() == 4 and alpha_rx.count() == 2, timeout=60)
    wait_until(lambda: beta_rx.count() == 1 and default_rx.count() == 1, timeout=30)

    def got(rx):
        return sorted((json.loads(r["body"])["comment_id"], json.loads(r["body"])["tenant"])
                      for r in rx.requests)

    assert got(alpha_rx) == [("a1", "alpha"), ("a2", "alpha")]
    assert got(beta_rx) == [("b1", "beta")]
    assert got(default_rx) == [("d1", "default")]
    assert got(all_rx) == [("a1", "alpha"), ("a2", "alpha"), ("b1", "beta"), ("d1", "default")]


def test_emitting_costs_the_same_round_trips_whatever_the_batch(runtime, settings):
    # emit_decisions runs inside the scoring batch: its Redis round trips must not grow with
    # the decisions, their tenants or the webhooks.
    store = WebhookStore(runtime.redis, runtime.keys)
    for n, tenant in enumerate(["alpha", "beta", "default", "*", "alpha"]):
        store.register(f"k{n}", "https://x.example/h", tenant=tenant)

    def emit(tenants: list[str], count: int) -> tuple[int, int]:
        counting = CountingRedis.from_url(settings.redis_url)
        records = [dict(RECORD, id=f"c{n}", tenant=tenants[n % len(tenants)]) for n in range(count)]
        queued = emit_decisions(counting, runtime.keys, settings, records)
        return queued, counting.single + counting.batches

    small = emit(["alpha"], 1)
    large = emit(["alpha", "beta", "gamma", "default"], 200)
    # Per 4 records: alpha 3 webhooks (two own, one "*"), beta 2, gamma 1 ("*"), default 2.
    assert (small[0], large[0]) == (3, 400)
    # The targets read, RQ's server-version check for the queue, and the enqueue pipeline.
    assert small[1] == large[1] == 3


def test_a_queued_delivery_is_dropped_if_its_key_moved_to_another_tenant(runtime, settings, tenant_key,
                                                                         receiver):
    rx = receiver()
    plain, key_id, _ = tenant_key("site", "alpha")
    WebhookStore(runtime.redis, runtime.keys).register(key_id, rx.url, tenant="alpha")
    set_key_tenant(runtime, plain, "beta")
    outcome = deliver_once(runtime.redis, runtime.keys, settings, None, "d1", key_id, "{}",
                           tenant="alpha")
    assert outcome == "key no longer of this tenant" and rx.count() == 0


def test_failures_are_listed_only_to_their_key_and_tenant(client, runtime, tenant_key):
    store = WebhookStore(runtime.redis, runtime.keys)
    _, alpha_id, alpha_site = tenant_key("site", "alpha")
    _, alpha2_id, alpha_site2 = tenant_key("site", "alpha")
    _, beta_id, beta_site = tenant_key("site", "beta")
    _, _, alpha_admin = tenant_key("admin", "alpha")
    _, _, all_admin = tenant_key("admin", "*")
    for headers, key_id, tenant, delivery in ((alpha_site, alpha_id, "alpha", "da"),
                                              (alpha_site2, alpha2_id, "alpha", "da2"),
                                              (beta_site, beta_id, "beta", "db")):
        register(client, headers, "https://x.example/h")
        store.record_failure(FailedDelivery(id=delivery, key_id=key_id, url="https://x.example/h",
                                            body=json.dumps({"tenant": tenant}), attempts=1,
                                            last_error=UNREACHABLE, failed_at=time.time(),
                                            tenant=tenant), keep_seconds=600)

    def listed(headers) -> set[str]:
        response = client.get("/v1/webhooks/failures", headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        return {item["id"] for item in response.get_json()["items"]}

    assert listed(alpha_site) == {"da"}
    assert listed(alpha_site2) == {"da2"}
    assert listed(beta_site) == {"db"}
    assert listed(alpha_admin) == {"da", "da2"}
    assert listed(all_admin) == {"da", "da2", "db"}
    assert_error(client.post("/v1/webhooks/failures/db/replay", headers=alpha_admin),
                 404, "delivery_not_found")
    assert_error(client.post("/v1/webhooks/failures/da2/replay", headers=alpha_site),
                 404, "delivery_not_found")
    assert client.post("/v1/webhooks/failures/db/replay", headers=all_admin).status_code == 202


# Paging ---------------------------------------------------------------------------------
def test_failures_are_paged_and_a_page_reads_only_its_own_records(client, runtime, site_headers,
                                                                  redis_client):
    key_id = register(client, site_headers, "https://x.example/h")["key_id"]
    store = WebhookStore(runtime.redis, runtime.keys)
    base = time.time()
    ids = []
    for n in range(300):
        # Groups of three share a failure time: the cursor must tell them apart.
        ids.append(f"d{n:03d}")
        store.record_failure(FailedDelivery(id=ids[-1], key_id=key_id, url="https://x.example/h",
                                            body="{}", attempts=1, last_error=UNREACHABLE,
                                            failed_at=base - (n // 3)), keep_seconds=3600)

    def hgetall_calls() -> int:
        return int(redis_client.info("commandstats").get("cmdstat_hgetall", {}).get("calls", 0))

    before = hgetall_calls()
    first = client.get("/v1/webhooks/failures?limit=7", headers=site_headers).get_json()
    # The key lookup reads one hash; the page reads its 7 records, not the 300.
    assert hgetall_calls() - before <= 7 + 3
    seen = [item["id"] for item in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = client.get(f"/v1/webhooks/failures?limit=50&cursor={cursor}", headers=site_headers)
        assert page.status_code == 200, page.get_data(as_text=True)
        seen += [item["id"] for item in page.get_json()["items"]]
        cursor = page.get_json()["next_cursor"]
    assert len(seen) == len(set(seen)) == 300
    expected = sorted(ids, key=lambda d: (-(base - int(d[1:]) // 3), [-ord(c) for c in d]))
    assert seen == expected  # newest first; ties in a stable order
    assert_error(client.get("/v1/webhooks/failures?limit=201", headers=site_headers),
                 422, "validation_error")
    assert_error(client.get("/v1/webhooks/failures?cursor=nonsense", headers=site_headers),
                 400, "invalid_cursor")

    replayed = client.post("/v1/webhooks/failures/replay?limit=120", headers=site_headers)
    assert replayed.status_code == 202, replayed.get_data(as_text=True)
    body = replayed.get_json()
    assert len(body["queued"]) == 120 and body["skipped"] == [] and body["more"] is True
    assert body["queued"] == expected[:120]
    rest = client.get("/v1/webhooks/failures?limit=200", headers=site_headers).get_json()
    assert [item["id"] for item in rest["items"]] == expected[120:]
    jobs = Queue("webhooks", connection=redis_client).get_jobs()
    assert sorted(j.args[0] for j in jobs) == sorted(expected[:120])
    # Failures whose key has no webhook now stay listed; the cursor goes on past them.
    client.delete("/v1/webhooks", headers=site_headers)
    stuck = client.post("/v1/webhooks/failures/replay?limit=100", headers=site_headers).get_json()
    assert stuck["queued"] == [] and stuck["skipped"] == expected[120:220] and stuck["more"]
    after = client.post(f"/v1/webhooks/failures/replay?limit=100&cursor={stuck['next_cursor']}",
                        headers=site_headers).get_json()
    assert after["skipped"] == expected[220:] and not after["more"] and after["next_cursor"] is None


# Revocation -----------------------------------------------------------------------------
def test_revoking_a_key_removes_its_webhook_and_drops_its_queued_deliveries(
        client, runtime, settings, make_key, receiver, start_worker, redis_client):
    revoked_rx, stale_rx, live_rx = receiver(), receiver(), receiver()
    keys = {}
    for name, rx in (("revoked", revoked_rx), ("stale", stale_rx), ("live", live_rx)):
        plain = make_key("site")
        keys[name] = runtime.api_keys.authenticate(plain).id
        register(client, {"Authorization": f"Bearer {plain}"}, rx.url)
    # Deliveries are queued while no webhook worker runs.
    assert emit_decisions(runtime.redis, runtime.keys, settings, [RECORD]) == 3
    store = WebhookStore(runtime.redis, runtime.keys)
    # Revoking (as `moderation keys revoke` does) removes the webhook with the key.
    assert runtime.api_keys.revoke(keys["revoked"])
    assert store.get(keys["revoked"]) is None
    assert keys["revoked"] not in store.targets(["default"])["default"]
    # A key removed without its webhook (e.g. revoked by an older version): the queued
    # delivery checks the key itself before sending.
    digest = redis_client.hget(runtime.keys.api_keys, keys["stale"]).decode()
    redis_client.delete(runtime.keys.api_key(digest))
    redis_client.hdel(runtime.keys.api_keys, keys["stale"])
    assert store.get(keys["stale"]) is not None

    start_worker(**webhook_worker_env(settings))
    wait_until(lambda: live_rx.count() == 1, timeout=60)
    queue = Queue(settings.webhooks_queue, connection=redis_client)
    wait_until(lambda: len(queue.finished_job_registry.get_job_ids()) == 3, timeout=30)
    results = {queue.fetch_job(j).args[1]: queue.fetch_job(j).return_value()
               for j in queue.finished_job_registry.get_job_ids()}
    assert results == {keys["revoked"]: "key revoked", keys["stale"]: "key revoked",
                       keys["live"]: "delivered"}
    assert revoked_rx.count() == 0 and stale_rx.count() == 0
    assert store.get(keys["stale"]) is None  # cleaned up on the way
    # Nothing more is ever queued for them.
    assert emit_decisions(runtime.redis, runtime.keys, settings, [dict(RECORD, id="c2")]) == 1


# Circuit breaker ---------------------------------------------------------------------------
def test_breaker_opens_after_consecutive_failures_then_lets_one_trial_through(runtime):
    breaker = WebhookBreaker(runtime.redis, runtime.keys, failures=3, cooloff=60, trial_seconds=11)
    t = 1_000_000.0
    assert breaker.admit("k", t).state == "closed"
    assert breaker.record("k", False, t) == 1
    assert breaker.record("k", True, t) == 0          # a success resets the count
    for n in range(1, 4):
        assert breaker.admit("k", t).send
        assert breaker.record("k", False, t) == n
    gate = breaker.admit("k", t + 1)
    assert (gate.state, gate.until, gate.send) == ("open", t + 60, False)
    assert breaker.admit("other", t + 1).state == "closed"   # one webhook's state only
    trial = breaker.admit("k", t + 61)
    assert trial.state == "trial" and trial.send
    waiting = breaker.admit("k", t + 62)
    assert (waiting.state, waiting.until) == ("trial_in_flight", t + 72)
    breaker.record("k", False, t + 63)                   # the trial failed: open again
    assert breaker.admit("k", t + 64) == Admission("open", t + 123)
    assert breaker.admit("k", t + 124).state == "trial"
    breaker.record("k", True, t + 125)                   # the trial succeeded: closed
    assert breaker.admit("k", t + 126).state == "closed"
    assert runtime.redis.ttl(runtime.keys.webhook_breaker("k")) == -2  # nothing left behind


def _at_once(runtime, workers: int, step) -> list:
    """Run ``step(breaker)`` on ``workers`` threads released together, each a webhook worker
    with its own connection to the real Redis; their results."""
    barrier = threading.Barrier(workers)
    results: list = [None] * workers
    errors: list[Exception] = []
    connections = [Redis.from_url(runtime.settings.redis_url) for _ in range(workers)]

    def run(n: int) -> None:
        breaker = WebhookBreaker(connections[n], runtime.keys, failures=3, cooloff=60,
                                 trial_seconds=10)
        barrier.wait(10)
        try:
            results[n] = step(breaker)
        except Exception as exc:  # re-raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    for connection in connections:
        connection.close()
    assert not errors, errors
    return results


def test_two_workers_racing_on_one_breaker_count_every_failure_and_send_one_trial(runtime):
    t = 1_000_000.0
    for round_ in range(20):
        key = f"k{round_}"
        # Failures recorded at once by many workers are all counted, and open the breaker.
        counts = _at_once(runtime, 8, lambda b, key=key: b.record(key, False, t))
        assert sorted(counts) == list(range(1, 9))
        # After the cool-off, workers asking at once: exactly one sends the trial.
        states = _at_once(runtime, 8, lambda b, key=key: b.admit(key, t + 61).state)
        assert sorted(states) == ["trial"] + ["trial_in_flight"] * 7
        # The trial's failure and a late failure of a delivery sent before the breaker
        # opened, at once: the breaker is open again and lets no second trial through early.
        _at_once(runtime, 2, lambda b, key=key: b.record(key, False, t + 62))
        assert not WebhookBreaker(runtime.redis, runtime.keys, 3, 60, 10).admit(key, t + 63).send


def test_registering_a_new_url_resets_the_breaker(client, runtime, site_headers):
    key_id = register(client, site_headers, "https://x.example/h")["key_id"]
    breaker = WebhookBreaker(runtime.redis, runtime.keys, failures=1, cooloff=600, trial_seconds=5)
    breaker.record(key_id, False)
    assert not breaker.admit(key_id).send
    register(client, site_headers, "https://y.example/h")
    assert breaker.admit(key_id).state == "closed"


def test_an_open_breaker_defers_without_sending_and_gives_up_after_the_retry_plan(runtime, receiver,
                                                                                  make_key):
    rx = receiver()
    settings = make_settings(runtime.settings.redis_url, webhook_retry_backoff="10,10",
                             webhook_allowed_hosts=LOOPBACK_ALLOWED, webhook_breaker_failures=1,
                             webhook_breaker_cooloff=300)
    key_id = runtime.api_keys.authenticate(make_key("site")).id
    store = WebhookStore(runtime.redis, runtime.keys)
    store.register(key_id, rx.url)
    gate = WebhookBreaker(runtime.redis, runtime.keys, 1, 300, 5)
    gate.record(key_id, False)
    open_until = gate.admit(key_id).until
    now = time.time()
    outcome = deliver_once(runtime.redis, runtime.keys, settings, None, "d1", key_id, "{}",
                           queued_at=now, prior_attempts=2)
    assert outcome == "deferred: breaker open" and rx.count() == 0
    scheduled = ScheduledJobRegistry(queue=Queue(settings.webhooks_queue, connection=runtime.redis))
    [job_id] = scheduled.get_job_ids()
    job = Queue(settings.webhooks_queue, connection=runtime.redis).fetch_job(job_id)
    assert job.args[:2] == ("d1", key_id) and job.kwargs["prior_attempts"] == 2
    assert job.kwargs["queued_at"] == now
    # Woken at the end of the cool-off, spread by up to 5 s (RQ keeps whole seconds).
    assert int(open_until) <= scheduled.get_scheduled_time(job_id).timestamp() <= open_until + 6
    # Deferred longer than the whole retry plan plus a cool-off: listed as failed.
    outcome = deliver_once(runtime.redis, runtime.keys, settings, None, "d2", key_id, "{}",
                           queued_at=now - 321, prior_attempts=3)
    assert outcome.startswith("failed")
    [failure] = store.failures(FailureScope(key_id=key_id), 10)[0]
    assert (failure.id, failure.last_error, failure.attempts) == ("d2", UNREACHABLE, 3)
    assert rx.count() == 0


# Slow receivers ------------------------------------------------------------------------------
def test_a_hung_receiver_does_not_delay_scoring(client, site_headers, settings, receiver, start_worker,
                                                active_small_model, redis_client):
    hung = receiver(hang=True)
    register(client, site_headers, hung.url)
    start_worker()  # a scoring worker: the default queues
    # The webhook worker waits on the receiver far longer than this test runs.
    webhook_worker = start_worker(**webhook_worker_env(settings, WEBHOOK_TIMEOUT="120"))

    def post(n: int) -> str:
        response = client.post("/v1/comments", headers=site_headers, json={
            "article_id": "a1", "text": f"Comment number {n} on the story.", "author": {"id": f"r{n}"}})
        assert response.status_code == 202, response.get_data(as_text=True)
        return response.get_json()["id"]

    post(0)
    wait_until(lambda: hung.in_flight == 1, timeout=60)  # the webhook worker is now stuck
    ids = [post(n) for n in range(1, 21)]

    def decided() -> bool:
        return all(client.get(f"/v1/comments/{cid}", headers=site_headers).get_json()["status"]
                   != "pending" for cid in ids)

    wait_until(decided, timeout=60)
    # Scored while the only webhook worker was still held by the first delivery.
    assert hung.in_flight == 1 and hung.count() == 1
    assert len(Queue(settings.webhooks_queue, connection=redis_client)) == 20
    assert webhook_worker.process.poll() is None


def test_a_dead_receiver_does_not_hold_up_another_sites_events(client, runtime, settings, make_key,
                                                               receiver, start_worker, redis_client):
    slow, fast = receiver(hang=True), receiver()
    slow_key = make_key("site")
    slow_id = register(client, {"Authorization": f"Bearer {slow_key}"}, slow.url)["key_id"]
    register(client, {"Authorization": f"Bearer {make_key('site')}"}, fast.url)
    records = [dict(RECORD, id=f"c{n}") for n in range(12)]
    assert emit_decisions(runtime.redis, runtime.keys, settings, records) == 24
    # One webhook worker; each attempt at the dead receiver costs it a 1 s timeout, until
    # two failures in a row open the breaker (for longer than this test runs).
    start_worker(**webhook_worker_env(settings, WEBHOOK_TIMEOUT="1", WEBHOOK_BREAKER_FAILURES="2",
                                      WEBHOOK_BREAKER_COOLOFF="600"))
    wait_until(lambda: fast.count() == 12, timeout=60)
    # The fast site got every event while the dead one was tried twice, not twelve times:
    # its other deliveries wait, unsent, for the cool-off instead of holding the worker.
    assert slow.count() == 2
    assert sorted(json.loads(r["body"])["comment_id"] for r in fast.requests) == sorted(
        r["id"] for r in records)
    gate = WebhookBreaker(runtime.redis, runtime.keys, 2, 600, 3).admit(slow_id)
    assert gate.state == "open"
    queue = Queue(settings.webhooks_queue, connection=redis_client)
    scheduled = ScheduledJobRegistry(queue=queue)

    def deferred():
        jobs = [queue.fetch_job(j) for j in scheduled.get_job_ids()]
        return [j for j in jobs if j and j.id.startswith("webhook-") and "-w" in j.id]

    # Every delivery to the dead receiver ends up waiting out the cool-off: the ten never
    # tried with their whole retry plan, the two tried (then retried by RQ) with what is left.
    wait_until(lambda: len(deferred()) == 12, timeout=30)
    assert sorted(j.retries_left for j in deferred()) == [2, 2] + [3] * 10
    assert all(j.args[1] == slow_id for j in deferred())
    assert slow.count() == 2


# Workers ---------------------------------------------------------------------------------------
def test_scoring_workers_do_not_consume_webhooks_by_default(settings):
    from moderation.launcher import Launcher
    from worker.runner import queue_names

    assert queue_names(settings) == ["comments"]
    assert queue_names(settings, "webhooks") == ["webhooks"]
    launcher = Launcher(settings, port=0, workers=2, api_processes=1, webhook_workers=1)
    commands = {name: command[command.index("--queues") + 1] for name, command in launcher.worker_commands()}
    assert commands == {"worker-1": "comments", "worker-2": "comments",
                        "webhook-worker-1": "webhooks", "training-worker": "training"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_moderation_up_runs_a_webhook_worker_on_its_own_queue(settings, redis_client, active_small_model):
    env = worker_env(settings)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    process = subprocess.Popen([sys.executable, "-m", "moderation.cli", "up", "--port", str(_free_port()),
                                "--processes", "1"], env=env, cwd=PROJECT_ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        def queues() -> list[list[str]] | None:
            found = sorted(sorted(w.queue_names()) for w in Worker.all(connection=redis_client))
            return found if len(found) == 3 else None

        assert wait_until(queues, timeout=120) == [["comments"], ["training"], ["webhooks"]]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
