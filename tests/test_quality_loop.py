"""The whole quality loop on real Redis, real RQ and a real worker process scoring with a
real (small) trained model: comments are auto-approved, spot checks are drawn at a known
rate, moderators answer them through the API, and GET /v1/quality counts what happened and
brackets the miss rate the test planted.

Two tenants: "acme" checks nearly every approval (its interval must contain the planted
rate without ever flaking, see below); "bravo" checks at a low rate (its draw is compared
with that rate).
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime

import pytest

from core import quality
from tests.conftest import wait_until
from tests.model_fixtures import CLEAN

TENANTS = ("acme", "bravo")
# acme: with a sampling fraction of 0.9 the sample is most of the population, so the true
# standard error of the estimate is sqrt(1 - 0.9) ~ 0.32 of what Wilson's interval
# assumes: the interval is about 6 of the estimate's standard errors wide on each side,
# and misses the planted rate with probability below 1e-8.
ACME_RATE, ACME_COMMENTS, PLANTED_MISS_RATE = 0.9, 240, 0.15
BRAVO_RATE, BRAVO_COMMENTS = 0.1, 500
# A deviation bound that holds with probability 1 - 1e-9 (Bernstein's inequality).
FAILURE = 1e-9


def headers(plain: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plain}"}


def bernstein_bound(variance: float, failure: float) -> float:
    """t with P(|S - E S| >= t) <= failure for a sum S of independent 0/1 draws."""
    log_term = math.log(2 / failure)
    return log_term / 3 + math.sqrt((log_term / 3) ** 2 + 2 * variance * log_term)


def texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.choice(CLEAN)} (reader note {seed}-{i})" for i in range(n)]


def test_spot_checks_moderators_and_the_live_figures(client, runtime, active_small_model,
                                                     start_worker):
    keys = {t: {role: headers(runtime.api_keys.create(role, f"{t} {role}", t)[1])
                for role in ("site", "moderator", "admin")} for t in TENANTS}
    everyone = headers(runtime.api_keys.create("admin", "all titles", "*")[1])
    for tenant, rate in (("acme", ACME_RATE), ("bravo", BRAVO_RATE)):
        response = client.put("/v1/admin/policy/spot-checks", json={"rate": rate},
                              headers=keys[tenant]["admin"])
        assert response.status_code == 200, response.get_data(as_text=True)

    posted: dict[str, list[str]] = {}
    for tenant, n, seed in (("acme", ACME_COMMENTS, 1), ("bravo", BRAVO_COMMENTS, 2)):
        posted[tenant] = []
        for i, text in enumerate(texts(n, seed)):
            response = client.post("/v1/comments", headers=keys[tenant]["site"], json={
                "article_id": f"story-{i % 5}", "text": text, "author": {"id": f"r{i % 40}"}})
            assert response.status_code == 202, response.get_data(as_text=True)
            posted[tenant].append(response.get_json()["id"])
    start_worker()
    every = posted["acme"] + posted["bravo"]
    rate_of = {cid: rate for tenant, rate in (("acme", ACME_RATE), ("bravo", BRAVO_RATE))
               for cid in posted[tenant]}
    thresholds = runtime.models.meta(active_small_model)["thresholds"]
    settings = runtime.settings

    def probability(record: dict, rate: float) -> float:
        if record["status"] != "approved":
            return 0.0
        margin = min(thresholds.get(c, 0.5) - v for c, v in record["scores"].items())
        return quality.inclusion_probability(margin, rate, settings.spot_check_near_band,
                                             settings.spot_check_near_factor)

    def settled() -> list[dict] | None:
        # A batch's spot checks ride on its second round trip (worker/jobs.py): for a moment
        # a comment reads as approved before its check is recorded. Wait for every check the
        # draw calls for; a check drawn that should not be is caught below.
        records = runtime.comments.get_many(every)
        if not records or any(r["status"] == "pending" for r in records):
            return None
        if any(quality.draw(r["id"]) < probability(r, rate_of[r["id"]])
               and not r.get("spot_check_p") for r in records):
            return None
        return records

    records = wait_until(settled, timeout=240)
    by_id = {r["id"]: r for r in records}

    # The draw: exactly the approved comments whose fixed hash falls below their probability...
    for tenant, rate in (("acme", ACME_RATE), ("bravo", BRAVO_RATE)):
        drawn = {cid for cid in posted[tenant] if by_id[cid].get("spot_check_p")}
        expected = {cid for cid in posted[tenant]
                    if quality.draw(cid) < probability(by_id[cid], rate)}
        assert drawn == expected
    # ...and so, in number, what the rate says (bravo: a low rate, most comments far from
    # a threshold), within a bound that fails once in a billion runs.
    probabilities = [probability(by_id[cid], BRAVO_RATE) for cid in posted["bravo"]]
    approved_bravo = sum(by_id[cid]["status"] == "approved" for cid in posted["bravo"])
    assert approved_bravo > 0.8 * BRAVO_COMMENTS  # civil comments: the model approves them
    mean = sum(probabilities)
    variance = sum(p * (1 - p) for p in probabilities)
    drawn_bravo = sum(bool(by_id[cid].get("spot_check_p")) for cid in posted["bravo"])
    assert abs(drawn_bravo - mean) < bernstein_bound(variance, FAILURE)
    assert BRAVO_RATE * approved_bravo <= mean + 1e-9  # never below the rate

    # Moderators answer acme's spot checks from the queue: the planted misses (which the
    # model approved, by design of the test) are rejected as abuse, the rest approved.
    rng = random.Random(3)
    planted = {cid for cid in posted["acme"] if rng.random() < PLANTED_MISS_RATE}
    moderator = keys["acme"]["moderator"]
    answered: list[str] = []
    while True:
        page = client.get("/v1/moderation/queue", headers=moderator,
                          query_string={"category": "spot_check", "limit": 100}).get_json()
        if not page["items"]:
            break
        for item in page["items"]:
            assert item["status"] == "approved" and item["tenant"] == "acme"
            action = "reject" if item["id"] in planted else "approve"
            response = client.post(f"/v1/comments/{item['id']}/decision", headers=moderator,
                                   json={"action": action, "reason_code": "abuse"})
            assert response.status_code == 200, response.get_data(as_text=True)
            answered.append(item["id"])
    acme_drawn = [cid for cid in posted["acme"] if by_id[cid].get("spot_check_p")]
    assert sorted(answered) == sorted(acme_drawn)
    # bravo's moderators see none of acme's checks, and their own are still waiting.
    bravo_queue = client.get("/v1/moderation/queue", headers=keys["bravo"]["moderator"],
                             query_string={"category": "spot_check", "limit": 200}).get_json()
    assert len(bravo_queue["items"]) == drawn_bravo

    today = datetime.now(UTC).date().isoformat()

    def figures() -> dict:
        response = client.get("/v1/quality", headers=keys["acme"]["admin"],
                              query_string={"from": today, "to": today})
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    # The worker writes its decisions' counters at most a second after them (worker/tallies.py).
    acme = wait_until(lambda: (f := figures())["comments"] >= ACME_COMMENTS and f, timeout=30)
    approved = [cid for cid in posted["acme"] if by_id[cid]["status"] == "approved"]
    held = [cid for cid in posted["acme"] if by_id[cid]["status"] == "held"]
    missed = [cid for cid in acme_drawn if cid in planted]
    true_rate = sum(cid in planted for cid in approved) / len(approved)
    spot = acme["spot_checks"]
    assert (acme["comments"], acme["approved"], acme["held"]) == (
        ACME_COMMENTS, len(approved), len(held))
    assert (spot["sampled"], spot["checked"], spot["missed"]) == (
        len(acme_drawn), len(acme_drawn), len(missed))
    low, high = spot["interval"]
    assert low <= true_rate <= high, (spot, true_rate)
    assert low < spot["miss_rate"] < high
    # The estimate is the weighted share the test computes from the stored probabilities.
    weights = {cid: 1 / float(by_id[cid]["spot_check_p"]) for cid in acme_drawn}
    assert spot["miss_rate"] == pytest.approx(
        sum(weights[c] for c in missed) / sum(weights.values()))
    assert acme["overturned"] == len(missed) and acme["reviewed"] == len(acme_drawn)
    assert list(acme["by_version"]) == [active_small_model]
    assert acme["time_to_decision"]["model_median_seconds"] > 0
    assert acme["daily"][0]["spot_checks"]["checked"] == len(acme_drawn)

    bravo = client.get("/v1/quality", headers=keys["bravo"]["admin"]).get_json()
    assert (bravo["comments"], bravo["spot_checks"]["sampled"]) == (BRAVO_COMMENTS, drawn_bravo)
    assert bravo["spot_checks"]["checked"] == 0 and bravo["spot_checks"]["miss_rate"] is None
    both = client.get("/v1/quality", headers=everyone).get_json()
    assert both["comments"] == ACME_COMMENTS + BRAVO_COMMENTS
    assert both["spot_checks"]["checked"] == len(acme_drawn)
