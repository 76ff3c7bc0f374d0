"""A bare number or code is an answer to the form's question, whatever the classifier guessed.

Customers answer "被扣了多少钱？" with "300" and "终端号？" with "12345678" or "ab12cd34". Such a
message has almost no features for DIET, so its guess between `give_details` and, say, `goodbye`
(which has "88" and "886" among its examples) flips from one training run to the next; a wrong
`goodbye` ends the form. This component, after DIET, makes every such message `give_details`,
except the few numbers Chinese chat uses for goodbye.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.parsing.normalize import normalize

ANSWER_INTENT = "give_details"
GOODBYE_NUMBERS = frozenset({"88", "886", "8888", "88888", "886886"})
_NUMBER = re.compile(r"[¥$]?\s*\d[\d,\s]*(?:\.\d+)?\s*(?:元|块钱?|块|rmb|yuan|cny)?", re.IGNORECASE)
_CODE = re.compile(r"(?=(?:[A-Za-z]*\d){2})[A-Za-z0-9]{4,19}")


def is_bare_answer(text: str) -> bool:
    """Whether a message is nothing but an amount, a number or a terminal-like code."""
    text = normalize(text).strip()
    if not text or len(text) > 40 or text.startswith("/"):
        return False
    if re.sub(r"\D", "", text) in GOODBYE_NUMBERS and _NUMBER.fullmatch(text):
        return False
    return bool(_NUMBER.fullmatch(text) or _CODE.fullmatch(text))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class NumericAnswerClassifier(GraphComponent):
    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> NumericAnswerClassifier:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if not is_bare_answer(message.get(TEXT) or ""):
                continue
            ranking = [
                r for r in message.get("intent_ranking") or [] if r.get(INTENT_NAME_KEY) != ANSWER_INTENT
            ]
            answer = {INTENT_NAME_KEY: ANSWER_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
            message.set(INTENT, answer, add_to_output=True)
            message.set("intent_ranking", [answer, *ranking], add_to_output=True)
        return messages
