"""Support agents: the people who take escalated conversations over in the support console.

Operators create the accounts (`python -m bot.handoff add-agent`); passwords are kept as argon2id
hashes only.
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
from bot.case_store.passwords import MIN_PASSWORD_CHARS, hash_password, password_matches

MAX_LOGIN_CHARS = 64  # also the length of EscalationRow.agent, which holds the login
MAX_DISPLAY_NAME_CHARS = 100


class AgentRow(Base):
    """One support agent's sign-in."""

    __tablename__ = "agents"

    login = Column(String(MAX_LOGIN_CHARS), primary_key=True)
    display_name = Column(String(MAX_DISPLAY_NAME_CHARS), nullable=False)
    password_hash = Column(String(255), nullable=False)
    created_at = Column(UTCDateTime, nullable=False)


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

    def add_agent(self, login: str, display_name: str, password: str) -> Agent:
        login, display_name = login.strip(), display_name.strip()
        if not 0 < len(login) <= MAX_LOGIN_CHARS or any(c.isspace() for c in login):
            raise AgentError(f"a login has 1 to {MAX_LOGIN_CHARS} characters and no spaces")
        if not 0 < len(display_name) <= MAX_DISPLAY_NAME_CHARS:
            raise AgentError(f"a display name has 1 to {MAX_DISPLAY_NAME_CHARS} characters")
        if len(password) < MIN_PASSWORD_CHARS:
            raise AgentError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
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
        """The agent whose login and password these are, or None."""
        with self._sessions() as session:
            row = session.get(AgentRow, login)
            if not password_matches(row.password_hash if row else None, password):
                return None
            return Agent(row.login, row.display_name)

    def agent(self, login: str) -> Agent | None:
        with self._sessions() as session:
            row = session.get(AgentRow, login)
            return None if row is None else Agent(row.login, row.display_name)
