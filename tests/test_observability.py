"""/metrics and structured logs: what an operator sees."""

from __future__ import annotations

import json
import re

from tests.conftest import wait_until
from worker.publishing import register_scorer


def metric(text: str, name: str, labels: str = "") -> float:
    pattern = re.escape(name) + (r"\{" + re.escape(labels) + r"\}" if labels else r"(\{[^}]*\})?")
    match = re.search(r"^" + pattern + r" ([0-9.e+-]+)$", text, re.MULTILINE)
    assert match, f"{name}{{{labels}}} not in /metrics"
    return float(match.group(match.lastindex))


def test_metrics_report_accepted_comments_and_queue_depths(client, site_headers):
    before = metric(client.get("/metrics").get_data(as_text=True), "moderation_comments_accepted_total")
    for n in range(3):
        client.post("/v1/comments", headers=site_headers,
                    json={"article_id": "a1", "text": f"comment {n}", "author": {"id": "r"}})
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert metric(text, "moderation_comments_accepted_total") == before + 3
    assert metric(text, "moderation_queue_depth", 'queue="pending_comments"') == 3
    assert metric(text, "moderation_queue_depth", 'queue="rq:comments"') == 1
    assert 'moderation_active_model_info{version="none"} 1.0' in text
    assert "moderation_http_request_seconds_bucket" in text


def test_worker_logs_are_json_with_the_posting_request_id_and_no_text(
        client, site_headers, runtime, small_scorer, start_worker):
    register_scorer(runtime.models, small_scorer, created_by="test", activate=True)
    secret = "Zebedee Thistlewaite lives on Quince Row"
    response = client.post("/v1/comments", json={"article_id": "a1", "text": secret,
                                                 "author": {"id": "r"}},
                           headers={**site_headers, "X-Request-ID": "req-trace-42"})
    assert response.headers["X-Request-ID"] == "req-trace-42"
    cid = response.get_json()["id"]
    worker = start_worker(LOG_LEVEL="INFO")
    wait_until(lambda: runtime.comments.get(cid)["status"] != "pending", timeout=60)
    wait_until(lambda: "batch decided" in worker.log(), timeout=10)
    lines = [json.loads(line) for line in worker.log().splitlines() if line.startswith("{")]
    batches = [e for e in lines if e["msg"] == "batch decided"]
    assert any("req-trace-42" in e.get("request_ids", []) for e in batches)
    assert all({"ts", "level", "logger", "msg"} <= set(e) for e in lines)
    assert "Thistlewaite" not in worker.log()
