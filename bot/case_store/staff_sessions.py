"""Staff sessions (merchant staff, support agents) on record, so that signing out, disabling an
account or resetting its password ends them at once in every gateway process.

A session's id is 256 random bits; the browser's cookie carries it, the table keeps only its SHA-256
(a copy of the table opens nothing). A session is live while it is on record, not revoked and not
expired. Revoked rows stay until they expire, as a record of when each session ended; a subject's
expired rows go when it next signs in.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Literal, get_args

from sqlalchemy import CheckConstraint, Column, Index, String, delete, func, select, update
from sqlalchemy.orm import Session

from bot.case_store.db import CaseDatabase, translate_errors, utc_now
from bot.case_store.models import Base, UTCDateTime

SessionKind = Literal["agent", "merchant"]
SESSION_KINDS: tuple[str, ...] = get_args(SessionKind)
SESSION_ID_BYTES = 32
MAX_SESSION_ID_CHARS = 64
# How stale `last_seen_at` may get before a request writes it again: one write a minute per
# session, not one per request.
LAST_SEEN_EVERY = timedelta(minutes=1)


class StaffSessionRow(Base):
    """One sign-in of a merchant's staff or an agent, from sign-in to sign-out or expiry."""

    __tablename__ = "staff_sessions"

    id_hash = Column(String(64), primary_key=True)  # SHA-256 of the session id, hex
    kind = Column(String(16), nullable=False)
    subject = Column(String(64), nullable=False)  # a merchant id, an agent's login
    created_at = Column(UTCDateTime, nullable=False)
    last_seen_at = Column(UTCDateTime, nullable=False)
    expires_at = Column(UTCDateTime, nullable=False)
    revoked_at = Column(UTCDateTime, nullable=True)

    __table_args__ = (
        CheckConstraint("kind IN ('agent', 'merchant')", name="kind"),
        Index("ix_staff_sessions_subject", "kind", "subject"),
    )


def id_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def revoke_sessions(session: Session, kind: SessionKind, subject: str, now: datetime) -> int:
    """End every live session of one account, inside the caller's unit of work (so an account
    disabled or given a new password never keeps a session). Returns how many were live."""
    result = session.execute(
        update(StaffSessionRow)
        .where(StaffSessionRow.kind == kind)
        .where(StaffSessionRow.subject == subject)
        .where(StaffSessionRow.revoked_at.is_(None))
        .where(StaffSessionRow.expires_at > now)
        .values(revoked_at=now)
    )
    return result.rowcount


@translate_errors
class StaffSessions:
    """The staff sessions on record in the case store."""

    def __init__(self, database: CaseDatabase, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.database = database
        self._reads = database.reads
        self._writes = database.writes
        self._clock = clock

    def open(self, kind: SessionKind, subject: str, lifetime: timedelta) -> str:
        """A new live session of `subject`; returns its id (only the browser keeps it)."""
        if kind not in SESSION_KINDS:
            raise ValueError(f"not a kind of staff session: {kind!r}")
        session_id = secrets.token_urlsafe(SESSION_ID_BYTES)
        now = self._clock()
        with self._writes.begin() as session:
            session.execute(
                delete(StaffSessionRow)
                .where(StaffSessionRow.kind == kind)
                .where(StaffSessionRow.subject == subject)
                .where(StaffSessionRow.expires_at <= now)
            )
            session.add(
                StaffSessionRow(
                    id_hash=id_hash(session_id),
                    kind=kind,
                    subject=subject,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + lifetime,
                )
            )
        return session_id

    def subject_of(self, kind: SessionKind, session_id: str) -> str | None:
        """Whose live session this is, or None (unknown, revoked, expired, or of another kind)."""
        if not 0 < len(session_id) <= MAX_SESSION_ID_CHARS:
            return None
        key, now = id_hash(session_id), self._clock()
        with self._reads() as session:
            row = session.get(StaffSessionRow, key)
            if row is None or row.kind != kind or row.revoked_at is not None or row.expires_at <= now:
                return None
            subject, stale = row.subject, row.last_seen_at <= now - LAST_SEEN_EVERY
        if stale:
            with self._writes.begin() as session:
                session.execute(
                    update(StaffSessionRow).where(StaffSessionRow.id_hash == key).values(last_seen_at=now)
                )
        return subject

    def revoke(self, kind: SessionKind, session_id: str) -> bool:
        """End one session (signing out); whether it was live."""
        now = self._clock()
        with self._writes.begin() as session:
            result = session.execute(
                update(StaffSessionRow)
                .where(StaffSessionRow.id_hash == id_hash(session_id))
                .where(StaffSessionRow.kind == kind)
                .where(StaffSessionRow.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            return result.rowcount > 0

    def revoke_all(self, kind: SessionKind, subject: str) -> int:
        """End every live session of one account (signing out everywhere); how many there were."""
        with self._writes.begin() as session:
            return revoke_sessions(session, kind, subject, self._clock())

    def live(self, kind: SessionKind, subject: str) -> int:
        """How many live sessions an account has."""
        now = self._clock()
        with self._reads() as session:
            return session.scalar(
                select(func.count())
                .select_from(StaffSessionRow)
                .where(StaffSessionRow.kind == kind)
                .where(StaffSessionRow.subject == subject)
                .where(StaffSessionRow.revoked_at.is_(None))
                .where(StaffSessionRow.expires_at > now)
            )
