"""Retraining end to end: moderator decisions reach the next training run and move the
model, and a training job on its own worker never holds up comment scoring.

The training run is real (a real `moderation worker --queues training` process)
on the same small corpus and max_per_source as the session's `small_scorer`,
so the new version differs from it only by the moderator decisions. This
module takes tens of seconds rather than seconds; it trains once.
"""

from __future__ import annotations

import time

from storage.examples import ExampleStore, labels_for
from tests.conftest import wait_until
from worker.publishing import load_scorer, register_scorer
from worker.training import moderator_examples

# An invented insult no corpus contains: only moderators' decisions can teach it.
PHRASE = "glorbwhistle snoofkin"
OPENERS = ("Honestly", "Typical", "Of course", "Yet again", "As usual", "Look at this",
           "Well well", "Frankly", "Once more", "Unbelievable")
TARGETS = ("the reporter", "that officer", "this commenter", "the editor")


def _rejected_texts() -> list[str]:
    return ([f"{o}, {t} is a total {PHRASE} and should shut up." for o in OPENERS for t in TARGETS]
            + [f"{o}. What a {PHRASE} {t} is, get lost." for o in OPENERS for t in TARGETS]
            + [f"{o}, more {PHRASE} from {t} today." for o in OPENERS for t in TARGETS])


def _approved_texts() -> list[str]:
    return ([f"{o}, {t} made a fair point about the road closures in town."
             for o in OPENERS for t in TARGETS]
            + [f"{o}. What a sensible question {t} asked, thank you." for o in OPENERS for t in TARGETS]
            + [f"{o}, more sense from {t} today." for o in OPENERS for t in TARGETS])


def record_decisions(redis_client, keys) -> None:
    store = ExampleStore(redis_client, keys)
    now = time.time()
    for n, text in enumerate(_rejected_texts()):
        store.record(f"rej-{n}", text=text, labels=labels_for("reject", "abuse"), scores={"abuse": 0.1},
                     model_version="v0", moderator="mod-1", reason_code="abuse", decided_at=now,
                     action="reject")
    for n, text in enumerate(_approved_texts()):
        store.record(f"ok-{n}", text=text, labels=labels_for("approve", "ok"), scores={"abuse": 0.1},
                     model_version="v0", moderator="mod-1", reason_code="ok", decided_at=now,
                     action="approve")


def test_moderator_decisions_become_training_examples_latest_decision_wins(runtime, redis_client):
    store = ExampleStore(redis_client, runtime.keys)
    common = dict(scores={}, model_version="v0", moderator="m", decided_at=time.time())
    store.record("c1", text="first text", labels=labels_for("approve", "ok"), reason_code="ok", **common)
    # The same comment decided again: only the later label counts.
    store.record("c1", text="first text", labels=labels_for("reject", "abuse"), reason_code="abuse",
                 **common)
    store.record("c2", text="second text", labels=labels_for("reject", "victim_identification"),
                 reason_code="victim_identification", **common)
    store.record("c3", text="spam text", labels=labels_for("reject", "spam"), reason_code="spam", **common)

    examples, counts = moderator_examples(redis_client, runtime.keys)
    assert [(e.text, e.labels, e.source) for e in examples] == [
        ("first text", {"abuse": 1, "victim_identification": None}, "moderator"),
        ("second text", {"abuse": None, "victim_identification": 1}, "moderator"),
    ]
    assert counts == {"decisions": 3, "without_label": 1, "abuse_positive": 1,
                      "victim_identification_positive": 1, "used": 2, "from_unknown": 3}


def test_decisions_reach_the_next_training_run_which_never_blocks_scoring(
        runtime, redis_client, small_scorer, tiny_abuse_corpus, client, site_headers, admin_headers,
        start_worker):
    register_scorer(runtime.models, small_scorer, created_by="test", activate=True)
    record_decisions(redis_client, runtime.keys)
    start_worker()
    trainer = start_worker(WORKER_QUEUES="training", ABUSE_DATA=str(tiny_abuse_corpus))

    def post(text: str) -> str:
        response = client.post("/v1/comments", headers=site_headers,
                               json={"article_id": "story", "text": text, "author": {"id": "r1"}})
        assert response.status_code == 202
        return response.get_json()["id"]

    def decision(cid: str) -> dict | None:
        body = client.get(f"/v1/comments/{cid}", headers=site_headers).get_json()
        return body if body["status"] != "pending" else None

    def job() -> dict:
        return client.get(location, headers=admin_headers).get_json()

    warm = post("Good to see the new crossing finally open.")
    wait_until(lambda: decision(warm))

    started = client.post("/v1/admin/models", headers=admin_headers, json={"max_per_source": 300})
    assert started.status_code == 202
    location = started.headers["Location"]
    running = wait_until(lambda: (j := job())["status"] == "started" and (j["progress"]["fraction"] or 0) > 0
                         and j, timeout=120)
    assert running["progress"]["stage"]

    # Posted while the training job runs: decided by the comments worker meanwhile.
    during = post("The council should publish the consultation results.")
    decided = wait_until(lambda: decision(during), timeout=60)
    assert job()["status"] == "started", "training finished before the comment was decided"
    assert decided["model_version"] == small_scorer.version

    finished = wait_until(lambda: (j := job())["status"] in ("finished", "failed") and j, timeout=280,
                          interval=0.5)
    assert finished["status"] == "finished", finished.get("error")
    assert trainer.process.poll() is None
    version = finished["version"]
    assert finished["progress"] == {"stage": "done", "fraction": 1.0}
    assert finished["moderator_decisions"]["abuse_positive"] == len(_rejected_texts())
    assert finished["gate"]["categories"], "the gate compared the new version with the active one"
    # The summary counts labels per source and sets the active version's live figures beside
    # the candidate's offline ones (the gate).
    assert sum(finished["label_sources"]["moderators"].values()) == \
        finished["moderator_decisions"]["decisions"]
    assert finished["label_sources"]["corpora"]
    assert finished["live_active"]["version"] == small_scorer.version
    assert finished["live_active"]["comments"] >= 2

    # Counts per source are stored with the version, moderator decisions among them.
    meta = client.get(f"/v1/admin/models/{version}", headers=admin_headers).get_json()
    moderator = meta["training_counts"]["abuse"]["train"]["moderator"]
    assert moderator == {"n": len(_rejected_texts()) + len(_approved_texts()),
                         "positives": len(_rejected_texts())}
    assert meta["created_by"].startswith("admin:")
    assert meta["status"] == ("active" if finished["activated"] else "candidate")

    # The decisions moved the model on comments like them (in no decision verbatim), and
    # far more than on the same sentence without the phrase.
    # (not an "X is a ..." frame: the site's own data already teaches that frame as an insult)
    probe = f"Once again the council spokesman said {PHRASE} about the plans."
    neutral = "Once again the council spokesman said nothing about the plans."
    new = load_scorer(runtime.models, version)
    before, after = (m.score(probe).scores["abuse"] for m in (small_scorer, new))
    neutral_before, neutral_after = (m.score(neutral).scores["abuse"] for m in (small_scorer, new))
    assert after >= new.thresholds["abuse"] > before, (before, after)
    assert after - before > (neutral_after - neutral_before) + 0.2, (before, after, neutral_before,
                                                                     neutral_after)
