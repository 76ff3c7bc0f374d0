"""No profile starts with a public secret; the production profile with an unset or short one neither,
and the local profile not when its gateway listens beyond loopback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import config
from bot.config import PROJECT_ROOT
from bot.profile import PUBLIC_VALUES, UnsafeProfile, require_safe_profile

SAFE = {name: f"{name.lower()}-0123456789abcdef" for name in config.SECRETS}
FORMER_DEFAULTS = {
    "RASA_TOKEN": "local-dev-token",
    "GATEWAY_SECRET": "local-dev-gateway-secret",
    "HELPDESK_WEBHOOK_SECRET": "local-dev-webhook-secret",
    "MERCHANT_API_KEY": "sandbox-key",
}


@pytest.fixture
def secrets_file(tmp_path: Path) -> str:
    return str(tmp_path / "secrets.env")


def test_every_former_default_is_a_public_value() -> None:
    assert set(FORMER_DEFAULTS) == set(config.SECRETS)
    assert set(FORMER_DEFAULTS.values()) <= PUBLIC_VALUES
    assert not any(config.default(name) for name in config.SECRETS)


def test_the_local_profile_starts_with_the_secrets_made_for_it(secrets_file: str) -> None:
    assert require_safe_profile({"SECRETS_FILE": secrets_file}) == "local"
    assert require_safe_profile({"SECRETS_FILE": secrets_file, "GATEWAY_HOST": "0.0.0.0"}) == "local"


def test_production_starts_when_every_secret_is_set() -> None:
    assert require_safe_profile({"ASSISTANT_PROFILE": "production", **SAFE}) == "production"


@pytest.mark.parametrize("profile", ["local", "production"])
@pytest.mark.parametrize("name", sorted(FORMER_DEFAULTS))
@pytest.mark.parametrize("value", sorted(PUBLIC_VALUES))
def test_no_profile_starts_with_a_public_value(
    profile: str, name: str, value: str, secrets_file: str
) -> None:
    env = {"ASSISTANT_PROFILE": profile, "SECRETS_FILE": secrets_file, **SAFE, name: value}
    with pytest.raises(UnsafeProfile, match=f"{name} has a public value"):
        require_safe_profile(env)


@pytest.mark.parametrize("name", sorted(FORMER_DEFAULTS))
def test_production_refuses_an_unset_or_short_secret(name: str) -> None:
    unset = {k: v for k, v in SAFE.items() if k != name}
    with pytest.raises(UnsafeProfile, match=f"{name} is not set"):
        require_safe_profile({"ASSISTANT_PROFILE": "production", **unset})
    with pytest.raises(UnsafeProfile, match=f"{name} is shorter"):
        require_safe_profile({"ASSISTANT_PROFILE": "production", **SAFE, name: "short"})


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "chat.example"])
def test_a_local_gateway_beyond_loopback_refuses_a_short_secret(host: str, secrets_file: str) -> None:
    env = {"SECRETS_FILE": secrets_file, "GATEWAY_SECRET": "short"}
    assert require_safe_profile({**env, "GATEWAY_HOST": "127.0.0.1"}) == "local"
    assert require_safe_profile({**env, "GATEWAY_HOST": "localhost"}) == "local"
    with pytest.raises(UnsafeProfile, match="beyond loopback: GATEWAY_SECRET is shorter"):
        require_safe_profile({**env, "GATEWAY_HOST": host})


def test_an_unknown_profile_is_refused() -> None:
    with pytest.raises(UnsafeProfile, match="ASSISTANT_PROFILE"):
        require_safe_profile({"ASSISTANT_PROFILE": "prod"})


def run(args: list[str], environment: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in config.SECRETS and k != "GATEWAY_HOST"}
    return subprocess.run(
        [sys.executable, *args],
        cwd=PROJECT_ROOT,
        env={**env, **environment},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize("profile", ["local", "production"])
@pytest.mark.parametrize("module", ["bot.web", "bot.webhooks", "bot.lookup.retry_job", "bot.action_server"])
def test_our_processes_refuse_to_start_with_a_public_secret(
    profile: str, module: str, secrets_file: str
) -> None:
    env = {**SAFE, "ASSISTANT_PROFILE": profile, "SECRETS_FILE": secrets_file}
    started = run(["-m", module], {**env, "GATEWAY_SECRET": "local-dev-gateway-secret"})
    assert started.returncode == 2
    assert "GATEWAY_SECRET has a public value" in started.stderr
    errors = [line for line in started.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in started.stderr, started.stderr


def test_a_public_gateway_with_the_former_defaults_does_not_start(secrets_file: str) -> None:
    """The reviewer's case: GATEWAY_HOST=0.0.0.0 and the values .env.example used to show."""
    env = {"GATEWAY_HOST": "0.0.0.0", "SECRETS_FILE": secrets_file, **FORMER_DEFAULTS}
    started = run(["-m", "bot.web"], env)
    assert started.returncode == 2
    assert started.stderr.startswith("error: the local profile refuses to start with GATEWAY_HOST beyond")
    assert all(f"{name} has a public value" in started.stderr for name in FORMER_DEFAULTS)


def test_the_check_command_names_what_is_wrong() -> None:
    checked = run(["-m", "bot.profile", "check"], {"ASSISTANT_PROFILE": "production"})
    assert checked.returncode == 1
    assert all(f"{name} is not set" in checked.stderr for name in config.SECRETS)


def test_the_secrets_command_gives_the_scripts_the_values_every_process_reads(secrets_file: str) -> None:
    env = {"SECRETS_FILE": secrets_file, "RASA_TOKEN": SAFE["RASA_TOKEN"]}
    printed = run(["-m", "bot.profile", "secrets"], env)
    assert printed.returncode == 0, printed.stderr
    assignments = dict(line.split("=", 1) for line in printed.stdout.splitlines())
    assert assignments == {name: config.text(name, env) for name in config.SECRETS}
    assert assignments["RASA_TOKEN"] == SAFE["RASA_TOKEN"]
    assert len(set(assignments.values())) == len(config.SECRETS)
