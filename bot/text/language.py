"""Which language a message is written in, by its main script."""

from __future__ import annotations

import html
import re

LANGUAGES = ("zh", "en")

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# A word stands alone: letters glued to digits are a code ("ABC123", "a1b2c3d4"), not English.
# Letters glued to a path or an identifier ("etc/passwd", "rasa.core") are code too.
_LATIN_WORD = re.compile(
    r"(?<![A-Za-z0-9])(?<![A-Za-z0-9][./\\_=-])[A-Za-z]{2,}(?![A-Za-z0-9])(?![./\\_=-][A-Za-z0-9])"
    r"|(?<![A-Za-z0-9])[Ii](?![A-Za-z0-9'])"
)
# Words that appear inside Chinese messages and say nothing about the writer's language.
_NEUTRAL_WORDS = {"pos", "tid", "app", "ok", "rmb", "cny", "atm", "id", "no", "rf", "es", "dp", "lk", "pin"}
# SQL and code keywords in capitals are nobody's language ("1' OR 1=1; DELETE FROM ...").
_CODE_WORDS = {"OR", "AND", "SELECT", "DELETE", "FROM", "WHERE", "DROP", "TABLE", "UNION", "INSERT", "INTO",
               "UPDATE", "SET", "NULL", "EXEC", "SLEEP", "TRUE", "FALSE", "ALERT", "SCRIPT"}  # fmt: skip
# A Chinese word is about two characters: this many Han characters weigh as much as one English word.
_HAN_PER_WORD = 2.0
# To switch away from the language the conversation is in, the other script must clearly dominate,
# so that one Chinese shop name in an English sentence (or "POS" in a Chinese one) does not switch.
_SWITCH_MARGIN = 1.5
# ... and say more than one word: "receipt 上 SP55G013" is still a Chinese answer.
_SWITCH_WORDS = 2


# Names of places say nothing about the writer's language: "罗森便利店(徐家汇店)", "南京西路".
_PLACE_NAME = re.compile(
    r"[\u4e00-\u9fff]{1,12}(?:店|馆|超市|广场|商场|中心|大厦|路|街|站|院)(?:[(（][\u4e00-\u9fff]{1,10}[)）])?"
)


# Markup and links are not anybody's language: "<a href=...>点我退款</a>" is written in Chinese.
_MARKUP = re.compile(r"<[^<>]{0,200}>|(?:https?|javascript|data):\S*|www\.\S+", re.IGNORECASE)
# An SQL statement typed into the chat: "DELETE FROM escalations;--".
_SQL = re.compile(r"\b(?:SELECT|DELETE|DROP|INSERT|UPDATE|UNION|EXEC)\b[^;\n]{0,120};?")


def _weights(text: str) -> tuple[float, float]:
    han = len(_HAN.findall(text)) / _HAN_PER_WORD
    words = [w for w in _LATIN_WORD.findall(text) if w.lower() not in _NEUTRAL_WORDS and w not in _CODE_WORDS]
    return han, float(len(words))


def detect_language(text: str, previous: str | None = None) -> str | None:
    """'zh' or 'en' by the message's main script, None when it does not tell (digits, a code, a
    button payload). `previous` is the conversation's language so far, kept unless the other script
    clearly dominates this message."""
    if text.startswith("/"):
        return None  # a button payload such as /affirm
    text = _SQL.sub(" ", _MARKUP.sub(" ", html.unescape(text)))
    zh, en = _weights(_PLACE_NAME.sub(" ", text))
    if not zh and not en:
        if previous in LANGUAGES and any(_weights(text)):
            return previous  # only a shop's or a street's name
        zh, en = _weights(text)
    if not zh and not en:
        return None
    if previous == "en" and en:
        return "zh" if zh > en * _SWITCH_MARGIN and zh >= _SWITCH_WORDS else "en"
    if previous == "zh" and zh:
        return "en" if en > zh * _SWITCH_MARGIN and en >= _SWITCH_WORDS else "zh"
    return "zh" if zh >= en else "en"
