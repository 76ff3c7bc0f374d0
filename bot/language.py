"""Which language a message is written in."""

from __future__ import annotations

import re

LANGUAGES = ("zh", "en")

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# A word stands alone: letters glued to digits are a code ("ABC123", "a1b2c3d4"), not English.
_LATIN_WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2,}(?![A-Za-z0-9])")
# Words that appear inside Chinese messages and say nothing about the writer's language.
_NEUTRAL_WORDS = {"pos", "tid", "app", "ok", "rmb", "cny", "atm", "id", "no", "rf"}


def detect_language(text: str) -> str | None:
    """'zh' for any Chinese text, 'en' for English words, None when the message does not tell."""
    if text.startswith("/"):
        return None  # a button payload such as /affirm
    if _HAN.search(text):
        return "zh"
    words = [w for w in _LATIN_WORD.findall(text) if w.lower() not in _NEUTRAL_WORDS]
    return "en" if words else None
