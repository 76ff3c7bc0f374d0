"""The production profile refuses public default secrets; the local one does not care."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.config import PROJECT_ROOT
from bot.profile import DEFAULT_SECRETS, UnsafeProfile, require_safe_profile

SAFE = {name: f"{name.lower()}-0123456789abcdef" for name in DEFAULT_SECRETS}


def test_the_local_profile_starts_with_the_defaults() -> None:
    assert require_safe_profile({}) == "local"
    assert require_safe_profile({"ASSISTANT_PROFILE": "local", "RASA_TOKEN": "local-dev-token"}) == "local"


def test_production_starts_when_every_secret_is_set() -> None:
    assert require_safe_profile({"ASSISTANT_PROFILE": "production", **SAFE}) == "production"


@pytest.mark.parametrize("name", sorted(DEFAULT_SECRETS))
def test_production_refuses_each_default_secret(name: str) -> None:
    with pytest.raises(UnsafeProfile, match=name):
        require_safe_profile({"ASSISTANT_PROFILE": "production", **SAFE, name: DEFAULT_SECRETS[name]})
    unset = {k: v for k, v in SAFE.items() if k != name}
    with pytest.raises(UnsafeProfile, match=name):
        require_safe_profile({"ASSISTANT_PROFILE": "production", **unset})
    with pytest.raises(UnsafeProfile, match=f"{name} is shorter"):
        require_safe_profile({"ASSISTANT_PROFILE": "production", **SAFE, name: "short"})


def test_an_unknown_profile_is_refused() -> None:
    with pytest.raises(UnsafeProfile, match="ASSISTANT_PROFILE"):
        require_safe_profile({"ASSISTANT_PROFILE": "prod"})


@pytest.mark.parametrize("module", ["bot.web", "bot.webhooks", "bot.lookup.retry_job"])
def test_our_processes_refuse_to_start_with_a_default_secret(module: str) -> None:
    environment = {
        **os.environ,
        **SAFE,
        "ASSISTANT_PROFILE": "production",
        "GATEWAY_SECRET": "local-dev-gateway-secret",
    }
    started = subprocess.run(
        [sys.executable, "-m", module],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode == 2
    assert "GATEWAY_SECRET has its public default value" in started.stderr
    assert "Traceback" not in started.stderr


def test_the_check_command_names_what_is_wrong() -> None:
    environment = {**os.environ, "ASSISTANT_PROFILE": "production"}
    for name in DEFAULT_SECRETS:
        environment.pop(name, None)
    checked = subprocess.run(
        [sys.executable, "-m", "bot.profile", "check"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 1
    assert all(name in checked.stderr for name in DEFAULT_SECRETS)
