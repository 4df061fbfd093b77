"""`moderation models list|activate|show`: the registry's versions from the command line."""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from core.config import Settings


def _registry():
    from storage.connection import connect
    from storage.keys import Keys
    from storage.model_registry import ModelRegistry

    settings = Settings.from_env()
    return ModelRegistry(connect(settings), Keys(settings.key_prefix))


def _fmt(value: object) -> str:
    return "-" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value))


def _list(args: argparse.Namespace) -> int:
    from storage.model_registry import status_of

    registry = _registry()
    active = registry.active_version()
    rows = []
    for version in reversed(registry.versions()):
        meta = registry.meta(version)
        metrics = meta.get("metrics") or {}
        gate = meta.get("gate") or {}
        rows.append({
            "version": version,
            "status": status_of(meta, active),
            "created_by": meta.get("created_by"),
            "abuse_auc": (metrics.get("abuse") or {}).get("roc_auc"),
            "vi_auc": (metrics.get("victim_identification") or {}).get("roc_auc"),
            "gate": None if not gate else ("passed" if gate.get("passed") else
                                           "failed: " + ",".join(gate.get("failed", []))),
        })
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no model versions; run `moderation train --register` or `moderation init`")
        return 0
    header = f"{'version':<28} {'status':<9} {'abuse AUC':>9} {'VI AUC':>7}  {'created by':<22} gate"
    print(header)
    for r in rows:
        print(f"{r['version']:<28} {r['status']:<9} {_fmt(r['abuse_auc']):>9} {_fmt(r['vi_auc']):>7}  "
              f"{_fmt(r['created_by'])[:22]:<22} {_fmt(r['gate'])}")
    return 0


def _activate(args: argparse.Namespace) -> int:
    from storage.model_registry import UnknownVersion, activate_version

    registry = _registry()
    if registry.active_version() == args.version:
        print(f"{args.version} is already active")
        return 0
    try:
        previous = activate_version(registry, args.version, by=f"cli:{getpass.getuser()}",
                                    reason=args.reason or "activated from the command line")
    except UnknownVersion:
        print(f"no model version {args.version!r}; see `moderation models list`", file=sys.stderr)
        return 2
    print(f"active: {args.version} (was {previous or 'none'}); workers switch within "
          f"{Settings.from_env().model_poll_interval:g} s")
    return 0


def _show(args: argparse.Namespace) -> int:
    from storage.model_registry import UnknownVersion

    registry = _registry()
    try:
        meta = registry.meta(args.version)
    except UnknownVersion:
        print(f"no model version {args.version!r}", file=sys.stderr)
        return 2
    print(json.dumps(meta, indent=2, default=str))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    models = sub.add_parser("models", help="list model versions, activate one (promote or roll back)")
    msub = models.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    lst = msub.add_parser("list", help="versions, newest first, with status and gate result")
    lst.add_argument("--json", action="store_true", help="machine-readable output")
    lst.set_defaults(func=_list)
    act = msub.add_parser("activate", help="make VERSION the scoring model (workers switch "
                                           "without restart); audited")
    act.add_argument("version")
    act.add_argument("--reason", default=None, help="recorded in the audit log")
    act.set_defaults(func=_activate)
    show = msub.add_parser("show", help="a version's full metadata as JSON")
    show.add_argument("version")
    show.set_defaults(func=_show)
