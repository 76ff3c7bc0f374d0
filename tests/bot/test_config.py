"""One list of settings: what bot.config knows, .env.example shows and the README's table explains
are the same variables, and the scripts' defaults are config's."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from bot import config

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
# Variables of other programs that the scripts set for them (TensorFlow, SQLAlchemy, Rasa).
NOT_OURS = {
    "TF_CPP_MIN_LOG_LEVEL",
    "TF_INTER_OP_PARALLELISM_THREADS",
    "TF_INTRA_OP_PARALLELISM_THREADS",
    "SQLALCHEMY_SILENCE_UBER_WARNING",
    "RASA_TELEMETRY_ENABLED",
}


def env_example_names() -> set[str]:
    names = set()
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        match = re.match(r"#?\s*([A-Z][A-Z0-9_]+)=", line)
        if match:
            names.add(match.group(1))
    return names


def readme_table_names() -> set[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Configuration", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", first_cell))
    return names


def names_read_in_code() -> set[str]:
    """Every variable name given to bot.config's readers in bot/ and actions/."""
    readers = {"text", "integer", "number", "path", "zone", "default"}
    names = set()
    for package in ("bot", "actions"):
        for source in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in readers
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "config"
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                ):
                    names.add(node.args[0].value)
    return names


def test_env_example_shows_every_variable_and_no_other() -> None:
    assert env_example_names() == set(config.VARIABLES)


def test_the_readme_table_explains_every_variable_and_no_other() -> None:
    assert readme_table_names() == set(config.VARIABLES)


def test_the_code_reads_only_listed_variables_and_the_product_reads_all_of_its_own() -> None:
    read = names_read_in_code()
    assert read <= set(config.VARIABLES)
    products = {v.name for v in config.VARIABLES.values() if v.reader == "product"}
    assert products <= read | {"POLICY_FILE", "DEFAULT_TIMEZONE", "DEFAULT_LANGUAGE", "CASE_STORE_URL"}


def test_the_scripts_defaults_are_configs() -> None:
    text = (ROOT / "scripts" / "defaults.env").read_text(encoding="utf-8")
    checked = 0
    for name, default in re.findall(r"^([A-Z][A-Z0-9_]+)=\$\{\1:-([^$}]*)\}$", text, re.M):
        if name in NOT_OURS:
            continue
        assert name in config.VARIABLES, f"{name} is set by scripts/defaults.env but unknown to bot.config"
        assert default == config.default(name), name
        checked += 1
    assert checked > 20


def test_a_blank_variable_means_its_default() -> None:
    assert config.text("GATEWAY_PORT", {"GATEWAY_PORT": "  "}) == "8000"
    assert config.integer("GATEWAY_PORT", {"GATEWAY_PORT": " 8100 "}) == 8100


@pytest.mark.parametrize(
    ("reader", "name", "value"),
    [(config.integer, "GATEWAY_PORT", "eighty"), (config.number, "WEBHOOK_POLL_SECONDS", "2s")],
)
def test_a_malformed_value_names_the_variable(reader: Callable[..., object], name: str, value: str) -> None:
    with pytest.raises(config.ConfigError, match=name):
        reader(name, {name: value})


def test_an_unknown_zone_names_the_variable() -> None:
    with pytest.raises(config.ConfigError, match="DEFAULT_TIMEZONE"):
        config.zone("DEFAULT_TIMEZONE", {"DEFAULT_TIMEZONE": "Mars/Olympus"})
