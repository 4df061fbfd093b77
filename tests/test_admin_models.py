"""Admin model management: versions, quality gate, activation and rollback, thresholds.

The model-dependent tests use the session's `small_scorer` and variants of it
(a shifted calibration scores a probe differently; negated abuse weights make
a deliberately worse model), so none of them trains.
"""

from __future__ import annotations

import copy
import json

import pytest

from model.quality_gate import compare
from tests.conftest import wait_until
from worker.publishing import publish, register_scorer
from worker.training import TRAIN_JOB

PROBE = "You are a pathetic idiot and everyone on this street knows it."


# --------------------------------------------------------------------- helpers

def variant(scorer, version: str, *, abuse_shift: float = 0.0, invert_abuse: bool = False):
    """A copy of ``scorer`` under another version name, scoring abuse differently."""
    other = copy.deepcopy(scorer)
    other.version = version
    if abuse_shift:
        a, b = other.calibration["abuse"]
        other.calibration["abuse"] = (a, b + abuse_shift)
    if invert_abuse:
        clf = other.pipelines["abuse"].named_steps["clf"]
        clf.coef_ = -clf.coef_
        clf.intercept_ = -clf.intercept_
        other._prepare()
    return other


def post_comment(client, site_headers, text: str, article: str = "story-1") -> str:
    response = client.post("/v1/comments", headers=site_headers,
                           json={"article_id": article, "text": text, "author": {"id": "reader-1"}})
    assert response.status_code == 202, response.get_json()
    return response.get_json()["id"]


def decided(client, site_headers, comment_id: str) -> dict | None:
    body = client.get(f"/v1/comments/{comment_id}", headers=site_headers).get_json()
    return body if body["status"] != "pending" else None


# --------------------------------------------------------------------- gate (pure)

def _metrics(**overrides):
    base = {"roc_auc": 0.9, "average_precision": 0.8, "recall": 0.85, "clean_held": 0.02, "n": 100}
    return {"abuse": {**base, **overrides}, "victim_identification": dict(base)}


def test_gate_passes_within_tolerance_and_fails_beyond_it_per_metric_direction():
    active = _metrics()
    assert compare(_metrics(roc_auc=0.895), active, 0.01)["passed"]
    assert compare(_metrics(clean_held=0.025), active, 0.01)["passed"]

    worse_auc = compare(_metrics(roc_auc=0.85), active, 0.01)
    assert not worse_auc["passed"] and worse_auc["failed"] == ["abuse.roc_auc"]
    row = worse_auc["categories"]["abuse"]["metrics"]["roc_auc"]
    assert row == {"candidate": 0.85, "active": 0.9, "better": "higher", "delta": -0.05, "ok": False}
    assert worse_auc["categories"]["victim_identification"]["passed"]

    # Holding more clean comments is worse, holding fewer is better.
    assert compare(_metrics(clean_held=0.05), active, 0.01)["failed"] == ["abuse.clean_held"]
    assert compare(_metrics(clean_held=0.0), active, 0.01)["passed"]
    # A metric the active version has and the candidate lacks fails.
    assert not compare(_metrics(recall=None), active, 0.01)["passed"]
    assert compare(_metrics(), None, 0.01)["passed"]


def test_gate_defends_abuse_on_the_sites_own_comments_on_its_own():
    def with_site(**site):
        m = _metrics()
        m["abuse"]["site_comments"] = {"roc_auc": 0.96, "recall": 0.8, "clean_held": 0.03, **site}
        return m

    # pooled abuse unchanged, the site's comments worse: that alone fails the gate
    result = compare(with_site(recall=0.7), with_site(), 0.01)
    assert result["failed"] == ["abuse (site comments).recall"]
    assert result["categories"]["abuse"]["passed"]
    assert compare(with_site(roc_auc=0.965), with_site(), 0.01)["passed"]
    # a version from before the site's data has nothing there to defend
    assert compare(with_site(), _metrics(), 0.01)["passed"]


# --------------------------------------------------------------------- policy

def test_policy_thresholds_validated_audited_and_cleared(client, admin_headers, moderator_headers):
    assert client.get("/v1/admin/policy", headers=moderator_headers).status_code == 403
    before = client.get("/v1/admin/policy", headers=admin_headers).get_json()
    assert before["overrides"] == {} and before["audit"] == []

    for bad in ({"thresholds": {"abuse": 1.5}}, {"thresholds": {"abuse": -0.1}},
                {"thresholds": {"spam": 0.5}}, {"thresholds": {}}, {"thresholds": {"abuse": "high"}},
                {}):
        response = client.put("/v1/admin/policy", headers=admin_headers, json=bad)
        assert response.status_code == 422, bad
        assert response.get_json()["code"] == "validation_error"

    set_ = client.put("/v1/admin/policy", headers=admin_headers,
                      json={"thresholds": {"abuse": 0.7, "victim_identification": 0.3}})
    assert set_.status_code == 200
    body = set_.get_json()
    assert body["thresholds"] == {"abuse": 0.7, "victim_identification": 0.3}
    assert body["sources"] == {"abuse": "admin", "victim_identification": "admin"}

    cleared = client.put("/v1/admin/policy", headers=admin_headers,
                         json={"thresholds": {"victim_identification": None}}).get_json()
    assert cleared["overrides"] == {"abuse": 0.7}
    newest, oldest = cleared["audit"][:2]
    assert oldest["old"] == {} and oldest["new"] == {"abuse": 0.7, "victim_identification": 0.3}
    assert newest["old"] == {"abuse": 0.7, "victim_identification": 0.3}
    assert newest["new"] == {"abuse": 0.7}
    assert newest["by"].startswith("admin:") and newest["at"]


def test_policy_threshold_applies_to_comments_scored_after_the_change(
        runtime, small_scorer, client, site_headers, admin_headers, start_worker):
    register_scorer(runtime.models, small_scorer, created_by="test", activate=True)
    start_worker()
    before = post_comment(client, site_headers, "Thanks for covering the council meeting.")
    first = wait_until(lambda: decided(client, site_headers, before))
    assert first["status"] == "approved"

    # Threshold 0: every comment reaches it, so every comment scored from now on is held.
    client.put("/v1/admin/policy", headers=admin_headers, json={"thresholds": {"abuse": 0.0}})
    after = post_comment(client, site_headers, "Thanks for covering the council meeting again.")
    second = wait_until(lambda: decided(client, site_headers, after))
    assert second["status"] == "held"
    assert any(r.startswith("abuse") for r in second["reasons"])
    # The decision made before the change stands.
    assert decided(client, site_headers, before)["status"] == "approved"


# --------------------------------------------------------------------- training jobs (API)

def test_training_job_is_queued_on_its_own_queue_and_reported(client, admin_headers, moderator_headers,
                                                              runtime, redis_client):
    assert client.post("/v1/admin/models", headers=moderator_headers, json={}).status_code == 403
    bad = client.post("/v1/admin/models", headers=admin_headers, json={"max_per_source": 3})
    assert bad.status_code == 422 and bad.get_json()["code"] == "validation_error"

    started = client.post("/v1/admin/models", headers=admin_headers, json={"max_per_source": 200})
    assert started.status_code == 202
    body = started.get_json()
    assert started.headers["Location"].endswith(f"/v1/admin/models/jobs/{body['job_id']}")

    from rq import Queue
    assert Queue(runtime.settings.training_queue, connection=redis_client).job_ids == [body["job_id"]]
    assert Queue(runtime.settings.comments_queue, connection=redis_client).count == 0

    job = client.get(started.headers["Location"], headers=admin_headers).get_json()
    assert job["status"] == "queued" and job["options"] == {"max_per_source": 200,
                                                             "activate_if_passed": True}
    assert job["started_by"].startswith("admin:")

    # One training run at a time.
    again = client.post("/v1/admin/models", headers=admin_headers, json={})
    assert again.status_code == 409 and again.get_json()["code"] == "training_in_progress"
    assert again.get_json()["details"]["job_id"] == body["job_id"]

    # Other jobs are not visible here.
    assert client.get("/v1/admin/models/jobs/nope", headers=admin_headers).get_json()["code"] == \
        "job_not_found"
    other = Queue(runtime.settings.comments_queue, connection=redis_client).enqueue(
        "worker.jobs.drain_pending")
    assert client.get(f"/v1/admin/models/jobs/{other.id}", headers=admin_headers).status_code == 404
    assert TRAIN_JOB == "worker.training.train_model"


def test_unknown_version_is_404_with_a_stable_code(client, admin_headers):
    for method, path in (("GET", "/v1/admin/models/v-missing"),
                         ("POST", "/v1/admin/models/v-missing/activate"),
                         ("GET", "/v1/admin/models/v-missing/card")):
        response = client.open(path, method=method, headers=admin_headers)
        assert response.status_code == 404
        assert response.get_json()["code"] == "model_not_found"


def test_admin_routes_are_in_the_openapi_document(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    for path in ("/v1/admin/models", "/v1/admin/models/jobs/{job_id}", "/v1/admin/models/{version}",
                 "/v1/admin/models/{version}/activate", "/v1/admin/models/{version}/card",
                 "/v1/admin/policy"):
        assert path in paths, path
    assert "put" in paths["/v1/admin/policy"]


# --------------------------------------------------------------------- versions, gate, activation

@pytest.fixture
def gate_settings(settings, tiny_abuse_corpus):
    """Settings whose held-out sets (for the gate) come from a small corpus, so it runs in seconds."""
    import dataclasses

    return dataclasses.replace(settings, abuse_data=str(tiny_abuse_corpus))


def test_a_worse_candidate_is_not_activated_and_the_comparison_is_shown(
        runtime, gate_settings, small_scorer, client, admin_headers):
    register_scorer(runtime.models, small_scorer, created_by="test", activate=True)
    worse = variant(small_scorer, "worse-1", invert_abuse=True)

    result = publish(runtime.models, gate_settings, worse, created_by="admin:test",
                     activate_if_passed=True)
    assert result["activated"] is False and not result["gate"]["passed"]
    assert "abuse.roc_auc" in result["gate"]["failed"]
    assert result["gate"]["basis"] == "re-evaluated on the same held-out sets"
    assert runtime.models.active_version() == small_scorer.version

    listing = client.get("/v1/admin/models", headers=admin_headers).get_json()
    assert listing["active"] == small_scorer.version
    by_version = {v["version"]: v for v in listing["versions"]}
    assert by_version["worse-1"]["status"] == "candidate"
    assert by_version[small_scorer.version]["status"] == "active"
    row = by_version["worse-1"]["gate"]["categories"]["abuse"]["metrics"]["roc_auc"]
    assert row["ok"] is False and row["candidate"] < row["active"]
    assert by_version["worse-1"]["metrics"]["abuse"]["roc_auc"] is not None
    assert by_version["worse-1"]["created_by"] == "admin:test"

    one = client.get("/v1/admin/models/worse-1", headers=admin_headers).get_json()
    assert one["gate"]["passed"] is False and "pr_curve" in one["metrics"]["abuse"]


def test_a_candidate_that_is_as_good_passes_the_gate_and_becomes_active(
        runtime, gate_settings, small_scorer):
    register_scorer(runtime.models, small_scorer, created_by="test", activate=True)
    same = variant(small_scorer, "same-1")
    result = publish(runtime.models, gate_settings, same, created_by="admin:test",
                     activate_if_passed=True)
    assert result["gate"]["passed"] and result["activated"]
    assert result["previous"] == small_scorer.version
    assert runtime.models.active_version() == "same-1"
    assert runtime.models.meta(small_scorer.version)["status"] == "retired"


def test_activation_and_rollback_switch_a_running_worker_without_restart(
        runtime, small_scorer, client, site_headers, admin_headers, start_worker):
    first = small_scorer
    second = variant(small_scorer, "shifted-1", abuse_shift=4.0)
    register_scorer(runtime.models, first, created_by="test", activate=True)
    register_scorer(runtime.models, second, created_by="test", activate=False)
    worker = start_worker()

    def score_with_version(text: str) -> dict:
        cid = post_comment(client, site_headers, text)
        return wait_until(lambda: decided(client, site_headers, cid))

    before = score_with_version(PROBE)
    assert before["model_version"] == first.version

    activated = client.post("/v1/admin/models/shifted-1/activate", headers=admin_headers,
                            json={"reason": "try the shifted version"})
    assert activated.status_code == 200
    assert activated.get_json() == {"version": "shifted-1", "previous": first.version, "changed": True}

    after = wait_until(lambda: (d := score_with_version(PROBE))["model_version"] == "shifted-1" and d)
    assert after["scores"]["abuse"] > before["scores"]["abuse"]

    rollback = client.post(f"/v1/admin/models/{first.version}/activate", headers=admin_headers)
    assert rollback.get_json()["previous"] == "shifted-1"
    back = wait_until(lambda: (d := score_with_version(PROBE))["model_version"] == first.version and d)
    assert back["scores"]["abuse"] == pytest.approx(before["scores"]["abuse"], abs=1e-4)
    assert worker.process.poll() is None, "the worker restarted or died"

    listing = client.get("/v1/admin/models", headers=admin_headers).get_json()
    statuses = {v["version"]: v["status"] for v in listing["versions"]}
    assert statuses == {first.version: "active", "shifted-1": "retired"}
    audit = listing["activations"]
    assert [(e["version"], e["previous"]) for e in audit[:2]] == [
        (first.version, "shifted-1"), ("shifted-1", first.version)]
    assert audit[1]["reason"] == "try the shifted version" and audit[0]["by"].startswith("admin:")


def test_model_card_is_served_from_redis(runtime, small_scorer, client, admin_headers):
    register_scorer(runtime.models, small_scorer, created_by="test", activate=True)
    png = b"\x89PNG\r\n\x1a\nnot-really"
    runtime.models.put_card(small_scorer.version, {"MODEL_CARD.md": b"# Model card\n", "pr_abuse.png": png})
    card = client.get(f"/v1/admin/models/{small_scorer.version}/card", headers=admin_headers)
    assert card.status_code == 200 and card.mimetype == "text/markdown"
    assert card.get_data(as_text=True) == "# Model card\n"
    image = client.get(f"/v1/admin/models/{small_scorer.version}/card/pr_abuse.png", headers=admin_headers)
    assert image.mimetype == "image/png" and image.data == png
    one = client.get(f"/v1/admin/models/{small_scorer.version}", headers=admin_headers).get_json()
    assert one["card"] == "# Model card\n"
    assert sorted(one["card_files"]) == ["MODEL_CARD.md", "pr_abuse.png"]
    assert json.loads(json.dumps(one))  # plain JSON throughout


def test_activation_moves_the_pointer_retires_the_previous_and_is_audited(runtime, client, admin_headers):
    # The API never loads a model to activate it: stored bytes are enough here.
    for version in ("v-1", "v-2"):
        runtime.models.put(version, b"bytes of " + version.encode(),
                           {"status": "candidate", "created_by": "test", "thresholds": {"abuse": 0.8}})
    assert client.post("/v1/admin/models", headers=admin_headers).status_code == 202  # no body at all

    first = client.post("/v1/admin/models/v-1/activate", headers=admin_headers)
    assert first.get_json() == {"version": "v-1", "previous": None, "changed": True}
    again = client.post("/v1/admin/models/v-1/activate", headers=admin_headers).get_json()
    assert again["changed"] is False
    client.post("/v1/admin/models/v-2/activate", headers=admin_headers, json={"reason": "newer"})
    assert runtime.models.active_version() == "v-2"

    listing = client.get("/v1/admin/models", headers=admin_headers).get_json()
    assert [(v["version"], v["status"]) for v in listing["versions"]] == [("v-2", "active"),
                                                                         ("v-1", "retired")]
    assert [(e["version"], e["previous"], e["reason"]) for e in listing["activations"]] == [
        ("v-2", "v-1", "newer"), ("v-1", None, "activated by an admin")]
    bad = client.post("/v1/admin/models/v-1/activate", headers=admin_headers,
                      json={"reason": "x" * 501})
    assert bad.status_code == 422


def test_models_cli_lists_and_activates(runtime, settings):
    import os
    import subprocess
    import sys

    from core.config import PROJECT_ROOT

    for version in ("cli-1", "cli-2"):
        runtime.models.put(version, b"bytes", {"status": "candidate", "created_by": "test"})
    runtime.models.activate("cli-1")
    env = dict(os.environ, REDIS_URL=settings.redis_url, MODERATION_KEY_PREFIX=settings.key_prefix,
               LOG_LEVEL="WARNING", PYTHONPATH=str(PROJECT_ROOT))

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "moderation.cli", "models", *args], env=env,
                              cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)

    listed = cli("list", "--json")
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert {r["version"]: r["status"] for r in json.loads(listed.stdout)} == {"cli-1": "active",
                                                                             "cli-2": "candidate"}
    switched = cli("activate", "cli-2", "--reason", "roll forward")
    assert switched.returncode == 0, switched.stderr[-2000:]
    assert runtime.models.active_version() == "cli-2"
    event = runtime.models.activations(1)[0]
    assert event["by"].startswith("cli:") and event["previous"] == "cli-1"
    assert event["reason"] == "roll forward"
    assert cli("activate", "nope").returncode == 2


def test_a_failed_training_run_reports_its_error_and_changes_nothing(
        runtime, client, admin_headers, start_worker, tmp_path):
    runtime.models.put("v-keep", b"bytes", {"status": "active", "created_by": "test"})
    runtime.models.activate("v-keep")
    start_worker(WORKER_QUEUES="training", ABUSE_DATA=str(tmp_path / "no-such-corpus"))
    location = client.post("/v1/admin/models", headers=admin_headers,
                           json={"max_per_source": 100}).headers["Location"]
    job = wait_until(lambda: (j := client.get(location, headers=admin_headers).get_json())["status"]
                     in ("failed", "finished") and j)
    assert job["status"] == "failed"
    assert "no corpus at" in job["error"] and job["version"] is None
    assert runtime.models.versions() == ["v-keep"] and runtime.models.active_version() == "v-keep"
    # The queue is free again for the next run.
    assert client.post("/v1/admin/models", headers=admin_headers, json={}).status_code == 202


def test_publish_stores_the_model_card_with_the_version(runtime, gate_settings, small_scorer, client,
                                                         admin_headers):
    result = publish(runtime.models, gate_settings, small_scorer, created_by="admin:test",
                     activate_if_passed=True)
    assert result["activated"] and result["gate"]["passed"] and result["gate"]["categories"] == {}
    files = runtime.models.card_files(small_scorer.version)
    assert "MODEL_CARD.md" in files and any(f.endswith(".png") for f in files)
    card = client.get(f"/v1/admin/models/{small_scorer.version}/card", headers=admin_headers)
    assert card.status_code == 200 and small_scorer.version in card.get_data(as_text=True)
    png = next(f for f in files if f.endswith(".png"))
    image = client.get(f"/v1/admin/models/{small_scorer.version}/card/{png}", headers=admin_headers)
    assert image.mimetype == "image/png" and image.data.startswith(b"\x89PNG")
