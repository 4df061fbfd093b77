"""Per-tenant rules (repeat posts, links from new authors, new commenters, word lists): the text
matching, the admin route, and their holds through the real drain job and decision phases
(real Redis, a table-driven stub model), always with two tenants side by side."""

from __future__ import annotations

import pytest

from storage.authors import AuthorStore
from storage.erasure import Eraser
from tests.moderation_support import assert_error, score_pending
from tests.test_policy_phases import CountingRedis
from worker.policy import Policy
from worker.rule_text import compile_words, find_links, find_words, fingerprint, near_duplicate

pytest_plugins = ["tests.moderation_fixtures"]

TENANTS = ("acme", "bravo")


@pytest.fixture
def titles(runtime) -> dict[str, dict[str, dict[str, str]]]:
    """Keys of two tenants: {tenant: {role: headers}}."""
    return {t: {role: {"Authorization": f"Bearer {runtime.api_keys.create(role, f'{t}-{role}', t)[1]}"}
                for role in ("site", "moderator", "admin")} for t in TENANTS}


def _post(client, headers, text, author="reader-1", article="story"):
    response = client.post("/v1/comments", headers=headers, json={
        "article_id": article, "text": text, "author": {"id": author}})
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()["id"]


def _read(client, headers, cid):
    return client.get(f"/v1/comments/{cid}", headers=headers).get_json()


def _set_rules(client, admin, **rules):
    response = client.put("/v1/admin/policy/rules", headers=admin, json=rules)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


# Matching -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, found", [
    ("you idiot", ["idiot"]),
    ("You IDIOT!", ["IDIOT"]),
    ("you 1d10t", ["1d10t"]),                       # leetspeak
    ("you ｉｄｉｏｔ", ["ｉｄｉｏｔ"]),                  # full-width letters
    ("you f.u.c.k off", ["f.u.c.k"]),               # dotted out
    ("go kill yourself", ["kill yourself"]),        # a phrase of whole words
    ("go k1ll   yourself", ["k1ll   yourself"]),
])
def test_word_lists_see_through_obfuscation(text, found):
    words = compile_words(("idiot", "fuck", "kill yourself"))
    assert [text[s:e] for s, e, _ in find_words(text, words)] == found


@pytest.mark.parametrize("text", ["Scunthorpe United", "idiots", "the idiotic plan", "skill yourself up",
                                  "kill them yourself"])
def test_word_lists_match_whole_words_only(text):
    assert find_words(text, compile_words(("cunt", "idiot", "kill yourself"))) == []


def test_links_are_found_with_their_spans():
    text = "see https://spam.example/x and www.foo.com or cheap-pills.ru/buy now, e.g. not this."
    assert [text[s:e] for s, e in find_links(text)] == ["https://spam.example/x", "www.foo.com",
                                                        "cheap-pills.ru/buy"]
    assert find_links("No links here, just a sentence. Or two.") == []


def test_fingerprints_tell_near_duplicates_from_different_texts():
    a = fingerprint("Vote for the Green party at the council elections next week, everyone!")
    same = fingerprint("VOTE for the green party at the council elections next week everyone!!!")
    edited = fingerprint("Vote for the Green party at the council election next week everyone")
    other = fingerprint("The council has let everyone down on the bins again this week.")
    assert a == same
    assert near_duplicate(a, edited)
    assert not near_duplicate(a, other)


# The admin route ---------------------------------------------------------------------------------

def test_rules_are_off_until_an_admin_sets_them_per_tenant(client, titles):
    acme, bravo = titles["acme"], titles["bravo"]
    off = client.get("/v1/admin/policy/rules", headers=acme["admin"]).get_json()
    assert off["tenant"] == "acme" and off["repeat_minutes"] == 0 and off["banned_words"] == []
    assert off["updated_by"] is None and off["audit"] == []
    set_ = _set_rules(client, acme["admin"], repeat_minutes=10, banned_words=["Slur", "slur", " x  y "],
                      new_author_comments=2)
    assert set_["banned_words"] == ["Slur", "x y"] and set_["new_author_comments"] == 2
    # A second change keeps what it does not name.
    again = _set_rules(client, acme["admin"], suspect_words=["hmm"])
    assert again["repeat_minutes"] == 10 and again["banned_words"] == ["Slur", "x y"]
    audit = again["audit"]
    assert [e["changed"] for e in audit] == [["suspect_words"],
                                             ["banned_words", "new_author_comments", "repeat_minutes"]]
    assert audit[1]["banned_words"] == 2 and "Slur" not in str(audit)  # counts, never words
    # The other tenant's rules are untouched, and its admin cannot reach acme's.
    theirs = client.get("/v1/admin/policy/rules", headers=bravo["admin"]).get_json()
    assert theirs["tenant"] == "bravo" and theirs["banned_words"] == [] and theirs["audit"] == []
    assert_error(client.get("/v1/admin/policy/rules?tenant=acme", headers=bravo["admin"]), 404,
                 "tenant_not_found")
    assert_error(client.put("/v1/admin/policy/rules", headers=acme["moderator"], json={"repeat_minutes": 1}),
                 403, "forbidden")


def test_all_tenants_admin_names_the_tenant(client, titles, make_key):
    everyone = {"Authorization": f"Bearer {make_key('admin', tenant='*')}"}
    _set_rules(client, everyone, link_min_approved=3)  # no ?tenant=: the default tenant
    named = client.put("/v1/admin/policy/rules?tenant=bravo", headers=everyone,
                       json={"link_min_approved": 5})
    assert named.status_code == 200 and named.get_json()["tenant"] == "bravo"
    assert client.get("/v1/admin/policy/rules", headers=titles["bravo"]["admin"]
                      ).get_json()["link_min_approved"] == 5
    assert client.get("/v1/admin/policy/rules", headers=titles["acme"]["admin"]
                      ).get_json()["link_min_approved"] == 0


@pytest.mark.parametrize("body", [{}, {"repeat_minutes": -1}, {"link_min_approved": 1.5},
                                  {"banned_words": [""]}, {"banned_words": "x"}, {"colour": 1},
                                  {"suspect_words": ["x" * 101]}])
def test_rules_are_validated(client, titles, body):
    assert_error(client.put("/v1/admin/policy/rules", headers=titles["acme"]["admin"], json=body),
                 422, "validation_error")


# The rules through the real drain job -------------------------------------------------------------

def test_word_lists_reject_and_hold_in_their_tenant_only(client, titles, worker_ctx, scorer):
    _set_rules(client, titles["acme"]["admin"], banned_words=["plonker"], suspect_words=["muppet"])
    posted = {t: [_post(client, titles[t]["site"], "What a pl0nker."),
                  _post(client, titles[t]["site"], "Total MUPPET of a councillor"),
                  _post(client, titles[t]["site"], "Scunthorpe muppetry aside, fine.")]
              for t in TENANTS}
    score_pending()
    banned, suspect, fine = (_read(client, titles["acme"]["site"], c) for c in posted["acme"])
    assert (banned["status"], banned["reasons"]) == ("rejected", ["banned_word"])
    assert banned["spans"] == [{"start": 7, "end": 14, "category": "word_list", "kind": "banned_word"}]
    assert (suspect["status"], suspect["reasons"]) == ("held", ["suspect_word"])
    assert suspect["spans"] == [{"start": 6, "end": 12, "category": "word_list",
                                 "kind": "suspect_word"}]
    assert fine["status"] == "approved" and fine["spans"] == []
    # The other tenant set no lists: the same texts are approved.
    assert {_read(client, titles["bravo"]["site"], c)["status"] for c in posted["bravo"]} == {"approved"}
    queue = client.get("/v1/moderation/queue?category=suspect_word",
                       headers=titles["acme"]["moderator"]).get_json()
    assert [i["id"] for i in queue["items"]] == [posted["acme"][1]]


def test_new_commenters_are_premoderated_for_their_first_comments(client, titles, worker_ctx):
    _set_rules(client, titles["acme"]["admin"], new_author_comments=2)
    for tenant in TENANTS:
        site = titles[tenant]["site"]
        first = [_post(client, site, f"comment {n}") for n in range(2)]  # one batch
        score_pending()
        third = _post(client, site, "comment 3")                          # a later batch
        other_author = _post(client, site, "hello", author="reader-2")
        score_pending()
        statuses = [_read(client, site, c) for c in [*first, third, other_author]]
        if tenant == "acme":
            assert [(s["status"], s["reasons"]) for s in statuses] == [
                ("held", ["new_commenter"]), ("held", ["new_commenter"]), ("approved", []),
                ("held", ["new_commenter"])]
        else:
            assert {s["status"] for s in statuses} == {"approved"}


def test_links_from_authors_without_enough_approved_comments_are_held(client, titles, worker_ctx):
    acme = titles["acme"]
    _set_rules(client, acme["admin"], link_min_approved=2)
    text = "Cheap tickets at www.tix-deals.com today"
    held = _post(client, acme["site"], text)
    theirs = _post(client, titles["bravo"]["site"], text)
    plain = _post(client, acme["site"], "No link in this one")
    score_pending()
    record = _read(client, acme["site"], held)
    assert (record["status"], record["reasons"]) == ("held", ["spam: link from a new author"])
    assert [text[s["start"]:s["end"]] for s in record["spans"]] == ["www.tix-deals.com"]
    assert record["spans"][0]["category"] == "spam" and record["spans"][0]["kind"] == "link"
    assert _read(client, titles["bravo"]["site"], theirs)["status"] == "approved"
    assert _read(client, acme["site"], plain)["status"] == "approved"
    # Two approved comments later (the plain one, and the held one approved by a moderator)
    # the author's links go through.
    decided = client.post(f"/v1/comments/{held}/decision", headers=acme["moderator"],
                          json={"action": "approve", "reason_code": "other"})
    assert decided.status_code == 200
    again = _post(client, acme["site"], "More at www.tix-deals.com again")
    score_pending()
    assert _read(client, acme["site"], again)["status"] == "approved"


def test_repeat_posts_are_held_within_the_window(client, titles, worker_ctx, redis_client):
    acme = titles["acme"]
    _set_rules(client, acme["admin"], repeat_minutes=10)
    text = "Everyone should read my blog about the council's failures, it is eye-opening!"
    first = _post(client, acme["site"], text)
    same_batch = _post(client, acme["site"], text.upper())
    other_author = _post(client, acme["site"], text, author="reader-2")
    score_pending()
    later = _post(client, acme["site"], text.replace("eye-opening", "eye opening") + "!!")
    different = _post(client, acme["site"], "I disagree with the last commenter about the bins.")
    theirs = [_post(client, titles["bravo"]["site"], text) for _ in range(2)]
    score_pending()
    status = {cid: _read(client, acme["site"], cid) for cid in (first, same_batch, other_author,
                                                                 later, different)}
    assert status[first]["status"] == "approved" and status[other_author]["status"] == "approved"
    for cid in (same_batch, later):
        assert (status[cid]["status"], status[cid]["reasons"]) == ("held", ["spam: repeated"])
        assert status[cid]["spans"][0]["kind"] == "repeated" and status[cid]["spans"][0]["start"] == 0
    assert status[different]["status"] == "approved"
    assert {_read(client, titles["bravo"]["site"], c)["status"] for c in theirs} == {"approved"}
    # The fingerprints are bounded per author, and go when the author is erased.
    state = AuthorStore(redis_client, worker_ctx.keys, worker_ctx.settings).state("acme", "reader-1")
    assert len(state.fingerprints) == 4
    Eraser(redis_client, worker_ctx.keys).erase_author("acme", "reader-1", by="test")
    assert AuthorStore(redis_client, worker_ctx.keys, worker_ctx.settings).state(
        "acme", "reader-1").fingerprints == ()


def test_repeats_outside_the_window_are_not_held(client, titles, worker_ctx, redis_client):
    acme = titles["acme"]
    _set_rules(client, acme["admin"], repeat_minutes=1)
    text = "Same words again and again about the stadium plans."
    first = _post(client, acme["site"], text)
    score_pending()
    # The first was posted two minutes ago, as far as its fingerprint says.
    key = worker_ctx.keys.tenant("acme").author("reader-1")
    raw = redis_client.hget(key, "fingerprints").decode()
    at = float(raw.split(",")[0].strip("[]"))
    redis_client.hset(key, "fingerprints", raw.replace(repr(round(at, 3)), repr(round(at - 120, 3)), 1))
    again = _post(client, acme["site"], text)
    score_pending()
    assert _read(client, acme["site"], first)["status"] == "approved"
    assert _read(client, acme["site"], again)["status"] == "approved"


def test_rules_load_with_the_batch_policy_in_one_round_trip(redis_url, client, titles, runtime,
                                                             settings):
    _set_rules(client, titles["acme"]["admin"], suspect_words=["muppet"], new_author_comments=1)

    class Model:
        thresholds = {"abuse": 0.5, "victim_identification": 0.5}

    counting = CountingRedis.from_url(redis_url)
    comments = [{"article_id": "s", "author_id": "a", "tenant": t} for t in TENANTS]
    loaded = Policy.load(counting, runtime.keys, settings, Model(), comments)
    assert (counting.single, counting.batches) == (0, 1)
    assert loaded.tenant_rules(comments[0]).suspect_words == ("muppet",)
    assert not loaded.tenant_rules(comments[1]).any_on
    counting.close()
