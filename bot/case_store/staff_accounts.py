"""One staff sign-in's life after it is made: disabled, enabled again, given a new password. The
merchants' and the support agents' accounts share it, so that every change that locks an account out
ends its sessions in the same transaction, whichever table the account lives in.

Each directory gives its own row class (keyed by the subject its sessions name: a merchant id, an
agent's login), its kind of session, and the error class its callers catch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from bot.case_store.errors import CaseStoreError
from bot.case_store.passwords import MIN_PASSWORD_CHARS, hash_password
from bot.case_store.staff_sessions import SessionKind, revoke_sessions


class AccountRow(Protocol):
    password_hash: str
    disabled_at: datetime | None


Row = TypeVar("Row", bound=AccountRow)


@dataclass(frozen=True)
class StaffAccounts(Generic[Row]):
    """The accounts of one table: `row_type`'s primary key is the sessions' subject."""

    row_type: type[Row]
    kind: SessionKind  # also how an error names the account: "no merchant …", "no agent …"
    error: type[CaseStoreError]
    sessions: sessionmaker
    clock: Callable[[], datetime]

    def check_password(self, password: str) -> None:
        """Refuse a password too short to be one (in the directory's own error)."""
        if len(password) < MIN_PASSWORD_CHARS:
            raise self.error(f"a password needs at least {MIN_PASSWORD_CHARS} characters")

    def disable(self, subject: str) -> int:
        """The account can no longer sign in, and its sessions end; returns how many were live."""
        with self.sessions.begin() as session:
            row = self.row(session, subject)
            now = self.clock()
            if row.disabled_at is None:
                row.disabled_at = now
            return revoke_sessions(session, self.kind, subject, now)

    def enable(self, subject: str) -> None:
        """A disabled account may sign in again (with the password it had)."""
        with self.sessions.begin() as session:
            self.row(session, subject).disabled_at = None

    def reset_password(self, subject: str, password: str) -> int:
        """A new password; every session of the account ends. Returns how many were live."""
        self.check_password(password)
        # argon2 takes a while: hashed before the transaction, so the write lock is held briefly.
        password_hash = hash_password(password)
        with self.sessions.begin() as session:
            self.row(session, subject).password_hash = password_hash
            return revoke_sessions(session, self.kind, subject, self.clock())

    def row(self, session: Session, subject: str) -> Row:
        row = session.get(self.row_type, subject)
        if row is None:
            raise self.error(f"no {self.kind} {subject}")
        return row
