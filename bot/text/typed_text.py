"""What a user typed, made safe to carry and to judge: the same rules at the gateway and in Rasa's
REST channel, so that what one treats as empty the other does too."""

from __future__ import annotations

import re

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def printable(text: str) -> str:
    """The text without control, format (zero-width, direction), surrogate and other invisible
    characters; line breaks and tabs stay. They carry no meaning in a chat and confuse logs."""
    return "".join(ch for ch in text if ch.isprintable() or ch in "\n\t")


def well_formed(text: str) -> str:
    """Lone surrogates, which JSON can spell (\\ud800) but no UTF-8 encoder accepts, as U+FFFD."""
    return _LONE_SURROGATE.sub("\ufffd", text)
