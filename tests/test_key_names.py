"""Ids inside Redis key names: no id can name another id's key.

Property-based (hypothesis): random ids with ``:``, ``*``, braces, white space,
``%`` and long Unicode. Distinct ids never share a key; the Lua scripts encode
exactly as Python does; and comments with such ids are posted, scored and
decided end to end (real Redis, the real drain job and decision phases, a
table-driven stub model).
"""

from __future__ import annotations

import inspect

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.tenants import TENANT_PATTERN
from storage.comments import CommentStore
from storage.keys import LUA_ENCODE, Keys, TenantKeys, encode_id
from tests.moderation_support import post, score_pending

pytest_plugins = ["tests.moderation_fixtures"]

# Characters that used to reach into other keys' names, plus ordinary id characters.
_TRICKY = ":*{}[]?%\\ \t\n/" + "abAB01._-~@+="
ids = st.text(alphabet=st.sampled_from(_TRICKY) | st.characters(codec="utf-8"),
              min_size=1, max_size=300)
plain_ids = st.text(alphabet=st.sampled_from("abcxyz019._-~@+=:"), min_size=1, max_size=40)


tenants = st.sampled_from(["default", "acme", "t", "default-2", "a_b"]) | st.from_regex(
    TENANT_PATTERN, fullmatch=True)


def _key_functions(keys: Keys | TenantKeys) -> dict[str, tuple]:
    """Every method that takes ids, with its arity (properties name fixed keys)."""
    out = {}
    for name, member in inspect.getmembers(type(keys), inspect.isfunction):
        if name.startswith("_") or name == "tenant":
            continue
        params = [p for p in inspect.signature(member).parameters.values() if p.name != "self"]
        required = [p for p in params if p.default is inspect.Parameter.empty]
        out[name] = (getattr(keys, name), len(required))
    return out


def _fixed_keys(keys: Keys | TenantKeys) -> dict[str, str]:
    return {getattr(keys, name): name for name, member in inspect.getmembers(type(keys))
            if isinstance(member, property) and not name.startswith("_")}


def test_ordinary_ids_keep_their_key_names():
    keys = Keys("mod:")
    default = keys.tenant("default")
    assert keys.comment("3f2a9c01d4e5b6a7") == "mod:c:3f2a9c01d4e5b6a7"
    assert default.author("reader-42") == "mod:au:reader-42"
    assert default.external_id("rotherham-iopc", "c-1001") == "mod:ext:rotherham-iopc:c-1001"
    assert default.article_comments("a.b_c~d@e+f=g", "held") == "mod:a:a.b_c~d@e+f=g:held"
    assert default.banned_authors == "mod:banned"
    # Other tenants' keys carry their segment.
    assert keys.tenant("acme").author("reader-42") == "mod:t:acme:au:reader-42"


def test_the_reported_collisions_are_gone():
    keys = Keys("mod:")
    own = keys.tenant("default")
    assert own.author("bob:comments") != own.author_comments("bob")
    assert own.external_id("a:b", "c") != own.external_id("a", "b:c")
    assert keys.comment("x:h") != keys.history("x")
    assert own.article_policy("a") != own.article_comments("a:policy")


def _generators(keys: Keys, tenant: str) -> list[tuple[str | None, str, object, int]]:
    """(scope, name, function, arity) of every key name there is: global (scope None) and the
    tenant's; properties as functions of no ids."""
    out: list[tuple[str | None, str, object, int]] = []
    for scope, holder in ((None, keys), (tenant, keys.tenant(tenant))):
        for name, (function, arity) in sorted(_key_functions(holder).items()):
            out.append((scope, name, function, arity))
        for value, name in sorted(_fixed_keys(holder).items()):
            out.append((scope, name, lambda value=value: value, 0))
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10_000), tenants, st.lists(ids, min_size=2, max_size=2)),
                min_size=2, max_size=40))
def test_distinct_ids_never_share_a_key(calls):
    """Over every key, global and per tenant: one name comes from one (scope, kind, ids)."""
    keys = Keys("mod:")
    seen: dict[str, tuple] = {}
    for pick, tenant, args in calls:
        generators = _generators(keys, tenant)
        scope, name, function, arity = generators[pick % len(generators)]
        used = tuple(args[:arity])
        if name == "webhook":
            # Key ids are hex digits this service generates ("failed" is not one).
            used = tuple(a.encode("utf-8", "surrogatepass").hex()[:8] or "0" for a in used)
        key = function(*used)
        who = (scope, name, used)
        assert seen.setdefault(key, who) == who, (key, seen[key], who)
        # An encoded id never carries the separator, so it cannot end a segment early.
        for arg in used:
            assert ":" not in encode_id(arg)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(ids, min_size=1, max_size=20))
def test_lua_encodes_ids_as_python_does(redis_client, values):
    script = redis_client.register_script(LUA_ENCODE + """
local out = {}
for i, v in ipairs(ARGV) do out[i] = encode_id(v) end
return out
""")
    encoded = [v.decode() for v in script(keys=[], args=values)]
    assert encoded == [encode_id(v) for v in values]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(article=ids, author=ids, external=ids, other_author=ids, tenant=tenants)
def test_post_score_and_decide_with_any_ids(redis_client, worker_ctx, scorer, article, author,
                                            external, other_author, tenant):
    """Comments whose ids would have collided are scored and decided; counters stay apart."""
    from storage.moderation import ModerationStore, Moderator

    redis_client.flushdb()
    keys = worker_ctx.keys
    comments = CommentStore(redis_client, keys)
    held_text = scorer.set("held text for the property test", abuse=0.9)
    # The author's own id, and ids built to land on the author's other keys in the old layout.
    authors = [author, f"{author}:comments", f"{author}:outcomes", other_author]
    created = [comments.create(tenant=tenant, article_id=article, text=held_text, author_id=a,
                               external_id=f"{external}:{n}") for n, a in enumerate(authors)]
    # Article "a:b" + external "c" against article "a" + external "b:c".
    twin = comments.create(tenant=tenant, article_id=f"{article}:{external}", text="fine",
                           author_id=author, external_id="0")
    retry = comments.create(tenant=tenant, article_id=article, text=held_text, author_id=author,
                            external_id=f"{external}:0")
    assert retry.id == created[0].id and not retry.created and retry.same_submission
    other = comments.create(tenant=tenant, article_id=article, text="fine", author_id=author,
                            external_id=f"{external}:0")
    assert other.id == created[0].id and not other.created and not other.same_submission
    assert twin.created and twin.id not in {c.id for c in created}
    assert len({c.id for c in created}) == len(authors)

    score_pending()
    for c in created:
        assert comments.get(c.id)["status"] == "held"
    assert comments.get(twin.id)["status"] == "approved"

    store = ModerationStore(redis_client, keys, comments, worker_ctx.settings)
    moderator = Moderator(key_id="0a0b0c0d", name="m", tenant=tenant)
    for c in {c.id for c in created}:
        assert store.decide(c, moderator=moderator, action="reject",
                            reason_code="abuse")["status"] == "rejected"
    for a in set(authors):
        profile = store.authors.profile(tenant, a)
        expected = sum(1 for x in authors if x == a)
        assert profile["counts"]["rejected"] == expected, a
    listed, _ = comments.list_article(tenant, article, "rejected", None, 50)
    assert {r["id"] for r in listed} == {c.id for c in created}


def test_api_post_and_decide_with_colon_ids(client, site_headers, moderator_headers, scorer, worker_ctx):
    """The reported case through the API: author 'bob:comments' beside 'bob'."""
    text = scorer.set("bob's held comment", abuse=0.9)
    first = post(client, site_headers, text, article="a:b", author="bob")
    second = post(client, site_headers, text, article="a", author="bob:comments")
    later = post(client, site_headers, "a clean one", article="a:b", author="bob")
    score_pending()
    for cid, status in ((first, "held"), (second, "held"), (later, "approved")):
        assert client.get(f"/v1/comments/{cid}", headers=site_headers).get_json()["status"] == status
    response = client.post(f"/v1/comments/{second}/decision", headers=moderator_headers,
                           json={"action": "reject", "reason_code": "abuse"})
    assert response.status_code == 200
    bob = client.get("/v1/authors/bob", headers=moderator_headers).get_json()
    assert bob["counts"]["posted"] == 2 and bob["counts"]["rejected"] == 0
    other = client.get("/v1/authors/bob:comments", headers=moderator_headers).get_json()
    assert other["counts"]["rejected"] == 1
    listing = client.get("/v1/articles/a:b/comments", headers=site_headers).get_json()
    assert {i["id"] for i in listing["items"]} == {first, later}


@pytest.mark.parametrize("method", ["get", "history"])
def test_a_comment_id_naming_another_key_is_just_unknown(client, moderator_headers, site_headers,
                                                        scorer, worker_ctx, method):
    cid = post(client, site_headers, "a comment")
    path = f"/v1/comments/{cid}:h" if method == "get" else f"/v1/comments/{cid}:h/history"
    response = client.get(path, headers=moderator_headers)
    assert response.status_code == 404
    assert response.get_json()["code"] == "comment_not_found"


def test_one_failing_write_does_not_stop_the_batch(redis_client, worker_ctx, scorer):
    """A key of the wrong type (data from before the encoding, or a bug) fails its own
    command only: every comment of the batch is decided and its webhook event queued."""
    from storage.webhooks import WebhookStore

    keys = worker_ctx.keys
    comments = CommentStore(redis_client, keys)
    from storage.api_keys import ApiKeyStore

    site, _ = ApiKeyStore(redis_client, keys).create("site", "www")
    WebhookStore(redis_client, keys).register(site.id, "https://example.org/hook")
    redis_client.set(keys.tenant("default").author("carol"), "not a hash")
    ids = [comments.create(article_id="s", text=f"text {n}", author_id=a).id
           for n, a in enumerate(["carol", "dave", "carol"])]
    assert score_pending()["decided"] == 3
    assert all(comments.get(cid)["status"] == "approved" for cid in ids)
    assert redis_client.llen("rq:queue:webhooks") == 3
    assert store_counts(redis_client, keys, "dave") == 1


def store_counts(redis_client, keys: Keys, author: str) -> int:
    from storage.authors import STORED_COUNTERS, posted_of

    return posted_of(*redis_client.hmget(keys.tenant("default").author(author), STORED_COUNTERS))
