"""The moderator page through Flask's test client: sign-in, CSRF, escaping, claims, decisions."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from service.web.highlight import segments
from storage.moderation import ModerationStore, Moderator
from tests.moderate_seed import ROTHERHAM, XSS_TEXT, seed_held

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str = "/moderate/login") -> str:
    page = client.get(path)
    match = TOKEN.search(page.get_data(as_text=True))
    assert match, page.get_data(as_text=True)[:500]
    return match.group(1)


def sign_in(client, key: str) -> None:
    token = csrf_token(client)
    response = client.post("/moderate/login", data={"api_key": key, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/moderate")


@pytest.fixture
def moderator_key(make_key) -> str:
    return make_key("moderator")


@pytest.fixture
def signed_in(client, moderator_key):
    sign_in(client, moderator_key)
    return client


def store(runtime) -> ModerationStore:
    return ModerationStore(runtime.redis, runtime.keys, runtime.comments, runtime.settings)


# Sign-in --------------------------------------------------------------------------
def test_queue_redirects_to_sign_in(client):
    response = client.get("/moderate?category=abuse")
    assert response.status_code == 302
    assert "/moderate/login?next=" in response.headers["Location"]


def test_sign_in_sets_a_protected_session_cookie(client, moderator_key):
    token = csrf_token(client)
    response = client.post("/moderate/login", data={"api_key": moderator_key, "csrf_token": token})
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    # The cookie carries the key's id and name, never the key itself.
    assert moderator_key not in cookie
    page = client.get("/moderate")
    assert page.status_code == 200
    assert "test moderator" in page.get_data(as_text=True)


def test_sign_in_refuses_keys_that_may_not_moderate(client, make_key):
    token = csrf_token(client)
    response = client.post("/moderate/login", data={"api_key": make_key("site"), "csrf_token": token})
    assert response.status_code == 401
    assert "not a moderator or admin key" in response.get_data(as_text=True)
    assert client.get("/moderate").status_code == 302


def test_sign_in_refuses_unknown_key_and_admin_may_sign_in(client, make_key):
    token = csrf_token(client)
    bad = client.post("/moderate/login", data={"api_key": "mk_nope_nope", "csrf_token": token})
    assert bad.status_code == 401 and "Unknown or revoked key" in bad.get_data(as_text=True)
    sign_in(client, make_key("admin"))
    assert client.get("/moderate").status_code == 200


def test_revoking_the_key_ends_the_session(signed_in, runtime):
    key_id = runtime.api_keys.list()[0].id
    assert signed_in.get("/moderate").status_code == 200
    runtime.api_keys.revoke(key_id)
    assert signed_in.get("/moderate").status_code == 302


def test_sign_out_needs_the_token_and_ends_the_session(signed_in):
    assert signed_in.post("/moderate/logout").status_code == 400
    assert signed_in.get("/moderate").status_code == 200
    token = csrf_token(signed_in, "/moderate")
    assert signed_in.post("/moderate/logout", data={"csrf_token": token}).status_code == 302
    assert signed_in.get("/moderate").status_code == 302


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/v1/comments",
                                    "/moderate\\@evil.example"])
def test_next_never_leaves_the_page(client, moderator_key, target):
    token = csrf_token(client)
    response = client.post("/moderate/login",
                           data={"api_key": moderator_key, "csrf_token": token, "next": target})
    assert response.headers["Location"] == "/moderate"


# CSRF -----------------------------------------------------------------------------
def test_posts_without_the_csrf_token_are_refused(signed_in, runtime):
    [cid] = seed_held(runtime.comments, ROTHERHAM[:1])
    for headers in ({}, {"Accept": "application/json"}):
        response = signed_in.post("/moderate/decide", headers=headers,
                                  data={"id": cid, "action": "approve", "reason_code": "other"})
        assert response.status_code == 400
    assert response.get_json()["code"] == "csrf_failed"
    wrong = signed_in.post("/moderate/decide", data={"id": cid, "action": "approve",
                                                     "reason_code": "other", "csrf_token": "forged"})
    assert wrong.status_code == 400
    assert runtime.comments.get(cid)["status"] == "held"
    # Sign-in is a form too: logging a victim's browser into an attacker's account is refused.
    assert signed_in.post("/moderate/login", data={"api_key": "x"}).status_code == 400


def test_the_json_api_is_not_subject_to_csrf(client, site_headers):
    response = client.post("/v1/comments", headers=site_headers,
                           json={"article_id": "a1", "text": "Fine.", "author": {"id": "r1"}})
    assert response.status_code == 202


# The queue ------------------------------------------------------------------------
def test_queue_shows_escaped_text_with_highlighted_spans(signed_in, runtime):
    seed_held(runtime.comments)
    response = signed_in.get("/moderate")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<mark class="vi" title="name">Chloe Hardcastle</mark>' in body
    assert '<mark class="abuse" title="insult">spineless cowards</mark>' in body
    assert str(escape(XSS_TEXT)) in body
    assert "<script>window.__pwned" not in body and "<img src=x" not in body
    # Victim identification first, in the order the queue gives.
    assert body.index("Chloe Hardcastle") < body.index("spineless cowards")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["Cache-Control"] == "no-store"


def claim_page(client, path: str = "/moderate") -> list[str]:
    """What the page's script does when it loads: POST the shown ids to /moderate/claims."""
    page = client.get(path).get_data(as_text=True)
    ids = re.findall(r'data-id="([0-9a-f]+)"', page)
    token = TOKEN.search(page).group(1)
    response = client.post("/moderate/claims", data={"ids": ids, "csrf_token": token},
                           headers={"Accept": "application/json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["claimed"]


def key_id(plain: str) -> str:
    return plain.split("_")[1]


def test_opening_the_queue_claims_nothing_until_the_page_posts(client, app, runtime, make_key):
    ids = seed_held(runtime.comments, ROTHERHAM[:3])
    key = make_key("moderator")
    sign_in(client, key)
    # A plain GET (a link or an image on another site would make one) claims nothing...
    assert client.get("/moderate").status_code == 200
    assert {store(runtime).claim_holder(cid) for cid in ids} == {None}
    # ...the page's own POST, with its CSRF token, does.
    assert sorted(claim_page(client)) == sorted(ids)
    assert {store(runtime).claim_holder(cid) for cid in ids} == {key_id(key)}
    # A colleague opening the queue meanwhile sees them greyed out and claims none of them.
    other_key = runtime.api_keys.create("moderator", "bob")[1]
    colleague = app.test_client()
    sign_in(colleague, other_key)
    page = colleague.get("/moderate").get_data(as_text=True)
    assert 'data-testid="empty"' in page
    assert claim_page(colleague, "/moderate?include_claimed=1") == []
    # ...and deciding one of them anyway is refused with a clear conflict.
    token = csrf_token(colleague, "/moderate")
    refused = colleague.post("/moderate/decide", headers={"Accept": "application/json"},
                             data={"id": ids[0], "action": "reject", "reason_code": "abuse",
                                   "csrf_token": token})
    assert refused.status_code == 409
    assert refused.get_json()["code"] == "claimed_by_other"
    assert "test moderator is reviewing" in refused.get_json()["message"]
    assert runtime.comments.get(ids[0])["status"] == "held"
    # Without JavaScript the same conflict comes back as a message on the queue.
    followed = colleague.post("/moderate/decide", follow_redirects=True,
                              data={"id": ids[0], "action": "reject", "reason_code": "abuse",
                                    "csrf_token": token, "back": "/moderate"})
    assert "test moderator is reviewing this comment" in followed.get_data(as_text=True)


def test_two_keys_with_one_name_are_two_moderators(client, app, runtime):
    """Claims belong to key ids: a second key named like the first cannot take over its claims."""
    ids = seed_held(runtime.comments, ROTHERHAM[:2])
    first = runtime.api_keys.create("moderator", "alice")[1]
    second = runtime.api_keys.create("moderator", "alice")[1]
    assert key_id(first) != key_id(second)
    sign_in(client, first)
    assert sorted(claim_page(client)) == sorted(ids)
    twin = app.test_client()
    sign_in(twin, second)
    assert claim_page(twin, "/moderate?include_claimed=1") == []
    token = csrf_token(twin, "/moderate")
    refused = twin.post("/moderate/decide", headers={"Accept": "application/json"},
                        data={"id": ids[0], "action": "approve", "reason_code": "other",
                              "csrf_token": token})
    assert refused.status_code == 409
    # The first key decides; the record and history name its key id.
    token = csrf_token(client, "/moderate")
    client.post("/moderate/decide", data={"id": ids[0], "action": "approve", "reason_code": "other",
                                          "csrf_token": token})
    record = runtime.comments.get(ids[0])
    assert record["decided_by"] == f"moderator:{key_id(first)}" and record["decided_by_name"] == "alice"


def test_the_page_renews_its_claims_and_learns_which_it_lost(signed_in, runtime, moderator_key):
    ids = seed_held(runtime.comments, ROTHERHAM[:3])
    page = signed_in.get("/moderate").get_data(as_text=True)
    assert 'data-renew-seconds="150"' in page  # half of CLAIM_SECONDS
    token = TOKEN.search(page).group(1)
    claim_page(signed_in)
    moderation = store(runtime)
    me = Moderator(key_id=key_id(moderator_key), name="test moderator")
    # One claim lapsed and a colleague took the comment; another was decided meanwhile.
    runtime.redis.delete(runtime.keys.claim(ids[0]))
    assert moderation.claim(Moderator("b0b", "bob"), ids=[ids[0]]) == [ids[0]]
    moderation.decide(ids[1], moderator=me, action="approve", reason_code="other")
    runtime.redis.pexpire(runtime.keys.claim(ids[2]), 1000)
    response = signed_in.post("/moderate/claims", data={"ids": ids, "csrf_token": token})
    assert response.get_json() == {"claimed": [ids[2]], "lost": [ids[0], ids[1]]}
    assert runtime.redis.pttl(runtime.keys.claim(ids[2])) > 1000
    assert signed_in.post("/moderate/claims", data={"ids": ids}).status_code == 400


def test_decide_from_the_page(signed_in, runtime):
    ids = seed_held(runtime.comments, ROTHERHAM[:3])
    token = csrf_token(signed_in, "/moderate")
    ok = signed_in.post("/moderate/decide", headers={"Accept": "application/json"},
                        data={"id": ids[0], "action": "reject", "reason_code": "victim_identification",
                              "note": "names the complainant", "csrf_token": token})
    assert ok.status_code == 200 and ok.get_json()["status"] == "rejected"
    record = runtime.comments.get(ids[0])
    assert record["status"] == "rejected" and record["decided_by"].startswith("moderator:")
    assert record["decided_by_name"] == "test moderator"
    assert record["decision_reason"] == "victim_identification"
    plain = signed_in.post("/moderate/decide", data={"id": ids[1], "action": "approve",
                                                     "reason_code": "other", "csrf_token": token,
                                                     "back": "/moderate?category=abuse"})
    assert plain.status_code == 302 and plain.headers["Location"] == "/moderate?category=abuse"
    assert runtime.comments.get(ids[1])["status"] == "approved"
    bad = signed_in.post("/moderate/decide", headers={"Accept": "application/json"},
                         data={"id": ids[2], "action": "delete", "reason_code": "other",
                               "csrf_token": token})
    assert bad.status_code == 422 and bad.get_json()["code"] == "invalid_action"
    missing = signed_in.post("/moderate/decide", headers={"Accept": "application/json"},
                             data={"id": "nope", "action": "approve", "reason_code": "other",
                                   "csrf_token": token})
    assert missing.status_code == 404 and missing.get_json()["code"] == "comment_not_found"


def test_bulk_decision(signed_in, runtime):
    ids = seed_held(runtime.comments, ROTHERHAM[5:9])
    token = csrf_token(signed_in, "/moderate")
    response = signed_in.post("/moderate/decide-many", headers={"Accept": "application/json"},
                              data={"ids": [*ids[:3], "gone"], "action": "reject",
                                    "reason_code": "abuse", "csrf_token": token})
    body = response.get_json()
    assert response.status_code == 200
    assert sorted(body["decided"]) == sorted(ids[:3])
    assert body["failed"] == {"gone": "comment_not_found"}
    assert [runtime.comments.get(c)["status"] for c in ids] == ["rejected"] * 3 + ["held"]


def test_filters(signed_in, runtime):
    seed_held(runtime.comments)
    page = signed_in.get("/moderate?article=rotherham-iopc-report&category=abuse&min_score=0.8")
    body = page.get_data(as_text=True)
    assert "spineless cowards" in body and "scumbag" in body
    assert "thick idiot" not in body  # 0.77 < 0.8
    assert "Chloe Hardcastle" not in body and "Go back to where" not in body
    odd = signed_in.get("/moderate?min_score=lots&article=%3Cu%3E&cursor=x%7Cy")
    text = odd.get_data(as_text=True)
    assert odd.status_code == 200 and "That filter was ignored" in text
    assert "<u>" not in text


def test_history_page_is_escaped(signed_in, runtime):
    [cid] = seed_held(runtime.comments, ROTHERHAM[-1:])
    assert claim_page(signed_in) == [cid]
    token = csrf_token(signed_in, "/moderate")
    signed_in.post("/moderate/decide", data={"id": cid, "action": "reject", "reason_code": "spam",
                                             "note": "<b>spam</b>", "csrf_token": token})
    for path in (f"/moderate/comments/{cid}/history", f"/moderate/comments/{cid}/history?fragment=1"):
        body = signed_in.get(path).get_data(as_text=True)
        assert "&lt;b&gt;spam&lt;/b&gt;" in body and "<b>spam</b>" not in body
        assert "decided" in body and "scored" in body and "claimed" in body
    assert "&lt;script&gt;window.__pwned=1" in signed_in.get(
        f"/moderate/comments/{cid}/history").get_data(as_text=True)
    assert signed_in.get("/moderate/comments/nope/history").status_code == 404


# Highlighting ---------------------------------------------------------------------
def test_segments_cut_text_at_spans():
    text = "Chloe from Wingfield Academy"
    segs = segments(text, [{"start": 11, "end": 28, "category": "victim_identification",
                            "kind": "school"},
                           {"start": 0, "end": 5, "category": "victim_identification", "kind": "name"}])
    assert [(s.text, s.css, s.kind) for s in segs] == [
        ("Chloe", "vi", "name"), (" from ", None, None), ("Wingfield Academy", "vi", "school")]
    assert "".join(s.text for s in segs) == text


def test_segments_survive_overlaps_and_bad_offsets():
    text = "abcdefghij"
    segs = segments(text, [{"start": 2, "end": 6, "category": "abuse", "kind": "x"},
                           {"start": 4, "end": 8, "category": "abuse", "kind": "y"},
                           {"start": -3, "end": 1, "category": "abuse", "kind": "z"},
                           {"start": 9, "end": 99, "category": "new", "kind": "w"},
                           {"start": 5, "end": 5, "category": "abuse", "kind": "empty"},
                           {"start": "x"}])
    assert "".join(s.text for s in segs) == text
    assert [(s.text, s.css) for s in segs if s.css] == [
        ("a", "abuse"), ("cdef", "abuse"), ("gh", "abuse"), ("j", "other")]
