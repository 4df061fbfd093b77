"""docker-compose.yml is valid and runs commands the CLI really has."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml

from core.config import PROJECT_ROOT
from moderation.cli import build_parser

COMPOSE = PROJECT_ROOT / "docker-compose.yml"


def test_compose_services_run_real_cli_commands():
    spec = yaml.safe_load(COMPOSE.read_text())
    services = spec["services"]
    assert {"redis", "init", "api", "worker", "webhook-worker", "training-worker"} <= set(services)
    parser = build_parser()
    for name, service in services.items():
        command = service.get("command")
        if name == "redis":
            assert "--appendonly" in command and "yes" in command
            continue
        assert command[0] == "moderation", name
        parser.parse_args(command[1:])  # exits (fails the test) on an unknown option
    # Scoring workers never wait on webhook receivers: deliveries have workers of their own.
    queues = {name: parser.parse_args(service["command"][1:]).queues for name, service in services.items()
              if service.get("command", [None, None])[1] == "worker"}
    assert queues == {"worker": "comments", "webhook-worker": "webhooks", "training-worker": "training"}
    # Workers scale: no fixed name or host port that would clash between replicas.
    assert "container_name" not in services["worker"] and "ports" not in services["worker"]


@pytest.mark.skipif(shutil.which("docker-compose") is None,
                    reason="Debian's docker-compose validates offline")
def test_compose_file_validates():
    result = subprocess.run(["docker-compose", "-f", str(COMPOSE), "config", "-q"],
                            env={**os.environ, "SECRET_KEY": "test"}, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


DOCKERFILE = PROJECT_ROOT / "Dockerfile"


def _pyproject() -> dict:
    import tomllib

    return tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_dockerfile_copies_every_package_and_installs_the_wheel():
    lines = [line.split() for line in DOCKERFILE.read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    copied = {word.rstrip("/") for line in lines if line[0] == "COPY" and "--from" not in line[1]
              for word in line[1:-1]}
    includes = _pyproject()["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {pattern.rstrip("*") for pattern in includes}
    # a package left out of the image fails at import, as core/ once did
    assert packages <= copied, packages - copied
    assert {"pyproject.toml", "README.md"} <= copied
    assert all((PROJECT_ROOT / package / "").is_dir() for package in packages)
    text = DOCKERFILE.read_text()
    # the image runs the wheel (package data and all), the one tests/test_packaging.py checks
    assert "pip wheel" in text and "pip install --no-cache-dir /wheels/" in text
    assert " -e " not in text and "--editable" not in text


def test_compose_api_with_several_processes_has_a_session_key():
    spec = yaml.safe_load(COMPOSE.read_text())
    parser = build_parser()
    for name, service in spec["services"].items():
        command = service.get("command") or []
        if command[:2] != ["moderation", "serve"]:
            continue
        args = parser.parse_args(command[1:])
        # `serve` refuses several processes without SECRET_KEY (one key signs every session)
        assert args.processes == 1 or "SECRET_KEY" in service["environment"], name
