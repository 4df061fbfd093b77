"""The notice and appeal tabs of /moderate in real headless Chromium (Debian's package,
driven by Playwright), against the test Redis: notices and appeals are filed through the
site's API, decided on the page, and the outcome read back through the API.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from storage.dsa import DsaStore
from tests.browser_fixtures import Page, needs_chromium, screenshot_path
from tests.moderate_seed import ROTHERHAM, seed_held

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
def desk(runtime, client, settings):
    """A queue with two noticed comments (one published, one held) and two appeals (of a
    colleague's rejection and of a model hold); alice and bob are moderators."""
    def h(plain: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {plain}"}

    site = h(runtime.api_keys.create("site", "www")[1])
    alice = runtime.api_keys.create("moderator", "alice")[1]
    bob = runtime.api_keys.create("moderator", "bob")[1]
    DsaStore(runtime.redis, runtime.keys, settings).update_settings(
        "default", {"appeals_enabled": True}, {})
    ids = seed_held(runtime.comments, ROTHERHAM[:5])
    assert client.post(f"/v1/comments/{ids[0]}/decision", headers=h(bob),
                       json={"action": "approve", "reason_code": "other"}).status_code == 200
    assert client.post(f"/v1/comments/{ids[1]}/decision", headers=h(bob),
                       json={"action": "reject", "reason_code": "abuse"}).status_code == 200
    notices = []
    for cid, law, why in (
            (ids[0], "Sexual Offences (Amendment) Act 1992 s.1",
             "It names the girl's school and year: that identifies her."),
            (ids[3], "Contempt of Court Act 1981 s.2",
             "The trial is live; this says the defendant has done it before.")):
        response = client.post(f"/v1/comments/{cid}/notices", headers=site, json={
            "law": law, "explanation": why, "notifier": {"email": "reader@example.org"}})
        assert response.status_code == 201, response.get_data(as_text=True)
        notices.append(response.get_json()["id"])
    appeals = []
    for cid, statement in ((ids[1], "I was quoting the councillor, not insulting anyone."),
                           (ids[4], "My comment is about the council's policy, not a person.")):
        author = runtime.comments.get(cid)["author_id"]
        response = client.post(f"/v1/comments/{cid}/appeals", headers=site,
                               json={"author_id": author, "statement": statement})
        assert response.status_code == 201, response.get_data(as_text=True)
        appeals.append(response.get_json()["id"])
    return {"site": site, "alice": alice, "bob": bob, "ids": ids, "notices": notices,
            "appeals": appeals}


def test_the_notice_tab_decides_legality_and_takes_the_comment_down(open_page, desk, client):
    page = open_page(width=1280, height=900)
    page.sign_in(desk["alice"])
    tab = page.tab.locator("[data-testid=tab-notice]")
    assert tab.inner_text().split()[-1] == "2"
    tab.click()
    page.tab.wait_for_url("**category=notice")
    assert sorted(page.order()) == sorted([desk["ids"][0], desk["ids"][3]])
    card = page.card(desk["ids"][0])
    assert "names the girl's school" in card.locator("[data-testid=notices]").inner_text()
    page.tab.evaluate("window.scrollTo(0, 0)")
    page.tab.screenshot(path=str(screenshot_path("moderate-notices.png")), full_page=True)
    assert 10_000 < screenshot_path("moderate-notices.png").stat().st_size < 800_000

    card.locator("input[name=illegal][value=yes]").check()
    card.locator("input[name=legal_ground]").fill("Sexual Offences (Amendment) Act 1992 s.1")
    card.locator("input[name=explanation]").fill("Identifies a complainant.")
    card.locator("button[type=submit]").click()
    page.tab.locator(".flash-info").wait_for()
    assert "taken down" in page.tab.locator(".flash-info").inner_text()
    assert page.order() == [desk["ids"][3]]
    notice = client.get(f"/v1/notices/{desk['notices'][0]}", headers=desk["site"]).get_json()
    assert notice["decision"] == "illegal" and notice["comment_status"] == "rejected"
    assert page.tab.locator("[data-testid=tab-notice]").inner_text().split()[-1] == "1"
    assert page.errors == []


def test_the_appeal_tab_needs_another_moderator_and_reverses(open_page, desk, client):
    page = open_page(width=1280, height=900)
    page.sign_in(desk["bob"])
    page.tab.locator("[data-testid=tab-appeal]").click()
    page.tab.wait_for_url("**category=appeal")
    assert sorted(page.order()) == sorted([desk["ids"][1], desk["ids"][4]])
    own = page.card(desk["ids"][1])
    assert "I was quoting the councillor" in own.locator("[data-testid=appeal]").inner_text()
    own.locator("input[name=explanation]").fill("Looks fine to me now.")
    own.locator("button[value=reverse]").click()
    page.tab.locator(".flash-error").wait_for()
    assert "colleague must decide" in page.tab.locator(".flash-error").inner_text()
    assert client.get(f"/v1/comments/{desk['ids'][1]}",
                      headers=desk["site"]).get_json()["status"] == "rejected"

    # Bob's page claimed what it showed; he moves on and lets the comments go. Only once
    # the reloaded page's claim is answered (body[data-claimed]): a claim still in flight
    # would land after the release below and keep the comment from Alice.
    page.tab.locator("body[data-claimed]").wait_for()
    page.context.close()
    released = client.delete("/v1/moderation/claims", json={"ids": desk["ids"]},
                             headers={"Authorization": f"Bearer {desk['bob']}"})
    assert desk["ids"][1] in released.get_json()["released"]
    other = open_page(width=1280, height=900)
    other.sign_in(desk["alice"])
    other.tab.locator("[data-testid=tab-appeal]").click()
    other.tab.wait_for_url("**category=appeal")
    other.tab.evaluate("window.scrollTo(0, 0)")
    other.tab.screenshot(path=str(screenshot_path("moderate-appeals.png")), full_page=True)
    assert 10_000 < screenshot_path("moderate-appeals.png").stat().st_size < 800_000
    card = other.card(desk["ids"][1])
    card.locator("input[name=explanation]").fill("Quoting a public figure is fair comment.")
    card.locator("button[value=reverse]").click()
    other.tab.locator(".flash-info").wait_for()
    assert other.order() == [desk["ids"][4]]
    comment = client.get(f"/v1/comments/{desk['ids'][1]}", headers=desk["site"]).get_json()
    assert comment["status"] == "approved"
    appeal = client.get(f"/v1/appeals/{desk['appeals'][0]}", headers=desk["site"]).get_json()
    assert appeal["outcome"] == "reverse" and appeal["decided_by"].startswith("moderator:")
    assert page.errors == [] and other.errors == []
