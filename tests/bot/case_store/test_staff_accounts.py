"""The staff accounts both directories share (bot/case_store/staff_accounts.py), on SQLite and
PostgreSQL: locking an account out and ending its sessions happen together or not at all, for a
merchant's sign-in and an agent's alike."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text

from bot.case_store import CaseDatabase, CaseStoreError, CaseStoreUnavailable
from bot.case_store.agents import AgentDirectory, AgentError
from bot.case_store.merchants import MerchantDirectory, MerchantError
from bot.case_store.staff_sessions import StaffSessions
from tests.bot.case_store.support import Clock

PASSWORD, NEW_PASSWORD = "a long staff password", "another long password"
MID = "898290054990001"


@dataclass
class Account:
    """One kind of staff account, as its directory and the sign-in page see it."""

    kind: str
    subject: str
    directory: MerchantDirectory | AgentDirectory
    error: type[CaseStoreError]
    unknown_says: str
    signs_in: Callable[[str], bool]


@pytest.fixture(params=["merchant", "agent"])
def account(request: pytest.FixtureRequest, migrated_url: str, clock: Clock) -> Iterator[Account]:
    with CaseDatabase(migrated_url) as database:
        if request.param == "merchant":
            merchants = MerchantDirectory(database, clock=clock)
            merchants.add_merchant(MID, "全家便利店", "familymart", PASSWORD)
            yield Account(
                "merchant",
                MID,
                merchants,
                MerchantError,
                "no merchant 898290000000009",
                lambda password: merchants.sign_in("familymart", password) is not None,
            )
        else:
            agents = AgentDirectory(database, clock=clock)
            agents.add_agent("li.na", "李娜", PASSWORD)
            yield Account(
                "agent",
                "li.na",
                agents,
                AgentError,
                "no agent 898290000000009",
                lambda password: agents.sign_in("li.na", password) is not None,
            )


@pytest.fixture
def sessions(migrated_url: str, clock: Clock) -> Iterator[StaffSessions]:
    with CaseDatabase(migrated_url) as database:
        yield StaffSessions(database, clock=clock)


def rename_sessions_table(url: str, old: str, new: str) -> None:
    engine = create_engine(url, future=True)
    try:
        with engine.begin() as connection:
            connection.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))
    finally:
        engine.dispose()


def test_each_kind_is_locked_out_with_its_own_errors(account: Account, sessions: StaffSessions) -> None:
    live = [sessions.open(account.kind, account.subject, timedelta(hours=8)) for _ in range(2)]
    assert account.directory.disable(account.subject) == 2
    assert [sessions.subject_of(account.kind, s) for s in live] == [None, None]
    assert not account.signs_in(PASSWORD)
    account.directory.enable(account.subject)
    assert account.signs_in(PASSWORD)
    for change in (
        lambda: account.directory.disable("898290000000009"),
        lambda: account.directory.enable("898290000000009"),
        lambda: account.directory.reset_password("898290000000009", NEW_PASSWORD),
    ):
        with pytest.raises(account.error) as raised:
            change()
        assert str(raised.value) == account.unknown_says
    with pytest.raises(account.error, match=r"^a password needs at least 10 characters$"):
        account.directory.reset_password(account.subject, "short")


def test_when_the_sessions_cannot_be_ended_the_account_is_not_changed_either(
    account: Account, sessions: StaffSessions, migrated_url: str
) -> None:
    session_id = sessions.open(account.kind, account.subject, timedelta(hours=8))
    rename_sessions_table(migrated_url, "staff_sessions", "staff_sessions_away")
    try:
        with pytest.raises(CaseStoreUnavailable):
            account.directory.disable(account.subject)
        with pytest.raises(CaseStoreUnavailable):
            account.directory.reset_password(account.subject, NEW_PASSWORD)
    finally:
        rename_sessions_table(migrated_url, "staff_sessions_away", "staff_sessions")
    # Neither half happened: still enabled, with the old password, and the session still live.
    assert account.signs_in(PASSWORD) and not account.signs_in(NEW_PASSWORD)
    assert sessions.subject_of(account.kind, session_id) == account.subject
