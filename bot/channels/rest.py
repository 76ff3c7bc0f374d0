"""The REST channel at /webhooks/rest/webhook, redacting card data before Rasa sees a message, and
answering only holders of the Rasa token (`?token=`, contract 2)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import config, rasa_token
from bot.text.payloads import BUTTON_PAYLOADS, GATEWAY_PAYLOADS, as_typed_text
from bot.text.redaction import redact, redact_value
from bot.text.typed_text import printable

MAX_MESSAGE_CHARS = 2000


class RedactingRestInput(RestInput):
    """Rasa's REST channel, but no card number, PIN or CVV gets past it.

    Redacting here, where a message enters, keeps the raw digits out of the NLU pipeline, the
    tracker store and every log line that Rasa writes: the message and every string of its metadata.
    Each message is redacted on its own: a card number split over two messages is hidden whole by
    the web gateway, which keeps each conversation's state between its messages (its first part
    is hidden here too; what is left of the second, at most seven digits, is no card number).

    Only the gateway and scripts holding RASA_TOKEN may post: anyone else on the network could
    otherwise write into any conversation, or send the gateway's own payloads (a scanned code's
    shop) with made-up facts.
    """

    def __init__(self, token: str) -> None:
        if not token:
            raise ValueError("the REST channel needs RASA_TOKEN")
        self._token = token

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> RedactingRestInput:
        return cls(config.text("RASA_TOKEN"))

    def refusal(self, request: Request) -> HTTPResponse | None:
        """401 for a request without the token; None lets it through."""
        if rasa_token.matches(self._token, request.args.get("token")):
            return None
        return rasa_token.refusal("?token=<RASA_TOKEN>")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        channel = super().blueprint(on_new_message)
        channel.middleware("request")(self.refusal)
        return channel

    def _raw_message(self, request: Request) -> str:
        message = (request.json or {}).get("message")
        if not isinstance(message, str):
            message = "" if message is None else str(message)
        return printable(message)[:MAX_MESSAGE_CHARS]

    def _extract_message(self, req: Request) -> str | None:
        text = redact(self._raw_message(req)).text.strip()
        return as_typed_text(text, BUTTON_PAYLOADS | GATEWAY_PAYLOADS)

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        """The client's metadata with every string in it redacted (a button's display text, ids, any
        field a client makes up), and what was removed from the message and from it."""
        metadata = (request.json or {}).get("metadata")
        metadata = dict(metadata) if isinstance(metadata, dict) else {}
        metadata.pop("redacted", None)  # only this channel may say what it removed
        metadata, from_metadata = redact_value(metadata)
        removed = dict.fromkeys(redact(self._raw_message(request)).removed + from_metadata)
        if removed:
            metadata["redacted"] = list(removed)
        return metadata
