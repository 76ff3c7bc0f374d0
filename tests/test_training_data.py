"""The training data is broad enough and never contains the held-out set."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("zh", "en")
MIN_EXAMPLES = 40


def training_examples(language: str) -> dict[str, list[str]]:
    document = yaml.safe_load((ROOT / "data" / "nlu" / f"{language}.yml").read_text(encoding="utf-8"))
    return {
        block["intent"]: [
            line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- ")
        ]
        for block in document["nlu"]
        if "intent" in block
    }


# Intents no one types: the web gateway sends them as payloads (see bot/channels/rest.py).
GATEWAY_INTENTS = {"qr_scanned"}


def domain_intents() -> list[str]:
    """The intents a user's words are classified into."""
    intents = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"]
    return [intent for intent in intents if intent not in GATEWAY_INTENTS]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_intent_has_enough_examples(language: str) -> None:
    examples = training_examples(language)
    for intent in domain_intents():
        assert len(examples.get(intent, [])) >= MIN_EXAMPLES, (language, intent)


# The slot set measures the parsers, which learn nothing from data/; it may share a bare "128"
# with the training data. The intent sets may not share a single text with it.
INTENT_SETS = sorted(p for p in (ROOT / "tests" / "heldout").glob("*.yml") if not p.stem.startswith("slots_"))


@pytest.mark.parametrize("heldout_file", INTENT_SETS, ids=lambda p: p.stem)
def test_heldout_sets_are_never_trained_on(heldout_file: Path) -> None:
    trained = {
        text.casefold()
        for language in LANGUAGES
        for texts in training_examples(language).values()
        for text in texts
    }
    heldout = yaml.safe_load(heldout_file.read_text(encoding="utf-8"))
    leaked = [e["text"] for e in heldout["examples"] if str(e["text"]).strip().casefold() in trained]
    assert leaked == []
    assert Counter(e["intent"] for e in heldout["examples"]).keys() == set(domain_intents())


def test_gateway_intents_have_no_examples_to_be_mistaken_for() -> None:
    for language in LANGUAGES:
        assert GATEWAY_INTENTS.isdisjoint(training_examples(language)), language


def test_no_example_stands_under_two_intents() -> None:
    intents_of: dict[str, set[str]] = {}
    for language in LANGUAGES:
        for intent, texts in training_examples(language).items():
            for text in texts:
                intents_of.setdefault(text.casefold(), set()).add(intent)
    assert {text: intents for text, intents in intents_of.items() if len(intents) > 1} == {}


def _blind_scenario_texts() -> list[str]:
    """Every message a blind scenario's customer sends (tests/blind, written without seeing data/)."""
    texts = []
    for path in sorted((ROOT / "tests" / "blind" / "scenarios").glob("*.yml")):
        for scenario in yaml.safe_load(path.read_text(encoding="utf-8")):
            texts.append(scenario["opening"])
            texts.extend(scenario.get("followups") or [])
            for answers in (scenario.get("answers") or {}).values():
                texts.extend(answers or [])
    return [str(text) for text in texts]


def test_blind_scenarios_are_never_trained_on() -> None:
    said = _blind_scenario_texts()
    assert len(said) > 500
    trained = {
        example.casefold()
        for language in LANGUAGES
        for examples in training_examples(language).values()
        for example in examples
    }
    # Short answers ("yes that's correct", "小票找不到了", a bare number) are everyone's words and some
    # are trained on; a sentence of the set in data/ would be a leak.
    sentences = [t for t in said if len(re.findall(r"[\u4e00-\u9fff]", t)) > 8 or len(t.split()) > 3]
    assert len(sentences) > 300
    leaked = [text for text in sentences if text.strip().casefold() in trained]
    assert leaked == []
