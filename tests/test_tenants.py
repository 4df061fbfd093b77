"""Tenants (titles sharing one deployment): no key of one title reads or changes another's data.

The matrix walks every API route of the app's URL map (a route added later is
covered without touching this file) with every role of one tenant, aimed at
the other tenant's comment, author, article and ids, with and without
``?tenant=`` naming the other tenant. Each call must leave the other
tenant's data exactly as it was (every key it owns, compared before and
after), answer without the other tenant's texts, names or ids, and answer 404
(never 403) where the role may use the route but the comment is another's.
Focused tests follow for each piece: keys, ids that collide across titles,
authors, thresholds, training examples, the queue and its indexes, the page.

Real Redis; comments are scored by the real drain job and decision phases with
a table-driven stub model.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from core.tenants import ALL_TENANTS
from service.auth import GRANTS
from storage.api_keys import ROLES
from tests.moderation_support import assert_error, score_pending
from tests.test_roles import API_PREFIXES, OTHER_AUTH, routes

pytest_plugins = ["tests.moderation_fixtures"]

TENANTS = ("acme", "bravo")
ARTICLE = "shared-story"
AUTHOR = "reader-1"


def secret(tenant: str) -> str:
    return f"SECRET-{tenant}-words"


def name(tenant: str) -> str:
    return f"NAME-{tenant}-person"


def headers(plain: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plain}"}


class Title:
    """One tenant's keys and the ids of its data."""

    def __init__(self, tenant: str, runtime) -> None:
        self.tenant = tenant
        self.keys = {role: headers(runtime.api_keys.create(role, f"{tenant} {role}", tenant)[1])
                     for role in ROLES}
        self.held = ""
        self.approved = ""
        self.rejected = ""
        self.notice = ""
        self.appeal = ""

    @property
    def ids(self) -> list[str]:
        return [self.held, self.approved, self.rejected]


def _post(client, title: Title, text: str, external_id: str, author: str = AUTHOR,
          **extra: Any) -> str:
    response = client.post("/v1/comments", headers=title.keys["site"], json={
        "article_id": ARTICLE, "external_id": external_id, "text": text,
        "author": {"id": author, "name": name(title.tenant)}, **extra})
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.get_json()["id"]


@pytest.fixture
def world(client, runtime, scorer, worker_ctx) -> dict[str, Title]:
    """Two titles with the same article, author and external ids, each with a held (a reply to
    the approved one, with article metadata), an approved (reported) and a rejected comment,
    a ban, an article policy, rules, thresholds, a claim and a training example."""
    titles = {t: Title(t, runtime) for t in TENANTS}
    for tenant, title in titles.items():
        # a kind in its reason (abuse: threat): the kind indexes are in play too
        held_text = scorer.set(f"{secret(tenant)} held", abuse=0.9, kinds={"threat": 0.9})
        rejected_text = scorer.set(f"{secret(tenant)} to reject", abuse=0.8)
        title.approved = _post(client, title, f"{secret(tenant)} approved", "ext-2")
        # A reply, under an article the site described: its context (the parent's text, the
        # story's title) is the tenant's own data too.
        title.held = _post(client, title, held_text, "ext-1", parent_id="ext-2",
                           article={"title": f"{secret(tenant)} story",
                                    "url": f"https://{tenant}.example/{secret(tenant)}"})
        title.rejected = _post(client, title, rejected_text, "ext-3")
    score_pending()
    for tenant, title in titles.items():
        mod, admin = title.keys["moderator"], title.keys["admin"]
        assert client.post(f"/v1/comments/{title.approved}/reports", headers=title.keys["site"],
                           json={"reader_id": "reader-9", "reason": "rude"}).status_code == 200
        assert client.post(f"/v1/comments/{title.rejected}/decision", headers=mod,
                           json={"action": "reject", "reason_code": "abuse"}).status_code == 200
        assert client.post("/v1/moderation/claims", headers=mod,
                           json={"ids": [title.held]}).get_json()["claimed"] == [title.held]
        assert client.post("/v1/authors/troll/ban", headers=mod,
                           json={"reason": f"{secret(tenant)} ban"}).status_code == 200
        assert client.put(f"/v1/articles/{ARTICLE}/policy", headers=admin,
                          json={"mode": "auto", "protected_terms": [name(tenant)]}).status_code == 200
        assert client.put("/v1/admin/policy", headers=admin,
                          json={"thresholds": {"abuse": 0.7}}).status_code == 200
        # DSA: a notice on the published comment, an appeal of the rejected one.
        assert client.put("/v1/admin/dsa", headers=admin, json={
            "options": {"appeals_enabled": True},
            "templates": {"abuse": f"{secret(tenant)} template"}}).status_code == 200
        notice = client.post(f"/v1/comments/{title.approved}/notices", headers=title.keys["site"],
                             json={"law": "defamation", "explanation": f"{secret(tenant)} notice",
                                   "notifier": {"name": name(tenant), "email": "n@example.org"}})
        assert notice.status_code == 201, notice.get_data(as_text=True)
        title.notice = notice.get_json()["id"]
        appeal = client.post(f"/v1/comments/{title.rejected}/appeals", headers=title.keys["site"],
                             json={"author_id": AUTHOR, "statement": f"{secret(tenant)} appeal"})
        assert appeal.status_code == 201, appeal.get_data(as_text=True)
        title.appeal = appeal.get_json()["id"]
        assert client.put("/v1/admin/policy/spot-checks", headers=admin,
                          json={"rate": 0.5}).status_code == 200
        assert client.put("/v1/admin/policy/rules", headers=admin,
                          json={"suspect_words": [secret(tenant)], "repeat_minutes": 5}
                          ).status_code == 200
    return titles


def snapshot(redis, title: Title) -> dict[str, Any]:
    """Everything a tenant owns: its keys (t:<tenant>:...) and its comments' records, histories,
    reports, claims, queue entries and training examples."""
    state: dict[str, Any] = {}
    for key in sorted(redis.scan_iter(match=f"mod:t:{title.tenant}:*", count=1000)):
        state[key.decode()] = redis.dump(key)
    k = Keys()
    for cid in title.ids:
        for key in (k.comment(cid), k.history(cid), k.reports(cid), k.claim(cid),
                    k.comment_notices(cid), k.comment_appeal(cid), k.comment_appeals(cid)):
            state[key] = redis.dump(key)
    for key in (k.notice(title.notice), k.appeal(title.appeal)):
        state[key] = redis.dump(key)
        state[f"examples/{cid}"] = redis.hget(k.examples, cid)
    # Queue entries are the tenant's keys (above): all tenants have no queue of their own.
    return state


from storage.keys import Keys  # noqa: E402  (after the helpers that document the layout)

# What each route is called with, aimed at the other tenant ("{other}" ids are filled in).
BODIES: dict[tuple[str, str], list[dict]] = {
    ("POST", "/v1/comments"): [{"article_id": ARTICLE, "external_id": "ext-1", "text": "attempt",
                                "author": {"id": AUTHOR}}],
    ("POST", "/v1/comments/<comment_id>/decision"): [{"action": "approve", "reason_code": "other"}],
    ("POST", "/v1/moderation/claims"): [{"ids": "{other}"}, {"limit": 50}],
    ("DELETE", "/v1/moderation/claims"): [{"ids": "{other}"}],
    ("POST", "/v1/moderation/decisions"): [{"ids": "{other}", "action": "approve",
                                            "reason_code": "other"}],
    ("POST", "/v1/comments/<comment_id>/reports"): [{"reader_id": "reader-9", "reason": "x"}],
    ("POST", "/v1/authors/<author_id>/ban"): [{"reason": "attempt"}],
    ("DELETE", "/v1/authors/<author_id>/ban"): [{"reason": "attempt"}],
    ("PUT", "/v1/articles/<article_id>/policy"): [{"mode": "closed"}],
    ("PUT", "/v1/admin/policy"): [{"thresholds": {"abuse": 0.01}},
                                  {"thresholds": {"abuse:threat": 0.01}}],
    ("PUT", "/v1/admin/policy/spot-checks"): [{"rate": 0.9}, {"rate": None}],
    ("PUT", "/v1/admin/policy/rules"): [{"banned_words": ["attempt"], "new_author_comments": 9}],
    ("PUT", "/v1/webhooks"): [{"url": "https://example.org/hook"}],
    ("POST", "/v1alpha1/comments:analyze"): [{"comment": {"text": "attempt"},
                                              "requestedAttributes": {"TOXICITY": {}}}],
    ("POST", "/v1/comments/<comment_id>/notices"): [{"law": "defamation", "explanation": "x"}],
    ("POST", "/v1/notices/<notice_id>/decision"): [
        {"illegal": True, "legal_ground": "x", "explanation": "x"},
        {"illegal": False, "explanation": "x"}],
    ("POST", "/v1/notices/erasure"): [{"email": "n@example.org"}],
    ("POST", "/v1/comments/<comment_id>/appeals"): [{"author_id": AUTHOR, "statement": "x"}],
    ("POST", "/v1/appeals/<appeal_id>/decision"): [{"outcome": "reverse", "explanation": "x"},
                                                   {"outcome": "uphold", "explanation": "x"}],
    ("PUT", "/v1/admin/dsa"): [{"options": {"appeals_enabled": False},
                                "templates": {"abuse": "attempt"}}],
}
QUERIES: dict[tuple[str, str], list[dict]] = {
    ("GET", "/v1/moderation/queue"): [{}, {"article_id": ARTICLE}, {"category": "abuse"},
                                      {"min_score": 0.0}, {"include_claimed": "true"},
                                      {"kind": "threat", "include_claimed": "true"},
                                      {"kind": "threat", "min_score": 0.0},
                                      {"category": "notice"}, {"category": "appeal"},
                                      {"category": "spot_check"}],
    ("GET", "/v1/quality"): [{}, {"from": "2020-01-01", "to": "2020-12-31"}],
    ("GET", "/v1/articles/<article_id>/comments"): [{}, {"status": "held"}],
    ("GET", "/v1/comments/<comment_id>/history"): [{}, {"offset": 1, "limit": 2}],
    ("GET", "/v1/comments"): [{"ids": "{other}"}],
    ("GET", "/v1/reports/transparency"): [{}, {"format": "csv"}],
}
# Path arguments: the other tenant's comment; ids both tenants use for their own data.
PATH_VALUES = {"author_id": AUTHOR, "article_id": ARTICLE}


def _fill(value: Any, other: Title) -> Any:
    if value == "{other}":
        return other.ids
    if isinstance(value, dict):
        return {k: _fill(v, other) for k, v in value.items()}
    return value


def _path(rule, other: Title) -> str:
    own_ids = {"comment_id": other.held, "notice_id": other.notice, "appeal_id": other.appeal}
    values = {arg: own_ids.get(arg) or PATH_VALUES.get(arg, "tenants-test")
              for arg in rule.arguments}
    return rule.build(values, append_unknown=False)[1]


def _calls(app, other: Title):
    """(method, rule, path, query, body) for every API route and its variants."""
    with app.test_request_context():
        rules = {r.rule: r for r in app.url_map.iter_rules()}
    for method, _, rule, capacities in routes(app):
        if not rule.startswith(API_PREFIXES) or rule in OTHER_AUTH or capacities is None:
            continue
        path = _path(rules[rule], other)
        bodies = BODIES.get((method, rule), [{}]) if method in ("POST", "PUT", "DELETE") else [None]
        for query in QUERIES.get((method, rule), [{}]):
            for body in bodies:
                for named in (None, other.tenant):
                    q = {k: (",".join(other.ids) if v == "{other}" else v) for k, v in query.items()}
                    if named:
                        q["tenant"] = named
                    yield method, rule, capacities, path, q, _fill(body, other)


def _call(client, method, path, query, body, key):
    kwargs: dict[str, Any] = {"headers": key, "query_string": query}
    if body is not None:
        kwargs["json"] = body
    return client.open(path, method=method, **kwargs)


@pytest.mark.parametrize("mine, theirs", [("acme", "bravo"), ("bravo", "acme")])
def test_no_route_lets_one_tenant_read_or_change_another(app, client, world, runtime, mine, theirs):
    me, other = world[mine], world[theirs]
    forbidden = [secret(theirs), name(theirs)]
    checked = 0
    for method, rule, capacities, path, query, body in _calls(app, other):
        allowed = set().union(*(GRANTS[c] for c in capacities))
        sent = json.dumps([path, query, body])
        for role in ROLES:
            where = f"{role} of {mine}: {method} {rule} {query} {body}"
            before = snapshot(runtime.redis, other)
            response = _call(client, method, path, query, body, me.keys[role])
            text = response.get_data(as_text=True)
            # (The Perspective route answers 503 here: no model is active in this test.)
            no_model = response.status_code == 503 and rule.startswith("/v1alpha1/")
            assert response.status_code < 500 or no_model, f"{where}: {text[:300]}"
            assert snapshot(runtime.redis, other) == before, f"{where} changed {theirs}'s data"
            for word in forbidden:
                assert word not in text, f"{where} showed {word!r}"
            for cid in (*other.ids, other.notice, other.appeal):
                # The other tenant's ids appear only where the caller sent them (echoed back).
                assert cid not in text or cid in sent, f"{where} listed {theirs}'s comment {cid}"
            if no_model:
                continue
            if role not in allowed:
                assert response.status_code == 403, where
            elif response.status_code == 403:
                # Routes that act for every tenant (model versions) refuse a one-tenant key.
                assert response.get_json()["code"] == "all_tenants_required", where
            elif any(f"<{arg}>" in rule for arg in ("comment_id", "notice_id", "appeal_id")):
                assert response.status_code == 404, f"{where}: {response.status_code} {text[:300]}"
            elif query.get("tenant") == theirs:
                # Naming another tenant: not found, or ignored where the route has no tenant.
                assert response.status_code in (200, 202, 204, 404, 409, 422), where
            checked += 1
    assert checked > 100


def test_the_matrix_would_see_a_leak(client, world, runtime):
    """The same checks see the other tenant's data where access is allowed: the other
    tenant's own keys and the all-tenants keys read the secrets, and a write shows up."""
    bravo = world["bravo"]
    everyone = headers(runtime.api_keys.create("moderator", "desk", ALL_TENANTS)[1])
    for key in (bravo.keys["site"], bravo.keys["moderator"], everyone):
        text = client.get(f"/v1/comments/{bravo.held}", headers=key).get_data(as_text=True)
        assert secret("bravo") in text
        if key is not bravo.keys["site"]:
            # Moderators see the reply's context: its parent's text and the story's title.
            got = client.get(f"/v1/comments/{bravo.held}", headers=key).get_json()
            assert got["context"]["parent"]["text"] == f"{secret('bravo')} approved"
            assert got["article"]["title"] == f"{secret('bravo')} story"
    queue = client.get("/v1/moderation/queue?include_claimed=true", headers=everyone).get_json()
    assert {i["tenant"] for i in queue["items"]} == {"acme", "bravo"}
    before = snapshot(runtime.redis, bravo)
    assert client.post(f"/v1/comments/{bravo.held}/decision", headers=bravo.keys["moderator"],
                       json={"action": "approve", "reason_code": "other"}).status_code == 200
    assert snapshot(runtime.redis, bravo) != before


# Keys ---------------------------------------------------------------------------------------------

def test_keys_carry_a_tenant_through_the_cli(settings, client, redis_client):
    from tests.test_roles import _cli

    made = _cli(settings, "keys", "create", "--role", "site", "--name", "www", "--tenant", "acme")
    assert made.returncode == 0, made.stderr
    assert "tenant acme" in made.stdout
    plain = made.stdout.strip().splitlines()[-1]
    refused = _cli(settings, "keys", "create", "--role", "site", "--name", "x", "--tenant", "*")
    assert refused.returncode == 2 and "one tenant" in refused.stderr
    bad = _cli(settings, "keys", "create", "--role", "moderator", "--name", "x", "--tenant", "A B")
    assert bad.returncode == 2
    desk = _cli(settings, "keys", "create", "--role", "moderator", "--name", "desk", "--tenant", "*")
    assert "all tenants" in desk.stdout
    default = _cli(settings, "keys", "create", "--role", "site", "--name", "plain")
    assert "tenant default" in default.stdout
    listing = _cli(settings, "keys", "list").stdout
    assert re.search(r"\tsite\tacme\twww$", listing, re.M)
    assert re.search(r"\tmoderator\t\*\tdesk$", listing, re.M)
    posted = client.post("/v1/comments", headers=headers(plain),
                         json={"article_id": "a", "text": "hi", "author": {"id": "r"}})
    assert redis_client.hget(f"mod:c:{posted.get_json()['id']}", "tenant") == b"acme"


def test_keys_and_data_from_before_tenants_belong_to_the_default_tenant(client, runtime, redis_client,
                                                                       worker_ctx):
    site, plain_site = runtime.api_keys.create("site", "old site")
    acme = headers(runtime.api_keys.create("site", "acme", "acme")[1])
    # A key and a comment stored by the release before tenants: no tenant field at all.
    digest = redis_client.hget(runtime.keys.api_keys, site.id).decode()
    redis_client.hdel(runtime.keys.api_key(digest), "tenant")
    assert runtime.api_keys.authenticate(plain_site).tenant == "default"
    old = runtime.comments.create(article_id="story", text="old comment", author_id="r1",
                                  external_id="e1").id
    redis_client.hdel(runtime.keys.comment(old), "tenant")
    score_pending()
    # Today's key names: nothing to migrate.
    assert redis_client.zscore("mod:a:story:all", old) is not None
    assert runtime.comments.get(old)["status"] == "approved"
    assert redis_client.get("mod:ext:story:e1") == old.encode()
    assert client.get(f"/v1/comments/{old}", headers=headers(plain_site)).status_code == 200
    listing = client.get("/v1/articles/story/comments", headers=headers(plain_site)).get_json()
    assert [c["id"] for c in listing["items"]] == [old]
    assert_error(client.get(f"/v1/comments/{old}", headers=acme), 404, "comment_not_found")
    assert client.get("/v1/articles/story/comments", headers=acme).get_json()["items"] == []


def test_key_ids_never_collide(runtime, monkeypatch):
    import storage.api_keys

    first, _ = runtime.api_keys.create("site", "first")
    drawn = iter([first.id, first.id, "0badc0de"])
    real = storage.api_keys.secrets.token_hex
    monkeypatch.setattr(storage.api_keys.secrets, "token_hex",
                        lambda n=None: next(drawn) if n == 4 else real(n))
    second, plain = runtime.api_keys.create("moderator", "second")
    assert second.id == "0badc0de"
    assert runtime.api_keys.get(first.id).name == "first"
    assert runtime.api_keys.authenticate(plain).id == "0badc0de"


def test_model_versions_need_an_all_tenants_admin(client, make_key):
    tenant_admin = headers(make_key("admin", "acme"))
    for method, path in (("GET", "/v1/admin/models"), ("POST", "/v1/admin/models"),
                         ("POST", "/v1/admin/models/v1/activate")):
        response = client.open(path, method=method, headers=tenant_admin, json={})
        assert_error(response, 403, "all_tenants_required")
    assert client.get("/v1/admin/models", headers=headers(make_key("admin"))).status_code == 200


# Data keyed by the sites' own ids ---------------------------------------------------------------

def test_the_same_external_id_on_two_titles_is_two_comments(client, runtime, worker_ctx):
    acme = headers(runtime.api_keys.create("site", "acme", "acme")[1])
    bravo = headers(runtime.api_keys.create("site", "bravo", "bravo")[1])
    body = {"article_id": "story", "external_id": "c-1", "text": "first", "author": {"id": "r"}}
    first = client.post("/v1/comments", headers=acme, json=body)
    second = client.post("/v1/comments", headers=bravo, json={**body, "text": "second"})
    # Before tenants: 200 with acme's comment id, and bravo's comment dropped.
    assert first.status_code == 202 and second.status_code == 202
    assert first.get_json()["id"] != second.get_json()["id"]
    assert client.get(second.headers["Location"], headers=bravo).get_json()["text"] == "second"
    assert client.post("/v1/comments", headers=bravo,
                       json={**body, "text": "second"}).get_json()["id"] == second.get_json()["id"]


def test_the_same_author_id_on_two_titles_is_two_people(client, runtime, scorer, worker_ctx):
    acme_site = headers(runtime.api_keys.create("site", "acme", "acme")[1])
    bravo_site = headers(runtime.api_keys.create("site", "bravo", "bravo")[1])
    acme_mod = headers(runtime.api_keys.create("moderator", "acme mod", "acme")[1])
    assert client.post("/v1/authors/pat/ban", headers=acme_mod, json={"reason": "abuse"}).status_code == 200
    ids = {}
    for tenant, key in (("acme", acme_site), ("bravo", bravo_site)):
        ids[tenant] = client.post("/v1/comments", headers=key, json={
            "article_id": "s", "text": "hello", "author": {"id": "pat"}}).get_json()["id"]
    score_pending()
    assert runtime.comments.get(ids["acme"])["status"] == "rejected"
    assert runtime.comments.get(ids["bravo"])["status"] == "approved"
    acme_pat = client.get("/v1/authors/pat", headers=acme_mod).get_json()
    assert acme_pat["banned"] and acme_pat["tenant"] == "acme"
    assert [c["id"] for c in acme_pat["recent_comments"]] == [ids["acme"]]
    desk = headers(runtime.api_keys.create("moderator", "desk", ALL_TENANTS)[1])
    bravo_pat = client.get("/v1/authors/pat?tenant=bravo", headers=desk).get_json()
    assert not bravo_pat["banned"] and bravo_pat["counts"]["approved"] == 1
    assert_error(client.get("/v1/authors/pat?tenant=bravo", headers=acme_mod), 404, "tenant_not_found")


def test_thresholds_per_tenant_fall_back_to_the_global_ones(client, runtime, scorer, worker_ctx,
                                                           make_key):
    everyone = headers(make_key("admin"))
    acme_admin = headers(make_key("admin", "acme"))
    sites = {t: headers(make_key("site", t)) for t in ("acme", "bravo")}
    text = scorer.set("borderline remark", abuse=0.6)
    # Global: hold from 0.5 (the model's); acme's own: 0.7; bravo has none of its own.
    response = client.put("/v1/admin/policy", headers=acme_admin, json={"thresholds": {"abuse": 0.7}})
    body = response.get_json()
    assert body["tenant"] == "acme" and body["sources"]["abuse"] == "tenant"
    assert body["overrides"] == {"abuse": 0.7} and body["global_overrides"] == {}
    assert client.get("/v1/admin/policy?tenant=bravo", headers=acme_admin).status_code == 404
    ids = {t: client.post("/v1/comments", headers=k, json={"article_id": "s", "text": text,
                                                           "author": {"id": "r"}}).get_json()["id"]
           for t, k in sites.items()}
    score_pending()
    assert runtime.comments.get(ids["acme"])["status"] == "approved"
    assert runtime.comments.get(ids["bravo"])["status"] == "held"
    # The all-tenants admin moves the common threshold: bravo follows, acme keeps its own.
    client.put("/v1/admin/policy", headers=everyone, json={"thresholds": {"abuse": 0.65}})
    bravo_view = client.get("/v1/admin/policy?tenant=bravo", headers=everyone).get_json()
    assert bravo_view["thresholds"]["abuse"] == 0.65 and bravo_view["sources"]["abuse"] == "admin"
    ids = {t: client.post("/v1/comments", headers=k, json={"article_id": "s", "text": text,
                                                           "author": {"id": "r2"}}).get_json()["id"]
           for t, k in sites.items()}
    score_pending()
    assert runtime.comments.get(ids["bravo"])["status"] == "approved"
    assert client.get("/v1/admin/policy", headers=acme_admin).get_json()["audit"][0]["tenant"] == "acme"


def test_training_examples_carry_their_tenant(client, runtime, scorer, worker_ctx, make_key):
    from worker.training import moderator_examples

    for tenant in ("acme", "bravo"):
        site, mod = headers(make_key("site", tenant)), headers(make_key("moderator", tenant))
        text = scorer.set(f"{tenant} says something nasty", abuse=0.9)
        cid = client.post("/v1/comments", headers=site, json={
            "article_id": "s", "text": text, "author": {"id": "r"}}).get_json()["id"]
        score_pending()
        client.post(f"/v1/comments/{cid}/decision", headers=mod,
                    json={"action": "reject", "reason_code": "abuse"})
    every, counts = moderator_examples(runtime.redis, runtime.keys)
    acme, acme_counts = moderator_examples(runtime.redis, runtime.keys, "acme")
    assert counts["used"] == 2 and acme_counts["used"] == 1
    assert [e.text for e in acme] == ["acme says something nasty"]
    assert {e.text for e in every} == {"acme says something nasty", "bravo says something nasty"}


def test_the_retrain_api_takes_one_tenant_or_all(client, runtime, make_key):
    from rq.job import Job

    admin = headers(make_key("admin"))
    started = client.post("/v1/admin/models", headers=admin, json={"tenant": "acme"})
    assert started.status_code == 202, started.get_data(as_text=True)
    job = Job.fetch(started.get_json()["job_id"], connection=runtime.redis)
    assert job.args[1]["tenant"] == "acme"
    job.cancel()
    job.delete()
    assert_error(client.post("/v1/admin/models", headers=admin, json={"tenant": "Not One"}),
                 422, "validation_error")
    everyone = client.post("/v1/admin/models", headers=admin, json={"tenant": "*"})
    assert "tenant" not in Job.fetch(everyone.get_json()["job_id"], connection=runtime.redis).args[1]


# The review queue ---------------------------------------------------------------------------------

def test_the_queue_counts_and_filters_per_tenant(client, world, runtime):
    acme = world["acme"].keys["moderator"]
    desk = headers(runtime.api_keys.create("moderator", "desk", ALL_TENANTS)[1])
    # Each title: the held comment, the reported (and noticed) one, the appealed rejection.
    counts = {"abuse": 2, "reader_report": 1, "notice": 1, "appeal": 1}
    mine = client.get("/v1/moderation/queue?include_claimed=true", headers=acme).get_json()
    assert {i["id"] for i in mine["items"]} == set(world["acme"].ids)
    assert mine["total"] == 3 and mine["counts"] == counts
    everything = client.get("/v1/moderation/queue?include_claimed=true", headers=desk).get_json()
    assert everything["total"] == 6
    assert everything["counts"] == {k: 2 * v for k, v in counts.items()}
    one = client.get("/v1/moderation/queue?include_claimed=true&tenant=bravo", headers=desk).get_json()
    assert {i["id"] for i in one["items"]} == set(world["bravo"].ids)
    by_article = client.get(f"/v1/moderation/queue?include_claimed=true&tenant=bravo"
                            f"&article_id={ARTICLE}&category=reader_report", headers=desk).get_json()
    assert [i["id"] for i in by_article["items"]] == [world["bravo"].approved]
    assert by_article["total"] == 3 and by_article["counts"] == counts
    # the kind filter: the tenant's kind index, or every tenant's for an all-tenants key
    for query in ("kind=threat", "kind=threat&min_score=0.1"):
        threats = client.get(f"/v1/moderation/queue?include_claimed=true&{query}",
                             headers=acme).get_json()
        assert [i["id"] for i in threats["items"]] == [world["acme"].held], query
        threats = client.get(f"/v1/moderation/queue?include_claimed=true&{query}",
                             headers=desk).get_json()
        assert {i["id"] for i in threats["items"]} == {world["acme"].held, world["bravo"].held}
    assert client.get("/v1/moderation/queue?include_claimed=true&kind=threat&tenant=bravo",
                      headers=acme).status_code == 404
    notices = client.get("/v1/moderation/queue?category=notice&include_claimed=true",
                         headers=acme).get_json()
    assert [n["id"] for i in notices["items"] for n in i["notices"]] == [world["acme"].notice]
    appeals = client.get("/v1/moderation/queue?category=appeal&include_claimed=true&tenant=bravo",
                         headers=desk).get_json()
    assert [i["appeal"]["id"] for i in appeals["items"]] == [world["bravo"].appeal]


def _commands(redis) -> int:
    return sum(v["calls"] for k, v in redis.info("commandstats").items() if k != "cmdstat_info")


@pytest.mark.parametrize("query", [{}, {"category": "abuse"}, {"article_id": "small"},
                                   {"category": "abuse", "cursor": "next"}])
def test_a_queue_page_costs_the_same_however_long_other_queues_are(client, runtime, make_key, query):
    """The queue is indexed per tenant, category and article: a page reads its index from the
    cursor on, never the whole queue (nor another tenant's). Counted in Redis commands (those
    Lua scripts run included), before and after the queues grow 20-fold."""
    from dataclasses import replace

    from tests.moderate_seed import AB, Held, seed_held

    def held(n: int, article: str) -> list[Held]:
        return [Held(article, "a", f"comment {n} {i}", {AB: 0.9}, [AB]) for i in range(n)]

    mod = headers(make_key("moderator", "acme"))
    seed_held(runtime.comments, [replace(h, article_id="small") for h in held(5, "x")],
              tenant="acme")
    seed_held(runtime.comments, held(5, "big"), tenant="acme")
    cost = []
    grown = 0
    for more in (20, 380):
        # Other tenants' queues and this tenant's other articles grow 20-fold.
        seed_held(runtime.comments, held(more, "small"), tenant="bravo")
        seed_held(runtime.comments, held(more, "big"), tenant="acme")
        grown += more
        params = {k: v for k, v in query.items() if k != "cursor"} | {"limit": 2}
        first = client.get("/v1/moderation/queue", query_string=params, headers=mod).get_json()
        if "cursor" in query:
            params["cursor"] = first["next_cursor"]
        # Other clients of the server (a model watcher thread of an earlier app) may add a
        # command now and then: the least of a few reads is the page's own cost.
        counts = []
        for _ in range(3):
            before = _commands(runtime.redis)
            page = client.get("/v1/moderation/queue", query_string=params, headers=mod).get_json()
            counts.append(_commands(runtime.redis) - before)
        cost.append(min(counts))
        assert len(page["items"]) == 2 and all(i["tenant"] == "acme" for i in page["items"])
        assert page["total"] == (5 if "article_id" in query else 10 + grown)
    assert cost[0] == cost[1], cost


def test_a_store_from_before_the_indexes_is_migrated(client, runtime, make_key):
    """Held comments queued by the release before tenants are in the global queue only; the
    migration (run by init, up and every worker) indexes them, once."""
    from storage.migrations import LATEST, current_version, migrate
    from tests.moderate_seed import ROTHERHAM, seed_held

    ids = seed_held(runtime.comments, ROTHERHAM[:4])
    mod = headers(make_key("moderator"))
    whole = client.get("/v1/moderation/queue", headers=mod).get_json()
    # Back to the old layout: the global queue, no indexes, no record of migrations.
    own_queue = runtime.keys.tenant("default").held_queue
    runtime.redis.zadd(runtime.keys.held_queue, dict(runtime.redis.zrange(own_queue, 0, -1,
                                                                          withscores=True)))
    for key in runtime.redis.scan_iter(match="mod:*queue:held:*"):
        runtime.redis.delete(key)
    runtime.redis.delete(own_queue, runtime.keys.queue_tenants, runtime.keys.schema_version)
    for cid in ids:
        runtime.redis.hdel(runtime.keys.comment(cid), "queued", "tenant")
    assert client.get("/v1/moderation/queue", headers=mod).get_json()["total"] == 0
    assert [m[0] for m in migrate(runtime.redis, runtime.keys)] == list(range(1, LATEST + 1))
    assert current_version(runtime.redis, runtime.keys) == LATEST
    assert client.get("/v1/moderation/queue", headers=mod).get_json() == whole
    assert not runtime.redis.exists(runtime.keys.held_queue)
    assert migrate(runtime.redis, runtime.keys) == []


def test_the_moderator_page_shows_and_acts_on_its_tenant_only(app, runtime):
    from tests.moderate_seed import ROTHERHAM, seed_held
    from tests.test_moderate_page import TOKEN, sign_in

    ours = seed_held(runtime.comments, ROTHERHAM[:2], tenant="acme")
    theirs = seed_held(runtime.comments, ROTHERHAM[2:4], tenant="bravo")
    page_client = app.test_client()
    sign_in(page_client, runtime.api_keys.create("moderator", "acme desk", "acme")[1])
    page = page_client.get("/moderate?tenant=bravo").get_data(as_text=True)
    shown = set(re.findall(r'data-id="([0-9a-f]+)"', page))
    assert shown == set(ours)
    for item in ROTHERHAM[2:4]:
        assert item.text[:30] not in page
    token = TOKEN.search(page).group(1)
    claims = page_client.post("/moderate/claims", data={"ids": theirs + ours, "csrf_token": token})
    assert claims.get_json() == {"claimed": ours, "lost": theirs}
    decided = page_client.post("/moderate/decide", headers={"Accept": "application/json"},
                               data={"id": theirs[0], "action": "approve", "reason_code": "other",
                                     "csrf_token": token})
    assert decided.status_code == 404 and decided.get_json()["code"] == "comment_not_found"
    bulk = page_client.post("/moderate/decide-many", headers={"Accept": "application/json"},
                            data={"ids": theirs, "action": "approve", "reason_code": "other",
                                  "csrf_token": token})
    assert bulk.get_json()["failed"] == {cid: "comment_not_found" for cid in theirs}
    assert page_client.get(f"/moderate/comments/{theirs[0]}/history").status_code == 404
    assert {runtime.comments.get(c)["status"] for c in theirs} == {"held"}
    # The live queue: only this title's new cards, and another title's ids shown to it are
    # "gone" whatever their state (no oracle on the other title's queue).
    live = page_client.get("/moderate/live?tenant=bravo&shown=" + ",".join(ours[:1] + theirs),
                           headers={"Accept": "application/json"})
    assert live.status_code == 200
    body = live.get_json()
    assert body["gone"] == theirs and [c["id"] for c in body["cards"]] == ours[1:]
    text = live.get_data(as_text=True)
    assert not any(item.text[:30] in text for item in ROTHERHAM[2:4])
    assert "2 held" in body["counts_html"]
    # An all-tenants moderator sees both titles, and can narrow to one.
    desk = app.test_client()
    sign_in(desk, runtime.api_keys.create("moderator", "group desk", ALL_TENANTS)[1])
    everything = desk.get("/moderate").get_data(as_text=True)
    # (Claimed by the acme desk: out of others' view until the claims end.)
    assert set(re.findall(r'data-id="([0-9a-f]+)"', everything)) == set(theirs)
    runtime.redis.delete(*(runtime.keys.claim(cid) for cid in ours))
    everything = desk.get("/moderate").get_data(as_text=True)
    assert set(re.findall(r'data-id="([0-9a-f]+)"', everything)) == set(ours + theirs)
    narrowed = desk.get("/moderate?tenant=bravo").get_data(as_text=True)
    assert set(re.findall(r'data-id="([0-9a-f]+)"', narrowed)) == set(theirs)


def test_a_titles_webhook_receives_that_titles_decisions_only(client, runtime, scorer, worker_ctx,
                                                              redis_client):
    from rq import Queue

    sites = {t: headers(runtime.api_keys.create("site", t, t)[1]) for t in TENANTS}
    for key in sites.values():
        assert client.put("/v1/webhooks", headers=key,
                          json={"url": "https://example.org/hook"}).status_code == 200
    hooks = {t: client.get("/v1/webhooks", headers=k).get_json()["key_id"] for t, k in sites.items()}
    posted = {t: client.post("/v1/comments", headers=k, json={
        "article_id": ARTICLE, "text": f"{t} comment", "author": {"id": AUTHOR}}).get_json()["id"]
        for t, k in sites.items()}
    score_pending()
    jobs = Queue(runtime.settings.webhooks_queue, connection=redis_client).get_jobs()
    delivered = sorted((job.args[1], json.loads(job.args[2])["comment_id"]) for job in jobs)
    assert delivered == sorted((hooks[t], posted[t]) for t in TENANTS)
