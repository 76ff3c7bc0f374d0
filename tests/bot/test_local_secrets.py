"""The local profile's secrets: made at random on first use, in a file only its user may read, the
same for every process and every later run, new after the file is deleted; never a repository value."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bot import config, local_secrets
from bot.config import PROJECT_ROOT
from bot.profile import PUBLIC_VALUES

RANDOM = re.compile(r"^[0-9a-f]{64}$")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"SECRETS_FILE": str(tmp_path / "var" / "secrets.env")}


def secrets_of(env: dict[str, str]) -> dict[str, str]:
    return {name: config.text(name, env) for name in config.SECRETS}


def test_unset_secrets_are_made_at_random_into_a_file_only_its_user_may_read(env: dict[str, str]) -> None:
    made = secrets_of(env)
    assert all(RANDOM.match(value) for value in made.values()), made
    assert len(set(made.values())) == len(made)
    assert not set(made.values()) & PUBLIC_VALUES
    file = Path(env["SECRETS_FILE"])
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert not [p for p in file.parent.iterdir() if p != file]  # no partial file left behind


def test_later_reads_get_the_same_values_and_a_deleted_file_rotates_them(env: dict[str, str]) -> None:
    first = secrets_of(env)
    assert secrets_of(env) == first
    Path(env["SECRETS_FILE"]).unlink()
    rotated = secrets_of(env)
    assert all(rotated[name] != first[name] for name in first)


def test_a_secret_set_in_the_environment_wins_and_the_file_keeps_its_own(env: dict[str, str]) -> None:
    made = secrets_of(env)
    chosen = {**env, "GATEWAY_SECRET": "from-the-environment"}
    assert config.text("GATEWAY_SECRET", chosen) == "from-the-environment"
    assert secrets_of(env) == made


def test_the_production_profile_never_makes_or_reads_the_file(env: dict[str, str]) -> None:
    production = {**env, "ASSISTANT_PROFILE": "production"}
    assert all(config.text(name, production) == "" for name in config.SECRETS)
    assert not Path(env["SECRETS_FILE"]).exists()


def test_a_file_others_may_read_is_refused_naming_the_remedy(env: dict[str, str]) -> None:
    secrets_of(env)
    os.chmod(env["SECRETS_FILE"], 0o644)
    with pytest.raises(config.ConfigError, match=r"may be read by other users.*chmod 600"):
        config.text("RASA_TOKEN", env)


def test_a_secret_missing_from_the_file_is_added_and_the_others_kept(env: dict[str, str]) -> None:
    file = Path(env["SECRETS_FILE"])
    file.parent.mkdir(parents=True)
    descriptor = os.open(file, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(descriptor, b"# an older file\nGATEWAY_SECRET=kept-from-before-0123456789\n")
    os.close(descriptor)
    made = secrets_of(env)
    assert made["GATEWAY_SECRET"] == "kept-from-before-0123456789"
    assert all(RANDOM.match(made[name]) for name in config.SECRETS if name != "GATEWAY_SECRET")


def test_processes_starting_together_agree_on_the_secrets(env: dict[str, str]) -> None:
    """The scripts start every process at once: each must read what the first one made."""
    program = "from bot import config; print(config.text('GATEWAY_SECRET'), config.text('RASA_TOKEN'))"
    environment = {k: v for k, v in os.environ.items() if k not in config.SECRETS} | env
    environment["PYTHONPATH"] = str(PROJECT_ROOT)
    started = [
        subprocess.Popen([sys.executable, "-c", program], env=environment, stdout=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    printed = {process.communicate(timeout=60)[0] for process in started}
    expected = [config.text("GATEWAY_SECRET", env), config.text("RASA_TOKEN", env)]
    assert len(printed) == 1 and printed.pop().split() == expected


def test_git_never_sees_the_default_file() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "--quiet", "--no-index", config.default("SECRETS_FILE")], cwd=PROJECT_ROOT
    )
    assert ignored.returncode == 0


def test_the_module_writes_nothing_but_names_and_values(tmp_path: Path) -> None:
    file = tmp_path / "secrets.env"
    values = local_secrets.load(file, ["A_SECRET", "B_SECRET"])
    lines = [line for line in file.read_text().splitlines() if not line.startswith("#")]
    assert lines == [f"A_SECRET={values['A_SECRET']}", f"B_SECRET={values['B_SECRET']}"]
