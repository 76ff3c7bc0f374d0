"""The privacy subsystem's tests run on SQLite files and on PostgreSQL, as the case store's do; the
tracker store is written by Rasa's own code (our IncrementalSQLTrackerStore), as the rasa servers do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.privacy.stores import Stores
from bot.rasa_server.tracker_store import IncrementalSQLTrackerStore
from tests.bot.case_store.conftest import (  # noqa: F401  (fixtures: both back-ends, migrated databases)
    backend,
    clock,
    migrated_url,
    pg_admin,
    pg_database,
    pg_template,
    sqlite_template,
)
from tests.bot.case_store.support import Clock
from tests.bot.privacy.support import DOMAIN


@pytest.fixture
def tracker_url(backend: str, migrated_url: str, tmp_path: Path) -> str:  # noqa: F811
    """Rasa's tracker store: its own SQLite file, or the case store's PostgreSQL database (as the
    production profile has it on this machine)."""
    return f"sqlite:///{tmp_path / 'tracker.db'}" if backend == "sqlite" else migrated_url


@pytest.fixture
def rasa_store(tracker_url: str) -> Iterator[IncrementalSQLTrackerStore]:
    """The tracker store as a rasa server opens it from the endpoints file (`url` comes as `host`)."""
    store = IncrementalSQLTrackerStore(domain=DOMAIN, host=tracker_url)
    yield store
    store.engine.dispose()


@pytest.fixture
def stores(migrated_url: str, tracker_url: str, clock: Clock) -> Iterator[Stores]:  # noqa: F811
    with Stores.open(migrated_url, tracker_url, clock=clock) as opened:
        yield opened
