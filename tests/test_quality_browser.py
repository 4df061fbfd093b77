"""The live quality page (/moderate/quality) in real headless Chromium.

Today's figures come from comments scored by the real drain job and decision phases (a
table-driven stub model) and answered through the moderators' API; the two weeks before
are counters written as the worker and the moderators write them (storage/quality.py), so
the charts have a history to show. The screenshot in docs/screenshots/ is taken here.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.serving import make_server

from core import quality
from tests.browser_fixtures import Page, needs_chromium, screenshot_path
from tests.moderation_support import post, score_pending

SCREENSHOT = screenshot_path("moderate-quality.png")
VERSION = "stub-moderation"

pytest_plugins = ["tests.browser_fixtures", "tests.moderation_fixtures"]
pytestmark = needs_chromium


@pytest.fixture
def live(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def write_history(runtime, tenant: str, days: int, seed: int) -> None:
    """Counters of ``days`` past days for ``tenant``, as the worker and moderators write them:
    a miss rate falling from ~4 % to ~1.5 % as the title's moderators teach the model."""
    rng = random.Random(seed)
    today = datetime.now(UTC).date()
    pipe = runtime.redis.pipeline(transaction=False)
    for n in range(days, 0, -1):
        day = (today - timedelta(days=n)).isoformat()
        key = runtime.keys.tenant(tenant).quality_day(day)
        comments = rng.randint(900, 1300)
        held = int(comments * rng.uniform(0.04, 0.07))
        rejected = rng.randint(0, 5)
        approved = comments - held - rejected
        miss = 0.015 + 0.025 * n / days
        checked = int(approved * 0.02) + rng.randint(5, 12)
        missed = sum(rng.random() < miss for _ in range(checked))
        weight = 1 / 0.025
        counts = {"comments": comments, "approved": approved, "held": held, "rejected": rejected,
                  "sampled": checked + rng.randint(0, 3), "checked": checked, "missed": missed,
                  "missed:abuse": missed, "reviewed": held + checked,
                  "overturned": missed + int(held * 0.15)}
        vi = int(held * 0.3)
        for category, holds, precision in (("abuse", held - vi, 0.8 + 0.1 * rng.random()),
                                           ("victim_identification", vi, 0.9 + 0.08 * rng.random())):
            counts[f"hold:{category}"] = holds
            counts[f"reviewed:{category}"] = holds
            counts[f"confirmed:{category}"] = int(holds * precision)
        for _ in range(200):
            bucket = f"tm:{quality.time_bucket(rng.lognormvariate(-1.2, 0.5))}"
            counts[bucket] = counts.get(bucket, 0) + 1
        for _ in range(60):
            bucket = f"tp:{quality.time_bucket(rng.lognormvariate(7.0 - n / days, 0.8))}"
            counts[bucket] = counts.get(bucket, 0) + 1
        for name, value in counts.items():
            pipe.hincrby(key, f"{VERSION}|{name}", value)
        pipe.hincrbyfloat(key, f"{VERSION}|approved_p", approved * 0.025)
        pipe.hincrbyfloat(key, f"{VERSION}|checked_w", checked * weight)
        pipe.hincrbyfloat(key, f"{VERSION}|checked_w2", checked * weight * weight)
        pipe.hincrbyfloat(key, f"{VERSION}|missed_w", missed * weight)
    pipe.sadd(runtime.keys.quality_tenants, tenant)
    pipe.execute()


def test_the_quality_page_charts_a_titles_figures_offline(live, browser, client, runtime, scorer,
                                                          worker_ctx):
    keys = {t: {role: runtime.api_keys.create(role, f"{t} {role}", t)[1]
                for role in ("site", "moderator", "admin")} for t in ("acme", "bravo")}
    bearer = {t: {r: {"Authorization": f"Bearer {k}"} for r, k in v.items()} for t, v in keys.items()}
    write_history(runtime, "acme", 14, seed=5)
    write_history(runtime, "bravo", 14, seed=6)
    # Today, for real: every approval checked, a third of the checks missed.
    client.put("/v1/admin/policy/spot-checks", json={"rate": 1.0}, headers=bearer["acme"]["admin"])
    ids = [post(client, bearer["acme"]["site"], scorer.set(f"acme comment {n}")) for n in range(6)]
    held = post(client, bearer["acme"]["site"], scorer.set("acme nasty", abuse=0.95))
    score_pending()
    for n, cid in enumerate(ids):
        response = client.post(f"/v1/comments/{cid}/decision", headers=bearer["acme"]["moderator"],
                               json={"action": "reject" if n % 3 == 0 else "approve",
                                     "reason_code": "abuse"})
        assert response.status_code == 200
    client.post(f"/v1/comments/{held}/decision", headers=bearer["acme"]["moderator"],
                json={"action": "reject", "reason_code": "abuse"})
    api = client.get("/v1/quality", headers=bearer["acme"]["admin"]).get_json()
    other = client.get("/v1/quality", headers=bearer["bravo"]["admin"]).get_json()
    assert api["spot_checks"]["checked"] != other["spot_checks"]["checked"]

    page = Page(browser, live, width=1280, height=1000)
    outside: list[str] = []

    def only_local(route):
        # The page must work with no internet: anything not served by the app is refused.
        if route.request.url.startswith(live):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.context.route("**/*", only_local)
    try:
        page.sign_in(keys["acme"]["moderator"])
        page.tab.goto(live + "/moderate/quality")
        page.tab.locator("body[data-charts='4']").wait_for()
        spot = api["spot_checks"]
        assert page.tab.locator("[data-testid=miss-rate]").inner_text() == \
            f"{spot['miss_rate'] * 100:.1f} %"
        low, high = spot["interval"]
        assert f"{low * 100:.1f}–{high * 100:.1f} %" in page.tab.locator(
            "[data-testid=miss-interval]").inner_text()
        assert page.tab.locator("[data-testid=checked]").inner_text() == str(spot["checked"])
        # Every chart drew something (a blank canvas is all zero pixels).
        for name in ("miss", "precision", "volume", "time"):
            painted = page.tab.locator(f"#chart-{name}").evaluate(
                "c => c.getContext('2d').getImageData(0, 0, c.width, c.height).data"
                ".some((v, i) => i % 4 === 3 && v > 0)")
            assert painted, name
        table = page.tab.locator("[data-testid=versions]").inner_text()
        assert VERSION in table
        # Only acme's figures: bravo's count of checks is not what the page shows.
        assert page.tab.locator("[data-testid=checked]").inner_text() != str(
            other["spot_checks"]["checked"])
        page.tab.screenshot(path=str(SCREENSHOT), full_page=True)
        assert outside == [] and page.errors == []
        # The spot-check tab of the queue lists what is left to answer (none: all answered).
        page.tab.goto(live + "/moderate?category=spot_check")
        page.tab.locator("body[data-ready]").wait_for()
        assert page.tab.locator(".comment").count() == 0
    finally:
        page.context.close()


def test_the_page_needs_a_signed_in_moderator(client):
    response = client.get("/moderate/quality")
    assert response.status_code == 302 and "/moderate/login" in response.headers["Location"]
