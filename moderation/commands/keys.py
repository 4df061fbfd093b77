"""`moderation keys create|list|revoke`."""

from __future__ import annotations

import argparse
import sys

from core.config import Settings
from core.tenants import ALL_TENANTS, DEFAULT_TENANT, check_tenant
from storage.api_keys import ROLES, ApiKeyStore
from storage.connection import connect
from storage.keys import Keys


def _store() -> ApiKeyStore:
    settings = Settings.from_env()
    return ApiKeyStore(connect(settings), Keys(settings.key_prefix))


def _tenant(value: str) -> str:
    try:
        return check_tenant(value, allow_all=True)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _create(args: argparse.Namespace) -> int:
    if args.role == "site" and args.tenant == ALL_TENANTS:
        print("a site key belongs to one tenant; '*' is for moderator and admin keys", file=sys.stderr)
        return 2
    record, plain = _store().create(args.role, args.name, args.tenant)
    scope = "all tenants" if record.tenant == ALL_TENANTS else f"tenant {record.tenant}"
    print(f"created {record.role} key {record.id} ({record.name}, {scope}); it is shown once, "
          "keep it safe:")
    # Alone on the last line so scripts can take it with `tail -n1`.
    print(plain)
    return 0


def _list(args: argparse.Namespace) -> int:
    for key in _store().list():
        print(f"{key.id}\t{key.role}\t{key.tenant}\t{key.name}")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    if _store().revoke(args.key_id):
        print(f"revoked {args.key_id}")
        return 0
    print(f"no key with id {args.key_id}")
    return 1


def register(sub: argparse._SubParsersAction) -> None:
    keys = sub.add_parser("keys", help="create, list and revoke API keys")
    ksub = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    create = ksub.add_parser("create", help="create a key and print it once")
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--name", required=True, help="who or what uses the key")
    create.add_argument("--tenant", default=DEFAULT_TENANT, type=_tenant, metavar="T",
                        help=f"the title (tenant) the key belongs to (default {DEFAULT_TENANT!r}); "
                             "moderator and admin keys may take '*': every tenant")
    create.set_defaults(func=_create)
    ksub.add_parser("list", help="list keys (ids, roles, names; never secrets)").set_defaults(func=_list)
    revoke = ksub.add_parser("revoke", help="revoke a key by id")
    revoke.add_argument("key_id")
    revoke.set_defaults(func=_revoke)
