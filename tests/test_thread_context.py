"""Thread context and article metadata for moderators: a held reply shows the comment it
answers and the thread's first replies; the queue shows the story's title and link. Two
tenants in every route test; real Redis, the real drain job and a table-driven stub model."""

from __future__ import annotations

import pytest

from storage.comments import CommentStore
from storage.context import ArticleMetaStore, ContextReader
from tests.moderation_support import assert_error, score_pending
from tests.test_policy_phases import CountingRedis

pytest_plugins = ["tests.moderation_fixtures"]

TENANTS = ("acme", "bravo")
STORY = {"title": "Council approves stadium plan", "url": "https://news.example/stadium",
         "section": "news"}


@pytest.fixture
def titles(runtime) -> dict[str, dict[str, dict[str, str]]]:
    return {t: {role: {"Authorization": f"Bearer {runtime.api_keys.create(role, f'{t}-{role}', t)[1]}"}
                for role in ("site", "moderator", "admin")} for t in TENANTS}


def _post(client, headers, text, *, author="reader-1", article_id="stadium", **extra):
    response = client.post("/v1/comments", headers=headers, json={
        "article_id": article_id, "text": text, "author": {"id": author, "name": author.upper()},
        **extra})
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()["id"]


# Article metadata ----------------------------------------------------------------------------------

@pytest.mark.parametrize("article", [
    {"url": "javascript:alert(1)"}, {"url": "ftp://news.example/x"}, {"url": "news.example/x"},
    {}, {"title": ""}, {"title": "x" * 301}, {"section": "s" * 101}, {"colour": "red"}, "a title",
])
def test_the_article_object_is_validated(client, titles, article):
    response = client.post("/v1/comments", headers=titles["acme"]["site"], json={
        "article_id": "a", "text": "hi", "author": {"id": "r"}, "article": article})
    assert_error(response, 422, "validation_error")


def test_article_metadata_is_stored_once_per_article_per_tenant(client, titles, runtime):
    keys = runtime.keys
    for tenant in TENANTS:
        _post(client, titles[tenant]["site"], "first",
              article={**STORY, "title": f"{tenant} headline"})
    meta = {t: ArticleMetaStore(runtime.redis, keys).get(t, "stadium") for t in TENANTS}
    assert meta["acme"]["title"] == "acme headline" and meta["bravo"]["title"] == "bravo headline"
    # The same article again: not written again (the stored copy was deleted, and stays so).
    runtime.redis.delete(keys.tenant("acme").article_meta("stadium"))
    _post(client, titles["acme"]["site"], "second",
          article={**STORY, "title": "acme headline"})
    assert ArticleMetaStore(runtime.redis, keys).get("acme", "stadium") is None
    # A changed title is written.
    _post(client, titles["acme"]["site"], "third",
          article={**STORY, "title": "acme headline, updated"})
    assert ArticleMetaStore(runtime.redis, keys).get("acme", "stadium")["title"] == \
        "acme headline, updated"


# Context --------------------------------------------------------------------------------------------

def _post_thread(client, scorer, site, tenant):
    parent = client.post("/v1/comments", headers=site, json={
        "article_id": "stadium", "external_id": "p-1", "text": f"{tenant}: the plan is good",
        "author": {"id": "pat", "name": "Pat"}, "article": STORY})
    assert parent.status_code == 202
    parent_id = parent.get_json()["id"]
    first = _post(client, site, f"{tenant}: agreed", author="sam", parent_id="p-1")
    rude = _post(client, site, scorer.set(f"{tenant}: you are all idiots", abuse=0.95),
                 author="kim", parent_id="p-1")
    second = _post(client, site, f"{tenant}: not so sure", author="lee", parent_id="p-1")
    held = _post(client, site, scorer.set(f"{tenant}: the councillor lives at 4 Elm Road",
                                          abuse=0.9), author="joe", parent_id="p-1")
    score_pending()
    return parent_id, first, rude, second, held


def test_a_held_reply_shows_its_parent_and_the_first_replies(client, titles, scorer, worker_ctx):
    threads = {t: _post_thread(client, scorer, titles[t]["site"], t) for t in TENANTS}
    for tenant in TENANTS:
        parent, first, rude, second, held = threads[tenant]
        mod = titles[tenant]["moderator"]
        assert client.post(f"/v1/comments/{rude}/decision", headers=mod,
                           json={"action": "reject", "reason_code": "abuse"}).status_code == 200
        queue = client.get("/v1/moderation/queue", headers=mod).get_json()
        item = next(i for i in queue["items"] if i["id"] == held)
        assert item["article"] == STORY
        context = item["context"]
        assert context["parent"]["id"] == parent
        assert context["parent"]["text"] == f"{tenant}: the plan is good"
        assert context["parent"]["author"] == {"id": "pat", "name": "Pat"}
        # The first three other replies, oldest first, each with its status (moderators see
        # a rejected reply's text, marked as rejected).
        assert [(r["id"], r["status"]) for r in context["replies"]] == [
            (first, "approved"), (rude, "rejected"), (second, "approved")]
        assert context["reply_count"] == 3
        assert all(tenant in r["text"] for r in context["replies"])
        # The single read gives moderators the same; a comment that answers none has none.
        single = client.get(f"/v1/comments/{held}", headers=mod).get_json()
        assert single["context"] == context and single["article"] == STORY
        assert client.get(f"/v1/comments/{parent}", headers=mod).get_json()["context"] is None


def test_the_site_key_never_gets_context(client, titles, scorer, worker_ctx):
    *_, held = _post_thread(client, scorer, titles["acme"]["site"], "acme")
    got = client.get(f"/v1/comments/{held}", headers=titles["acme"]["site"]).get_json()
    assert got["parent_id"] == "p-1"
    assert "context" not in got and "article" not in got
    batch = client.get(f"/v1/comments?ids={held}", headers=titles["acme"]["site"]).get_json()
    assert "context" not in batch["items"][0]


def test_a_parent_of_another_tenant_is_never_shown(client, titles, scorer, worker_ctx):
    bravo_parent, *_ = _post_thread(client, scorer, titles["bravo"]["site"], "bravo")
    # acme's site names bravo's comment (by this service's id) as the parent of a reply.
    reply = _post(client, titles["acme"]["site"], scorer.set("acme: replying", abuse=0.9),
                  parent_id=bravo_parent)
    score_pending()
    for key in (titles["acme"]["moderator"], titles["acme"]["admin"]):
        got = client.get(f"/v1/comments/{reply}", headers=key)
        assert got.status_code == 200
        assert got.get_json()["context"] == {"parent": None, "replies": [], "reply_count": 0}
        assert "bravo" not in got.get_data(as_text=True)
        queue = client.get("/v1/moderation/queue", headers=key).get_data(as_text=True)
        assert "bravo" not in queue


def test_parents_are_found_by_either_id(client, titles, scorer, worker_ctx):
    site, mod = titles["acme"]["site"], titles["acme"]["moderator"]
    parent = _post(client, site, "the parent", external_id="c-7")
    score_pending()
    by_ours = _post(client, site, scorer.set("reply naming our id", abuse=0.9), parent_id=parent)
    by_theirs = _post(client, site, scorer.set("reply naming the site's id", abuse=0.9),
                      parent_id="c-7")
    score_pending()
    for reply in (by_ours, by_theirs):
        context = client.get(f"/v1/comments/{reply}", headers=mod).get_json()["context"]
        assert context["parent"]["text"] == "the parent"


@pytest.mark.parametrize("replies", [3, 12])
def test_a_page_of_contexts_costs_two_round_trips(redis_url, client, titles, scorer, worker_ctx,
                                                   runtime, replies):
    site = titles["acme"]["site"]
    _post(client, site, "the parent", external_id="p-9", article={"title": "A story"})
    for n in range(replies):
        _post(client, site, scorer.set(f"reply {n}", abuse=0.9), parent_id="p-9",
              article={"title": "A story"})
    score_pending()
    queued = [m.decode() for m in runtime.redis.zrange(runtime.keys.tenant("acme").held_queue, 0, -1)]
    records = [r for r in runtime.comments.get_many(queued) if r]
    assert len(records) == replies
    counting = CountingRedis.from_url(redis_url)
    found = ContextReader(counting, runtime.keys, CommentStore(counting, runtime.keys)).read(records)
    # Parents, reply indexes and the article; then the replies' records: two, whatever the page.
    assert (counting.single, counting.batches) == (0, 2)
    assert all(c["parent"]["text"] == "the parent" for c in found.values())
    assert all(len(c["replies"]) == min(3, replies - 1) for c in found.values())
    counting.close()


# The live queue's poll (the browser tests drive it in Chromium) -------------------------------------

def test_the_live_poll_reports_new_cards_and_departures(app, client, titles, scorer, worker_ctx,
                                                       runtime):
    from tests.test_moderate_page import sign_in

    page = app.test_client()
    json_only = {"Accept": "application/json"}
    signed_out = page.get("/moderate/live", headers=json_only)
    assert signed_out.status_code == 401 and signed_out.get_json()["code"] == "signed_out"
    sign_in(page, runtime.api_keys.create("moderator", "alice", "acme")[1])
    *_, held = _post_thread(client, scorer, titles["acme"]["site"], "acme")
    _post_thread(client, scorer, titles["bravo"]["site"], "bravo")
    first = page.get("/moderate/live?shown=", headers=json_only).get_json()
    assert first["total"] == 2 and first["gone"] == []
    cards = {c["id"]: c["html"] for c in first["cards"]}
    assert held in cards
    # The card is the page's own markup: escaped text, the story link, the collapsed thread.
    assert 'data-testid="context"' in cards[held] and "<details" in cards[held]
    assert STORY["url"] in cards[held] and "bravo" not in str(first)
    # Shown already: not sent again; decided by a colleague: gone.
    shown = ",".join(cards)
    again = page.get(f"/moderate/live?shown={shown}", headers=json_only).get_json()
    assert again["cards"] == [] and again["gone"] == []
    colleague = titles["acme"]["moderator"]
    assert client.post(f"/v1/comments/{held}/decision", headers=colleague,
                       json={"action": "approve", "reason_code": "other"}).status_code == 200
    after = page.get(f"/moderate/live?shown={shown}", headers=json_only).get_json()
    assert after["gone"] == [held] and after["total"] == 1
    assert "1 held" in after["counts_html"]
