"""`moderation purge` and `moderation erase-author`: personal data by hand."""

from __future__ import annotations

import argparse
import json

from core.config import Settings
from core.tenants import DEFAULT_TENANT, check_tenant
from storage.connection import connect
from storage.erasure import Eraser
from storage.keys import Keys
from worker.retention import purge_expired


def _purge(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if args.days is not None:
        settings = Settings.from_env(retention_days=args.days)
    report = purge_expired(connect(settings), Keys(settings.key_prefix), settings)
    if report is None:
        print("retention is off (RETENTION_DAYS=0): nothing purged")
        return 0
    print(json.dumps(report.as_dict()))
    return 0


def _erase(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    report = Eraser(connect(settings), Keys(settings.key_prefix)).erase_author(
        args.tenant, args.author_id, by="cli")
    print(json.dumps(report.as_dict()))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    purge = sub.add_parser("purge", help="delete decided comments older than RETENTION_DAYS now")
    purge.add_argument("--days", type=float, default=None,
                       help="retention in days for this run (default: RETENTION_DAYS)")
    purge.set_defaults(func=_purge)
    erase = sub.add_parser("erase-author", help="erase an author's comment texts and names")
    erase.add_argument("author_id")
    erase.add_argument("--tenant", default=DEFAULT_TENANT, type=_tenant, metavar="T",
                       help=f"the title the author is of (default {DEFAULT_TENANT!r})")
    erase.set_defaults(func=_erase)


def _tenant(value: str) -> str:
    try:
        return check_tenant(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
