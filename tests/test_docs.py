"""The docs a newcomer reads must match the code."""

from __future__ import annotations

import re

from core.config import PROJECT_ROOT
from moderation.cli import settings_table

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_configuration_table_is_generated_from_the_settings():
    start, end = "<!-- settings-table:start -->\n", "\n<!-- settings-table:end -->"
    table = README[README.index(start) + len(start):README.index(end)]
    assert table == settings_table(), "run: moderation config --markdown, and paste it into README.md"


def test_readme_links_resolve():
    for target in re.findall(r"\]\(((?:docs|bench)/[^)#]+)\)", README):
        assert (PROJECT_ROOT / target).exists(), target


def test_ci_runs_the_readme_test_command():
    assert "./scripts/test" in README
    assert "./scripts/test" in (PROJECT_ROOT / ".ci" / "run").read_text()
