"""Every response exists in both languages, and no response mixes them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]

HAN = re.compile(r"[\u4e00-\u9fff]")
# Chinese text printed on receipts, quoted so an English reader can find the line on a Chinese slip.
QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”")
# Latin words a Chinese reader sees on the terminal, the receipt or the phone.
LATIN_IN_CHINESE = {"TID", "POS", "App", "RF"}


def is_english(variation: dict) -> bool:
    return language_of(variation) == "en"


def other_conditions(variation: dict) -> list:
    return [c for c in variation.get("condition", []) if c.get("name") != "language"]


def language_of(variation: dict) -> str | None:
    return next((c["value"] for c in variation.get("condition", []) if c.get("name") == "language"), None)


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_each_variation_has_a_counterpart_in_the_other_language(name: str) -> None:
    english = sorted(str(other_conditions(v)) for v in RESPONSES[name] if language_of(v) == "en")
    chinese = sorted(str(other_conditions(v)) for v in RESPONSES[name] if language_of(v) != "en")
    defaults = [v for v in RESPONSES[name] if not v.get("condition")]
    assert english and len(defaults) == 1, "an English variation and one unconditioned (Chinese) default"
    assert set(english) | {"[]"} == set(chinese)


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_at_most_one_variation_holds_in_any_state(name: str) -> None:
    """Rasa picks at random among matching conditional variations; the answer must not be random."""
    conditional = [v for v in RESPONSES[name] if v.get("condition")]
    for i, first in enumerate(conditional):
        for second in conditional[i + 1 :]:
            a = {c["name"]: c["value"] for c in first["condition"]}
            b = {c["name"]: c["value"] for c in second["condition"]}
            assert any(a[k] != b[k] for k in a.keys() & b.keys()), (a, b)


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_no_response_mixes_languages(name: str) -> None:
    for variation in RESPONSES[name]:
        texts = [variation["text"], *(b["title"] for b in variation.get("buttons", []))]
        for text in texts:
            if is_english(variation):
                assert not HAN.search(QUOTED.sub("", text)), text
            else:
                words = set(re.findall(r"[A-Za-z]{2,}", re.sub(r"\{\w+\}", "", text)))
                assert words <= LATIN_IN_CHINESE, (text, words - LATIN_IN_CHINESE)


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_yes_no_buttons_use_the_contract_payloads(name: str) -> None:
    for variation in RESPONSES[name]:
        payloads = [b["payload"] for b in variation.get("buttons", [])]
        assert all(p.startswith("/") for p in payloads)
        if "/affirm" in payloads:
            assert "/deny" in payloads


def test_every_response_the_code_names_is_in_the_domain() -> None:
    sources = [*ROOT.joinpath("actions").glob("*.py"), *ROOT.joinpath("bot", "dialogue").glob("*.py")]
    named = {
        name
        for path in sources
        for name in re.findall(r"[\"'](utter_[a-z0-9_]+)[\"']", path.read_text("utf-8"))
    }
    assert named, "the pattern found no response names: the test would pass vacuously"
    assert sorted(named - set(RESPONSES)) == []
