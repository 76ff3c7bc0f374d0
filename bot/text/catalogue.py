"""What the product says to customers outside domain.yml's responses: one catalogue per language
(`bot/text/customer/zh.json`, `en.json`).

- `widget`: the chat widget's own words; the gateway writes both languages into widget.js when it
  loads it (`widget_script`), so the widget has no copy of its own. `privacy` gets the configured
  number of days a chat is kept there (RETENTION_TRANSCRIPT_DAYS), never a number of its own.
- `notices`: what the gateway itself says (rate limits, a message too long, the assistant down…).
- `support`: what the gateway tells the customer of a support agent's hand-over (an agent has
  joined; the agent's resolution note).
- `words`: words the actions put into responses ("the last few days" when no time was given).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from bot.text.language import LANGUAGES

CATALOGUE_DIR = Path(__file__).resolve().parent / "customer"
# Where widget.js takes the catalogue's widget texts (a JavaScript object literal).
WIDGET_PLACEHOLDER = b"/*@CUSTOMER_TEXTS@*/null"
FALLBACK_LANGUAGE = "zh"


@cache
def catalogue(language: str) -> dict[str, Any]:
    """The catalogue of `language` (Chinese for a language we do not speak)."""
    chosen = language if language in LANGUAGES else FALLBACK_LANGUAGE
    return json.loads((CATALOGUE_DIR / f"{chosen}.json").read_text(encoding="utf-8"))


def notice(code: str, language: str, **values: object) -> str:
    """The gateway's notice `code` in `language`, its {placeholders} filled."""
    return catalogue(language)["notices"][code].format(**values)


def support_text(key: str, language: str, **values: object) -> str:
    """What the customer is told of the hand-over (`key` of `support`) in `language`, filled in."""
    return catalogue(language)["support"][key].format(**values)


def word(key: str, language: str) -> str:
    return catalogue(language)["words"][key]


def widget_texts(language: str, transcript_days: int) -> dict[str, Any]:
    """The widget's words in `language`, the privacy line saying how many days a chat is kept."""
    texts = dict(catalogue(language)["widget"])
    texts["privacy"] = texts["privacy"].format(days=transcript_days)
    return texts


def widget_script(source: bytes, *, transcript_days: int) -> bytes:
    """widget.js with the widget texts of every language written in where it expects them."""
    if source.count(WIDGET_PLACEHOLDER) != 1:
        raise ValueError("widget.js must hold the customer texts' placeholder exactly once")
    texts = {language: widget_texts(language, transcript_days) for language in LANGUAGES}
    return source.replace(WIDGET_PLACEHOLDER, json.dumps(texts, ensure_ascii=False).encode("utf-8"))
