"""The `moderation` command."""

from __future__ import annotations

import argparse
import os
import sys

from redis.exceptions import ConnectionError as RedisConnectionError

from core import logs
from core.config import PROJECT_ROOT, Settings
from moderation.commands import keys, model, models, privacy, service


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="moderation",
        description="Comment moderation for news publishers: run the service, train and "
                    "score models, manage keys.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (service, model, models, keys, privacy):
        group.register(sub)
    config = sub.add_parser("config", help="print every setting, its variable and the value in force")
    config.add_argument("--markdown", action="store_true",
                        help="print the documentation table (variable, default, meaning) instead")
    config.set_defaults(func=_print_config)
    return parser


def settings_table() -> str:
    """The README's configuration table, generated from the settings themselves."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for env, default, doc in Settings.documented():
        # Paths relative to the checkout, so the table reads the same on every machine.
        shown = default.replace(str(PROJECT_ROOT), ".").replace(str(PROJECT_ROOT.parent), "..")
        shown = shown.replace("|", "\\|")
        meaning = doc.replace("|", "\\|")
        rows.append(f"| `{env}` | `{shown}` | {meaning} |")
    return "\n".join(rows)


def _print_config(args: argparse.Namespace) -> int:
    if args.markdown:
        print(settings_table())
        return 0
    settings = Settings.from_env()
    for env, default, doc in Settings.documented():
        field = next(f for f, meta in Settings.__dataclass_fields__.items()
                     if meta.metadata["env"] == env)
        print(f"{env}={getattr(settings, field)}\t# {doc} (default: {default!r})")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    logs.configure(settings.log_level)
    # The failures a person can fix get one clear line instead of a traceback.
    try:
        return int(args.func(args) or 0)
    except FileNotFoundError as exc:
        hint = " (set ABUSE_DATA to the folder of abuse corpora)" if "corpus" in str(exc) else ""
        print(f"error: {exc}{hint}", file=sys.stderr)
    except BrokenPipeError:
        # `moderation score ... | head`: the reader has gone, which is not an error; point stdout
        # at /dev/null so the interpreter's final flush does not raise again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except RedisConnectionError:
        where = settings.redis_sentinels or settings.effective_redis_url()
        print(f"error: cannot reach Redis at {where}; start it (`moderation up` does) or set "
              "REDIS_URL", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
