"""Staff sessions: a signed cookie naming a session on record in the case store, and CSRF tokens
derived from the cookie."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadData, URLSafeTimedSerializer

from bot.case_store.staff_sessions import SessionKind, StaffSessions

MAX_COOKIE_CHARS = 400


@dataclass(frozen=True)
class SessionCookie:
    """What a cookie with a good signature says: whose session, and its id on record."""

    subject: str
    session_id: str


class SignedSessions:
    """The cookie is a subject (a merchant id, an agent's login) and a session's random id, signed with
    the gateway's secret. The signature turns away altered and made-up cookies without a look-up;
    the session is live only while the case store has it on record, so signing out (here),
    disabling the account or resetting its password (the operators' commands) ends it at once in
    every gateway process. `kind` keeps one kind of session from being taken for another."""

    def __init__(
        self, secret: str, max_age_hours: float, *, kind: SessionKind, records: StaffSessions
    ) -> None:
        self.kind: SessionKind = kind
        self._records = records
        self._serializer = URLSafeTimedSerializer(secret, salt=f"{kind}-session")
        self._csrf_key = hashlib.sha256(f"{kind}-csrf\0".encode() + secret.encode("utf-8")).digest()
        self.max_age_seconds = max(1, round(max_age_hours * 3600))

    async def open(self, subject: str) -> str:
        """A new session on record; its cookie value."""
        lifetime = timedelta(seconds=self.max_age_seconds)
        session_id = await asyncio.to_thread(self._records.open, self.kind, subject, lifetime)
        return self._serializer.dumps({"m": subject, "n": session_id})

    async def subject_of(self, value: object) -> str | None:
        """Whose live session a cookie value names, or None: missing, altered, too old, signed out,
        or ended by an operator."""
        cookie = self.signed(value)
        if cookie is None:
            return None
        subject = await asyncio.to_thread(self._records.subject_of, self.kind, cookie.session_id)
        return subject if subject == cookie.subject else None

    async def close(self, value: object) -> None:
        """End the session a cookie value names (signing out): the cookie opens nothing any more,
        even if it was copied."""
        cookie = self.signed(value)
        if cookie is not None:
            await asyncio.to_thread(self._records.revoke, self.kind, cookie.session_id)

    def signed(self, value: object) -> SessionCookie | None:
        """What a cookie value says, if its signature holds and it is young enough (no look-up)."""
        if not isinstance(value, str) or not value or len(value) > MAX_COOKIE_CHARS:
            return None
        try:
            payload = self._serializer.loads(value, max_age=self.max_age_seconds)
        except BadData:  # a bad signature, an expired one, or a payload that is not ours
            return None
        if not isinstance(payload, dict):
            return None
        subject, session_id = payload.get("m"), payload.get("n")
        if not (isinstance(subject, str) and subject and isinstance(session_id, str) and session_id):
            return None
        return SessionCookie(subject, session_id)

    def csrf_token(self, value: str) -> str:
        """The token every form of this session carries: only a page of the session can know it."""
        return hmac.new(self._csrf_key, value.encode("utf-8"), hashlib.sha256).hexdigest()

    def csrf_ok(self, value: str, token: object) -> bool:
        return isinstance(token, str) and hmac.compare_digest(self.csrf_token(value), token)
