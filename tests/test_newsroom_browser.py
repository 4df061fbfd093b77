"""Thread context and the live queue on the moderator page, in real headless Chromium.

Comments are posted through the API and scored by the real drain job (a table-driven stub
model), or seeded as the worker writes held ones. The page polls every half second here
(MODERATE_POLL_SECONDS), so the live tests wait for what they expect, never for a time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from model.scoring import Span
from storage.moderation import ModerationStore, Moderator
from tests.browser_fixtures import Page, needs_chromium, screenshot_path
from tests.conftest import make_settings, wait_until
from tests.moderate_seed import ROTHERHAM, XSS_TEXT, seed_held
from tests.moderation_support import score_pending

pytest_plugins = ["tests.browser_fixtures", "tests.moderation_fixtures"]
pytestmark = needs_chromium

SCREENSHOT = screenshot_path("thread-context.png")
STORY = {"title": "Grooming trial: jury retires at Sheffield Crown Court",
         "url": "https://news.example/rotherham-grooming-trial", "section": "crime"}


@pytest.fixture
def settings(redis_url, redis_client):
    return replace(make_settings(redis_url), moderate_poll_seconds=0.5)


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


def _post(client, site, text, author, **extra):
    response = client.post("/v1/comments", headers=site, json={
        "article_id": "rotherham-grooming-trial", "text": text,
        "author": {"id": author.lower().replace(" ", "-"), "name": author}, "article": STORY,
        **extra})
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()["id"]


def _thread(client, site_headers, scorer) -> str:
    """A parent, three replies, and a held reply that names a school; returns the held one."""
    _post(client, site_headers, "The jury has a hard job. Whatever the verdict, the girls were "
          "failed by everyone who should have protected them.", "Margaret B", external_id="c-100")
    _post(client, site_headers, "Agreed. The council still hasn't apologised properly.",
          "Tom W", parent_id="c-100")
    _post(client, site_headers, "Hard to read the reports from court every day.", "Priya",
          parent_id="c-100")
    _post(client, site_headers, "Let the court do its job, no speculation please.", "Ed",
          parent_id="c-100")
    text = ("Failed is right, one of them was in my daughter's year at Wingfield Academy, "
            "everyone knows who she is")
    start = text.index("Wingfield Academy")
    scorer.set(text, vi=0.93, spans=[Span(start, start + len("Wingfield Academy"),
                                          "victim_identification", "school")])
    held = _post(client, site_headers, text, "Gaz1974", parent_id="c-100")
    score_pending()
    return held


def test_a_held_reply_shows_the_story_and_its_thread_collapsed(open_page, client, site_headers,
                                                              scorer, worker_ctx, runtime,
                                                              moderator_key):
    held = _thread(client, site_headers, scorer)
    seed_held(runtime.comments, ROTHERHAM[1:3])
    page = open_page(width=1280, height=900)
    page.sign_in(moderator_key)
    card = page.card(held)
    story = card.locator("[data-testid=story]")
    assert story.inner_text() == STORY["title"]
    assert story.get_attribute("href") == STORY["url"]
    assert story.get_attribute("rel") == "noopener noreferrer"
    context = card.locator("details[data-testid=context]")
    summary = context.locator("summary").inner_text()
    assert "In reply to Margaret B" in summary and "3 other replies" in summary
    # Collapsed until opened: the parent's text is in the page but not shown.
    parent = context.locator("[data-testid=parent-text]")
    assert not parent.is_visible()
    context.locator("summary").click()
    assert parent.is_visible() and parent.inner_text().startswith("The jury has a hard job.")
    replies = context.locator("[data-testid=reply]")
    assert replies.count() == 3 and "Tom W" in replies.first.inner_text()
    # The held reply's own evidence is highlighted as usual.
    assert card.locator("mark.vi", has_text="Wingfield Academy").count() == 1
    # Seeded comments have no parent: no context block.
    assert page.tab.locator("details.context").count() == 1
    page.tab.evaluate("window.scrollTo(0, 0)")
    page.tab.screenshot(path=str(SCREENSHOT), full_page=True)
    assert 10_000 < Path(SCREENSHOT).stat().st_size < 600_000
    assert page.errors == []


def test_the_queue_updates_itself(open_page, runtime, moderator_key, settings):
    shown = seed_held(runtime.comments, ROTHERHAM[:2])
    page = open_page()
    page.sign_in(moderator_key)
    page.tab.locator("body[data-claimed]").wait_for()
    total = page.tab.locator("[data-testid=total]")
    assert total.inner_text().startswith("2 held")
    # A new hold arrives: its card appears in queue order, claimed by this page; the badge counts it.
    [arrived] = seed_held(runtime.comments, ROTHERHAM[2:3])
    page.card(arrived).wait_for()
    wait_until(lambda: total.inner_text().startswith("3 held"))
    assert sorted(page.order()) == sorted([*shown, arrived])
    me = moderator_key.split("_")[1]
    wait_until(lambda: (runtime.redis.get(runtime.keys.claim(arrived)) or b"").startswith(me.encode()))
    assert page.tab.title().startswith("(3)")
    # A colleague decides a shown comment (this page's claim on it lapsed): it leaves the list.
    runtime.redis.delete(runtime.keys.claim(shown[0]))
    colleague = runtime.api_keys.create("moderator", "bob")[0]
    store = ModerationStore(runtime.redis, runtime.keys, runtime.comments, settings)
    store.decide(shown[0], moderator=Moderator(colleague.id, "bob"), action="reject",
                 reason_code="abuse")
    page.card(shown[0]).wait_for(state="detached")
    wait_until(lambda: total.inner_text().startswith("2 held"))
    # The new card works like the others: approve it with the keyboard.
    page.card(arrived).click()
    page.tab.keyboard.press("a")
    page.card(arrived).wait_for(state="detached")
    assert runtime.comments.get(arrived)["status"] == "approved"
    assert page.errors == []


def test_an_empty_queue_fills_without_a_reload(open_page, runtime, moderator_key):
    page = open_page()
    page.sign_in(moderator_key)
    empty = page.tab.locator("[data-testid=empty]")
    assert empty.is_visible()
    page.tab.evaluate("window.__sameDocument = true")
    [arrived] = seed_held(runtime.comments, ROTHERHAM[:1])
    page.card(arrived).wait_for()
    assert not empty.is_visible()
    assert page.tab.evaluate("window.__sameDocument") is True  # no reload happened
    assert page.errors == []


def test_markup_in_a_thread_or_a_live_card_is_shown_as_text(open_page, client, site_headers, scorer,
                                                            worker_ctx, runtime, moderator_key):
    _post(client, site_headers, XSS_TEXT, "Parent", external_id="c-1")
    held = _post(client, site_headers, scorer.set("a reply", abuse=0.9), "Replier", parent_id="c-1")
    score_pending()
    page = open_page()
    page.sign_in(moderator_key)
    context = page.card(held).locator("details[data-testid=context]")
    context.locator("summary").click()
    assert context.locator("[data-testid=parent-text]").inner_text() == XSS_TEXT
    # A held comment with markup arrives through the live queue.
    live_text = scorer.set(XSS_TEXT + " (live)", abuse=0.9)
    arrived = _post(client, site_headers, live_text, "Late")
    score_pending()
    card = page.card(arrived)
    card.wait_for()
    assert card.locator("[data-testid=comment-text]").inner_text() == live_text
    assert page.tab.evaluate("typeof window.__pwned") == "undefined"
    assert page.tab.locator("main script, main img").count() == 0
    assert page.errors == []
