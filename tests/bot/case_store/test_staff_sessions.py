"""Staff sessions on record and staff accounts disabled, enabled or given a new password, on SQLite and
PostgreSQL: what makes signing out, disabling and resetting take effect at once in every gateway."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.case_store import CaseDatabase
from bot.case_store.agents import AgentDirectory, AgentError
from bot.case_store.merchants import MerchantDirectory, MerchantError
from bot.case_store.staff_sessions import StaffSessions, id_hash
from tests.bot.case_store.support import Clock, count

HOURS_8 = timedelta(hours=8)
PASSWORD, NEW_PASSWORD = "a long agent password", "another long password"
MID = "898290054990001"
BY_HASH = "SELECT COUNT(*) FROM staff_sessions WHERE id_hash = :h"


@pytest.fixture
def database(migrated_url: str) -> Iterator[CaseDatabase]:
    with CaseDatabase(migrated_url) as database:
        yield database


@pytest.fixture
def sessions(database: CaseDatabase, clock: Clock) -> StaffSessions:
    return StaffSessions(database, clock=clock)


@pytest.fixture
def agents(database: CaseDatabase, clock: Clock) -> AgentDirectory:
    directory = AgentDirectory(database, clock=clock)
    directory.add_agent("li.na", "李娜", PASSWORD)
    directory.add_agent("wang.wei", "王伟", PASSWORD)
    return directory


@pytest.fixture
def merchants(database: CaseDatabase, clock: Clock) -> MerchantDirectory:
    directory = MerchantDirectory(database, clock=clock)
    directory.add_merchant(MID, "全家便利店", "familymart", PASSWORD)
    return directory


def test_a_session_is_live_until_revoked_and_only_its_hash_is_kept(
    sessions: StaffSessions, migrated_url: str
) -> None:
    first = sessions.open("agent", "li.na", HOURS_8)
    second = sessions.open("agent", "li.na", HOURS_8)
    assert first != second and len(first) >= 43  # 256 random bits
    assert sessions.subject_of("agent", first) == "li.na" == sessions.subject_of("agent", second)
    assert sessions.subject_of("merchant", first) is None  # a session of one kind opens no other
    assert sessions.subject_of("agent", "made-up") is None
    assert sessions.subject_of("agent", "") is None and sessions.subject_of("agent", "x" * 500) is None
    assert count(migrated_url, BY_HASH, h=first) == 0
    assert count(migrated_url, BY_HASH, h=id_hash(first)) == 1

    assert sessions.revoke("agent", first) is True
    assert sessions.subject_of("agent", first) is None
    assert sessions.revoke("agent", first) is False  # once is enough
    assert sessions.subject_of("agent", second) == "li.na"  # signing out ends that session only
    assert sessions.live("agent", "li.na") == 1


def test_a_session_expires_and_expired_rows_go_at_the_next_sign_in(
    sessions: StaffSessions, clock: Clock, migrated_url: str
) -> None:
    old = sessions.open("merchant", MID, timedelta(hours=1))
    clock.advance(minutes=59)
    assert sessions.subject_of("merchant", old) == MID
    clock.advance(minutes=1)
    assert sessions.subject_of("merchant", old) is None
    sessions.open("merchant", MID, timedelta(hours=1))
    assert count(migrated_url, BY_HASH, h=id_hash(old)) == 0
    assert sessions.live("merchant", MID) == 1


def test_last_seen_is_written_at_most_once_a_minute(
    sessions: StaffSessions, clock: Clock, migrated_url: str
) -> None:
    session_id = sessions.open("agent", "li.na", HOURS_8)
    seen = "SELECT COUNT(*) FROM staff_sessions WHERE last_seen_at > created_at"
    clock.advance(seconds=30)
    sessions.subject_of("agent", session_id)
    assert count(migrated_url, seen) == 0
    clock.advance(seconds=31)
    sessions.subject_of("agent", session_id)
    assert count(migrated_url, seen) == 1


def test_signing_out_everywhere_ends_every_session_of_one_account(sessions: StaffSessions) -> None:
    mine = [sessions.open("agent", "li.na", HOURS_8) for _ in range(3)]
    theirs = sessions.open("agent", "wang.wei", HOURS_8)
    same_name_other_kind = sessions.open("merchant", "li.na", HOURS_8)
    assert sessions.revoke_all("agent", "li.na") == 3
    assert all(sessions.subject_of("agent", s) is None for s in mine)
    assert sessions.subject_of("agent", theirs) == "wang.wei"
    assert sessions.subject_of("merchant", same_name_other_kind) == "li.na"
    assert sessions.revoke_all("agent", "li.na") == 0


def test_a_disabled_agent_cannot_sign_in_and_loses_every_session(
    agents: AgentDirectory, sessions: StaffSessions
) -> None:
    session_id = sessions.open("agent", "li.na", HOURS_8)
    other = sessions.open("agent", "wang.wei", HOURS_8)
    assert agents.disable("li.na") == 1
    assert sessions.subject_of("agent", session_id) is None
    assert agents.sign_in("li.na", PASSWORD) is None
    assert agents.agent("li.na") is None  # what a session opened meanwhile would find: nobody
    assert sessions.subject_of("agent", other) == "wang.wei" and agents.agent("wang.wei") is not None
    assert agents.disable("li.na") == 0  # again: nothing more to end

    agents.enable("li.na")
    assert agents.sign_in("li.na", PASSWORD).login == "li.na"
    assert sessions.subject_of("agent", session_id) is None  # enabling brings no session back
    with pytest.raises(AgentError, match="no agent"):
        agents.disable("nobody")
    with pytest.raises(AgentError, match="no agent"):
        agents.enable("nobody")


def test_an_agents_new_password_ends_their_sessions(agents: AgentDirectory, sessions: StaffSessions) -> None:
    session_id = sessions.open("agent", "li.na", HOURS_8)
    assert agents.reset_password("li.na", NEW_PASSWORD) == 1
    assert sessions.subject_of("agent", session_id) is None
    assert agents.sign_in("li.na", PASSWORD) is None
    assert agents.sign_in("li.na", NEW_PASSWORD).login == "li.na"
    with pytest.raises(AgentError, match="at least"):
        agents.reset_password("li.na", "short")
    with pytest.raises(AgentError, match="no agent"):
        agents.reset_password("nobody", NEW_PASSWORD)
    assert agents.sign_in("li.na", NEW_PASSWORD) is not None


def test_a_disabled_merchant_cannot_sign_in_and_loses_every_session(
    merchants: MerchantDirectory, sessions: StaffSessions
) -> None:
    merchants.add_terminal(MID, "10293847")
    code = merchants.issue_terminal_code("10293847")
    session_id = sessions.open("merchant", MID, HOURS_8)
    assert merchants.disable(MID) == 1
    assert sessions.subject_of("merchant", session_id) is None
    assert merchants.sign_in("familymart", PASSWORD) is None
    assert merchants.merchant(MID) is None
    assert merchants.scan(code.token).status == "ok"  # customers still reach the assistant
    merchants.enable(MID)
    assert merchants.sign_in("familymart", PASSWORD).merchant_id == MID
    with pytest.raises(MerchantError, match="no merchant"):
        merchants.disable("898290000000009")


def test_a_merchants_new_password_ends_its_sessions(
    merchants: MerchantDirectory, sessions: StaffSessions
) -> None:
    session_id = sessions.open("merchant", MID, HOURS_8)
    assert merchants.reset_password(MID, NEW_PASSWORD) == 1
    assert sessions.subject_of("merchant", session_id) is None
    assert merchants.sign_in("familymart", PASSWORD) is None
    assert merchants.sign_in("familymart", NEW_PASSWORD).merchant_id == MID
    with pytest.raises(MerchantError, match="at least"):
        merchants.reset_password(MID, "short")
