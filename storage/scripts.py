"""Lua scripts on pipelines without a SCRIPT EXISTS per execution.

redis-py's ``Script`` called with a pipeline as its client adds itself to the pipeline's
scripts, and ``Pipeline.execute`` then sends ``SCRIPT EXISTS`` (and ``SCRIPT LOAD`` for any
missing) before the pipeline, every time (redis/client.py ``Pipeline.execute`` ->
``load_scripts``, redis-py 5 to 8): one more command and round trip for each pipeline a
scoring batch writes. ``queue`` puts a plain ``EVALSHA`` on the pipeline instead, and
``execute`` runs it and, should the server answer ``NOSCRIPT`` for some (its script cache
was flushed: a restart without the scripts, a fail-over, ``SCRIPT FLUSH``), loads those
scripts and runs the refused commands again. A ``NOSCRIPT`` reply means the script did not
run at all, so running it then is its one run; it runs after the pipeline's other commands,
which no caller's commands depend on.

Only for pipelines without MULTI (``transaction=False``): in a transaction the refused
script would run outside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis import Redis
from redis.commands.core import Script
from redis.exceptions import NoScriptError

# sha -> script, for loading a script a server answered NOSCRIPT to.
_KNOWN: dict[str, Script] = {}


def queue(script: Script, pipe: Any, keys: Sequence[Any], args: Sequence[Any]) -> None:
    """Queue ``script`` on ``pipe`` (executed with ``execute``) as one EVALSHA."""
    _KNOWN[script.sha] = script
    pipe.evalsha(script.sha, len(keys), *keys, *args)


def execute(redis: Redis, pipe: Any, raise_on_error: bool = True) -> list[Any]:
    """``pipe.execute`` (``pipe`` a pipeline of ``redis``), loading and running again any
    script the server did not have."""
    stack = [args for args, _ in pipe.command_stack]
    results = pipe.execute(raise_on_error=False)
    missing = [n for n, r in enumerate(results) if isinstance(r, NoScriptError)
               and str(stack[n][0]).upper() == "EVALSHA" and stack[n][1] in _KNOWN]
    if missing:
        retry = redis.pipeline(transaction=False)
        for sha in dict.fromkeys(stack[n][1] for n in missing):
            retry.script_load(_KNOWN[sha].script)
        for n in missing:
            retry.execute_command(*stack[n])
        again = retry.execute(raise_on_error=False)[-len(missing):]
        for n, result in zip(missing, again, strict=True):
            results[n] = result
    if raise_on_error:
        for result in results:
            if isinstance(result, Exception):
                raise result
    return results
