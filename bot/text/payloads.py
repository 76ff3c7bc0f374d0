"""The slash payloads that may reach Rasa as intents; any other text starting with "/" is text.

Rasa treats a message starting with "/" as an intent (even /restart), so typed text must not be
able to steer the dialogue that way.
"""

from __future__ import annotations

# The payloads of the bot's own buttons.
BUTTON_PAYLOADS = frozenset(
    {"/affirm", "/deny", "/request_human", "/no_terminal_id", "/ask_terminal_id_location"}
)
# Sent by the web gateway alone, with a verified code in metadata.qr; never shown in a transcript.
QR_SCANNED = "/qr_scanned"
GATEWAY_PAYLOADS = frozenset({QR_SCANNED})
FULL_WIDTH_SLASH = "\uff0f"


def as_typed_text(text: str, allowed: frozenset[str]) -> str:
    """Text that starts with "/" but is not an allowed payload, made plain text to Rasa (a
    full-width slash keeps it readable)."""
    if text.startswith("/") and text not in allowed:
        return FULL_WIDTH_SLASH + text[1:]
    return text
