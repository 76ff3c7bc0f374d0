"""Stateless staff sessions: a signed cookie, and CSRF tokens derived from it."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from itsdangerous import BadData, URLSafeTimedSerializer

MAX_COOKIE_CHARS = 400


class SignedSessions:
    """Stateless sessions: the cookie is a subject (a merchant id, an agent's login), a random nonce
    and the time it was made, signed with the gateway's secret, so every gateway process that shares
    the secret can check it. Each sign-in gets a new nonce, and so its own CSRF token. `purpose`
    keeps one kind of session from being taken for another."""

    def __init__(self, secret: str, max_age_hours: float, *, purpose: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt=f"{purpose}-session")
        self._csrf_key = hashlib.sha256(f"{purpose}-csrf\0".encode() + secret.encode("utf-8")).digest()
        self.max_age_seconds = max(1, round(max_age_hours * 3600))

    def issue(self, subject: str) -> str:
        """A new session's cookie value."""
        return self._serializer.dumps({"m": subject, "n": secrets.token_urlsafe(12)})

    def subject_of(self, value: object) -> str | None:
        """Whom a cookie value names, or None when it is missing, altered or too old."""
        if not isinstance(value, str) or not value or len(value) > MAX_COOKIE_CHARS:
            return None
        try:
            payload = self._serializer.loads(value, max_age=self.max_age_seconds)
        except BadData:  # a bad signature, an expired one, or a payload that is not ours
            return None
        subject = payload.get("m") if isinstance(payload, dict) else None
        return subject if isinstance(subject, str) and subject else None

    def csrf_token(self, value: str) -> str:
        """The token every form of this session carries: only a page of the session can know it."""
        return hmac.new(self._csrf_key, value.encode("utf-8"), hashlib.sha256).hexdigest()

    def csrf_ok(self, value: str, token: object) -> bool:
        return isinstance(token, str) and hmac.compare_digest(self.csrf_token(value), token)
