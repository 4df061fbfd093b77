"""The moderator page in real headless Chromium (Debian's package, driven by Playwright).

The app runs in a real HTTP server on a free local port against the test
Redis; held comments are seeded the way the worker writes them, or posted
through the API and scored by the real worker.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.browser_fixtures import Page, needs_chromium, screenshot_path
from tests.conftest import wait_until
from tests.moderate_seed import ROTHERHAM, XSS_TEXT, seed_held

SCREENSHOT = screenshot_path("moderate.png")

pytest_plugins = ["tests.browser_fixtures"]
pytestmark = needs_chromium


@pytest.fixture
def live(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def open_page(browser, live) -> Iterator:
    opened: list[Page] = []

    def make(**size: int) -> Page:
        page = Page(browser, live, **size)
        opened.append(page)
        return page

    yield make
    for page in opened:
        page.context.close()


@pytest.fixture
def moderator_key(runtime) -> str:
    return runtime.api_keys.create("moderator", "alice")[1]


def test_sign_in_and_see_a_held_comment_with_its_span(open_page, runtime, moderator_key):
    ids = seed_held(runtime.comments)
    page = open_page()
    page.sign_in(moderator_key)
    assert page.tab.locator("[data-testid=signed-in]").inner_text().startswith("alice")
    first = page.card(ids[0])
    mark = first.locator("mark.vi[title=name]")
    assert mark.inner_text() == "Chloe Hardcastle"
    # The stylesheet is served and applied: the highlight is visibly coloured.
    assert mark.evaluate("el => getComputedStyle(el).backgroundColor") not in ("", "rgba(0, 0, 0, 0)")
    assert first.locator("mark.vi[title=school]").inner_text() == "Wingfield Academy"
    assert page.card(ids[5]).locator("mark.abuse").first.inner_text() == "spineless cowards"
    assert page.tab.locator(".comment").count() == len(ROTHERHAM)
    # The page's script claims what it shows (a POST with the CSRF token), in the key's name.
    page.tab.locator("body[data-claimed]").wait_for()
    holders = {runtime.redis.get(runtime.keys.claim(cid)) for cid in ids}
    assert holders == {f"{moderator_key.split('_')[1]}:alice".encode()}
    assert page.errors == []


def test_comment_scored_by_the_real_worker_shows_its_span(request, open_page, runtime, client,
                                                         site_headers, admin_headers, start_worker,
                                                         moderator_key):
    try:
        scorer = request.getfixturevalue("small_scorer")
    except pytest.FixtureLookupError:
        pytest.skip("tests/conftest.py has no small_scorer fixture yet")
    from worker.publishing import register_scorer

    register_scorer(runtime.models, scorer, created_by="test", activate=True)
    # Thresholds at zero: every comment is held whatever a model trained on a few
    # examples makes of it; the spans come from the model's own detectors.
    policy = client.put("/v1/admin/policy", headers=admin_headers,
                        json={"thresholds": {"abuse": 0.0, "victim_identification": 0.0}})
    assert policy.status_code == 200, policy.get_data(as_text=True)
    ids = []
    for item in ROTHERHAM[:2]:
        posted = client.post("/v1/comments", headers=site_headers, json={
            "article_id": item.article_id, "text": item.text, "author": {"id": item.author}})
        assert posted.status_code == 202
        ids.append(posted.get_json()["id"])
    start_worker()
    wait_until(lambda: all(runtime.comments.get(c)["status"] == "held" for c in ids))
    page = open_page()
    page.sign_in(moderator_key)
    card = page.card(ids[0])
    assert card.locator("mark.vi", has_text="Chloe Hardcastle").count() == 1
    assert card.locator("mark.vi", has_text="Wingfield Academy").count() == 1
    assert page.card(ids[1]).locator("mark.vi", has_text="Ferham Road").count() >= 1
    assert page.errors == []


def test_approve_with_the_keyboard(open_page, runtime, moderator_key):
    seeded = seed_held(runtime.comments, ROTHERHAM[:3])
    page = open_page()
    page.sign_in(moderator_key)
    ids = page.order()
    assert sorted(ids) == sorted(seeded)
    assert "current" in page.card(ids[0]).get_attribute("class")
    page.tab.keyboard.press("j")
    assert "current" in page.card(ids[1]).get_attribute("class")
    page.tab.keyboard.press("k")
    page.tab.keyboard.press("j")
    page.tab.keyboard.press("a")
    page.card(ids[1]).wait_for(state="detached")
    record = runtime.comments.get(ids[1])
    key_id = moderator_key.split("_")[1]
    assert record["status"] == "approved" and record["decided_by"] == f"moderator:{key_id}"
    assert record["decided_by_name"] == "alice"
    # Focus moved on to the next comment, ready for the next key.
    assert "current" in page.card(ids[2]).get_attribute("class")
    assert [runtime.comments.get(c)["status"] for c in (ids[0], ids[2])] == ["held", "held"]
    assert page.errors == []


def test_reject_with_the_mouse_and_a_reason(open_page, runtime, moderator_key):
    ids = seed_held(runtime.comments, ROTHERHAM[:3])
    page = open_page()
    page.sign_in(moderator_key)
    card = page.card(ids[2])
    card.locator("select[name=reason_code]").select_option("legal")
    card.locator("input[name=note]").fill("Identifies the complainant's family")
    card.locator("button.reject").click()
    card.wait_for(state="detached")
    record = runtime.comments.get(ids[2])
    assert record["status"] == "rejected"
    assert record["decision_reason"] == "legal"
    assert record["decision_note"] == "Identifies the complainant's family"
    assert page.tab.locator("#toast").inner_text() == "Rejected (legal)."
    assert page.errors == []


def test_comment_html_is_shown_as_text_and_never_runs(open_page, runtime, moderator_key):
    [cid] = seed_held(runtime.comments, ROTHERHAM[-1:])
    page = open_page()
    page.sign_in(moderator_key)
    card = page.card(cid)
    assert card.locator("[data-testid=comment-text]").inner_text() == XSS_TEXT
    assert card.locator("script, img").count() == 0
    # The history panel is fetched and inserted by script: still text only.
    page.tab.keyboard.press("h")
    card.locator("[data-testid=history]").wait_for()
    assert page.tab.evaluate("typeof window.__pwned") == "undefined"
    assert page.tab.locator("main script, main img").count() == 0
    assert page.errors == []


def test_post_without_the_csrf_token_is_refused(open_page, runtime, moderator_key):
    [cid] = seed_held(runtime.comments, ROTHERHAM[:1])
    page = open_page()
    page.sign_in(moderator_key)
    result = page.tab.evaluate(
        """async (id) => {
             const body = new FormData();
             body.set("id", id); body.set("action", "approve"); body.set("reason_code", "other");
             const r = await fetch("/moderate/decide", {method: "POST", body,
                                   headers: {"Accept": "application/json"}});
             return [r.status, (await r.json()).code];
           }""",
        cid,
    )
    assert result == [400, "csrf_failed"]
    assert runtime.comments.get(cid)["status"] == "held"


def test_bulk_select_with_x_and_help_overlay(open_page, runtime, moderator_key):
    seed_held(runtime.comments, ROTHERHAM[5:9])
    page = open_page()
    page.sign_in(moderator_key)
    ids = page.order()
    page.tab.keyboard.press("?")
    assert page.tab.locator("#help").is_visible()
    page.tab.keyboard.press("Escape")
    assert not page.tab.locator("#help").is_visible()
    page.tab.keyboard.press("x")
    page.tab.keyboard.press("j")
    page.tab.keyboard.press("j")
    page.tab.keyboard.press("x")
    assert page.tab.locator("[data-testid=selected-count]").inner_text() == "2 selected"
    bar = page.tab.locator("#bulk")
    bar.locator("select[name=reason_code]").select_option("abuse")
    bar.locator("button.reject").click()
    page.card(ids[0]).wait_for(state="detached")
    page.card(ids[2]).wait_for(state="detached")
    statuses = [runtime.comments.get(c)["status"] for c in ids]
    assert statuses == ["rejected", "held", "rejected", "held"]
    assert page.errors == []


def test_tablet_width_has_no_sideways_scrolling(open_page, runtime, moderator_key):
    seed_held(runtime.comments)
    page = open_page(width=768, height=1024)
    page.sign_in(moderator_key)
    assert page.tab.evaluate("document.documentElement.scrollWidth") <= 768
    first = page.tab.locator(".comment").first
    for button in ("button.approve", "button.reject"):
        box = first.locator(button).bounding_box()
        assert box["x"] + box["width"] <= 768 and box["height"] >= 40  # touch-sized
    assert page.errors == []


def test_screenshot_of_a_realistic_queue(open_page, runtime, moderator_key):
    ids = seed_held(runtime.comments)
    page = open_page(width=1280, height=900)
    page.sign_in(moderator_key)
    # A moderator mid-way: one comment selected for a bulk action, the cursor on the next.
    page.tab.keyboard.press("j")
    page.tab.keyboard.press("x")
    page.tab.keyboard.press("j")
    page.tab.evaluate("window.scrollTo(0, 0)")
    assert page.tab.locator("mark").count() >= 10
    page.tab.screenshot(path=str(SCREENSHOT), full_page=True)
    size = Path(SCREENSHOT).stat().st_size
    assert 10_000 < size < 500_000, size
    assert ids and page.errors == []
