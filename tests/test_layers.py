"""The import direction drawn in docs/ARCHITECTURE.md, checked against the code.

Every project import (top-level or inside a function) of every module is read with
``ast``; an arrow that points against the layering fails here, naming the file.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from core.config import PROJECT_ROOT

# Each package may import itself and the packages listed for it, nothing else of ours.
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "model": {"core"},
    "storage": {"core"},
    "worker": {"core", "storage", "model"},
    "service": {"core", "storage", "model", "worker"},
    "moderation": {"core", "storage", "model", "worker", "service"},
}


def _project_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names if name.split(".")[0] in ALLOWED)
    return found


def _violations(root: Path) -> list[str]:
    bad = []
    for package, allowed in ALLOWED.items():
        for path in sorted((root / package).rglob("*.py")):
            for target in _project_imports(path) - allowed - {package}:
                bad.append(f"{path.relative_to(root)} imports {target}")
    return bad


def test_every_import_points_down_the_layers() -> None:
    assert _violations(PROJECT_ROOT) == []


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    for package in ALLOWED:
        (tmp_path / package).mkdir()
    (tmp_path / "storage" / "bad.py").write_text("def f():\n    from service.app import create_app\n")
    (tmp_path / "model" / "ok.py").write_text("from core.config import Settings\n")
    assert _violations(tmp_path) == ["storage/bad.py imports service"]


def test_the_architecture_picture_draws_these_layers() -> None:
    text = (PROJECT_ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    picture = text.split("## Dependencies point one way", 1)[1].split("```")[1]
    # Each line of the picture is "package ──▶ what it may import"; it must match ALLOWED.
    drawn: dict[str, set[str]] = {}
    for line in picture.strip().splitlines():
        package, _, targets = line.partition("──▶")
        drawn[package.strip()] = set(re.findall(r"[a-z]+", targets)) - {"nothing"}
    assert drawn == ALLOWED
