"""The moderators' API against real Redis: queue, claims, decisions, history, examples,
authors and bans, readers' reports. Comments are scored by the real drain job and
decision phases in-process, with a table-driven stub model."""

from __future__ import annotations

import pytest

from model.scoring import Span
from storage.examples import ExampleStore
from tests.conftest import wait_until
from tests.moderation_support import assert_error, post, score_pending

# The stub model and in-process worker context (fixtures `scorer`, `worker_ctx`).
pytest_plugins = ["tests.moderation_fixtures"]


@pytest.fixture
def mod_a(make_key):
    return {"Authorization": f"Bearer {make_key('moderator')}"}


@pytest.fixture
def mod_b(runtime):
    return {"Authorization": f"Bearer {runtime.api_keys.create('moderator', 'bea')[1]}"}


@pytest.fixture
def held(client, site_headers, scorer, worker_ctx):
    """Post comments with given scores and score them; returns their ids in posting order."""

    def make(*specs: dict, article: str = "story-1", author: str = "reader-1") -> list[str]:
        ids = []
        for n, spec in enumerate(specs):
            text = spec.get("text") or f"comment {len(scorer.table)} {n}"
            scorer.set(text, abuse=spec.get("abuse", 0.05), vi=spec.get("vi", 0.05),
                       spans=spec.get("spans"))
            ids.append(post(client, site_headers, text, article=spec.get("article", article),
                            author=spec.get("author", author)))
        score_pending()
        return ids

    return make


def key_id(headers: dict) -> str:
    """The id of the key in ``headers`` (a key is mk_<id>_<secret>)."""
    return headers["Authorization"].split("_")[1]


def queue(client, headers, **params):
    response = client.get("/v1/moderation/queue", query_string=params, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def queue_ids_by_pages(client, headers, page_size: int = 2) -> list[str]:
    """Every queued id, read page by page through the cursor."""
    seen, cursor = [], None
    while True:
        page = queue(client, headers, limit=page_size, **({"cursor": cursor} if cursor else {}))
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


def decide(client, headers, cid, action="approve", reason_code="other", note=None):
    body = {"action": action, "reason_code": reason_code}
    if note is not None:
        body["note"] = note
    return client.post(f"/v1/comments/{cid}/decision", json=body, headers=headers)


# Queue ------------------------------------------------------------------------------------------

def test_queue_orders_victim_identification_then_score_then_age(client, mod_a, held):
    abuse_old, vi, abuse_low, abuse_new, _clean = held(
        {"abuse": 0.9}, {"vi": 0.6}, {"abuse": 0.7}, {"abuse": 0.9}, {})
    page = queue(client, mod_a)
    assert [i["id"] for i in page["items"]] == [vi, abuse_old, abuse_new, abuse_low]
    assert page["counts"] == {"abuse": 3, "victim_identification": 1}
    assert page["total"] == 4 and page["next_cursor"] is None
    item = page["items"][0]
    assert item["status"] == "held" and item["reasons"] == ["victim_identification: score 0.60"]
    assert item["claimed_by"] is None and item["report_count"] == 0


def test_queue_filters_and_cursor_pages(client, mod_a, held):
    a1, a2, vi1, other = held({"abuse": 0.95}, {"abuse": 0.6}, {"vi": 0.8},
                              {"abuse": 0.8, "article": "story-2"})
    assert [i["id"] for i in queue(client, mod_a, article_id="story-2")["items"]] == [other]
    only_vi = queue(client, mod_a, category="victim_identification")
    assert [i["id"] for i in only_vi["items"]] == [vi1]
    # Counts describe the whole (article/score-filtered) queue, not just the category shown.
    assert only_vi["counts"] == {"abuse": 3, "victim_identification": 1}
    assert [i["id"] for i in queue(client, mod_a, category="abuse", min_score=0.7,
                                   max_score=0.9)["items"]] == [other]
    assert queue(client, mod_a, min_score=0.9)["total"] == 1

    assert queue_ids_by_pages(client, mod_a) == [vi1, a1, other, a2]
    assert_error(client.get("/v1/moderation/queue?cursor=nonsense", headers=mod_a),
                 400, "invalid_cursor")
    assert_error(client.get("/v1/moderation/queue?category=gossip", headers=mod_a),
                 422, "validation_error")


def test_queue_needs_a_moderator_key(client, site_headers, admin_headers, held):
    held({"abuse": 0.9})
    assert_error(client.get("/v1/moderation/queue", headers=site_headers), 403, "forbidden")
    assert_error(client.get("/v1/moderation/queue"), 401, "unauthorized")
    assert queue(client, admin_headers)["total"] == 1


# Claims -----------------------------------------------------------------------------------------

def test_claims_are_exclusive_and_block_other_moderators(client, mod_a, mod_b, held, runtime):
    first, second, third = held({"abuse": 0.9}, {"abuse": 0.8}, {"abuse": 0.7})
    claimed = client.post("/v1/moderation/claims", json={"limit": 2}, headers=mod_a).get_json()
    assert claimed["claimed"] == [first, second] and claimed["expires_at"]

    # B's queue and B's next batch skip A's claims.
    assert [i["id"] for i in queue(client, mod_b)["items"]] == [third]
    assert [i["claimed_by"] for i in queue(client, mod_a)["items"]] == ["test moderator"] * 2 + [None]
    assert queue(client, mod_b, include_claimed="true")["total"] == 3
    got = client.post("/v1/moderation/claims", json={"ids": [first, third]}, headers=mod_b).get_json()
    assert got["claimed"] == [third] and got["not_claimed"] == [first]

    conflict = assert_error(decide(client, mod_b, first), 409, "claimed_by_other")
    assert conflict["details"]["holder"] == "test moderator"
    assert runtime.comments.get(first)["status"] == "held"

    # Releasing only touches one's own claims; then B may decide.
    released = client.delete("/v1/moderation/claims", json={"ids": [first, third]}, headers=mod_a)
    assert released.get_json()["released"] == [first]
    assert decide(client, mod_b, first, "reject", "abuse").status_code == 200
    history = client.get(f"/v1/comments/{first}/history", headers=mod_a).get_json()["events"]
    assert [e["event"] for e in history] == ["posted", "scored", "claimed", "decided"]
    assert history[2]["by"] == f"moderator:{key_id(mod_a)}"
    assert history[2]["by_name"] == "test moderator"
    assert history[3]["by"] == f"moderator:{key_id(mod_b)}" and history[3]["by_name"] == "bea"


def test_claims_expire(client, mod_a, mod_b, held, runtime, redis_client):
    (cid,) = held({"abuse": 0.9})
    assert client.post("/v1/moderation/claims", json={"ids": [cid]},
                       headers=mod_a).get_json()["claimed"] == [cid]
    claim_key = runtime.keys.claim(cid)
    ttl = redis_client.pttl(claim_key)
    assert 0 < ttl <= runtime.settings.claim_seconds * 1000
    # Renewing restores the full lifetime.
    redis_client.pexpire(claim_key, 5000)
    client.post("/v1/moderation/claims", json={"ids": [cid]}, headers=mod_a)
    assert redis_client.pttl(claim_key) > 5000
    # Let it lapse: the comment is B's to take.
    redis_client.pexpire(claim_key, 1)
    wait_until(lambda: not redis_client.exists(claim_key))
    assert [i["id"] for i in queue(client, mod_b)["items"]] == [cid]
    assert client.post("/v1/moderation/claims", json={}, headers=mod_b).get_json()["claimed"] == [cid]


def test_claim_skips_decided_comments(client, mod_a, held, runtime):
    (cid,) = held({"abuse": 0.9})
    assert decide(client, mod_a, cid).status_code == 200
    got = client.post("/v1/moderation/claims", json={"ids": [cid]}, headers=mod_a).get_json()
    assert got == {"claimed": [], "not_claimed": [cid], "expires_at": None}


# Decisions --------------------------------------------------------------------------------------

def test_decision_changes_status_at_once_and_redeciding_is_recorded(
        client, mod_a, site_headers, held, runtime):
    (cid,) = held({"abuse": 0.9, "text": "you are an idiot"})
    response = decide(client, mod_a, cid, "approve", "other", note="sarcasm, fine in context")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "approved" and body["decided_by"] == f"moderator:{key_id(mod_a)}"
    assert body["decided_by_name"] == "test moderator"
    assert body["decision_reason"] == "other" and body["decision_note"] == "sarcasm, fine in context"
    assert client.get(f"/v1/comments/{cid}", headers=site_headers).get_json()["status"] == "approved"
    assert queue(client, mod_a)["total"] == 0
    listing = client.get("/v1/articles/story-1/comments?status=approved", headers=site_headers)
    assert [c["id"] for c in listing.get_json()["items"]] == [cid]

    again = decide(client, mod_a, cid, "reject", "abuse")
    assert again.status_code == 200 and again.get_json()["status"] == "rejected"
    assert again.get_json()["decision_note"] is None
    events = client.get(f"/v1/comments/{cid}/history", headers=mod_a).get_json()["events"]
    decided = [e for e in events if e["event"] == "decided"]
    assert [(e["action"], e["reason_code"], e["previous_status"]) for e in decided] == [
        ("approve", "other", "held"), ("reject", "abuse", "approved")]
    assert decided[0]["note"] == "sarcasm, fine in context" and decided[0]["at"]
    scored = events[1]
    assert scored["event"] == "scored" and scored["model_version"] == "stub-moderation"
    assert scored["scores"]["abuse"] == 0.9
    # The latest decision is the training example.
    example = ExampleStore(runtime.redis, runtime.keys).get(cid)
    assert example["labels"] == {"abuse": 1, "victim_identification": None}
    assert example["text"] == "you are an idiot" and example["scores"]["abuse"] == 0.9
    assert example["model_version"] == "stub-moderation" and example["moderator"] == key_id(mod_a)
    assert example["moderator_name"] == "test moderator" and example["tenant"] == "default"


@pytest.mark.parametrize("body, field", [
    ({"action": "delete", "reason_code": "abuse"}, "action"),
    ({"action": "approve", "reason_code": "because"}, "reason_code"),
    ({"action": "approve"}, "reason_code"),
    ({"action": "approve", "reason_code": "other", "note": "x" * 2001}, "note"),
])
def test_decision_validation(client, mod_a, held, body, field):
    (cid,) = held({"abuse": 0.9})
    error = assert_error(client.post(f"/v1/comments/{cid}/decision", json=body, headers=mod_a),
                         422, "validation_error")
    assert field in error["details"]["json"]


def test_decision_errors(client, mod_a, site_headers, held):
    (cid,) = held({"abuse": 0.9})
    assert_error(decide(client, mod_a, "no-such-comment"), 404, "comment_not_found")
    assert_error(decide(client, site_headers, cid), 403, "forbidden")
    assert_error(client.get("/v1/comments/nope/history", headers=mod_a), 404, "comment_not_found")


def test_bulk_decisions_report_each_id(client, mod_a, mod_b, held, runtime):
    ids = held({"abuse": 0.9}, {"abuse": 0.8}, {"abuse": 0.7})
    client.post("/v1/moderation/claims", json={"ids": [ids[2]]}, headers=mod_b)
    response = client.post("/v1/moderation/decisions", headers=mod_a, json={
        "ids": [ids[0], ids[1], ids[2], "missing"], "action": "reject", "reason_code": "spam",
        "note": "link farm"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["decided"] == 2 and body["failed"] == 2
    assert body["results"] == [
        {"id": ids[0], "ok": True, "status": "rejected"},
        {"id": ids[1], "ok": True, "status": "rejected"},
        {"id": ids[2], "ok": False, "error": "claimed_by_other", "holder": "bea"},
        {"id": "missing", "ok": False, "error": "comment_not_found"},
    ]
    assert [runtime.comments.get(i)["status"] for i in ids] == ["rejected", "rejected", "held"]
    assert_error(client.post("/v1/moderation/decisions", headers=mod_a, json={
        "ids": [], "action": "reject", "reason_code": "spam"}), 422, "validation_error")


@pytest.mark.parametrize("action, reason, labels", [
    ("approve", "other", {"abuse": 0, "victim_identification": 0}),
    ("reject", "abuse", {"abuse": 1, "victim_identification": None}),
    ("reject", "victim_identification", {"abuse": None, "victim_identification": 1}),
    ("reject", "legal", {"abuse": None, "victim_identification": None}),
    ("reject", "spam", {"abuse": None, "victim_identification": None}),
])
def test_examples_follow_the_label_mapping(client, mod_a, held, runtime, action, reason, labels):
    (cid,) = held({"abuse": 0.9, "vi": 0.6})
    assert decide(client, mod_a, cid, action, reason).status_code == 200
    store = ExampleStore(runtime.redis, runtime.keys)
    examples = list(store.iter_examples())
    assert store.count() == 1 and len(examples) == 1
    assert examples[0]["labels"] == labels and examples[0]["comment_id"] == cid
    assert examples[0]["reason_code"] == reason and examples[0]["action"] == action


# Authors ----------------------------------------------------------------------------------------

def test_author_history_counts_and_premoderation(client, mod_a, held, scorer, site_headers):
    ids = held({"abuse": 0.9}, {"abuse": 0.9}, {"abuse": 0.9}, {"abuse": 0.9}, {}, author="troll")
    for cid in ids[:3]:
        assert decide(client, mod_a, cid, "reject", "abuse").status_code == 200
    profile = client.get("/v1/authors/troll", headers=mod_a).get_json()
    assert profile["counts"] == {"posted": 5, "held": 4, "approved": 1, "rejected": 3}
    assert profile["premoderated"] is False and profile["recent_decisions"] == 3
    assert [c["id"] for c in profile["recent_comments"]] == ids[::-1]

    # The fourth rejection of four decisions passes the 50% rate: new comments are held.
    decide(client, mod_a, ids[3], "reject", "abuse")
    profile = client.get("/v1/authors/troll", headers=mod_a).get_json()
    assert profile["premoderated"] is True and profile["rejection_rate"] == 1.0
    (clean,) = held({"text": "a perfectly civil remark"}, author="troll")
    record = client.get(f"/v1/comments/{clean}", headers=site_headers).get_json()
    assert record["status"] == "held" and record["reasons"] == ["author_history"]
    # Another author's identical comment is not affected.
    (other,) = held({"text": "a perfectly civil remark"}, author="someone-else")
    assert client.get(f"/v1/comments/{other}", headers=site_headers).get_json()["status"] == "approved"

    # Re-deciding moves a comment between counters rather than counting it twice.
    for cid in ids[:4]:
        decide(client, mod_a, cid, "approve", "other")
    profile = client.get("/v1/authors/troll", headers=mod_a).get_json()
    assert profile["counts"] == {"posted": 6, "held": 5, "approved": 5, "rejected": 0}
    assert profile["premoderated"] is False and profile["recent_decisions"] == 4


def test_ban_rejects_new_comments_and_unban_restores(client, mod_a, held, site_headers, runtime):
    response = client.post("/v1/authors/spammer/ban", json={"reason": "repeated doxxing"},
                           headers=mod_a)
    assert response.status_code == 200
    body = response.get_json()
    assert body["banned"] is True and body["ban"]["reason"] == "repeated doxxing"
    assert body["ban"]["by"] == f"moderator:{key_id(mod_a)}"
    (cid,) = held({"text": "buy cheap watches"}, author="spammer")
    record = runtime.comments.get(cid)
    assert record["status"] == "rejected" and record["reasons"] == ["banned_author"]
    scored = [e for e in runtime.comments.history(cid) if e["event"] == "scored"]
    assert scored[0]["reasons"] == ["banned_author"]
    assert client.get(f"/v1/comments/{cid}", headers=site_headers).get_json()["status"] == "rejected"

    unban = client.delete("/v1/authors/spammer/ban", json={"reason": "appeal upheld"}, headers=mod_a)
    body = unban.get_json()
    assert body["banned"] is False and body["ban"] is None
    assert [(e["event"], e["reason"]) for e in body["audit"]] == [
        ("banned", "repeated doxxing"), ("unbanned", "appeal upheld")]
    (later,) = held({"text": "buy cheap watches"}, author="spammer")
    assert runtime.comments.get(later)["status"] == "approved"
    assert body["counts"]["rejected"] == 1


def test_ban_validation(client, mod_a, site_headers):
    assert_error(client.post("/v1/authors/x/ban", json={}, headers=mod_a), 422, "validation_error")
    assert_error(client.post("/v1/authors/x/ban", json={"reason": "r"}, headers=site_headers),
                 403, "forbidden")
    unknown = client.get("/v1/authors/never-seen", headers=mod_a).get_json()
    assert unknown["counts"] == {"posted": 0, "held": 0, "approved": 0, "rejected": 0}


# Readers' reports ---------------------------------------------------------------------------------

def test_reader_reports_queue_a_published_comment_without_unpublishing(
        client, mod_a, site_headers, held, runtime):
    (cid,) = held({"text": "seemingly fine comment"})
    assert runtime.comments.get(cid)["status"] == "approved"

    def report(reader, reason="names the victim"):
        response = client.post(f"/v1/comments/{cid}/reports",
                               json={"reader_id": reader, "reason": reason}, headers=site_headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    assert report("r1") == {"comment_id": cid, "report_count": 1, "queued": True, "status": "approved",
                            "counted": True}
    again = report("r1", "again")
    assert again["report_count"] == 1 and again["counted"] is False
    assert report("r2")["report_count"] == 2
    # Still published for the site...
    assert client.get(f"/v1/comments/{cid}", headers=site_headers).get_json()["status"] == "approved"
    listing = client.get("/v1/articles/story-1/comments?status=approved", headers=site_headers)
    assert [c["id"] for c in listing.get_json()["items"]] == [cid]
    # ...and waiting for a moderator.
    page = queue(client, mod_a, category="reader_report")
    assert [(i["id"], i["report_count"]) for i in page["items"]] == [(cid, 2)]
    assert page["counts"] == {"reader_report": 1}
    events = [e for e in runtime.comments.history(cid) if e["event"] == "reported"]
    assert [e["by"] for e in events] == ["reader:r1", "reader:r2"]

    assert decide(client, mod_a, cid, "reject", "victim_identification").status_code == 200
    assert client.get(f"/v1/comments/{cid}", headers=site_headers).get_json()["status"] == "rejected"
    assert queue(client, mod_a)["total"] == 0
    # A report on a rejected comment is counted but queues nothing.
    assert report("r3")["queued"] is False


@pytest.fixture
def capped(redis_url, redis_client, worker_ctx):
    """An app whose report caps are small."""
    from service.app import create_app
    from service.runtime import Runtime
    from tests.conftest import make_settings

    settings = make_settings(redis_url, max_reports_per_comment=3, max_reports_per_reader=2,
                             report_window_seconds=60)
    runtime = Runtime.build(settings, redis_client)
    app = create_app(settings, runtime)
    site = {"Authorization": f"Bearer {runtime.api_keys.create('site', 's')[1]}"}
    return app.test_client(), runtime, site


def test_reports_are_capped_per_comment_and_per_reader(capped):
    client, runtime, site = capped
    ids = [post(client, site, f"comment {n}") for n in range(3)]

    def report(cid, reader):
        return client.post(f"/v1/comments/{cid}/reports", headers=site,
                           json={"reader_id": reader, "reason": "rude"})

    # Per comment: three readers' reports are kept; a fourth is answered but not stored.
    for reader in ("a", "b", "c"):
        assert report(ids[0], reader).get_json()["counted"] is True
    fourth = report(ids[0], "d").get_json()
    assert fourth["counted"] is False and fourth["report_count"] == 3
    assert runtime.redis.scard(runtime.keys.reports(ids[0])) == 3
    assert sum(1 for e in runtime.comments.history(ids[0]) if e["event"] == "reported") == 3
    # Per reader: "a" has one report in this window; one more, then 429.
    assert report(ids[1], "a").get_json()["counted"] is True
    refused = assert_error(report(ids[2], "a"), 429, "report_limit_reached")
    assert refused["details"]["retry_after"] == 60
    assert runtime.redis.scard(runtime.keys.reports(ids[2])) == 0
    # A repeated report does not use the reader's allowance up.
    assert report(ids[1], "a").get_json()["counted"] is False


def test_history_is_read_a_page_at_a_time(client, mod_a, site_headers, held, runtime):
    (cid,) = held({"text": "reported a lot"})
    for n in range(7):
        client.post(f"/v1/comments/{cid}/reports", headers=site_headers,
                    json={"reader_id": f"r{n}", "reason": "x"})
    # posted, scored, 7 reported
    pages, offset = [], 0
    while offset is not None:
        page = client.get(f"/v1/comments/{cid}/history?offset={offset}&limit=4",
                          headers=mod_a).get_json()
        assert page["total"] == 9 and len(page["events"]) <= 4
        pages.append([e["event"] for e in page["events"]])
        offset = page["next_offset"]
    assert pages == [["posted", "scored", "reported", "reported"], ["reported"] * 4, ["reported"]]
    default = client.get(f"/v1/comments/{cid}/history", headers=mod_a).get_json()
    assert len(default["events"]) == 9 and default["next_offset"] is None
    too_many = client.get(f"/v1/comments/{cid}/history?limit=501", headers=mod_a)
    assert_error(too_many, 422, "validation_error")


def test_report_errors(client, site_headers, mod_a, held):
    (cid,) = held({})
    assert_error(client.post("/v1/comments/nope/reports", json={"reader_id": "r", "reason": "x"},
                             headers=site_headers), 404, "comment_not_found")
    assert_error(client.post(f"/v1/comments/{cid}/reports", json={"reader_id": "r"},
                             headers=site_headers), 422, "validation_error")
    assert_error(client.post(f"/v1/comments/{cid}/reports", json={"reader_id": "r", "reason": "x"},
                             headers=mod_a), 403, "forbidden")


def test_openapi_documents_the_moderation_routes(client):
    spec = client.get("/openapi.json").get_json()
    for path in ("/v1/moderation/queue", "/v1/moderation/claims", "/v1/moderation/decisions",
                 "/v1/comments/{comment_id}/decision", "/v1/comments/{comment_id}/history",
                 "/v1/comments/{comment_id}/reports", "/v1/authors/{author_id}",
                 "/v1/authors/{author_id}/ban", "/v1/articles/{article_id}/policy"):
        assert path in spec["paths"], path


def test_spans_survive_into_the_queue(client, mod_a, held):
    text = "Jane Doe from the estate"
    (cid,) = held({"text": text, "vi": 0.8, "spans": [Span(0, 8, "victim_identification", "name")]})
    item = queue(client, mod_a)["items"][0]
    assert item["id"] == cid
    assert item["spans"] == [{"start": 0, "end": 8, "category": "victim_identification",
                              "kind": "name"}]
    assert item["reasons"] == ["victim_identification: name"]


def test_queue_scans_in_chunks_and_pages_through_ties(client, mod_a, held, runtime, monkeypatch):
    import storage.moderation

    ids = held({"abuse": 0.9}, {"vi": 0.7}, {"abuse": 0.6}, {"abuse": 0.8}, {"abuse": 0.7})
    whole = queue(client, mod_a)
    scanned = queue(client, mod_a, min_score=0.0)
    monkeypatch.setattr(storage.moderation, "_SCAN_CHUNK", 2)
    monkeypatch.setattr(storage.moderation, "_PAGE_CHUNK", 2)
    assert queue(client, mod_a) == whole and whole["total"] == 5
    assert queue(client, mod_a, min_score=0.0) == scanned == whole
    # Equal priorities (the same score within the same instant) page by id without loss.
    tenant_queue = runtime.keys.tenant("default").held_queue
    for cid in ids:
        runtime.redis.zadd(tenant_queue, {cid: 1.5})
    assert queue_ids_by_pages(client, mod_a) == sorted(ids)
