"""Races, with real concurrency (threads released together) on real Redis: two moderators
deciding one comment, a moderator and the worker, a rollback while a training job is in
its quality gate, and a batch that outlives its lease while a second worker is looking."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import Counter

import pytest
from redis import Redis

from model.scoring import Score
from storage.authors import AuthorStore
from storage.comments import CommentStore
from tests.conftest import wait_until
from tests.moderation_support import CLEAN, StubActive, post, score_pending
from worker import jobs
from worker.context import WorkerContext
from worker.lease import LeaseKeeper

pytest_plugins = ["tests.moderation_fixtures"]

DECISION_EVENTS = ("scored", "decided")


def events(runtime, comment_id: str) -> list[str]:
    return [e["event"] for e in runtime.comments.history(comment_id)]


def moderators(runtime, n: int) -> list[dict[str, str]]:
    return [{"Authorization": f"Bearer {runtime.api_keys.create('moderator', f'mod-{i}')[1]}"}
            for i in range(n)]


def together(*calls):
    """Run the calls in threads released at the same instant; returns their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(i: int, call) -> None:
        try:
            barrier.wait(10)
            results[i] = call()
        except BaseException as exc:  # surfaced in the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if errors:
        raise errors[0]
    return results


# --------------------------------------------------------------------- two moderators

@pytest.mark.parametrize("expected_status", [None, "held"], ids=["plain", "expected-status"])
def test_two_moderators_deciding_at_once_make_exactly_one_decision(
        app, client, site_headers, runtime, scorer, worker_ctx, expected_status):
    mod_a, mod_b = moderators(runtime, 2)
    texts = [scorer.set(f"you are an idiot, number {n}", abuse=0.9) for n in range(12)]
    ids = [post(client, site_headers, text) for text in texts]
    score_pending()
    assert {runtime.comments.get(cid)["status"] for cid in ids} == {"held"}

    def decide(headers, action, cid):
        body = {"action": action, "reason_code": "abuse"}
        if expected_status:
            body["expected_status"] = expected_status
        own = app.test_client()  # one client per thread, as two browsers would be
        return lambda: own.post(f"/v1/comments/{cid}/decision", headers=headers, json=body)

    for cid in ids:
        first, second = together(decide(mod_a, "approve", cid), decide(mod_b, "reject", cid))
        statuses = sorted([first.status_code, second.status_code])
        assert statuses == [200, 409], (first.get_json(), second.get_json())
        winner, loser = (first, second) if first.status_code == 200 else (second, first)
        body = loser.get_json()
        assert body["code"] == "already_decided" and body["message"]
        assert body["details"]["status"] == winner.get_json()["status"]
        assert body["details"]["decided_by"] == winner.get_json()["decided_by"]
        assert events(runtime, cid).count("decided") == 1
        assert runtime.comments.get(cid)["status"] == winner.get_json()["status"]

    # Overriding a colleague stays possible, by saying which decision one overrides.
    cid = ids[0]
    current = runtime.comments.get(cid)
    mine = mod_a if current["decided_by"].endswith("mod-1") else mod_b
    flipped = "reject" if current["status"] == "approved" else "approve"
    response = client.post(f"/v1/comments/{cid}/decision", headers=mine, json={
        "action": flipped, "reason_code": "other", "expected_status": current["status"]})
    assert response.status_code == 200, response.get_json()
    assert events(runtime, cid).count("decided") == 2


# --------------------------------------------------------------------- moderator and worker

def test_a_moderator_and_the_worker_at_once_make_exactly_one_decision(
        app, client, site_headers, runtime, scorer, worker_ctx, make_key):
    moderator = {"Authorization": f"Bearer {make_key('moderator')}"}
    texts = [scorer.set(f"a comment on the inquiry, {n}", abuse=0.2) for n in range(30)]
    ids = [post(client, site_headers, text, author="reader-9") for text in texts]
    own = app.test_client()

    def moderate():
        # The moderator saw these pending and rejects them one after another.
        return [own.post(f"/v1/comments/{cid}/decision", headers=moderator, json={
            "action": "reject", "reason_code": "spam", "expected_status": "pending"})
            for cid in ids]

    responses, totals = together(moderate, lambda: jobs.drain(worker_ctx))
    by_moderator = {cid for cid, r in zip(ids, responses, strict=True) if r.status_code == 200}
    for cid, response in zip(ids, responses, strict=True):
        assert response.status_code in (200, 409), response.get_json()
        if response.status_code == 409:
            assert response.get_json()["code"] == "already_decided"
        decisions = [e for e in events(runtime, cid) if e in DECISION_EVENTS]
        assert decisions == (["decided"] if cid in by_moderator else ["scored"]), (cid, decisions)
    assert totals["decided"] == len(ids) - len(by_moderator)
    # The author's counters count each comment once, whoever decided it.
    author = AuthorStore(runtime.redis, runtime.keys, runtime.settings).profile(
        "default", "reader-9")["counts"]
    assert author["posted"] == len(ids)
    assert author.get("rejected", 0) == len(by_moderator)
    assert author.get("approved", 0) == len(ids) - len(by_moderator)


# --------------------------------------------------------------------- rollback during the gate

def test_a_rollback_during_the_quality_gate_wins_over_the_training_job(
        runtime, settings, tiny_abuse_corpus, small_scorer, client, admin_headers):
    from tests.test_admin_models import variant
    from worker.publishing import publish, register_scorer

    gate_settings = dataclasses.replace(settings, abuse_data=str(tiny_abuse_corpus))
    register_scorer(runtime.models, variant(small_scorer, "race-old"), created_by="test", activate=True)
    register_scorer(runtime.models, variant(small_scorer, "race-current"), created_by="test",
                    activate=True)
    candidate = variant(small_scorer, "race-new")  # as good: it passes the gate
    in_gate, rolled_back = threading.Event(), threading.Event()

    def progress(stage: str, fraction: float) -> None:
        if stage.startswith("evaluating both versions"):
            in_gate.set()
            rolled_back.wait(60)

    outcome: dict = {}
    training = threading.Thread(target=lambda: outcome.update(publish(
        runtime.models, gate_settings, candidate, created_by="admin:trainer",
        activate_if_passed=True, progress=progress)))
    training.start()
    assert in_gate.wait(120), "the training job never reached its quality gate"
    response = client.post("/v1/admin/models/race-old/activate", headers=admin_headers,
                           json={"reason": "roll back: complaints about race-current"})
    assert response.status_code == 200 and response.get_json()["previous"] == "race-current"
    rolled_back.set()
    training.join(120)

    assert outcome["gate"]["passed"] is True and outcome["activated"] is False
    assert runtime.models.active_version() == "race-old"
    assert "race-current" in outcome["note"] and "race-old" in outcome["note"]
    shown = client.get("/v1/admin/models/race-new", headers=admin_headers).get_json()
    assert shown["status"] == "candidate" and shown["note"] == outcome["note"]
    listed = client.get("/v1/admin/models", headers=admin_headers).get_json()
    assert listed["active"] == "race-old"
    assert [a["version"] for a in listed["activations"]][:1] == ["race-old"]
    # The admin can still promote it on purpose.
    promoted = client.post("/v1/admin/models/race-new/activate", headers=admin_headers, json={})
    assert promoted.status_code == 200 and runtime.models.active_version() == "race-new"


def test_activation_compare_and_set(runtime):
    from storage.model_registry import ActiveVersionChanged, activate_version

    for version in ("a", "b", "c"):
        runtime.models.put(version, b"bytes", {"created_by": "test"})
    assert activate_version(runtime.models, "a", by="t", reason="r", expected=None) is None
    with pytest.raises(ActiveVersionChanged) as moved:
        activate_version(runtime.models, "b", by="t", reason="r", expected=None)
    assert moved.value.current == "a" and moved.value.expected is None
    assert activate_version(runtime.models, "b", by="t", reason="r", expected="a") == "a"
    with pytest.raises(ActiveVersionChanged):
        runtime.models.activate("c", expected="a")
    assert runtime.models.active_version() == "b"
    # Nothing was written for the refused activations: no meta, no audit entry.
    assert runtime.models.meta("c").get("status") is None
    assert [e["version"] for e in runtime.models.activations()] == ["b", "a"]


# --------------------------------------------------------------------- a batch outliving its lease

class SlowScorer:
    """Scores like the stub model; the first batch takes ``delay`` seconds (long comments)."""

    version = "stub-slow"
    thresholds = {"abuse": 0.5, "victim_identification": 0.5}
    metrics: dict = {}
    created_at = "2026-01-01T00:00:00Z"

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.started = threading.Event()
        self.texts: list[str] = []

    def score_batch(self, texts):
        self.texts += texts
        self.started.set()
        if self.delay:
            time.sleep(self.delay)  # the slow scoring step under test, not a wait for a condition
            self.delay = 0.0
        return [Score(dict(CLEAN), [], {"abuse": [], "victim_identification": []}) for _ in texts]


def worker_context(settings, redis_url: str, scorer) -> WorkerContext:
    ctx = WorkerContext.build(settings, Redis.from_url(redis_url))  # a client of its own
    ctx.model = StubActive(scorer)
    return ctx


def test_a_batch_that_outlives_its_lease_is_not_leased_to_a_second_worker(redis_url, redis_client,
                                                                           settings):
    lease = 1
    settings = dataclasses.replace(settings, lease_seconds=lease)
    slow, quick = SlowScorer(delay=3.5 * lease), SlowScorer()
    first, second = worker_context(settings, redis_url, slow), worker_context(settings, redis_url, quick)
    ids = [first.comments.create(article_id="slow", text=f"a very long comment {n}", author_id="a").id
           for n in range(10)]

    totals: dict = {}
    scoring = threading.Thread(target=lambda: totals.update(jobs.drain(first)))
    scoring.start()
    assert slow.started.wait(30)
    # While the first worker is still scoring, well past its lease, the second keeps looking.
    started = time.monotonic()
    second_runs, looked_at = [], []
    while scoring.is_alive():
        looked_at.append(time.monotonic() - started)
        second_runs.append(jobs.drain(second))
        time.sleep(0.05)
    scoring.join()

    assert max(looked_at) > 2 * lease  # it did look after the first lease had run out
    assert quick.texts == [] and all(run["decided"] == 0 for run in second_runs)
    assert totals["decided"] == len(ids)
    history = {cid: [e["event"] for e in first.comments.history(cid)] for cid in ids}
    assert Counter(h.count("scored") for h in history.values()) == Counter({1: len(ids)})
    assert first.comments.pending_count() == 0


def test_lease_renewal_moves_only_pending_ids_forward_and_stops_with_the_batch(redis_client, settings):
    comments = CommentStore(redis_client, WorkerContext.build(settings, redis_client).keys)
    ids = [comments.create(article_id="lease", text=f"t{n}", author_id="a").id for n in range(3)]
    now = time.time()
    assert {lease.id for lease in comments.lease(10, 5, now=now)} == set(ids)
    comments.detach_from_lease(ids[2])  # handed to its own job: must not come back
    assert comments.renew_lease(ids, 30, now=now) == 2
    score = redis_client.zscore(comments.keys.pending, ids[0])
    assert score == pytest.approx(now + 30)
    assert redis_client.zscore(comments.keys.pending, ids[2]) is None
    # Never backwards: an older holder's late renewal does not shorten a newer lease.
    assert comments.renew_lease(ids[:1], 1, now=now) == 0
    assert redis_client.zscore(comments.keys.pending, ids[0]) == score

    with LeaseKeeper(comments, ids[:2], lease_seconds=0.3) as keeper:
        wait_until(lambda: keeper.renewals >= 2, timeout=10)
    assert not keeper._thread.is_alive()


def test_lease_renewal_stops_when_the_batch_fails_and_costs_nothing_for_a_short_batch(
        redis_client, settings):
    comments = CommentStore(redis_client, WorkerContext.build(settings, redis_client).keys)
    ids = [comments.create(article_id="lease", text=f"t{n}", author_id="a").id for n in range(2)]
    comments.lease(10, 5)
    # A batch that raises (a model error, Redis gone mid-batch) stops its renewals too.
    with pytest.raises(RuntimeError), LeaseKeeper(comments, ids, lease_seconds=0.3) as failing:
        wait_until(lambda: failing.renewals >= 1, timeout=10)
        raise RuntimeError("scoring failed")
    assert not failing._thread.is_alive()
    # A batch done within a third of its lease renews nothing: no Redis command at all.
    with LeaseKeeper(comments, ids, lease_seconds=30) as short:
        pass
    assert short.renewals == 0 and not short._thread.is_alive()


def test_a_report_racing_an_erasure_never_keeps_a_quoted_reason(runtime, redis_client):
    """Readers keep reporting an author's comment, quoting it, while the author is erased:
    a reason recorded after the erasure is kept as erased, never in the reader's words."""
    from storage.erasure import ERASED, Eraser
    from storage.moderation import ModerationStore

    store = ModerationStore(redis_client, runtime.keys, runtime.comments, runtime.settings)
    eraser = Eraser(redis_client, runtime.keys)
    leaked = []
    for round_ in range(15):
        quote = f"Quoted words number {round_} from the erased comment"
        cid = runtime.comments.create(article_id="s", text=quote, author_id=f"a{round_}").id
        erased = threading.Event()

        def report_until_erased(cid=cid, quote=quote, erased=erased) -> None:
            n, after = 0, 0
            while after < 3 and n < 90:  # three reports after the erasure, within the caps
                store.report(cid, tenant="default", reader_id=f"r{n}", reason=f"says: {quote}")
                n += 1
                after += int(erased.is_set())

        def erase(round_=round_, erased=erased) -> None:
            time.sleep(0.002 * (round_ % 5))  # land at different points of a report
            eraser.erase_author("default", f"a{round_}", by="test")
            erased.set()

        together(report_until_erased, erase)
        leaked += [e for e in runtime.comments.history(cid)
                   if e["event"] == "reported" and e["reason"] != ERASED]
    assert leaked == []
