"""The REST channel at /webhooks/rest/webhook, redacting card data before Rasa sees a message."""

from __future__ import annotations

from typing import Any

from rasa.core.channels.rest import RestInput
from sanic.request import Request

from bot.text.payloads import BUTTON_PAYLOADS, GATEWAY_PAYLOADS, as_typed_text
from bot.text.redaction import redact
from bot.text.typed_text import printable

MAX_MESSAGE_CHARS = 2000


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
        return printable(message)[:MAX_MESSAGE_CHARS]

    def _extract_message(self, req: Request) -> str | None:
        text = redact(self._raw_message(req)).text.strip()
        return as_typed_text(text, BUTTON_PAYLOADS | GATEWAY_PAYLOADS)

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        metadata = (request.json or {}).get("metadata")
        metadata = dict(metadata) if isinstance(metadata, dict) else {}
        metadata.pop("redacted", None)  # only this channel may say what it removed
        removed = redact(self._raw_message(request)).removed
        if removed:
            metadata["redacted"] = list(removed)
        return metadata
