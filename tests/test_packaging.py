"""The wheel (and so the Docker image) carries everything training reads, and says so when not.

The slow test builds the wheel from a copy of the checkout, installs it into a fresh venv
outside the checkout and trains a small model with the installed `moderation` command. The
fresh venv borrows the third-party libraries of the running one by a plain path line in a .pth
file (no download; the project's own editable install there is not activated by it), so every
module of ours resolves to the installed wheel, never to the source tree.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from core.config import PROJECT_ROOT
from model import corpora
from model.corpora import MissingDataFile
from tests.model_fixtures import write_tiny_corpora

# Every labelled data file training and the quality gate read, relative to the model package.
DATA_FILES = ["victim_data/train.jsonl", "victim_data/heldout.jsonl", "victim_data/seed.jsonl",
              "news_comments/train.jsonl", "news_comments/heldout.jsonl"]
_NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "var", "build", "dist", "*.egg-info",
                                     "__pycache__", ".pytest_cache", ".ruff_cache", "bench", "tests",
                                     "docs")


@pytest.mark.parametrize("split", ["train", "heldout"])
def test_missing_site_comments_are_an_error_naming_the_file(tmp_path, split):
    with pytest.raises(MissingDataFile) as raised:
        corpora.load_news_comments(split, tmp_path)
    assert str(tmp_path / f"{split}.jsonl") in str(raised.value)


@pytest.mark.parametrize("split", ["train", "heldout"])
def test_missing_victim_data_is_an_error_naming_the_file(tmp_path, split):
    with pytest.raises(MissingDataFile) as raised:
        corpora.load_victim_identification(split, tmp_path)
    assert str(tmp_path / f"{split}.jsonl") in str(raised.value)


def test_training_stops_on_a_missing_file_instead_of_training_without_it(tmp_path):
    from model.train import prepare_data

    corpus = write_tiny_corpora(tmp_path / "corpus")
    with pytest.raises(MissingDataFile, match="news_comments"):
        prepare_data(corpus, news_data=tmp_path / "news_comments")


def test_the_packaged_data_files_are_the_ones_the_loaders_read():
    model_dir = Path(corpora.__file__).parent
    assert corpora.VICTIM_DATA_DIR == model_dir / "victim_data"
    assert corpora.NEWS_COMMENTS_DIR == model_dir / "news_comments"
    for name in DATA_FILES:
        assert (model_dir / name).stat().st_size > 0, name


def _run(command: list, cwd: Path, env: dict[str, str] | None = None,
         check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=600)
    if check:
        assert result.returncode == 0, (command, result.stdout[-2000:], result.stderr[-4000:])
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    # A copy: an in-tree build would reuse the checkout's build/ folder, stale files included.
    source = work / "source"
    shutil.copytree(PROJECT_ROOT, source, ignore=_NOT_SOURCE)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
          "--disable-pip-version-check", "--wheel-dir", work / "dist", source], cwd=work)
    [built] = (work / "dist").glob("*.whl")
    return built


@pytest.mark.slow
def test_the_wheel_holds_every_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in DATA_FILES:
        assert f"model/{name}" in names, name
    assert any(n.startswith("service/templates/") for n in names)
    assert any(n.startswith("service/static/") for n in names)
    # The quality page's charts work offline: the chart library and its licence ship too.
    for name in ("service/static/vendor/chartjs/chart.umd.min.js",
                 "service/static/vendor/chartjs/LICENSE.md", "service/static/moderate/quality.js",
                 "service/templates/moderate/quality.html"):
        assert name in names, name
    assert not any(n.startswith(("tests/", "bench/")) for n in names)


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv, outside the checkout, with the wheel installed (our packages only)."""
    venv = tmp_path_factory.mktemp("installed") / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=venv.parent)
    python = venv / "bin" / "python"
    purelib = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                        cwd=venv.parent).stdout.strip())
    # The running venv's libraries as a plain path line: the .pth files there (among them the
    # project's editable install) are not processed.
    libraries = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (purelib / "borrowed-libraries.pth").write_text("\n".join(sorted(libraries)) + "\n")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
          "--disable-pip-version-check", wheel], cwd=venv.parent)
    return venv


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "ABUSE_DATA", "MODEL_DIR", "VAR_DIR", "VIRTUAL_ENV")}
    env.update(LOG_LEVEL="WARNING", MPLBACKEND="Agg", **extra)
    return env


@pytest.mark.slow
def test_installed_wheel_trains_on_the_site_s_own_comments(installed, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    python, moderation = installed / "bin" / "python", installed / "bin" / "moderation"
    where = _run([python, "-c", "import core, model, moderation, service, storage, worker\n"
                                "for m in (model, core, moderation, service, storage, worker):\n"
                                "    print(*m.__path__)"], cwd=site, env=_env())
    for path in where.stdout.split():
        assert Path(path).is_relative_to(installed), where.stdout
        assert not Path(path).is_relative_to(PROJECT_ROOT), where.stdout

    # Defaults of an installed wheel hang from the working directory, not from site-packages.
    config = _run([moderation, "config"], cwd=site, env=_env()).stdout
    values = dict(line.split("\t")[0].split("=", 1) for line in config.splitlines())
    assert values["VAR_DIR"] == str(site / "var")
    assert values["MODEL_DIR"] == str(site / "var" / "models")
    assert values["ABUSE_DATA"] == str(tmp_path / "shared" / "data" / "abuse")

    corpus = write_tiny_corpora(tmp_path / "abuse")
    out = site / "model.skops"
    trained = _run([moderation, "train", "--max-per-source", "60", "--no-save", "--out", out],
                   cwd=site, env=_env(ABUSE_DATA=str(corpus)))
    # what `moderation train` prints shows the site's comments among the sources trained on
    assert json.loads(trained.stdout)["metrics"]["trained_on"]["abuse"][corpora.SITE_SOURCE] > 0
    counts = json.loads(Path(f"{out}.json").read_text())["metrics"]["training_counts"]
    abuse_train = counts["abuse"]["train"]
    assert abuse_train[corpora.SITE_SOURCE]["n"] > 0 and abuse_train[corpora.SITE_SOURCE]["positives"] > 0
    assert counts["abuse"]["heldout"][corpora.SITE_SOURCE]["n"] > 0
    assert abuse_train["victim_data"]["n"] > 0
    assert counts["victim_identification"]["train"]["victim_data"]["positives"] > 0
    assert counts["victim_identification"]["heldout"]["victim_data"]["n"] > 0

    # An install without the site's comments stops with the file's name instead of training
    # a different model in silence (the bug of the first image).
    package = Path(where.stdout.split()[0])
    (package / "news_comments" / "train.jsonl").unlink()
    failed = _run([moderation, "train", "--max-per-source", "60", "--no-save"], cwd=site,
                  env=_env(ABUSE_DATA=str(corpus)), check=False)
    assert failed.returncode == 2
    error = failed.stderr.strip().splitlines()[-1]
    assert error.startswith("error: missing training data file")
    assert str(package / "news_comments" / "train.jsonl") in error
