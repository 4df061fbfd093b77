"""Rate limits per key and per client address, counted in the real Redis."""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
import time

import pytest
from limits import parse_many
from redis import Redis

from core.config import Settings
from moderation.redis_server import free_port
from service.runtime import Runtime
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
        assert client.get("/v1/articles/a1/comments", headers=first).status_code == 200
    assert_limited(client.get("/v1/articles/a1/comments", headers=first))
    # Another key has its own allowance.
    assert client.get("/v1/articles/a1/comments", headers=second).status_code == 200
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


def test_readers_reports_have_their_own_limit(limited):
    client, rt = limited(rate_limit_reports="2/minute", rate_limit_default="100/minute")
    site = bearer(rt, "site")
    cid = client.post("/v1/comments", json=COMMENT, headers=site).get_json()["id"]
    for reader in ("r1", "r2"):
        assert client.post(f"/v1/comments/{cid}/reports", headers=site,
                           json={"reader_id": reader, "reason": "rude"}).status_code == 200
    assert_limited(client.post(f"/v1/comments/{cid}/reports", headers=site,
                               json={"reader_id": "r3", "reason": "rude"}))
    # Other routes keep the default allowance.
    assert client.get(f"/v1/comments/{cid}", headers=site).status_code == 200


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
    client.get("/v1/articles/a1/comments", headers=site)
    response = client.get("/v1/articles/a1/comments", headers=site)
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


# --------------------------------------------------------------------- limits that fit the flow

DEFAULT_LIMITS = {f.name: f.default for f in dataclasses.fields(Settings)
                  if f.name.startswith("rate_limit_")}


def per_minute(spec: str) -> float:
    """The tightest sustained rate (per minute) a limit string allows."""
    return min(item.amount * 60 / item.get_expiry() for item in parse_many(spec))


def test_default_limits_let_a_site_read_several_times_what_it_posts():
    post = per_minute(DEFAULT_LIMITS["rate_limit_post_comments"])
    read = per_minute(DEFAULT_LIMITS["rate_limit_read_comments"])
    assert read >= 3 * post
    # Reads are not held to the default per-route allowance (the old 10 reads/s).
    assert read > per_minute(DEFAULT_LIMITS["rate_limit_default"])


def test_single_and_batch_reads_share_one_allowance_of_their_own(limited):
    client, rt = limited(rate_limit_read_comments="3/minute", rate_limit_default="100/minute",
                         rate_limit_post_comments="100/minute")
    site = bearer(rt, "site")
    cid = client.post("/v1/comments", json=COMMENT, headers=site).get_json()["id"]
    assert client.get(f"/v1/comments/{cid}", headers=site).status_code == 200
    assert client.get(f"/v1/comments?ids={cid},x1,x2", headers=site).status_code == 200
    assert client.get(f"/v1/comments/{cid}", headers=site).status_code == 200
    body = client.get(f"/v1/comments?ids={cid}", headers=site)
    assert_limited(body)
    assert "comment reads" in body.get_json()["message"]
    # Posting and other routes keep their own allowances.
    assert client.post("/v1/comments", json=COMMENT, headers=site).status_code == 202
    assert client.get("/v1/articles/a1/comments", headers=site).status_code == 200


def test_a_limited_caller_logs_once_per_window(limited, caplog):
    client, rt = limited(rate_limit_default="2/minute")
    first, second = bearer(rt, "site"), bearer(rt, "site")
    caplog.set_level(logging.DEBUG)

    def lines() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name in ("service.rate_limits", "flask-limiter")]

    statuses = [client.get("/v1/articles/a1/comments", headers=first).status_code for _ in range(12)]
    assert statuses.count(429) == 10
    assert [r.getMessage() for r in lines()] == ["rate limited"]
    assert lines()[0].limit == "2 per 1 minute" and lines()[0].key_id
    # Another caller over its limit gets a line of its own, once.
    for _ in range(6):
        client.get("/v1/articles/a1/comments", headers=second)
    assert [r.getMessage() for r in lines()] == ["rate limited", "rate limited"]
    assert lines()[0].key_id != lines()[1].key_id


def test_moderators_on_the_page_behind_one_address_are_counted_per_key(limited, runtime):
    """Five moderators of one newsroom (one address) clearing a queue fast, default limits:
    more requests than the per-address allowance, and no 429."""
    from service.app import create_app
    from tests.moderate_seed import Held, seed_held
    from tests.test_moderate_page import TOKEN, sign_in

    settings = make_settings(runtime.settings.redis_url, **DEFAULT_LIMITS)
    app = create_app(settings, Runtime.build(settings, runtime.redis))
    seed_held(runtime.comments, [Held("busy-story", f"reader {n}", f"you absolute idiot, take {n}",
                                      {"abuse": 0.9, "victim_identification": 0.05},
                                      ["abuse: insult"]) for n in range(320)])
    anonymous = per_minute(DEFAULT_LIMITS["rate_limit_anonymous"])
    # Cards this moderator holds (a card a colleague claimed first is shown locked).
    card = re.compile(r'<article class="comment" id="c-([^"]+)"')
    statuses: list[int] = []
    lock = threading.Lock()

    def moderate(n: int) -> None:
        browser = app.test_client()  # its own cookie jar; every browser comes from 127.0.0.1
        sign_in(browser, runtime.api_keys.create("moderator", f"desk-{n}")[1])
        for _ in range(100):
            page = browser.get("/moderate")
            html = page.get_data(as_text=True)
            seen = [page.status_code]
            ids = card.findall(html)
            if page.status_code != 200 or "<article" not in html:
                with lock:
                    statuses.extend(seen)
                return
            token = TOKEN.search(html).group(1)
            # As the page's script does on load: claim what is shown (a GET claims nothing),
            # then work on the comments this moderator holds.
            claims = browser.post("/moderate/claims", data={"ids": ids, "csrf_token": token})
            seen.append(claims.status_code)
            ids = claims.get_json()["claimed"] if claims.status_code == 200 else []
            for i, cid in enumerate(ids):
                response = browser.post("/moderate/decide", headers={"Accept": "application/json"},
                                         data={"id": cid, "action": "reject", "reason_code": "abuse",
                                               "expected_status": "held", "csrf_token": token})
                seen.append(response.status_code)
                if i % 5 == 4 and ids[i + 1:]:  # the page renews its claims while one works
                    seen.append(browser.post("/moderate/claims", data={
                        "ids": ids[i + 1:], "csrf_token": token}).status_code)
            with lock:
                statuses.extend(seen)

    threads = [threading.Thread(target=moderate, args=(n,)) for n in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert 429 not in statuses
    assert len(statuses) > anonymous  # more than one address may send without a key
    assert runtime.redis.zcard(runtime.keys.tenant("default").held_queue) == 0
    assert set(statuses) == {200}


def test_a_site_posting_50_a_second_and_polling_with_batch_reads_is_never_limited(
        redis_url, redis_client, small_scorer, start_worker):
    """The README's flow with default limits, in real time (about 25 s): post 50 comments a
    second for 20 s; poll every comment still undecided with the batch read until it is."""
    from service.app import create_app
    from worker.publishing import register_scorer

    settings = make_settings(redis_url, **DEFAULT_LIMITS)
    runtime = Runtime.build(settings, redis_client)
    app = create_app(settings, runtime)
    register_scorer(runtime.models, small_scorer, created_by="test", activate=True)
    site = bearer(runtime, "site")
    start_worker()

    rate, seconds = 50, 20
    posted: list[str] = []
    post_statuses: list[int] = []
    lock = threading.Lock()

    def poster() -> None:
        client = app.test_client()
        start = last = time.monotonic()
        for n in range(rate * seconds):
            # On schedule, and never faster than the site would post (no catch-up bursts).
            due = max(start + n / rate, last + 1 / (rate * 1.2))
            time.sleep(max(0.0, due - time.monotonic()))
            last = time.monotonic()
            response = client.post("/v1/comments", headers=site, json={
                "article_id": "busy", "text": f"Comment {n} on the council's budget plans.",
                "author": {"id": f"reader-{n % 97}"}})
            with lock:
                post_statuses.append(response.status_code)
                if response.status_code == 202:
                    posted.append(response.get_json()["id"])

    thread = threading.Thread(target=poster)
    thread.start()
    reader = app.test_client()
    read_statuses: list[int] = []
    decided: set[str] = set()
    deadline = time.monotonic() + seconds + 60
    while time.monotonic() < deadline:
        with lock:
            waiting = [cid for cid in posted if cid not in decided]
            # Nothing pending (decisions can outpace the poll): the site still reads its
            # latest comments each round, so the read rate does not hang on the machine's speed.
            waiting = waiting or posted[-10:]
        for at in range(0, len(waiting), 100):
            response = reader.get("/v1/comments?ids=" + ",".join(waiting[at:at + 100]), headers=site)
            read_statuses.append(response.status_code)
            if response.status_code == 200:
                decided.update(c["id"] for c in response.get_json()["items"] if c["status"] != "pending")
        if not thread.is_alive() and len(decided) == len(posted):
            break
        time.sleep(0.02)  # the site's polling interval
    thread.join(10)

    assert 429 not in post_statuses and 429 not in read_statuses
    assert set(post_statuses) == {202} and len(posted) == rate * seconds
    assert set(read_statuses) == {200} and len(read_statuses) > 600  # more than the old 600/minute
    assert decided == set(posted)


# --------------------------------------------------------------- the hot routes' round trips

def _calls(redis_client) -> dict[str, int]:
    return {name.removeprefix("cmdstat_"): int(v["calls"])
            for name, v in redis_client.info("commandstats").items()}


def test_a_post_counts_its_limits_in_the_create_script_one_round_trip(limited, redis_client):
    client, rt = limited(rate_limit_post_comments="50/second;1000/minute",
                         rate_limit_read_comments="50/second;1000/minute")
    site = bearer(rt, "site")
    first = client.post("/v1/comments", json=COMMENT, headers=site)  # warm: key cached, scripts loaded
    assert first.status_code == 202
    redis_client.config_resetstat()
    assert client.post("/v1/comments", json=COMMENT, headers=site).status_code == 202
    calls = _calls(redis_client)
    # One script (the create) carries both windows' counts: no other round trip.
    # INCR: the sequence and the two windows; no HGETALL (the key's look-up is cached).
    assert calls.get("evalsha") == 1 and calls.get("incr") == 3, calls
    assert "hgetall" not in calls and "incrby" not in calls, calls
    read = f"/v1/comments?ids={first.get_json()['id']}"
    assert client.get(read, headers=site).status_code == 200  # warm: the script loaded
    redis_client.config_resetstat()
    assert client.get(read, headers=site).status_code == 200
    calls = _calls(redis_client)
    # A read: one script for both windows, one pipeline for the records.
    assert calls.get("evalsha") == 1 and calls.get("incr") == 2, calls


def test_posts_that_never_reach_the_create_count_too(limited):
    client, rt = limited(rate_limit_post_comments="3/minute", rate_limit_default="100/minute")
    site = bearer(rt, "site")
    invalid = dict(COMMENT, text="")
    assert client.post("/v1/comments", json=invalid, headers=site).status_code == 422
    assert client.post("/v1/comments", data="{", headers=dict(site, **{
        "Content-Type": "application/json"})).status_code == 400
    assert client.post("/v1/comments", json=COMMENT, headers=site).status_code == 202
    # The fourth of the minute is refused, whether or not its body is valid, and stores nothing.
    refused = client.post("/v1/comments", json=invalid, headers=site)
    assert_limited(refused)
    assert refused.headers.get("X-Request-ID")
    assert_limited(client.post("/v1/comments", json=COMMENT, headers=site))
    assert rt.comments.pending_count() == 1
    # A retry of a known external id counts as well (as every request does).
    other = bearer(rt, "site")
    body = dict(COMMENT, external_id="ext-1")
    statuses = [client.post("/v1/comments", json=body, headers=other).status_code
                for _ in range(4)]
    assert statuses == [202, 200, 200, 429]


def test_retry_after_of_a_refused_post_tracks_its_window(limited):
    client, rt = limited(rate_limit_post_comments="1/hour")
    site = bearer(rt, "site")
    assert client.post("/v1/comments", json=COMMENT, headers=site).status_code == 202
    retry_after = int(client.post("/v1/comments", json=COMMENT, headers=site)
                      .headers["Retry-After"])
    assert 60 < retry_after <= 3600
