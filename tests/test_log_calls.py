"""Log calls must not pass `extra` keys that LogRecord owns: logging raises KeyError for
them, which turns a log line into a 500 — and only when that level is enabled."""

from __future__ import annotations

import ast
import logging

from core.config import PROJECT_ROOT

RESERVED = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
PACKAGES = ("moderation", "service", "worker", "storage", "model")


def test_no_log_call_passes_a_reserved_extra_key():
    offenders = []
    for package in PACKAGES:
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                for keyword in node.keywords:
                    if keyword.arg == "extra" and isinstance(keyword.value, ast.Dict):
                        for key in keyword.value.keys:
                            if isinstance(key, ast.Constant) and key.value in RESERVED:
                                offenders.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno} "
                                                 f"{key.value}")
    assert offenders == []
