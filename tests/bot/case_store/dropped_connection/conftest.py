"""The world of stores under the connection killer, on a migrated database of each backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.case_store import CaseDatabase, CaseStore
from bot.case_store.escalations import EscalationStore
from bot.case_store.merchants import MerchantDirectory
from tests.bot.case_store import connection_killer
from tests.bot.case_store.conftest import PG_ADMIN_URL
from tests.bot.case_store.connection_killer import ConnectionKiller, Inspector
from tests.bot.case_store.dropped_connection.scenarios import World
from tests.bot.case_store.support import SHANGHAI, Clock

# A missing PostgreSQL fails these tests instead of skipping them (see connection_killer.pg_admin).
pg_admin = connection_killer.pg_admin


@pytest.fixture
def world(backend: str, migrated_url: str, clock: Clock) -> Iterator[World]:
    cases = CaseStore(CaseDatabase(migrated_url), business_timezone=SHANGHAI, clock=clock)
    escalations = EscalationStore(CaseDatabase(migrated_url), clock=clock)
    merchants = MerchantDirectory(CaseDatabase(migrated_url), clock=clock)
    admin_url = PG_ADMIN_URL if backend == "postgresql" else None
    engines = [cases.database.engine, escalations.database.engine, merchants.database.engine]
    killer = ConnectionKiller(engines, admin_url=admin_url)
    inspector = Inspector(migrated_url)
    yield World(backend, migrated_url, cases, escalations, merchants, killer, inspector, clock, admin_url)
    inspector.close()
    killer.close()
    for store in (cases, escalations, merchants):
        store.database.close()
