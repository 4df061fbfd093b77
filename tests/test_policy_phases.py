"""Article policy and author standing in the decision phases: unit tests of each phase
(stub scores), the API that sets a policy, its effects through the real drain job, and
one end-to-end run of a real worker process with a trained model."""

from __future__ import annotations

import pytest
from redis import Redis

from model.scoring import Score, Span
from storage.article_policy import ArticlePolicy, find_terms, fold
from storage.authors import AuthorState
from tests.conftest import wait_until
from tests.moderation_support import assert_error, name_span, post, score_pending
from worker.phases import decide
from worker.policy import Policy

# The stub model and in-process worker context (fixtures `scorer`, `worker_ctx`).
pytest_plugins = ["tests.moderation_fixtures"]

VI = "victim_identification"


def score(abuse: float = 0.05, vi: float = 0.05, spans: list[Span] | None = None) -> Score:
    spans = spans or []
    evidence: dict[str, list[str]] = {"abuse": [], VI: []}
    for s in spans:
        if s.kind not in evidence[s.category]:
            evidence[s.category].append(s.kind)
    return Score({"abuse": abuse, VI: vi}, spans, evidence)


def policy(article: ArticlePolicy | None = None, author: AuthorState | None = None,
           factor: float = 0.5) -> Policy:
    return Policy(thresholds={"abuse": 0.5, VI: 0.5},
                  articles={("default", "story"): article} if article else {},
                  authors={("default", "au"): author} if author else {},
                  sensitive_vi_factor=factor)


def comment(text: str = "a comment") -> dict:
    return {"id": "c1", "article_id": "story", "author_id": "au", "text": text, "created": 1.0}


# Matching -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, found", [
    ("I know Zoë O'Neil from school", "Zoë O'Neil"),
    ("i know zoe oneil", "zoe oneil"),
    ("ZOE O NEIL did it", "ZOE O NEIL"),
    ("it was Z o e  O'N e i l", "Z o e  O'N e i l"),
    ("Zoé O’Neil", "Zoé O’Neil"),            # another accent, a typographic apostrophe
    ("Zoe\u0301 O'Neil!", "Zoe\u0301 O'Neil"),  # decomposed accent (combining mark)
    ("zoeoneil", "zoeoneil"),
])
def test_protected_terms_match_ignoring_case_accents_and_spacing(text, found):
    matches = find_terms(text, ArticlePolicy(protected_terms=("Zoë O'Neil",)).folded_terms)
    assert [text[s:e] for s, e, _ in matches] == [found]


@pytest.mark.parametrize("text", ["Zoe O'Neill", "zoeoneils", "the canoe oneil", "Zoe"])
def test_protected_terms_do_not_match_inside_other_words(text):
    assert find_terms(text, ArticlePolicy(protected_terms=("Zoë O'Neil",)).folded_terms) == []


def test_fold():
    assert fold("  Ça  VA, Øyvind! ") == "cavaøyvind"
    assert fold("ﬁnal ２") == "final2"


# Phases (unit) ------------------------------------------------------------------------------------

def test_banned_author_is_rejected_whatever_the_scores():
    d = decide(comment(), score(abuse=0.99), policy(author=AuthorState(banned=True)))
    assert (d.status, d.reasons) == ("rejected", ["banned_author"])


def test_closed_article_rejects_and_premoderated_article_holds():
    closed = decide(comment(), score(), policy(ArticlePolicy(mode="closed")))
    assert (closed.status, closed.reasons) == ("rejected", ["article_closed"])
    pre = decide(comment(), score(), policy(ArticlePolicy(mode="premoderate")))
    assert (pre.status, pre.reasons) == ("held", ["premoderated"])
    # The model's findings still reach the moderator.
    pre_abuse = decide(comment(), score(abuse=0.9), policy(ArticlePolicy(mode="premoderate")))
    assert pre_abuse.reasons == ["premoderated", "abuse: score 0.90"]
    assert decide(comment(), score(), policy(ArticlePolicy(mode="auto"))).status == "approved"


def test_author_history_holds_premoderated_authors():
    d = decide(comment(), score(), policy(author=AuthorState(premoderated=True, decisions=5)))
    assert (d.status, d.reasons) == ("held", ["author_history"])
    assert decide(comment(), score(), policy(author=AuthorState(decisions=5))).status == "approved"


def test_protected_term_holds_and_adds_a_span():
    text = "Everyone knows it was jane  DOE from number 4"
    s = score()
    d = decide(comment(text), s, policy(ArticlePolicy(protected_terms=("Jane Doe",))))
    assert (d.status, d.reasons) == ("held", ["protected_term"])
    (span,) = [x for x in s.spans if x.kind == "protected_term"]
    assert text[span.start:span.end] == "jane  DOE" and span.category == VI


def test_allowed_names_do_not_count_as_victim_identification():
    text = "Kevin Smith got what he deserved, Mr Smith should rot"
    spans = [name_span(text, "Kevin Smith"), name_span(text, "Mr Smith")]
    allowed = policy(ArticlePolicy(allowed_names=("Kevin Smith",)))
    original = score(vi=0.8, spans=spans)
    d = decide(comment(text), original, allowed)
    assert (d.status, d.reasons) == ("approved", [])
    # What is stored is still the model's own score.
    assert original.scores[VI] == 0.8 and len(original.spans) == 2
    # Without the allowance the same comment is held.
    assert decide(comment(text), score(vi=0.8, spans=spans), policy()).status == "held"


@pytest.mark.parametrize("extra", [
    lambda t: name_span(t, "Jane"),                                    # a name not allowed
    lambda t: Span(t.index("his daughter"), t.index("his daughter") + 12, VI, "relative"),
    lambda t: Span(t.index("St Mary"), t.index("St Mary") + 7, VI, "school"),
])
def test_allowed_names_keep_the_hold_when_something_else_identifies(extra):
    text = "Kevin Smith abused his daughter Jane at St Mary"
    spans = [name_span(text, "Kevin Smith"), extra(text)]
    d = decide(comment(text), score(vi=0.8, spans=spans),
               policy(ArticlePolicy(allowed_names=("Kevin Smith",))))
    assert d.status == "held" and d.reasons[0].startswith(VI)


def test_allowed_names_do_not_lift_abuse_or_protected_term_holds():
    text = "Kevin Smith is scum"
    d = decide(comment(text), score(abuse=0.9, vi=0.8, spans=[name_span(text, "Kevin Smith")]),
               policy(ArticlePolicy(allowed_names=("Kevin Smith",), protected_terms=("Kevin Smith",))))
    assert d.status == "held" and d.reasons == ["protected_term", "abuse: score 0.90"]


def test_sensitive_articles_lower_the_victim_identification_threshold():
    sensitive = policy(ArticlePolicy(sensitive=True), factor=0.5)
    assert sensitive.threshold(VI, comment()) == 0.25
    assert sensitive.threshold("abuse", comment()) == 0.5
    d = decide(comment(), score(vi=0.3), sensitive)
    assert (d.status, d.reasons) == ("held", [f"{VI}: score 0.30", "sensitive_article"])
    # Above the usual threshold the extra reason would explain nothing.
    assert decide(comment(), score(vi=0.6), sensitive).reasons == [f"{VI}: score 0.60"]
    assert decide(comment(), score(vi=0.2), sensitive).status == "approved"
    assert decide(comment(), score(vi=0.3), policy(ArticlePolicy())).status == "approved"


class CountingRedis(Redis):
    """Counts round trips: single commands and pipeline executions."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.single = 0
        self.batches = 0

    def execute_command(self, *args, **options):
        self.single += 1
        return super().execute_command(*args, **options)

    def pipeline(self, *args, **kwargs):
        pipe = super().pipeline(*args, **kwargs)
        run = pipe.execute

        def execute(*a, **k):
            self.batches += 1
            return run(*a, **k)

        pipe.execute = execute
        return pipe


def test_policy_load_reads_a_batch_in_one_round_trip(redis_url, redis_client, settings, runtime):
    from storage.article_policy import ArticlePolicyStore
    from storage.authors import AuthorStore

    ArticlePolicyStore(redis_client, runtime.keys).put("default", "s1", mode="premoderate",
                                                       sensitive=True, protected_terms=["X Y"],
                                                       by="t")
    AuthorStore(redis_client, runtime.keys, settings).ban("default", "bad", by="t", reason="r")
    redis_client.hset(runtime.keys.thresholds, "abuse", "0.7")
    # Another title: its own article, author and thresholds of the same ids.
    ArticlePolicyStore(redis_client, runtime.keys).put("acme", "s2", mode="closed", by="t")
    AuthorStore(redis_client, runtime.keys, settings).ban("acme", "ok", by="t", reason="r")
    redis_client.hset(runtime.keys.tenant("acme").thresholds, "abuse", "0.9")

    class Model:
        thresholds = {"abuse": 0.5, VI: 0.4}

    counting = CountingRedis.from_url(redis_url)
    comments = [{"article_id": "s1", "author_id": "bad"}, {"article_id": "s2", "author_id": "ok"},
                {"article_id": "s1", "author_id": "ok", "tenant": "default"},
                {"article_id": "s2", "author_id": "ok", "tenant": "acme"}]
    loaded = Policy.load(counting, runtime.keys, settings, Model(), comments)
    assert (counting.single, counting.batches) == (0, 1)
    ours, theirs = comments[1], comments[3]
    assert loaded.thresholds == {"abuse": 0.7, VI: 0.4}
    assert loaded.base_threshold("abuse", ours) == 0.7 and loaded.base_threshold("abuse", theirs) == 0.9
    assert loaded.base_threshold(VI, theirs) == 0.4
    s1 = loaded.article(comments[0])
    assert s1.mode == "premoderate" and s1.sensitive
    assert loaded.article(ours) == ArticlePolicy() and loaded.article(theirs).mode == "closed"
    assert loaded.article({"article_id": "never"}) == ArticlePolicy()
    assert loaded.author(comments[0]).banned and not loaded.author(ours).banned
    assert loaded.author(theirs).banned
    counting.close()


# Policy API -------------------------------------------------------------------------------------

def test_policy_api_validates_and_round_trips(client, admin_headers, moderator_headers):
    url = "/v1/articles/story-9/policy"
    default = client.get(url, headers=moderator_headers).get_json()
    assert default["mode"] == "auto" and default["sensitive"] is False
    assert default["protected_terms"] == [] and default["updated_by"] is None
    body = {"mode": "premoderate", "sensitive": True,
            "protected_terms": ["Zoë  O'Neil", "zoe oneil", "Elm Street"],
            "allowed_names": ["Kevin Smith"]}
    assert_error(client.put(url, json=body, headers=moderator_headers), 403, "forbidden")
    saved = client.put(url, json=body, headers=admin_headers)
    assert saved.status_code == 200
    got = client.get(url, headers=moderator_headers).get_json()
    assert got == saved.get_json()
    # Duplicates after folding are dropped, spacing normalised.
    assert got["protected_terms"] == ["Zoë O'Neil", "Elm Street"]
    assert got["mode"] == "premoderate" and got["sensitive"] is True
    admin_key_id = admin_headers["Authorization"].split("_")[1]
    assert got["updated_by"] == f"admin:{admin_key_id}" and got["updated_at"]
    assert got["tenant"] == "default"

    for bad, field in [({"mode": "open"}, "mode"), ({}, "mode"),
                       ({"mode": "auto", "protected_terms": ["  "]}, "protected_terms"),
                       ({"mode": "auto", "protected_terms": ["x"] * 201}, "protected_terms"),
                       ({"mode": "auto", "allowed_names": "Kevin"}, "allowed_names"),
                       ({"mode": "auto", "sensitive": "perhaps"}, "sensitive")]:
        error = assert_error(client.put(url, json=bad, headers=admin_headers), 422, "validation_error")
        assert field in error["details"]["json"]


# Policy effects through the real drain job -------------------------------------------------------

@pytest.fixture
def put_policy(client, admin_headers):
    def put(article: str, **body):
        response = client.put(f"/v1/articles/{article}/policy", json={"mode": "auto", **body},
                              headers=admin_headers)
        assert response.status_code == 200, response.get_data(as_text=True)

    return put


def status_of(client, headers, cid):
    record = client.get(f"/v1/comments/{cid}", headers=headers).get_json()
    return record["status"], record["reasons"]


def test_policy_applies_to_comments_scored_after_the_change(
        client, site_headers, put_policy, worker_ctx):
    before = post(client, site_headers, "first!", article="story-x")
    score_pending()
    put_policy("story-x", mode="closed")
    after = post(client, site_headers, "second!", article="story-x")
    score_pending()
    assert status_of(client, site_headers, before) == ("approved", [])
    assert status_of(client, site_headers, after) == ("rejected", ["article_closed"])
    put_policy("story-x", mode="premoderate")
    third = post(client, site_headers, "third!", article="story-x")
    score_pending()
    assert status_of(client, site_headers, third) == ("held", ["premoderated"])


def test_protected_terms_hold_through_the_pipeline(
        client, site_headers, moderator_headers, put_policy, scorer, worker_ctx):
    put_policy("story-p", protected_terms=["Zoë O'Neil"])
    abusive = post(client, site_headers, scorer.set("you absolute idiot", abuse=0.95),
                   article="story-p")
    text = "everyone round here knows it was ZOE O NEIL"
    cid = post(client, site_headers, text, article="story-p")
    elsewhere = post(client, site_headers, text, article="another-story")
    score_pending()
    assert status_of(client, site_headers, cid) == ("held", ["protected_term"])
    assert status_of(client, site_headers, elsewhere) == ("approved", [])
    queue = client.get("/v1/moderation/queue", headers=moderator_headers).get_json()
    # A protected term is a legal risk like victim identification: it comes before abuse.
    assert [i["id"] for i in queue["items"]] == [cid, abusive]
    item = queue["items"][0]
    (span,) = item["spans"]
    assert text[span["start"]:span["end"]] == "ZOE O NEIL" and span["kind"] == "protected_term"


def test_allowed_names_and_sensitive_threshold_through_the_pipeline(
        client, site_headers, put_policy, scorer, worker_ctx):
    named = "Kevin Smith should never be let out"
    scorer.set(named, vi=0.9, spans=[name_span(named, "Kevin Smith")])
    put_policy("trial", allowed_names=["Kevin Smith"])
    on_trial = post(client, site_headers, named, article="trial")
    other = post(client, site_headers, named, article="unrelated")
    vague = scorer.set("the girl from that family again", vi=0.3)
    put_policy("sensitive-story", sensitive=True)
    on_sensitive = post(client, site_headers, vague, article="sensitive-story")
    on_ordinary = post(client, site_headers, vague, article="ordinary-story")
    score_pending()
    assert status_of(client, site_headers, on_trial) == ("approved", [])
    assert status_of(client, site_headers, other) == ("held", [f"{VI}: name"])
    assert status_of(client, site_headers, on_sensitive) == ("held", [f"{VI}: score 0.30",
                                                                     "sensitive_article"])
    assert status_of(client, site_headers, on_ordinary) == ("approved", [])


# End to end: a real worker process with a trained model --------------------------------------

def test_real_worker_applies_article_policy_and_author_history(
        small_scorer, runtime, client, site_headers, moderator_headers, put_policy, start_worker):
    from worker.publishing import register_scorer

    register_scorer(runtime.models, small_scorer, created_by="test", activate=True)
    put_policy("closed-story", mode="closed")
    put_policy("pre-story", mode="premoderate", protected_terms=["Jane Doe"])
    client.post("/v1/authors/banned-reader/ban", json={"reason": "doxxing"}, headers=moderator_headers)
    start_worker()

    closed = post(client, site_headers, "Thanks for the report.", article="closed-story")
    pre = post(client, site_headers, "I heard it was jane doe, poor girl.", article="pre-story")
    banned = post(client, site_headers, "Thanks for the report.", article="open-story",
                  author="banned-reader")

    def decided(cid):
        record = client.get(f"/v1/comments/{cid}", headers=site_headers).get_json()
        return record if record["status"] != "pending" else None

    assert wait_until(lambda: decided(closed))["reasons"] == ["article_closed"]
    pre_record = wait_until(lambda: decided(pre))
    assert pre_record["status"] == "held"
    assert pre_record["reasons"][:2] == ["premoderated", "protected_term"]
    assert pre_record["model_version"] == small_scorer.version
    banned_record = wait_until(lambda: decided(banned))
    assert (banned_record["status"], banned_record["reasons"]) == ("rejected", ["banned_author"])

    # The worker counted the authors' comments; a moderator decision moves the counters.
    assert client.post(f"/v1/comments/{pre}/decision", headers=moderator_headers,
                       json={"action": "reject", "reason_code": "victim_identification"}
                       ).status_code == 200
    profile = client.get("/v1/authors/reader-1", headers=moderator_headers).get_json()
    assert profile["counts"] == {"posted": 2, "held": 1, "approved": 0, "rejected": 2}
