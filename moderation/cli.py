"""The `moderation` command."""

from __future__ import annotations

import argparse
import sys

from moderation import logs
from moderation.commands import keys, model, service
from moderation.config import Settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="moderation",
        description="Comment moderation for news publishers: run the service, train and "
                    "score models, manage keys.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (service, model, keys):
        group.register(sub)
    config = sub.add_parser("config", help="print every setting, its variable and the value in force")
    config.set_defaults(func=_print_config)
    return parser


def _print_config(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    for env, default, doc in Settings.documented():
        field = next(f for f, meta in Settings.__dataclass_fields__.items()
                     if meta.metadata["env"] == env)
        print(f"{env}={getattr(settings, field)}\t# {doc} (default: {default!r})")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logs.configure(Settings.from_env().log_level)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
