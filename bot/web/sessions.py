"""Browser sessions: a conversation id the gateway made, signed so only its browser can name it."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from itsdangerous import BadSignature, TimestampSigner

MAX_TOKEN_CHARS = 200


@dataclass(frozen=True)
class Conversation:
    """A browser's conversation and the one token it is known by."""

    id: str
    token: str
    started: float  # Unix time the token was signed: when the conversation began


class ConversationSessions:
    """Issues and checks the token a browser keeps for its conversation.

    The token is the conversation id plus a signature and the time it was signed, so any gateway
    process that shares the secret can check it without shared state, and a guessed or borrowed id
    alone opens nothing. A conversation has one token, made when it starts and handed back unchanged
    on every visit: its lifetime runs from the start, and coming back does not extend it, so a token
    that leaked stops working at the latest `max_age_days` after the conversation began. (Ending a
    conversation sooner is the shared state's part: ChatService.end.)
    """

    def __init__(self, secret: str, max_age_days: float, clock: Callable[[], float] = time.time) -> None:
        self._signer = _ClockedSigner(secret, salt="chat-conversation", clock=clock)
        self._clock = clock
        self.lifetime_seconds = max_age_days * 86400

    @staticmethod
    def new_conversation_id() -> str:
        return "web-" + secrets.token_urlsafe(16)

    def start(self) -> Conversation:
        """A new conversation and its token."""
        conversation_id = self.new_conversation_id()
        token = self._signer.sign(conversation_id).decode("ascii")
        return Conversation(conversation_id, token, float(self._signer.get_timestamp()))

    def opened(self, token: object) -> Conversation | None:
        """The conversation a genuine token names, however old (see `expired`); None when the token is
        missing, altered or not ours."""
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
            return None
        try:
            value, signed_at = self._signer.unsign(token, return_timestamp=True)
        except BadSignature:
            return None
        return Conversation(value.decode("ascii"), token, signed_at.timestamp())

    def remaining_seconds(self, conversation: Conversation) -> float:
        """How long the conversation's token still opens it (0 or less: not any more)."""
        return conversation.started + self.lifetime_seconds - self._clock()

    def expired(self, conversation: Conversation) -> bool:
        return self.remaining_seconds(conversation) <= 0


class _ClockedSigner(TimestampSigner):
    """itsdangerous's signer on a clock of our choosing (the tests move it)."""

    def __init__(self, secret: str, *, salt: str, clock: Callable[[], float]) -> None:
        super().__init__(secret, salt=salt)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock())
