"""The EU Digital Services Act's duties: notices (Art. 16), statements of reasons (Art. 17),
appeals (Art. 20) and the transparency report (Art. 15/24).

Real Redis; comments are scored by the real drain job and decision phases with a
table-driven stub model; webhook events are delivered by a real webhook worker process to a
real local HTTP receiver.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from storage.dsa import DsaStore
from tests.conftest import make_settings, wait_until
from tests.moderation_support import assert_error, post, score_pending
from tests.webhook_support import (
    LOOPBACK_ALLOWED,
    receiver_fixture,  # noqa: F401 -- the receiver fixture
    register,
    webhook_worker_env,
)
from worker.retention import purge_expired
from worker.webhooks import SIGNATURE_HEADER, verify

pytest_plugins = ["tests.moderation_fixtures"]

NOTICE = {"law": "defamation", "explanation": "It says the councillor took bribes; untrue.",
          "notifier": {"name": "Sam Notifier", "email": "sam@example.org"}}


@pytest.fixture
def settings(redis_url, redis_client):
    return make_settings(redis_url, webhook_retry_backoff="1,1,1",
                         webhook_allowed_hosts=LOOPBACK_ALLOWED, max_notices_per_comment=3)


@pytest.fixture
def keys(make_key):
    def h(plain: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {plain}"}

    return {"site": h(make_key("site")), "alice": h(make_key("moderator", name="alice")),
            "bob": h(make_key("moderator", name="bob")), "admin": h(make_key("admin"))}


def _approved(client, keys, text: str = "A fair point about the council.") -> str:
    cid = post(client, keys["site"], text)
    score_pending()
    assert client.get(f"/v1/comments/{cid}", headers=keys["site"]).get_json()["status"] == "approved"
    return cid


def _held(client, keys, scorer, text: str = "you absolute idiot", author: str = "reader-1") -> str:
    cid = post(client, keys["site"], scorer.set(text, abuse=0.95), author=author)
    score_pending()
    assert client.get(f"/v1/comments/{cid}", headers=keys["site"]).get_json()["status"] == "held"
    return cid


def _notice(client, keys, cid: str, body: dict | None = None):
    return client.post(f"/v1/comments/{cid}/notices", headers=keys["site"], json=body or NOTICE)


def _queue(client, headers, category: str) -> dict:
    response = client.get(f"/v1/moderation/queue?category={category}&include_claimed=true",
                          headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _enable_appeals(client, keys) -> None:
    response = client.put("/v1/admin/dsa", headers=keys["admin"],
                          json={"options": {"appeals_enabled": True}})
    assert response.status_code == 200, response.get_data(as_text=True)


# Notices -----------------------------------------------------------------------------------------
def test_a_notice_queues_a_published_comment_and_an_illegal_decision_takes_it_down(
        client, keys, worker_ctx):
    cid = _approved(client, keys)
    response = _notice(client, keys, cid)
    assert response.status_code == 201, response.get_data(as_text=True)
    notice = response.get_json()
    assert notice["id"].startswith("ntc_") and notice["status"] == "open"
    assert response.headers["Location"] == f"/v1/notices/{notice['id']}"
    # Still published while the desk looks at it; in the notice queue meanwhile.
    assert client.get(f"/v1/comments/{cid}", headers=keys["site"]).get_json()["status"] == "approved"
    queue = _queue(client, keys["alice"], "notice")
    assert [i["id"] for i in queue["items"]] == [cid] and queue["counts"]["notice"] == 1

    decided = client.post(f"/v1/notices/{notice['id']}/decision", headers=keys["alice"], json={
        "illegal": True, "legal_ground": "Defamation Act 2013 s.1",
        "explanation": "A false factual claim of crime about a named person."})
    assert decided.status_code == 200, decided.get_data(as_text=True)
    outcome = decided.get_json()
    assert outcome["decision"] == "illegal" and outcome["action_taken"] == "removed"
    assert outcome["comment_status"] == "rejected" and outcome["automated"] is False

    seen = client.get(f"/v1/notices/{notice['id']}", headers=keys["site"]).get_json()
    assert seen["status"] == "decided" and seen["legal_ground"] == "Defamation Act 2013 s.1"
    comment = client.get(f"/v1/comments/{cid}", headers=keys["site"]).get_json()
    assert comment["status"] == "rejected" and "notice" not in comment["reasons"]
    statement = comment["statement_of_reasons"]
    assert statement["following_notice"] is True and statement["automated_decision"] is False
    assert statement["legal_ground"] == "Defamation Act 2013 s.1"
    assert statement["category"] == "legal" and "Defamation Act 2013" in statement["explanation"]
    assert _queue(client, keys["alice"], "notice")["items"] == []
    events = [e["event"] for e in client.get(f"/v1/comments/{cid}/history",
                                             headers=keys["alice"]).get_json()["events"]]
    assert events[-3:] == ["notice_received", "decided", "notice_decided"]
    again = client.post(f"/v1/notices/{notice['id']}/decision", headers=keys["bob"],
                        json={"illegal": False, "explanation": "x"})
    assert_error(again, 409, "notice_decided")


def test_not_illegal_keeps_a_held_comment_held_for_its_own_reasons(client, keys, scorer,
                                                                    worker_ctx):
    cid = _held(client, keys, scorer)
    first = _notice(client, keys, cid).get_json()
    second = _notice(client, keys, cid, {**NOTICE, "law": "harassment"}).get_json()
    assert set(_queue(client, keys["alice"], "abuse")["counts"]) >= {"abuse", "notice"}
    # A notice waits: the ordinary decision route refuses, so the notifier is never forgotten.
    assert_error(client.post(f"/v1/comments/{cid}/decision", headers=keys["alice"],
                             json={"action": "approve", "reason_code": "other"}),
                 409, "notice_pending")
    response = client.post(f"/v1/notices/{first['id']}/decision", headers=keys["alice"],
                           json={"illegal": False, "explanation": "Rude, not unlawful."})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["action_taken"] == "kept"
    # Both notices of the comment got the outcome.
    other = client.get(f"/v1/notices/{second['id']}", headers=keys["site"]).get_json()
    assert other["decision"] == "not_illegal" and other["comment_status"] == "held"
    comment = client.get(f"/v1/comments/{cid}", headers=keys["site"]).get_json()
    assert comment["status"] == "held" and "notice" not in comment["reasons"]
    assert [i["id"] for i in _queue(client, keys["alice"], "abuse")["items"]] == [cid]
    assert _queue(client, keys["alice"], "notice")["items"] == []
    # Now the ordinary route decides it.
    assert client.post(f"/v1/comments/{cid}/decision", headers=keys["alice"],
                       json={"action": "reject", "reason_code": "abuse"}).status_code == 200


def test_notices_are_refused_for_pending_missing_and_capped_comments(client, keys, make_key,
                                                                     worker_ctx):
    pending = post(client, keys["site"], "not scored yet")
    assert_error(_notice(client, keys, pending), 409, "comment_pending")
    assert_error(_notice(client, keys, "doesnotexist01"), 404, "comment_not_found")
    other_site = {"Authorization": f"Bearer {make_key('site', 'acme')}"}
    score_pending()
    assert client.post(f"/v1/comments/{pending}/notices", headers=other_site,
                       json=NOTICE).status_code == 404
    for _ in range(3):
        assert _notice(client, keys, pending).status_code == 201
    assert_error(_notice(client, keys, pending), 429, "notice_limit_reached")
    bad = _notice(client, keys, pending, {"law": "", "explanation": "x"})
    assert_error(bad, 422, "validation_error")
    illegal_without_ground = client.post(
        f"/v1/notices/{_notice_ids(client, keys, pending)[0]}/decision", headers=keys["alice"],
        json={"illegal": True, "explanation": "x"})
    assert_error(illegal_without_ground, 422, "invalid_notice_decision")


def _notice_ids(client, keys, cid: str) -> list[str]:
    item = next(i for i in _queue(client, keys["alice"], "notice")["items"] if i["id"] == cid)
    return item["notices"] and [n["id"] for n in item["notices"]]


def test_notices_are_rate_limited_per_site_key(redis_url, redis_client):
    from service.app import create_app
    from service.runtime import Runtime

    settings = make_settings(redis_url, rate_limit_notices="2/minute")
    runtime = Runtime.build(settings, redis_client)
    client = create_app(settings, runtime).test_client()
    site = {"Authorization": f"Bearer {runtime.api_keys.create('site', 'www')[1]}"}
    codes = [client.post("/v1/comments/nosuchcomment1/notices", headers=site,
                         json=NOTICE).status_code for _ in range(3)]
    assert codes == [404, 404, 429]


# Statement of reasons --------------------------------------------------------------------------
def test_a_model_hold_carries_a_statement_from_the_titles_templates(client, keys, scorer, make_key,
                                                                   worker_ctx):
    cid = _held(client, keys, scorer)
    statement = client.get(f"/v1/comments/{cid}", headers=keys["site"]).get_json()[
        "statement_of_reasons"]
    assert statement["automated_decision"] is True and statement["category"] == "abuse"
    assert statement["restriction"] == "held for review"
    assert statement["explanation"].startswith("Your comment was not published")
    assert statement["redress"]["internal_appeal"] is None  # appeals are off by default
    assert "out-of-court" in statement["redress"]["out_of_court_settlement"]

    response = client.put("/v1/admin/dsa", headers=keys["admin"], json={
        "options": {"appeals_enabled": True},
        "templates": {"abuse": "Held under house rule 3 ({ground})."}})
    assert response.status_code == 200, response.get_data(as_text=True)
    batch = client.get(f"/v1/comments?ids={cid}", headers=keys["site"]).get_json()["items"][0]
    assert batch["statement_of_reasons"]["explanation"].startswith("Held under house rule 3 (abuse")
    assert batch["statement_of_reasons"]["redress"]["internal_appeal"]
    assert batch["statement_of_reasons"]["redress"]["appeal_until"]
    # Another title keeps the defaults.
    acme_admin = {"Authorization": f"Bearer {make_key('admin', 'acme')}"}
    acme = client.get("/v1/admin/dsa", headers=acme_admin).get_json()
    assert acme["tenant"] == "acme" and acme["options"]["appeals_enabled"] is False
    assert acme["templates"]["abuse"].startswith("Your comment")
    # An approved comment has none.
    approved = _approved(client, keys)
    assert client.get(f"/v1/comments/{approved}", headers=keys["site"]).get_json()[
        "statement_of_reasons"] is None
    # Null restores the default; an unknown category or a short window is refused.
    reset = client.put("/v1/admin/dsa", headers=keys["admin"], json={"templates": {"abuse": None}})
    assert reset.get_json()["templates"]["abuse"].startswith("Your comment")
    assert client.put("/v1/admin/dsa", headers=keys["admin"],
                      json={"templates": {"nonsense": "x"}}).status_code == 422
    assert client.put("/v1/admin/dsa", headers=keys["admin"],
                      json={"options": {"appeal_window_days": 30}}).status_code == 422


# Appeals ---------------------------------------------------------------------------------------
def test_an_appeal_is_decided_by_another_moderator_and_a_reversal_restores_the_comment(
        client, keys, scorer, worker_ctx):
    cid = _held(client, keys, scorer)
    assert client.post(f"/v1/comments/{cid}/decision", headers=keys["alice"],
                       json={"action": "reject", "reason_code": "abuse"}).status_code == 200
    body = {"author_id": "reader-1", "statement": "It was a joke between friends."}
    assert_error(client.post(f"/v1/comments/{cid}/appeals", headers=keys["site"], json=body),
                 403, "appeals_disabled")
    _enable_appeals(client, keys)
    assert_error(client.post(f"/v1/comments/{cid}/appeals", headers=keys["site"],
                             json={**body, "author_id": "someone-else"}), 403, "not_the_author")
    response = client.post(f"/v1/comments/{cid}/appeals", headers=keys["site"], json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    appeal = response.get_json()
    assert appeal["original_status"] == "rejected"
    assert appeal["original_decided_by"].startswith("moderator:")
    assert_error(client.post(f"/v1/comments/{cid}/appeals", headers=keys["site"], json=body),
                 409, "appeal_open")
    queue = _queue(client, keys["bob"], "appeal")
    assert [i["id"] for i in queue["items"]] == [cid]
    assert queue["items"][0]["appeal"]["id"] == appeal["id"]

    same = client.post(f"/v1/appeals/{appeal['id']}/decision", headers=keys["alice"],
                       json={"outcome": "reverse", "explanation": "On reflection, fine."})
    assert_error(same, 403, "same_moderator")
    decided = client.post(f"/v1/appeals/{appeal['id']}/decision", headers=keys["bob"],
                          json={"outcome": "reverse", "explanation": "Banter, not abuse."})
    assert decided.status_code == 200, decided.get_data(as_text=True)
    assert decided.get_json()["outcome"] == "reverse"
    assert decided.get_json()["comment_status"] == "approved"
    comment = client.get(f"/v1/comments/{cid}", headers=keys["site"]).get_json()
    assert comment["status"] == "approved" and "appeal" not in comment["reasons"]
    history = client.get(f"/v1/comments/{cid}/history", headers=keys["bob"]).get_json()["events"]
    decisions = [e for e in history if e["event"] == "decided"]
    assert [(e["status"], e["by_name"]) for e in decisions] == [("rejected", "alice"),
                                                                 ("approved", "bob")]
    assert history[-1]["event"] == "appeal_decided"
    assert_error(client.post(f"/v1/comments/{cid}/appeals", headers=keys["site"], json=body),
                 409, "not_appealable")
    assert _queue(client, keys["bob"], "appeal")["items"] == []


def test_any_moderator_may_decide_an_appeal_of_the_models_hold(client, keys, scorer, worker_ctx):
    _enable_appeals(client, keys)
    cid = _held(client, keys, scorer)
    appeal = client.post(f"/v1/comments/{cid}/appeals", headers=keys["site"],
                         json={"author_id": "reader-1"}).get_json()
    assert appeal["original_decided_by"] == "model"
    assert_error(client.post(f"/v1/comments/{cid}/decision", headers=keys["alice"],
                             json={"action": "approve", "reason_code": "other"}),
                 409, "appeal_pending")
    decided = client.post(f"/v1/appeals/{appeal['id']}/decision", headers=keys["alice"],
                          json={"outcome": "uphold", "explanation": "A plain insult."})
    assert decided.status_code == 200, decided.get_data(as_text=True)
    comment = client.get(f"/v1/comments/{cid}", headers=keys["site"]).get_json()
    assert comment["status"] == "rejected"
    assert comment["statement_of_reasons"]["category"] == "abuse"
    assert comment["statement_of_reasons"]["automated_decision"] is False


# Webhooks --------------------------------------------------------------------------------------
def test_outcomes_reach_the_site_as_signed_webhook_events(client, keys, scorer, settings, receiver,
                                                          start_worker, worker_ctx):
    rx = receiver()
    secret = register(client, keys["site"], rx.url)["secret"]
    start_worker(**webhook_worker_env(settings))
    _enable_appeals(client, keys)
    approved = _approved(client, keys)
    held = _held(client, keys, scorer, author="reader-2")
    notice = _notice(client, keys, approved).get_json()
    client.post(f"/v1/notices/{notice['id']}/decision", headers=keys["alice"], json={
        "illegal": True, "legal_ground": "Contempt of Court Act 1981", "explanation": "Prejudice."})
    appeal = client.post(f"/v1/comments/{held}/appeals", headers=keys["site"],
                         json={"author_id": "reader-2"}).get_json()
    client.post(f"/v1/appeals/{appeal['id']}/decision", headers=keys["bob"],
                json={"outcome": "reverse", "explanation": "Fair comment."})

    def events():
        return [(r, json.loads(r["body"])) for r in list(rx.requests)]

    wait_until(lambda: {"notice.decided", "appeal.decided"} <= {e["type"] for _, e in events()},
               timeout=60)
    # The hold and the two moderators' decisions as well: four comment.decided in all.
    wait_until(lambda: sum(e["type"] == "comment.decided" for _, e in events()) >= 3, timeout=60)
    by_type: dict[str, list] = {}
    for request, event in events():
        assert verify(secret, request["body"], request["headers"][SIGNATURE_HEADER])
        assert request["headers"]["X-Moderation-Event"] == event["type"]
        by_type.setdefault(event["type"], []).append(event)
    sent_notice = by_type["notice.decided"][0]
    assert sent_notice["notice_id"] == notice["id"] and sent_notice["comment_id"] == approved
    assert sent_notice["decision"] == "illegal" and sent_notice["action_taken"] == "removed"
    assert "notifier_email" not in sent_notice and sent_notice["redress"]["judicial_redress"]
    sent_appeal = by_type["appeal.decided"][0]
    assert sent_appeal["appeal_id"] == appeal["id"] and sent_appeal["outcome"] == "reverse"
    assert sent_appeal["comment_status"] == "approved" and "statement" not in sent_appeal
    removal = next(e for e in by_type["comment.decided"]
                   if e["comment_id"] == approved and e["status"] == "rejected")
    assert removal["statement_of_reasons"]["legal_ground"] == "Contempt of Court Act 1981"
    assert removal["statement_of_reasons"]["automated_decision"] is False
    restored = next(e for e in by_type["comment.decided"]
                    if e["comment_id"] == held and e["status"] == "approved")
    assert restored["statement_of_reasons"] is None


def test_a_model_hold_event_carries_its_statement(client, keys, scorer, settings, receiver,
                                                  start_worker, worker_ctx):
    rx = receiver()
    register(client, keys["site"], rx.url)
    client.put("/v1/admin/dsa", headers=keys["admin"],
               json={"templates": {"abuse": "Rule 3 ({ground})."}})
    start_worker(**webhook_worker_env(settings))
    held = _held(client, keys, scorer)
    wait_until(lambda: rx.count() >= 1, timeout=60)
    event = json.loads(rx.requests[0]["body"])
    assert event["comment_id"] == held and event["status"] == "held"
    statement = event["statement_of_reasons"]
    assert statement["automated_decision"] is True
    assert statement["explanation"].startswith("Rule 3 (abuse")


# Transparency ----------------------------------------------------------------------------------
def test_the_transparency_report_counts_decisions_notices_and_appeals(client, keys, scorer,
                                                                     make_key, worker_ctx):
    _enable_appeals(client, keys)
    held = [_held(client, keys, scorer, text=f"idiot number {n}") for n in range(3)]
    _approved(client, keys, "a calm comment")
    assert client.post(f"/v1/comments/{held[0]}/decision", headers=keys["alice"],
                       json={"action": "reject", "reason_code": "abuse"}).status_code == 200
    notice = _notice(client, keys, held[1]).get_json()
    client.post(f"/v1/notices/{notice['id']}/decision", headers=keys["alice"], json={
        "illegal": True, "legal_ground": "Public Order Act 1986", "explanation": "Threat."})
    appeal = client.post(f"/v1/comments/{held[2]}/appeals", headers=keys["site"],
                         json={"author_id": "reader-1"}).get_json()
    client.post(f"/v1/appeals/{appeal['id']}/decision", headers=keys["bob"],
                json={"outcome": "reverse", "explanation": "Fine."})

    report = client.get("/v1/reports/transparency", headers=keys["admin"])
    assert report.status_code == 200, report.get_data(as_text=True)
    data = report.get_json()
    rows = {(d["status"], d["category"], d["method"]): d["count"] for d in data["decisions"]}
    assert rows[("held", "abuse", "automated")] == 3
    assert rows[("rejected", "abuse", "human")] == 1
    assert rows[("rejected", "legal", "human")] == 1
    assert rows[("approved", "other", "human")] == 1
    assert data["decisions_by_method"] == {"automated": 3, "human": 3}
    assert data["notices"]["received"] == 1 and data["notices"]["by_law"] == {"defamation": 1}
    assert data["notices"]["decided"] == {"illegal": 1}
    assert data["notices"]["actions"] == {"removed": 1}
    assert data["notices"]["median_handling_seconds"] >= 0
    assert data["appeals"]["received"] == 1 and data["appeals"]["reversed"] == 1
    assert data["appeals"]["median_handling_seconds"] >= 0

    as_csv = client.get("/v1/reports/transparency", headers={**keys["admin"],
                                                             "Accept": "text/csv"})
    assert as_csv.mimetype == "text/csv"
    table = list(csv.DictReader(io.StringIO(as_csv.get_data(as_text=True))))
    assert {"section": "decisions", "item": "held", "detail": "abuse", "method": "automated",
            "value": "3"}.items() <= next(r for r in table if r["item"] == "held").items()
    assert client.get("/v1/reports/transparency?format=csv",
                      headers=keys["admin"]).get_data(as_text=True) == as_csv.get_data(as_text=True)
    # Another title's admin sees its own (empty) figures; days outside the range count nothing.
    acme = client.get("/v1/reports/transparency",
                      headers={"Authorization": f"Bearer {make_key('admin', 'acme')}"}).get_json()
    assert acme["decisions"] == [] and acme["notices"]["received"] == 0
    old = client.get("/v1/reports/transparency?from=2020-01-01&to=2020-01-31",
                     headers=keys["admin"]).get_json()
    assert old["decisions"] == [] and old["appeals"]["received"] == 0
    assert_error(client.get("/v1/reports/transparency?from=2026-02-01&to=2026-01-01",
                            headers=keys["admin"]), 422, "invalid_range")
    assert client.get("/v1/reports/transparency", headers=keys["alice"]).status_code == 403


# Personal data ---------------------------------------------------------------------------------
def test_notifier_contact_and_texts_are_erased_and_purged(client, keys, scorer, settings,
                                                          redis_client, worker_ctx):
    _enable_appeals(client, keys)
    cid = _held(client, keys, scorer, author="erase-me")
    notice = _notice(client, keys, cid).get_json()
    assert client.get(f"/v1/notices/{notice['id']}",
                      headers=keys["site"]).get_json()["notifier_email"] == "sam@example.org"
    erased = client.post("/v1/notices/erasure", headers=keys["site"],
                         json={"email": "SAM@example.org"})
    assert erased.get_json() == {"erased": 1}
    after = client.get(f"/v1/notices/{notice['id']}", headers=keys["site"]).get_json()
    assert "sam@example.org" not in json.dumps(after) and "Sam Notifier" not in json.dumps(after)
    assert redis_client.ttl(runtime_key(notice["id"])) > 0  # retention by TTL as well

    appeal = client.post(f"/v1/comments/{cid}/appeals", headers=keys["site"],
                         json={"author_id": "erase-me", "statement": "My words, my story"}).get_json()
    report = client.delete("/v1/authors/erase-me", headers=keys["admin"]).get_json()
    assert report["notice_texts_erased"] == 2
    assert client.get(f"/v1/notices/{notice['id']}",
                      headers=keys["site"]).get_json()["explanation"] == "[erased]"
    assert client.get(f"/v1/appeals/{appeal['id']}",
                      headers=keys["site"]).get_json()["statement"] == "[erased]"

    import time as _time

    purged = purge_expired(redis_client, worker_ctx.keys, settings,
                           now=_time.time() + settings.retention_days * 86400 + 60)
    assert purged.dsa_purged == 2
    assert client.get(f"/v1/notices/{notice['id']}", headers=keys["site"]).status_code == 404
    assert DsaStore(redis_client, worker_ctx.keys).appeal(appeal["id"]) is None


def runtime_key(ref: str) -> str:
    from storage.keys import Keys

    return Keys().notice(ref)
