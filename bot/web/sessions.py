"""Browser sessions: a conversation id the gateway made, signed so only its browser can name it."""

from __future__ import annotations

import secrets

from itsdangerous import BadSignature, TimestampSigner


class ConversationSessions:
    """Issues and checks the token a browser keeps for its conversation.

    The token is the conversation id plus a signature and a date, so any gateway process that
    shares the secret can check it without shared state, and a guessed or borrowed id alone
    opens nothing.
    """

    def __init__(self, secret: str, max_age_days: int) -> None:
        self._signer = TimestampSigner(secret, salt="chat-conversation")
        self._max_age_seconds = max_age_days * 86400

    @staticmethod
    def new_conversation_id() -> str:
        return "web-" + secrets.token_urlsafe(16)

    def token_for(self, conversation_id: str) -> str:
        return self._signer.sign(conversation_id).decode("ascii")

    def conversation_of(self, token: object) -> str | None:
        """The conversation a token names, or None when it is missing, altered or too old."""
        if not isinstance(token, str) or not token or len(token) > 200:
            return None
        try:
            value = self._signer.unsign(token, max_age=self._max_age_seconds)
        except BadSignature:  # also SignatureExpired
            return None
        return value.decode("ascii")
