"""Spot checks and live quality figures against real Redis, the real drain job, decision
phases and moderators' API; a table-driven stub model (these tests are about the counting,
not the model). The whole loop with a real worker process is tests/test_quality_loop.py."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from core import quality
from storage.examples import ExampleStore
from tests.moderation_support import assert_error, post, score_pending

pytest_plugins = ["tests.moderation_fixtures"]

TENANTS = ("acme", "bravo")


def headers(plain: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plain}"}


@pytest.fixture
def keys(runtime) -> dict[str, dict[str, dict[str, str]]]:
    """role -> tenant -> headers, for both tenants and all tenants ('*')."""
    out: dict[str, dict[str, dict[str, str]]] = {}
    for role in ("site", "moderator", "admin"):
        out[role] = {t: headers(runtime.api_keys.create(role, f"{t} {role}", t)[1]) for t in TENANTS}
    out["admin"]["*"] = headers(runtime.api_keys.create("admin", "all admin", "*")[1])
    return out


def set_rate(client, admin: dict[str, str], rate: float | None, **query) -> dict:
    response = client.put("/v1/admin/policy/spot-checks", json={"rate": rate}, headers=admin,
                          query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def figures(client, admin: dict[str, str], **query) -> dict:
    response = client.get("/v1/quality", headers=admin, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def decide(client, moderator, cid: str, action: str, reason_code: str = "other"):
    response = client.post(f"/v1/comments/{cid}/decision", headers=moderator,
                           json={"action": action, "reason_code": reason_code})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def spot_queue(client, moderator) -> list[str]:
    response = client.get("/v1/moderation/queue", headers=moderator,
                          query_string={"category": "spot_check", "limit": 200})
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.get_json()["items"]]


# The arithmetic -------------------------------------------------------------------------------
def test_inclusion_probability_rises_towards_the_threshold():
    far = quality.inclusion_probability(0.5, 0.02, 0.15, 5.0)
    mid = quality.inclusion_probability(0.075, 0.02, 0.15, 5.0)
    at = quality.inclusion_probability(0.0, 0.02, 0.15, 5.0)
    assert far == pytest.approx(0.02) and at == pytest.approx(0.10) and mid == pytest.approx(0.06)
    assert quality.inclusion_probability(0.0, 0.5, 0.15, 5.0) == 1.0
    assert quality.inclusion_probability(0.0, 0.0, 0.15, 5.0) == 0.0
    assert quality.inclusion_probability(0.01, 0.02, 0.0, 5.0) == pytest.approx(0.02)


def test_the_draw_is_a_fixed_uniform_hash_of_the_id():
    ids = [f"{n:016x}" for n in range(20000)]
    draws = [quality.draw(i) for i in ids]
    assert draws == [quality.draw(i) for i in ids]  # a retry draws the same
    assert all(0.0 <= d < 1.0 for d in draws)
    # Uniform: the share below 0.1 is 0.1 within 6 standard deviations (0.0127).
    share = sum(d < 0.1 for d in draws) / len(draws)
    assert abs(share - 0.1) < 6 * math.sqrt(0.1 * 0.9 / len(draws))


def test_wilson_interval_matches_the_textbook():
    low, high = quality.wilson(0.1, 100)
    # Wilson 95 % for 10/100: 0.0552 .. 0.1744.
    assert low == pytest.approx(0.0552, abs=1e-4) and high == pytest.approx(0.1744, abs=1e-4)
    assert quality.wilson(0.0, 0) is None
    low, high = quality.wilson(0.0, 50)
    assert low == pytest.approx(0.0, abs=1e-12) and 0.06 < high < 0.08


def test_equal_weights_give_the_plain_proportion_and_unequal_ones_the_hajek_ratio():
    estimate, interval, n_eff = quality.miss_rate(10 * 50.0, 10 * 50.0**2, 2 * 50.0)
    assert estimate == pytest.approx(0.2) and n_eff == pytest.approx(10)
    assert interval == pytest.approx(quality.wilson(0.2, 10))
    # Two strata: 10 checks at p=1 (weight 1) with 5 misses, 10 at p=0.1 (weight 10), none.
    estimate, _, n_eff = quality.miss_rate(10 * 1 + 10 * 10, 10 * 1 + 10 * 100, 5 * 1)
    assert estimate == pytest.approx(5 / 110)
    assert n_eff == pytest.approx(110**2 / 1010)


def test_the_hajek_estimate_is_unbiased_under_near_threshold_oversampling():
    """Simulated: misses concentrate near the threshold, where checks are 5x as likely; the
    weighted estimate stays on the true rate, the unweighted share of misses does not."""
    rng = random.Random(7)
    population = []
    for _ in range(20000):
        distance = rng.random() * 0.5
        miss = rng.random() < (0.3 if distance < 0.1 else 0.02)
        population.append((quality.inclusion_probability(distance, 0.1, 0.15, 5.0), miss))
    truth = sum(m for _, m in population) / len(population)
    w = w2 = wm = hits = n = 0.0
    for p, miss in population:
        if rng.random() < p:
            w, w2, wm = w + 1 / p, w2 + 1 / p**2, wm + miss / p
            hits, n = hits + miss, n + 1
    estimate, (low, high), _ = quality.miss_rate(w, w2, wm)
    assert abs(estimate - truth) < 0.015 and low <= truth <= high
    assert hits / n > truth + 0.03  # what ignoring the weights would report


def test_median_of_the_time_histogram():
    histogram: dict[int, float] = {}
    for seconds in (0.05, 0.2, 1.0, 30.0, 600.0):
        bucket = quality.time_bucket(seconds)
        histogram[bucket] = histogram.get(bucket, 0) + 1
    assert quality.median_seconds(histogram) == pytest.approx(1.0, rel=0.08)
    assert quality.median_seconds({}) is None


# Spot checks through the worker and the moderators' API ---------------------------------------
def test_a_spot_check_stays_published_and_answers_count(client, runtime, scorer, worker_ctx, keys):
    set_rate(client, keys["admin"]["acme"], 1.0)
    site, moderator, admin = keys["site"]["acme"], keys["moderator"]["acme"], keys["admin"]["acme"]
    texts = [scorer.set(f"fine comment {n}", abuse=0.05) for n in range(4)]
    ids = [post(client, site, t) for t in texts]
    held_text = scorer.set("nasty comment", abuse=0.9)
    held = post(client, site, held_text)
    score_pending()
    # Drawn with probability 1: each approved comment is in the spot-check queue, published.
    assert sorted(spot_queue(client, moderator)) == sorted(ids)
    for cid in ids:
        record = runtime.comments.get(cid)
        assert record["status"] == "approved" and float(record["spot_check_p"]) == 1.0
        assert "spot_check" in record["reasons"]
    listing = client.get("/v1/articles/story-1/comments", headers=site).get_json()
    assert set(ids) <= {c["id"] for c in listing["items"]}
    # Holds come before spot checks in the whole queue.
    whole = client.get("/v1/moderation/queue", headers=moderator).get_json()
    assert [i["id"] for i in whole["items"]][0] == held
    assert whole["counts"]["spot_check"] == 4

    decide(client, moderator, ids[0], "approve")
    decide(client, moderator, ids[1], "reject", "abuse")
    assert runtime.comments.get(ids[1])["status"] == "rejected"  # taken down
    assert sorted(spot_queue(client, moderator)) == sorted(ids[2:])
    # A second answer (a colleague overriding) does not count the check twice.
    response = client.post(f"/v1/comments/{ids[1]}/decision", headers=moderator,
                           json={"action": "approve", "reason_code": "other",
                                 "expected_status": "rejected"})
    assert response.status_code == 200, response.get_data(as_text=True)
    decide(client, moderator, held, "reject", "abuse")

    body = figures(client, admin)
    spot = body["spot_checks"]
    assert (spot["sampled"], spot["checked"], spot["missed"]) == (4, 2, 1)
    assert spot["expected"] == pytest.approx(4.0)
    assert spot["miss_rate"] == pytest.approx(0.5)
    assert spot["interval"] == pytest.approx(list(quality.wilson(0.5, 2)))
    assert spot["missed_by_reason"] == {"abuse": 1}
    assert (body["comments"], body["approved"], body["held"]) == (5, 4, 1)
    assert body["holds_per_1000"] == pytest.approx(200.0)
    assert body["categories"]["abuse"] == {"holds": 1, "reviewed": 1, "confirmed": 1,
                                           "precision": 1.0}
    # Reviewed: 2 checks + 1 hold; overturned: the missed check.
    assert (body["reviewed"], body["overturned"]) == (3, 1)
    assert body["overturn_rate"] == pytest.approx(1 / 3)
    assert body["time_to_decision"]["model_median_seconds"] > 0
    assert body["time_to_decision"]["people_median_seconds"] > 0
    assert list(body["by_version"]) == [scorer.version]
    assert body["by_version"][scorer.version]["spot_checks"]["checked"] == 2
    today = datetime.now(UTC).date().isoformat()
    assert body["daily"][-1]["day"] == today and body["daily"][-1]["comments"] == 5
    assert all(d["comments"] == 0 for d in body["daily"][:-1])
    # The labels say where they came from (the training summary counts them).
    example = ExampleStore(runtime.redis, runtime.keys).get(ids[1])
    assert example["source"] == "spot_check"
    # Prometheus: the same estimates, read from Redis at scrape time (any API process).
    metrics = client.get("/metrics").get_data(as_text=True)
    low, high = quality.wilson(0.5, 2)
    assert f'moderation_spot_check_miss_rate{{bound="lower",tenant="acme"}} {low}' in metrics
    assert f'moderation_spot_check_miss_rate{{bound="upper",tenant="acme"}} {high}' in metrics
    assert 'moderation_hold_precision{category="abuse",tenant="acme"} 1.0' in metrics
    assert "moderation_miss_rate_alert_threshold 0.05" in metrics


def test_near_threshold_comments_are_drawn_more_often_with_their_probability(
        client, runtime, scorer, worker_ctx, keys, settings):
    set_rate(client, keys["admin"]["acme"], 0.1)
    site = keys["site"]["acme"]
    near = [post(client, site, scorer.set(f"near {n}", abuse=0.45)) for n in range(300)]
    far = [post(client, site, scorer.set(f"far {n}", abuse=0.01)) for n in range(300)]
    score_pending()
    p_near = quality.inclusion_probability(0.05, 0.1, settings.spot_check_near_band,
                                           settings.spot_check_near_factor)
    p_far = quality.inclusion_probability(0.49, 0.1, settings.spot_check_near_band,
                                          settings.spot_check_near_factor)
    assert p_near > 3 * p_far
    for group, p in ((near, p_near), (far, p_far)):
        records = runtime.comments.get_many(group)
        drawn = [r for r in records if r.get("spot_check_p")]
        # Exactly the comments whose fixed draw is below their probability, with it stored.
        assert {r["id"] for r in drawn} == {cid for cid in group if quality.draw(cid) < p}
        assert all(float(r["spot_check_p"]) == pytest.approx(p) for r in drawn)
        # The margin: below the nearest threshold (0.5 for both categories).
        assert all(float(r["margin"]) == pytest.approx(0.5 - max(scorer.table[r["text"]].scores.values()))
                   for r in records)
    body = figures(client, keys["admin"]["acme"])
    assert body["spot_checks"]["expected"] == pytest.approx(300 * p_near + 300 * p_far, rel=1e-6)


def test_a_comment_scored_twice_counts_once(client, runtime, scorer, worker_ctx, keys):
    from worker.jobs import RECORD_FIELDS, decide_scored

    set_rate(client, keys["admin"]["acme"], 1.0)
    cid = post(client, keys["site"]["acme"], scorer.set("twice", abuse=0.05))
    record = runtime.comments.get_many([cid], RECORD_FIELDS)[0]
    score_pending()
    # A second worker that scored it meanwhile writes after the first: its transition and
    # its counters do nothing.
    assert decide_scored(worker_ctx, scorer, [(record, scorer.score_batch(["twice"])[0])]) == 0
    body = figures(client, keys["admin"]["acme"])
    assert (body["comments"], body["spot_checks"]["sampled"]) == (1, 1)
    assert len(runtime.comments.history(cid)) == 3  # posted, scored, spot_check


# Tenants ----------------------------------------------------------------------------------------
def test_each_tenant_has_its_own_rate_and_figures(client, runtime, scorer, worker_ctx, keys):
    set_rate(client, keys["admin"]["acme"], 1.0)
    set_rate(client, keys["admin"]["*"], 0.0, tenant="bravo")
    ids = {t: [post(client, keys["site"][t], scorer.set(f"{t} fine {n}")) for n in range(3)]
           for t in TENANTS}
    score_pending()
    assert sorted(spot_queue(client, keys["moderator"]["acme"])) == sorted(ids["acme"])
    assert spot_queue(client, keys["moderator"]["bravo"]) == []
    acme = figures(client, keys["admin"]["acme"])
    bravo = figures(client, keys["admin"]["bravo"])
    assert (acme["tenant"], acme["comments"], acme["spot_checks"]["sampled"]) == ("acme", 3, 3)
    assert (bravo["tenant"], bravo["comments"], bravo["spot_checks"]["sampled"]) == ("bravo", 3, 0)
    # An all-tenants admin: every tenant summed, or one named.
    assert figures(client, keys["admin"]["*"])["comments"] == 6
    assert figures(client, keys["admin"]["*"], tenant="bravo")["comments"] == 3
    # A tenant's admin cannot read or set another's.
    assert_error(client.get("/v1/quality", headers=keys["admin"]["acme"],
                            query_string={"tenant": "bravo"}), 404, "tenant_not_found")
    assert_error(client.put("/v1/admin/policy/spot-checks", headers=keys["admin"]["acme"],
                            query_string={"tenant": "bravo"}, json={"rate": 0.5}),
                 404, "tenant_not_found")
    policy = client.get("/v1/admin/policy/spot-checks", headers=keys["admin"]["bravo"]).get_json()
    assert (policy["rate"], policy["source"]) == (0.0, "tenant")
    assert policy["audit"][0]["new"] == 0.0
    # Moderators and sites do not read the figures through the API (the page is theirs).
    assert_error(client.get("/v1/quality", headers=keys["moderator"]["acme"]), 403, "forbidden")
    assert_error(client.get("/v1/quality", headers=keys["site"]["acme"]), 403, "forbidden")
    # Cleared: back to the deployment's rate.
    cleared = set_rate(client, keys["admin"]["acme"], None)
    assert (cleared["rate"], cleared["source"]) == (0.0, "environment")


def test_ranges_are_checked(client, keys):
    admin = keys["admin"]["acme"]
    today = datetime.now(UTC).date()
    assert_error(client.get("/v1/quality", headers=admin, query_string={
        "from": today.isoformat(), "to": (today - timedelta(days=1)).isoformat()}),
        422, "invalid_range")
    assert_error(client.get("/v1/quality", headers=admin, query_string={
        "from": (today - timedelta(days=400)).isoformat()}), 422, "invalid_range")
    body = figures(client, admin, **{"from": (today - timedelta(days=6)).isoformat()})
    assert len(body["daily"]) == 7 and body["spot_checks"]["miss_rate"] is None


def test_model_versions_show_live_figures_beside_the_gate_and_labels_name_their_source(
        client, runtime, scorer, worker_ctx, keys):
    from worker.training import moderator_examples

    # The stub's version, registered as the worker's active one (bytes never loaded here).
    runtime.models.put(scorer.version, b"stub", {"status": "active", "metrics": {},
                                                 "thresholds": scorer.thresholds,
                                                 "gate": {"passed": True, "categories": {}}})
    runtime.models.activate(scorer.version)
    for tenant in TENANTS:
        set_rate(client, keys["admin"][tenant], 1.0)
    checks = {t: [post(client, keys["site"][t], scorer.set(f"{t} ok {n}")) for n in range(2)]
              for t in TENANTS}
    near = post(client, keys["site"]["acme"], scorer.set("acme near", abuse=0.55))
    score_pending()
    for tenant in TENANTS:
        decide(client, keys["moderator"][tenant], checks[tenant][0], "reject", "abuse")
        decide(client, keys["moderator"][tenant], checks[tenant][1], "approve")
    decide(client, keys["moderator"]["acme"], near, "approve")

    listing = client.get("/v1/admin/models", headers=keys["admin"]["*"]).get_json()
    [version] = listing["versions"]
    assert version["gate"] == {"passed": True, "categories": {}}
    live = version["live"]
    assert (live["spot_checks_answered"], live["comments"]) == (4, 5)
    assert live["miss_rate"] == pytest.approx(0.5)
    assert live["precision"] == {"abuse": 0.0}  # the one near-threshold hold was overturned
    one = client.get(f"/v1/admin/models/{scorer.version}", headers=keys["admin"]["*"]).get_json()
    assert one["live"] == live

    _, counts = moderator_examples(runtime.redis, runtime.keys)
    assert (counts["from_spot_check"], counts["from_near_threshold"]) == (4, 1)
    _, acme = moderator_examples(runtime.redis, runtime.keys, "acme")
    assert (acme["from_spot_check"], acme["from_near_threshold"]) == (2, 1)

