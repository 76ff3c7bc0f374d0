"""A tokenizer for messages that mix Chinese and English."""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message

from bot.parsing.normalize import normalize


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class BilingualTokenizer(JiebaTokenizer):
    """Jieba for Chinese and English alike.

    Rasa's JiebaTokenizer emits a token for every run of spaces in English text, which
    dilutes the features of English messages. Traditional Chinese and full-width characters
    are read as their Simplified / ASCII forms (same length, so offsets stay true), so one
    set of training examples serves both scripts.
    """

    @staticmethod
    def supported_languages() -> list[str] | None:
        return None

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        import jieba

        text = normalize(message.get(attribute) or "")
        tokens = [Token(word, start) for word, start, _end in jieba.tokenize(text) if word.strip()]
        return self._apply_token_pattern(tokens)
