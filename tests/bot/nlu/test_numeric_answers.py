"""Bare numbers and codes are answers, not goodbyes; the goodbye numbers and sentences stay as they were."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.numeric_answers import NumericAnswerClassifier, is_bare_answer


@pytest.mark.parametrize(
    "text",
    [
        "12345",
        "300",
        "56.5",
        "１２３４５",
        "¥128.50",
        "128元",
        "99块",
        "45 yuan",
        "RMB",
        "1,280.00",
        "ab12cd34",
        "ABC123",
    ],
)
def test_numbers_and_codes_are_answers(text: str) -> None:
    assert is_bare_answer(text) is (text != "RMB")


@pytest.mark.parametrize(
    "text",
    ["88", "886", "", "  ", "/affirm", "我付了300", "bye", "hello", "ok", "昨天8点", "a" * 50, "1" * 41],
)
def test_goodbye_numbers_and_sentences_are_not(text: str) -> None:
    assert not is_bare_answer(text)


def test_the_classifier_overrules_a_guess_of_goodbye() -> None:
    message = Message(
        data={
            "text": "12345",
            "intent": {"name": "goodbye", "confidence": 0.93},
            "intent_ranking": [
                {"name": "goodbye", "confidence": 0.93},
                {"name": "give_details", "confidence": 0.05},
            ],
        }
    )
    [processed] = NumericAnswerClassifier().process([message])
    assert processed.get("intent") == {"name": "give_details", "confidence": 1.0}
    ranking = processed.get("intent_ranking")
    assert [r["name"] for r in ranking] == ["give_details", "goodbye"]


def test_the_classifier_leaves_other_messages_alone() -> None:
    message = Message(data={"text": "88", "intent": {"name": "goodbye", "confidence": 0.9}})
    [processed] = NumericAnswerClassifier().process([message])
    assert processed.get("intent") == {"name": "goodbye", "confidence": 0.9}
