"""A migrated SQLite case store per test, a hand-moved clock, and the outbox and escalations on it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.case_store import CaseDatabase, upgrade
from bot.case_store.escalations import EscalationStore
from bot.case_store.outbox import Outbox
from tests.bot.case_store.support import SHANGHAI, Clock


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    upgrade(url)
    return url


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI))


@pytest.fixture
def outbox(database_url: str) -> Iterator[Outbox]:
    store = Outbox(CaseDatabase(database_url))
    yield store
    store.database.close()


@pytest.fixture
def escalations(database_url: str, clock: Clock) -> Iterator[EscalationStore]:
    store = EscalationStore(CaseDatabase(database_url), clock=clock)
    yield store
    store.database.close()
