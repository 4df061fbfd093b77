"""/docs is served whole by the service: no CDN, so it works offline and behind a strict proxy."""

from __future__ import annotations

from html.parser import HTMLParser


class _Assets(HTMLParser):
    """Every URL a page makes the browser fetch by itself (scripts, stylesheets, images...)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and (name == "src" or (tag == "link" and name == "href")):
                self.urls.append(value)


def test_docs_page_loads_only_local_assets_and_they_answer(client):
    page = client.get("/docs")
    assert page.status_code == 200
    parser = _Assets()
    parser.feed(page.get_data(as_text=True))
    assert parser.urls, "the page references no script or stylesheet"
    kinds = set()
    for url in parser.urls:
        # Local: a path on this server, not another host ("//cdn..." or "https://...").
        assert url.startswith("/") and not url.startswith("//"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        kind = asset.mimetype
        assert kind in ("text/javascript", "application/javascript", "text/css"), (url, kind)
        assert len(asset.get_data()) > 1000, url
        kinds.add("css" if kind == "text/css" else "js")
    assert kinds == {"css", "js"}


def test_docs_page_points_at_the_spec_it_can_fetch(client):
    html = client.get("/docs").get_data(as_text=True)
    assert '"/openapi.json"' in html
    spec = client.get("/openapi.json")
    assert spec.status_code == 200 and spec.get_json()["info"]["title"] == "Newsroom comment moderation"


def test_an_unknown_asset_is_a_json_404(client):
    response = client.get("/docs/assets/no-such-file.js")
    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"
