"""Settings from the environment."""

from __future__ import annotations

import pytest

from core.config import Settings


def test_defaults_and_overrides():
    assert Settings.from_env({}).lease_seconds == 30
    assert Settings.from_env({"LEASE_SECONDS": "7"}).lease_seconds == 7
    assert Settings.from_env({"HOLD_THRESHOLD_ABUSE": "0.4"}).hold_threshold_abuse == 0.4


def test_an_empty_number_means_default_and_an_empty_string_is_a_value():
    assert Settings.from_env({"LEASE_SECONDS": ""}).lease_seconds == 30
    assert Settings.from_env({"RATE_LIMIT_DEFAULT": ""}).rate_limit_default == ""
    assert Settings.from_env({}).rate_limit_default != ""


def test_a_bad_number_names_the_variable():
    with pytest.raises(ValueError, match="LEASE_SECONDS"):
        Settings.from_env({"LEASE_SECONDS": "soon"})


def test_every_setting_is_documented():
    for env, _default, doc in Settings.documented():
        assert env.isupper() and len(doc) > 10, env


def test_cli_explains_an_unreachable_redis_in_one_line(capsys, monkeypatch):
    from moderation import cli

    unreachable = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    monkeypatch.setenv("REDIS_URL", unreachable)
    # main() configures process-wide logging; keep the rest of the session's as it was.
    monkeypatch.setattr(cli.logs, "configure", lambda level: None)
    assert cli.main(["keys", "list"]) == 2
    err = capsys.readouterr().err
    assert f"cannot reach Redis at {unreachable}" in err and "Traceback" not in err
