"""Abuse kinds (Perspective's production attributes): the labels each corpus gives, per-kind
heads trained on small data, their scores in scoring, per-kind hold thresholds (per tenant,
falling back to the global ones), hold reasons naming the kind, and the queue's kind filter.

Real Redis throughout; the pipeline tests run the real drain job with a table-driven stub
model, and one runs a real worker process with a trained model."""

from __future__ import annotations

import copy
import csv
import json

import numpy as np
import pytest

from model import artifact
from model.attributes import (
    KINDS,
    MIN_POSITIVES,
    kind_labels_from_raw,
    kind_labels_of_case,
    pipeline_head_features,
)
from model.corpora import SITE_SOURCE, Example
from model.scoring import Score, Span
from tests.conftest import wait_until
from tests.model_fixtures import _copy
from tests.moderation_support import post, score_pending
from worker.phases import decide
from worker.policy import Policy

pytest_plugins = ["tests.moderation_fixtures"]

VI = "victim_identification"


def bearer(plain: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plain}"}


# Labels ---------------------------------------------------------------------------------------

def test_each_corpus_gives_the_kinds_its_own_labels_support():
    full = {"toxic": 1, "severe_toxic": 0, "obscene": 1, "threat": 1, "insult": 0, "identity_hate": 0}
    assert kind_labels_from_raw("jigsaw_toxic_wikipedia", full) == {
        "severe_toxicity": 0, "identity_attack": 0, "insult": 0, "profanity": 1, "threat": 1}
    # Jigsaw rows with "toxic" only say nothing about the kinds
    assert kind_labels_from_raw("jigsaw_toxic_wikipedia", {"toxic": 1}) == {}
    assert kind_labels_from_raw("hateval_tweets", {"hate": 1, "split": "train"}) == {"identity_attack": 1}
    assert kind_labels_from_raw("stormfront_hate", {"label": "noHate"}) == {"identity_attack": 0}
    assert kind_labels_from_raw("davidson_tweets", {"class": "hate_speech"}) == {"identity_attack": 1}
    assert kind_labels_from_raw("davidson_tweets", {"class": "offensive_language"}) == {"identity_attack": 0}
    assert kind_labels_from_raw("olid_offensive_tweets", {"offensive": 1}) == {}
    assert kind_labels_from_raw("convabuse", None) == {}


def test_the_sites_cases_give_kinds():
    def site(abuse: int, case: str) -> Example:
        return Example("x", {"abuse": abuse}, SITE_SOURCE, case)

    assert kind_labels_of_case(site(1, "threat"))["threat"] == 1
    assert kind_labels_of_case(site(1, "hate_group"))["identity_attack"] == 1
    assert kind_labels_of_case(site(1, "insult_police"))["insult"] == 1
    assert kind_labels_of_case(site(1, "sexual_harassment"))["sexually_explicit"] == 1
    # abusive, kind unknown: nothing said about insult or profanity
    assert "insult" not in kind_labels_of_case(site(1, "obfuscated"))
    clean = kind_labels_of_case(site(0, "angry_criticism"))
    assert set(clean.values()) == {0} and "profanity" not in clean
    assert kind_labels_of_case(site(0, "undirected_profanity"))["profanity"] == 1


# Training on small data -----------------------------------------------------------------------

THREATS = ["I will find you and kill you", "someone should shoot him in the head",
           "you deserve to be stabbed", "I am going to burn your house down tonight",
           "watch your back, I know where you live", "I'll break your legs next time",
           "we will hunt you down and hurt you", "keep talking and I will end you"]
INSULTS = ["you are a pathetic idiot", "what a brainless moron you are", "you absolute clown",
           "shut up you stupid loser", "you are a worthless fool", "your a thick muppet",
           "you ignorant buffoon", "what an utter halfwit you are"]
CLEAN = ["the council meeting is on tuesday", "thanks for the clear report on the budget",
         "the bus was late again this morning", "I disagree with the planning decision",
         "good to see the library open longer", "does anyone know when the road reopens",
         "the match was cancelled because of rain", "nice photo of the harbour at dusk"]


@pytest.fixture(scope="module")
def kinds_corpus(tmp_path_factory):
    """A Jigsaw train.csv whose rows carry threat and insult labels (and too few severe
    ones for a head); copies differ by ten words, so near-duplicate removal keeps them."""
    d = tmp_path_factory.mktemp("kinds-corpus")
    labels = ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")
    with open(d / "train.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "comment_text", *labels])
        for i in range(12):
            for j, text in enumerate(THREATS):
                w.writerow([f"t{i}{j}", f"{text} ({_copy(i)})", 1, int(i == 0 and j == 0), 0, 1, 0, 0])
            for j, text in enumerate(INSULTS):
                w.writerow([f"i{i}{j}", f"{text} ({_copy(i)})", 1, 0, 0, 0, 1, 0])
            for j, text in enumerate(CLEAN):
                w.writerow([f"c{i}{j}", f"{text} ({_copy(i)})", 0, 0, 0, 0, 0, 0])
    return d


@pytest.fixture(scope="module")
def kinds_scorer(kinds_corpus):
    from model.train import train

    return train(kinds_corpus, max_per_source=400)


def test_heads_train_on_the_labels_there_are(kinds_scorer):
    metrics = kinds_scorer.metrics["abuse_kinds"]
    assert set(metrics) == set(KINDS)
    for kind in ("threat", "insult"):
        m = metrics[kind]
        assert m["trained"] and m["train"]["jigsaw_toxic_wikipedia"]["positives"] > MIN_POSITIVES
        held = m["heldout_jigsaw"]
        assert held["positives"] > 0 and held["roc_auc"] > 0.8, held
    # one severe row in the corpus and none among the site's comments: no head, not served
    assert not metrics["severe_toxicity"]["trained"]
    assert "severe_toxicity" not in kinds_scorer.kinds
    assert {"threat", "insult"} <= set(kinds_scorer.kinds)


def test_kind_scores_separate_the_kinds(kinds_scorer):
    threat, insult, clean = (kinds_scorer.score(t) for t in (
        "I will find you and hurt you badly", "you are a brainless idiot",
        "the library opens on tuesday"))
    assert threat.kinds["threat"] > insult.kinds["threat"] > 0
    assert threat.kinds["threat"] > clean.kinds["threat"]
    assert insult.kinds["insult"] > threat.kinds["insult"]
    assert insult.kinds["insult"] > clean.kinds["insult"]
    assert all(0.0 <= v <= 1.0 for v in threat.kinds.values())
    assert threat.to_dict()["abuse_kinds"] == threat.kinds


def test_scoring_computes_the_features_the_heads_were_trained_on(kinds_scorer):
    """The scorer's fast path (shared matrices) gives what the training path's pipeline gives."""
    texts = THREATS[:3] + INSULTS[:3] + CLEAN[:3] + ["W h a t  a  m0r0n, I'll smash you"]
    pipe = kinds_scorer.pipelines["abuse"]
    X = pipeline_head_features(pipe, pipe.named_steps["clf"], texts)
    heads = kinds_scorer.heads
    z = X @ heads["coef"].astype(np.float64) + heads["intercept"]
    expected = 1 / (1 + np.exp(-(heads["cal_a"] * z + heads["cal_b"])))
    got = np.array([[s.kinds[k] for k in heads["kinds"]] for s in kinds_scorer.score_batch(texts)])
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_the_model_card_reports_each_heads_figures(kinds_scorer, tmp_path):
    from model.card import write_card

    text = write_card(kinds_scorer, tmp_path).read_text(encoding="utf-8")
    assert "## Abuse kinds (Perspective attributes)" in text
    threat = kinds_scorer.metrics["abuse_kinds"]["threat"]["heldout_jigsaw"]
    row = next(line for line in text.splitlines() if line.startswith("| threat |"))
    assert f"{threat['roc_auc']:.3f}" in row and f"{threat['average_precision']:.3f}" in row
    assert "| severe_toxicity | SEVERE_TOXICITY | not trained" in text


def test_a_model_saved_before_kinds_loads_and_scores_without_them(small_scorer):
    old = copy.copy(small_scorer)
    del old.__dict__["heads"]  # the state a model from before kind heads carries
    loaded = artifact.loads(artifact.dumps(old))
    assert loaded.heads is None and loaded.kinds == ()
    score = loaded.score("you are a pathetic idiot and I will find you")
    assert score.kinds == {} and score.present_kinds == [] and "abuse_kinds" not in score.to_dict()
    assert score.scores == small_scorer.score("you are a pathetic idiot and I will find you").scores


def test_a_model_with_heads_round_trips_through_its_file(small_scorer, tmp_path):
    assert small_scorer.kinds, "the small model trains kind heads from the site's cases"
    artifact.save(small_scorer, tmp_path / "m.skops")
    loaded = artifact.load(tmp_path / "m.skops")
    text = "you stupid cunt I hope you die"
    assert loaded.score(text).kinds == small_scorer.score(text).kinds


# Decision phases (unit) -------------------------------------------------------------------------

def kind_score(abuse: float, kinds: dict[str, float], evidence: list[str] | None = None) -> Score:
    present = [k for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]) if v >= 0.5]
    return Score({"abuse": abuse, VI: 0.01}, [], {"abuse": evidence or [], VI: []}, kinds, present)


def comment(tenant: str = "default") -> dict:
    return {"id": "c1", "tenant": tenant, "article_id": "s", "author_id": "a", "text": "t"}


def test_a_kind_threshold_holds_below_the_abuse_threshold_and_names_the_kind():
    policy = Policy(thresholds={"abuse": 0.8, VI: 0.5, "abuse:threat": 0.3})
    d = decide(comment(), kind_score(0.4, {"threat": 0.35, "insult": 0.6}), policy)
    assert (d.status, d.reasons) == ("held", ["abuse: threat"])
    # below the kind's threshold and the abuse one: approved
    d = decide(comment(), kind_score(0.4, {"threat": 0.2, "insult": 0.6}), policy)
    assert (d.status, d.reasons) == ("approved", [])
    # a kind without a threshold never holds on its own
    d = decide(comment(), kind_score(0.4, {"insult": 0.99}), policy)
    assert d.status == "approved"


def test_an_abuse_hold_names_its_kinds_then_its_evidence():
    policy = Policy(thresholds={"abuse": 0.5, VI: 0.5, "abuse:profanity": 0.9})
    d = decide(comment(), kind_score(0.9, {"threat": 0.8, "insult": 0.6, "profanity": 0.1},
                                     evidence=["insult", "hate"]), policy)
    assert d.reasons == ["abuse: threat + insult + hate"]
    d = decide(comment(), kind_score(0.9, {"threat": 0.1}), policy)
    assert d.reasons == ["abuse: score 0.90"]


def test_a_tenants_kind_threshold_comes_before_the_global_one():
    policy = Policy(thresholds={"abuse": 0.9, VI: 0.5, "abuse:threat": 0.2},
                    tenant_thresholds={"acme": {"abuse:threat": 0.6}})
    score = kind_score(0.3, {"threat": 0.4})
    assert decide(comment("acme"), score, policy).status == "approved"
    assert decide(comment("bravo"), score, policy).reasons == ["abuse: threat"]


# Through the API and the drain job (stub model) ------------------------------------------------

def test_kind_thresholds_through_the_admin_api_and_the_pipeline(
        client, runtime, scorer, worker_ctx, make_key):
    everyone = bearer(make_key("admin"))
    acme_admin = bearer(make_key("admin", "acme"))
    sites = {t: bearer(make_key("site", t)) for t in ("acme", "bravo")}
    text = scorer.set("a veiled threat", abuse=0.3, kinds={"threat": 0.45, "profanity": 0.7})
    bad = client.put("/v1/admin/policy", headers=acme_admin,
                     json={"thresholds": {"abuse:nonsense": 0.2}})
    assert bad.status_code == 422
    body = client.put("/v1/admin/policy", headers=everyone,
                      json={"thresholds": {"abuse:threat": 0.4, "abuse:profanity": 0.95}}).get_json()
    assert body["thresholds"]["abuse:threat"] == 0.4 and body["sources"]["abuse:threat"] == "admin"
    # acme's own: threats held later than the global rule says
    body = client.put("/v1/admin/policy", headers=acme_admin,
                      json={"thresholds": {"abuse:threat": 0.5}}).get_json()
    assert body["sources"]["abuse:threat"] == "tenant" and body["thresholds"]["abuse:threat"] == 0.5
    ids = {t: post(client, k, text) for t, k in sites.items()}
    score_pending()
    acme, bravo = (runtime.comments.get(ids[t]) for t in ("acme", "bravo"))
    assert (acme["status"], acme["reasons"]) == ("approved", [])
    assert (bravo["status"], bravo["reasons"]) == ("held", ["abuse: threat"])
    shown = client.get(f"/v1/comments/{ids['bravo']}", headers=sites["bravo"]).get_json()
    assert shown["abuse_kinds"] == {"threat": 0.45, "profanity": 0.7}
    assert shown["scores"] == {"abuse": 0.3, VI: 0.05}


def test_the_queue_filters_by_kind_per_tenant(client, runtime, scorer, worker_ctx, make_key):
    sites = {t: bearer(make_key("site", t)) for t in ("acme", "bravo")}
    mods = {t: bearer(make_key("moderator", t)) for t in ("acme", "bravo")}
    desk = bearer(make_key("moderator", "*"))
    threat = scorer.set("threat text", abuse=0.9, kinds={"threat": 0.9, "insult": 0.2})
    insult = scorer.set("insult text", abuse=0.8, kinds={"insult": 0.8})
    slur = scorer.set("slur text", abuse=0.7, spans=[Span(0, 4, "abuse", "slur")])
    ids = {t: {name: post(client, k, text, article=f"story-{name}")
               for name, text in (("threat", threat), ("insult", insult), ("slur", slur))}
           for t, k in sites.items()}
    score_pending()

    def page(headers, **query):
        response = client.get("/v1/moderation/queue", headers=headers, query_string=query)
        assert response.status_code == 200, response.get_data(as_text=True)
        return [i["id"] for i in response.get_json()["items"]]

    for t in ("acme", "bravo"):
        assert page(mods[t], kind="threat") == [ids[t]["threat"]]
        # the threat's insult score is below present: only the insult names "insult"
        assert page(mods[t], kind="insult") == [ids[t]["insult"]]
        assert page(mods[t], kind="slur") == [ids[t]["slur"]]
        assert page(mods[t], kind="profanity") == []
        # the scanning path (score filters) and a category with the kind agree
        assert page(mods[t], kind="threat", min_score=0.5) == [ids[t]["threat"]]
        assert page(mods[t], kind="threat", category="abuse") == [ids[t]["threat"]]
        assert page(mods[t], kind="threat", article_id="story-threat") == [ids[t]["threat"]]
        # another tenant's queue is not there for a tenant's key
        other = "acme" if t == "bravo" else "bravo"
        assert client.get("/v1/moderation/queue", headers=mods[t],
                          query_string={"kind": "threat", "tenant": other}).status_code == 404
    assert set(page(desk, kind="threat")) == {ids["acme"]["threat"], ids["bravo"]["threat"]}
    assert page(desk, kind="threat", tenant="bravo") == [ids["bravo"]["threat"]]
    assert client.get("/v1/moderation/queue?kind=Threat!", headers=desk).status_code == 422
    # decided: it leaves its tenant's kind index (all tenants' pages merge the tenants')
    assert client.post(f"/v1/comments/{ids['acme']['threat']}/decision", headers=mods["acme"],
                       json={"action": "reject", "reason_code": "abuse"}).status_code == 200
    assert page(mods["acme"], kind="threat") == []
    assert page(desk, kind="threat") == [ids["bravo"]["threat"]]
    keys = runtime.keys
    assert runtime.redis.zscore(keys.tenant("acme").held_kind("threat"), ids["acme"]["threat"]) is None
    assert runtime.redis.zscore(keys.tenant("bravo").held_kind("threat"), ids["bravo"]["threat"]) is not None
    assert not runtime.redis.exists(keys.held_kind("threat"))


def test_comments_held_before_kinds_are_indexed_by_the_migration(client, runtime, scorer,
                                                                   worker_ctx, make_key):
    from storage.migrations import current_version, migrate

    site, mod = bearer(make_key("site")), bearer(make_key("moderator"))
    cid = post(client, site, scorer.set("old threat", abuse=0.9, kinds={"threat": 0.9}))
    score_pending()
    # the store as the release before kinds left it: no kind indexes, the all-tenants queue,
    # migrated to step 1
    for key in runtime.redis.scan_iter(match="mod:*queue:held:kind:*"):
        runtime.redis.delete(key)
    own_queue = runtime.keys.tenant("default").held_queue
    runtime.redis.zadd(runtime.keys.held_queue, {cid: runtime.redis.zscore(own_queue, cid)})
    runtime.redis.hdel(runtime.keys.comment(cid), "queued_kinds")
    runtime.redis.set(runtime.keys.schema_version, 1)
    assert client.get("/v1/moderation/queue?kind=threat", headers=mod).get_json()["items"] == []
    assert [m[0] for m in migrate(runtime.redis, runtime.keys)][0] == 2
    assert current_version(runtime.redis, runtime.keys) >= 2
    items = client.get("/v1/moderation/queue?kind=threat", headers=mod).get_json()["items"]
    assert [i["id"] for i in items] == [cid]


def test_the_moderators_page_filters_by_kind(app, runtime, scorer, worker_ctx, client, make_key):
    from tests.test_moderate_page import sign_in

    site = bearer(make_key("site"))
    threat = post(client, site, scorer.set("page threat", abuse=0.9, kinds={"threat": 0.9}))
    insult = post(client, site, scorer.set("page insult", abuse=0.9, kinds={"insult": 0.9}))
    score_pending()
    browser = app.test_client()
    sign_in(browser, make_key("moderator"))
    html = browser.get("/moderate?kind=threat").get_data(as_text=True)
    assert threat in html and insult not in html
    assert '<option value="threat" selected>' in html
    html = browser.get("/moderate?kind=Nope!").get_data(as_text=True)
    assert "Unknown kind." in html and threat in html and insult in html


# A real worker process with a trained model --------------------------------------------------------

def test_a_real_worker_holds_a_threat_the_abuse_threshold_would_approve(
        small_scorer, runtime, client, make_key, start_worker):
    from worker.publishing import register_scorer

    text = "I know where you live and I will find you"
    score = small_scorer.score(text)
    threat = score.kinds["threat"]
    assert score.scores["abuse"] < 0.98 and threat > 0.01, (score.scores, score.kinds)
    register_scorer(runtime.models, small_scorer, created_by="test", activate=True)
    sites = {t: bearer(make_key("site", t)) for t in ("acme", "bravo")}
    # both titles approve it on the abuse score alone; acme holds threats from just below its
    # threat score
    common = {"abuse": min(1.0, score.scores["abuse"] + 0.01), VI: 1.0}
    for tenant, limits in (("acme", {**common, "abuse:threat": round(threat - 0.005, 4)}),
                           ("bravo", common)):
        assert client.put("/v1/admin/policy", headers=bearer(make_key("admin", tenant)),
                          json={"thresholds": limits}).status_code == 200
    start_worker()
    ids = {t: post(client, k, text) for t, k in sites.items()}

    def decided(tenant):
        record = client.get(f"/v1/comments/{ids[tenant]}", headers=sites[tenant]).get_json()
        return record if record["status"] != "pending" else None

    acme, bravo = wait_until(lambda: decided("acme")), wait_until(lambda: decided("bravo"))
    assert (acme["status"], acme["reasons"]) == ("held", ["abuse: threat"])
    assert (bravo["status"], bravo["reasons"]) == ("approved", [])
    assert acme["abuse_kinds"]["threat"] == pytest.approx(threat, abs=1e-4)
    queue = client.get("/v1/moderation/queue?kind=threat",
                       headers=bearer(make_key("moderator", "acme"))).get_json()
    assert [i["id"] for i in queue["items"]] == [ids["acme"]]
    assert json.dumps(queue).count(text) == 1
