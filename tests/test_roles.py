"""Who may call what: the role matrix over every route, and a key's life from CLI to revocation.

Routes are read from the app's URL map, so a route added later is covered
without touching this file.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from core.config import PROJECT_ROOT
from service.auth import GRANTS, required_capacities
from storage.api_keys import ROLES
from tests.conftest import wait_until

# Outside the API prefixes a route is public by design: probes, the spec and its
# viewer, and the moderator page (signed in with a session; see its CSRF tests).
SKIP_METHODS = {"HEAD", "OPTIONS"}
API_PREFIXES = ("/v1/", "/v1alpha1/")
# Perspective-compatible routes answer errors in Google's shape (a refused key is 401 or 403).
COMPAT_PREFIXES = ("/v1alpha1/",)
# Routes authenticated by something other than an API key (tested by their own tests).
OTHER_AUTH = {"/v1/integrations/coral": "HMAC signature of the body"}


def _path(rule) -> str:
    values = {arg: ("1" if rule._converters[arg].__class__.__name__ in
                    ("IntegerConverter", "FloatConverter") else "roles-test-id")
              for arg in rule.arguments}
    return rule.build(values, append_unknown=False)[1]


def routes(app) -> list[tuple[str, str, tuple[str, ...] | None]]:
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            for method in sorted((rule.methods or set()) - SKIP_METHODS):
                found.append((method, _path(rule), rule.rule,
                              required_capacities(rule.endpoint, method)))
    return found


def call(client, method: str, path: str, headers: dict | None = None):
    kwargs = {"headers": headers or {}}
    if method in ("POST", "PUT", "PATCH"):
        kwargs["json"] = {}
    return client.open(path, method=method, **kwargs)


def test_every_api_route_requires_a_key(app, client):
    table = routes(app)
    api = [r for r in table if r[2].startswith(API_PREFIXES)]
    assert api, "no API routes found"
    public = [f"{m} {rule}" for m, path, rule, caps in api
              if caps is None and rule not in OTHER_AUTH
              # a method registered only to answer "not here" in the route's own dialect
              and call(client, m, path).status_code not in (404, 405)]
    assert public == [], f"API routes without @require: {public}"


def test_routes_with_other_authentication_refuse_unsigned_calls(app, client):
    for method, path, rule, _ in routes(app):
        if rule in OTHER_AUTH:
            response = call(client, method, path)
            assert response.status_code in (401, 503), f"{method} {rule}"


def test_role_matrix_on_every_route(app, client, make_key):
    keys = {role: {"Authorization": f"Bearer {make_key(role)}"} for role in ROLES}
    checked = 0
    for method, path, rule, capacities in routes(app):
        if capacities is None:
            continue
        allowed = set().union(*(GRANTS[c] for c in capacities))
        where = f"{method} {rule}"
        compat = rule.startswith(COMPAT_PREFIXES)

        response = call(client, method, path)
        bad = call(client, method, path, {"Authorization": "Bearer mk_nope_notakey"})
        if compat:
            # Google's own answers: 403 without a key, 400 (or 401/403) for a bad one.
            assert response.status_code in (401, 403) and bad.status_code in (400, 401, 403), where
        else:
            assert response.status_code == 401, where
            assert response.get_json()["code"] == "unauthorized", where
            assert response.headers.get("WWW-Authenticate") == "Bearer", where
            assert bad.status_code == 401, where

        for role in ROLES:
            response = call(client, method, path, keys[role])
            if role in allowed:
                assert response.status_code not in (401, 403), f"{where} as {role}"
                assert response.status_code < 500, f"{where} as {role}: {response.status_code}"
            else:
                assert response.status_code == 403, f"{where} as {role}"
                if not compat:
                    assert response.get_json()["code"] == "forbidden", where
        checked += 1
    assert checked >= 10


def test_admin_can_do_what_a_moderator_can_but_not_the_reverse():
    assert "admin" in GRANTS["moderator"]
    assert "moderator" not in GRANTS["admin"]
    assert "site" not in GRANTS["moderator"] and "site" not in GRANTS["admin"]


def _cli(settings, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, REDIS_URL=settings.redis_url, MODERATION_KEY_PREFIX=settings.key_prefix,
               LOG_LEVEL="WARNING", PYTHONPATH=str(PROJECT_ROOT))
    return subprocess.run([sys.executable, "-m", "moderation.cli", *args], env=env,
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)


@pytest.fixture
def cli(settings):
    return lambda *args: _cli(settings, *args)


def test_key_lifecycle_through_the_cli(cli, client, redis_client):
    created = cli("keys", "create", "--role", "site", "--name", "lifecycle test")
    assert created.returncode == 0, created.stderr[-2000:]
    plain = created.stdout.strip().splitlines()[-1]
    assert plain.startswith("mk_") and " " not in plain
    key_id = plain.split("_")[1]
    headers = {"Authorization": f"Bearer {plain}"}

    # Stored hashed: the secret appears nowhere in Redis.
    for name in redis_client.scan_iter():
        value = redis_client.dump(name) or b""
        assert plain.encode() not in value and plain.encode() not in name

    posted = client.post("/v1/comments", headers=headers,
                         json={"article_id": "a1", "text": "hello", "author": {"id": "r1"}})
    assert posted.status_code == 202

    listed = cli("keys", "list")
    assert key_id in listed.stdout and plain not in listed.stdout

    revoked = cli("keys", "revoke", key_id)
    assert revoked.returncode == 0
    # Revoked by another process: this API process refuses the key once its cached look-up
    # expires (API_KEY_CACHE_SECONDS; tests/test_key_cache.py checks the bound itself).
    response = wait_until(
        lambda: (r := client.get(posted.headers["Location"], headers=headers)).status_code == 401
        and r, timeout=client.application.config["MODERATION"].api_key_cache_seconds + 10)
    assert response.get_json()["code"] == "unauthorized"
    assert cli("keys", "revoke", key_id).returncode == 1
