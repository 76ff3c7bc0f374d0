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
    return any(c.get("name") == "language" and c.get("value") == "en" for c in variation.get("condition", []))


def other_conditions(variation: dict) -> list:
    return [c for c in variation.get("condition", []) if c.get("name") != "language"]


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_each_variation_has_a_counterpart_in_the_other_language(name: str) -> None:
    english = [other_conditions(v) for v in RESPONSES[name] if is_english(v)]
    chinese = [other_conditions(v) for v in RESPONSES[name] if not is_english(v)]
    assert english and sorted(map(str, english)) == sorted(map(str, chinese))


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
