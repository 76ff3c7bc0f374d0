"""The REST channel at /webhooks/rest/webhook, redacting card data before Rasa sees a message."""

from __future__ import annotations

from typing import Any

from rasa.core.channels.rest import RestInput
from sanic.request import Request

from bot.redaction import redact

MAX_MESSAGE_CHARS = 2000
# The payloads of the bot's own buttons. Rasa treats any text starting with "/" as an intent
# (even /restart); typed text must not steer the dialogue that way.
BUTTON_PAYLOADS = frozenset(
    {"/affirm", "/deny", "/request_human", "/no_terminal_id", "/ask_terminal_id_location"}
)


class RedactingRestInput(RestInput):
    """Rasa's REST channel, but no card number, PIN or CVV gets past it.

    Redacting here, where a message enters, keeps the raw digits out of the NLU pipeline, the
    tracker store and every log line that Rasa writes.
    """

    @classmethod
    def name(cls) -> str:
        return "rest"

    def _raw_message(self, request: Request) -> str:
        message = (request.json or {}).get("message")
        if not isinstance(message, str):
            message = "" if message is None else str(message)
        # Control characters carry no meaning in a chat and confuse logs and terminals.
        cleaned = "".join(ch for ch in message if ch.isprintable() or ch in "\n\t")
        return cleaned[:MAX_MESSAGE_CHARS]

    def _extract_message(self, req: Request) -> str | None:
        text = redact(self._raw_message(req)).text.strip()
        if text.startswith("/") and text not in BUTTON_PAYLOADS:
            # A full-width slash keeps what the user typed readable but makes it plain text.
            text = "\uff0f" + text[1:]
        return text

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        metadata = (request.json or {}).get("metadata")
        metadata = dict(metadata) if isinstance(metadata, dict) else {}
        metadata.pop("redacted", None)  # only this channel may say what it removed
        removed = redact(self._raw_message(request)).removed
        if removed:
            metadata["redacted"] = list(removed)
        return metadata
