"""A tokenizer for messages that mix Chinese and English."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message


@lru_cache(maxsize=1)
def _traditional_to_simplified() -> Any:
    from opencc import OpenCC

    return OpenCC("t2s")


def simplify(text: str) -> str:
    """Traditional → Simplified Chinese, keeping the text's length so token offsets stay true."""
    converted = _traditional_to_simplified().convert(text)
    return converted if len(converted) == len(text) else text


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class BilingualTokenizer(JiebaTokenizer):
    """Jieba for Chinese and English alike.

    Rasa's JiebaTokenizer emits a token for every run of spaces in English text, which
    dilutes the features of English messages; Traditional Chinese is read as Simplified so
    one set of training examples serves both scripts.
    """

    @staticmethod
    def supported_languages() -> list[str] | None:
        return None

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        import jieba

        text = simplify(message.get(attribute) or "")
        tokens = [Token(word, start) for word, start, _end in jieba.tokenize(text) if word.strip()]
        return self._apply_token_pattern(tokens)
