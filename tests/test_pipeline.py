"""End to end on real Redis: the API accepts, a real worker process scores with a real
trained model, and the decision is read back over HTTP."""

from __future__ import annotations

import pytest

from tests.conftest import wait_until
from worker.publishing import register_scorer

ARTICLE = "south-yorkshire-rotherham-iopc"


@pytest.fixture
def active_model(runtime, small_scorer):
    return register_scorer(runtime.models, small_scorer, created_by="test", activate=True)


def post(client, headers, text, **extra):
    body = {"article_id": ARTICLE, "text": text, "author": {"id": extra.pop("author", "reader-1")}}
    body.update(extra)
    response = client.post("/v1/comments", json=body, headers=headers)
    assert response.status_code == 202, response.get_json()
    return response.get_json()["id"]


def decided(client, headers, comment_id):
    def check():
        record = client.get(f"/v1/comments/{comment_id}", headers=headers).get_json()
        return record if record["status"] != "pending" else None

    return wait_until(check, timeout=60)


def test_comments_are_decided_by_a_real_worker(client, site_headers, active_model, start_worker):
    civil = post(client, site_headers,
                 "The IOPC report shows South Yorkshire Police still has lessons to learn. "
                 "Steve Noonan is right that training must improve.")
    abusive = post(client, site_headers,
                   "You are a pathetic idiot and a moron, shut up you stupid piece of shit.")
    victim = post(client, site_headers,
                  "Everyone knows it's Kayleigh Dawson from year 9 at Brinsworth Academy, "
                  "she was the one those men groomed.")
    start_worker()

    record = decided(client, site_headers, civil)
    assert record["status"] == "approved"
    assert record["reasons"] == [] and record["decided_by"] == "model"
    assert record["model_version"] == active_model
    assert set(record["scores"]) == {"abuse", "victim_identification"}

    record = decided(client, site_headers, abusive)
    assert record["status"] == "held"
    assert any(r.startswith("abuse") for r in record["reasons"])
    assert record["scores"]["abuse"] >= 0.5

    record = decided(client, site_headers, victim)
    assert record["status"] == "held"
    vi_reasons = [r for r in record["reasons"] if r.startswith("victim_identification")]
    assert vi_reasons and "school" in vi_reasons[0]
    text = record["text"]
    kinds = {s["kind"]: text[s["start"]:s["end"]] for s in record["spans"]
             if s["category"] == "victim_identification"}
    assert "Brinsworth Academy" in kinds.get("school", "")

    # The site's listing shows only the approved one.
    listing = client.get(f"/v1/articles/{ARTICLE}/comments?status=approved",
                         headers=site_headers).get_json()
    assert [item["id"] for item in listing["items"]] == [civil]


def test_retry_with_external_id_is_decided_once(client, site_headers, active_model, start_worker,
                                                runtime):
    first = post(client, site_headers, "Thank you for reporting this.", external_id="ext-1")
    again = client.post("/v1/comments", headers=site_headers, json={
        "article_id": ARTICLE, "text": "Thank you for reporting this.", "author": {"id": "reader-1"},
        "external_id": "ext-1"})
    assert again.status_code == 200 and again.get_json()["id"] == first
    start_worker()
    decided(client, site_headers, first)
    events = [e["event"] for e in runtime.comments.history(first)]
    assert events == ["posted", "scored"]


def test_a_killed_worker_loses_nothing(client, site_headers, active_model, start_worker, runtime):
    """Comments a dead worker had leased are scored by the next one, each exactly once."""
    ids = [post(client, site_headers, f"Comment number {n} about the report.", author=f"r{n}")
           for n in range(40)]
    # A worker that took the whole batch and died (SIGKILL leaves exactly this state).
    runtime.comments.lease(100, lease_seconds=2)
    for cid in ids[:3]:
        assert client.get(f"/v1/comments/{cid}", headers=site_headers).get_json()["status"] == "pending"
    start_worker()
    for cid in ids:
        assert decided(client, site_headers, cid)["status"] in ("approved", "held")
    for cid in ids:
        assert [e["event"] for e in runtime.comments.history(cid)].count("scored") == 1
    assert runtime.comments.pending_count() == 0
