"""Support agents: the people who take escalated conversations over in the support console.

Operators create, disable, enable the accounts and reset their passwords (`python -m bot.handoff`);
passwords are kept as argon2id hashes only. Disabling an account or giving it a new password ends
its sessions in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, String
from sqlalchemy.exc import IntegrityError

from bot.case_store.db import CaseDatabase, translate_errors, utc_now
from bot.case_store.errors import CaseStoreError
from bot.case_store.models import Base, UTCDateTime
from bot.case_store.passwords import hash_password, password_matches
from bot.case_store.staff_accounts import StaffAccounts

MAX_LOGIN_CHARS = 64  # also the length of EscalationRow.agent, which holds the login
MAX_DISPLAY_NAME_CHARS = 100


class AgentRow(Base):
    """One support agent's sign-in."""

    __tablename__ = "agents"

    login = Column(String(MAX_LOGIN_CHARS), primary_key=True)
    display_name = Column(String(MAX_DISPLAY_NAME_CHARS), nullable=False)
    password_hash = Column(String(255), nullable=False)
    created_at = Column(UTCDateTime, nullable=False)
    disabled_at = Column(UTCDateTime, nullable=True)  # set: the agent can no longer sign in


@dataclass(frozen=True)
class Agent:
    login: str
    display_name: str


class AgentError(CaseStoreError):
    """An agent account that cannot be made as asked."""


@translate_errors
class AgentDirectory:
    """The support agents' accounts in the case store."""

    def __init__(self, database: CaseDatabase, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.database = database
        self._sessions = database.writes
        self._clock = clock
        self._accounts = StaffAccounts(AgentRow, "agent", AgentError, self._sessions, clock)

    def add_agent(self, login: str, display_name: str, password: str) -> Agent:
        login, display_name = login.strip(), display_name.strip()
        if not 0 < len(login) <= MAX_LOGIN_CHARS or any(c.isspace() for c in login):
            raise AgentError(f"a login has 1 to {MAX_LOGIN_CHARS} characters and no spaces")
        if not 0 < len(display_name) <= MAX_DISPLAY_NAME_CHARS:
            raise AgentError(f"a display name has 1 to {MAX_DISPLAY_NAME_CHARS} characters")
        self._accounts.check_password(password)
        row = AgentRow(
            login=login,
            display_name=display_name,
            password_hash=hash_password(password),
            created_at=self._clock(),
        )
        try:
            with self._sessions.begin() as session:
                session.add(row)
        except IntegrityError as error:
            raise AgentError(f"agent {login} exists already") from error
        return Agent(login, display_name)

    def sign_in(self, login: str, password: str) -> Agent | None:
        """The agent whose login and password these are, or None (also for a disabled account)."""
        with self._sessions() as session:
            row = session.get(AgentRow, login)
            if not password_matches(row.password_hash if row else None, password):
                return None
            return None if row.disabled_at is not None else Agent(row.login, row.display_name)

    def agent(self, login: str) -> Agent | None:
        """The agent, or None when there is none or the account is disabled."""
        with self._sessions() as session:
            row = session.get(AgentRow, login)
            if row is None or row.disabled_at is not None:
                return None
            return Agent(row.login, row.display_name)

    def disable(self, login: str) -> int:
        """The agent can no longer sign in, and their sessions end; returns how many were live."""
        return self._accounts.disable(login)

    def enable(self, login: str) -> None:
        """A disabled agent may sign in again (with the password they had)."""
        self._accounts.enable(login)

    def reset_password(self, login: str, password: str) -> int:
        """A new password; every session of the agent ends. Returns how many were live."""
        return self._accounts.reset_password(login, password)
