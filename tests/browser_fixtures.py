"""The browser of the browser tests: Debian's headless Chromium driven by Playwright, one per
test module, and a tab that collects the page's errors (a plugin module: see ``pytest_plugins``
in the tests that use it)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from core.config import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

def screenshot_path(name: str) -> Path:
    """Where a browser test saves its screenshot: docs/screenshots/ only when
    ``UPDATE_SCREENSHOTS=1`` (refreshing the docs' pictures on purpose); otherwise a temporary
    folder, so that running the tests leaves a checkout's tracked files as they were."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        folder = PROJECT_ROOT / "docs" / "screenshots"
    else:
        folder = Path(tempfile.gettempdir()) / "moderation-screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


# Set as ``pytestmark`` by the modules that need the browser.
needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM),
    reason=f"{CHROMIUM} is absent (Debian's chromium package; scripts/test installs it)",
)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


class Page:
    """A browser tab with the page's errors collected (a CSP violation or a script error
    fails the test that caused it)."""

    def __init__(self, browser, base: str, width: int = 1280, height: int = 900) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height},
                                           locale="en-GB", timezone_id="Europe/London")
        self.context.set_default_timeout(10_000)
        self.tab = self.context.new_page()
        self.base = base
        self.errors: list[str] = []
        self.tab.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.tab.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))

    def sign_in(self, key: str) -> None:
        self.tab.goto(self.base + "/moderate")
        assert "/moderate/login" in self.tab.url
        self.tab.fill("#api_key", key)
        self.tab.click("form.login button[type=submit]")
        self.tab.wait_for_url(self.base + "/moderate")
        self.tab.locator("body[data-ready]").wait_for()

    def order(self) -> list[str]:
        """Comment ids in the order the page shows them (the queue's priority order)."""
        return self.tab.eval_on_selector_all(".comment", "els => els.map(e => e.dataset.id)")

    def card(self, comment_id: str):
        return self.tab.locator(f"#c-{comment_id}")
