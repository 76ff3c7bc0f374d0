"""Fixtures of the lookup service's tests: the sandbox merchant API, a migrated case store (SQLite and
PostgreSQL) and a service on both."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.case_store import CaseDatabase, CaseStore
from bot.lookup.service import LookupService
from bot.lookup.timelines import TimelineTable, load_table
from bot.merchant_api import MerchantAPI
from tests.bot.case_store import conftest as case_store_fixtures
from tests.bot.case_store.support import SHANGHAI
from tests.bot.lookup.support import make_service
from tests.devtools.sandbox.server import SandboxServer

# The case store's fixtures: a migrated database per test, on SQLite and on PostgreSQL (skipped, with
# the reason, when no server answers).
backend = case_store_fixtures.backend
migrated_url = case_store_fixtures.migrated_url
sqlite_template = case_store_fixtures.sqlite_template
pg_admin = case_store_fixtures.pg_admin
pg_database = case_store_fixtures.pg_database
pg_template = case_store_fixtures.pg_template


@pytest.fixture(scope="module")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    server = SandboxServer(workdir=tmp_path_factory.mktemp("lookup-sandbox")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> Iterator[SandboxServer]:
    """The shared sandbox, healthy and with an empty request log; healed again afterwards."""
    sandbox_server.heal()
    sandbox_server.clear_requests()
    yield sandbox_server
    sandbox_server.heal()


@pytest.fixture
def fresh_sandbox(tmp_path: Path) -> Iterator[SandboxServer]:
    """A sandbox of its own, for tests that change its state (a refund can be asked for only once)."""
    server = SandboxServer(workdir=tmp_path / "sandbox").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def table() -> TimelineTable:
    return load_table()


@pytest.fixture
def store(migrated_url: str) -> Iterator[CaseStore]:
    case_store = CaseStore(CaseDatabase(migrated_url), business_timezone=SHANGHAI)
    yield case_store
    case_store.database.close()


@pytest_asyncio.fixture(loop_scope="function")
async def service(
    sandbox: SandboxServer, store: CaseStore, table: TimelineTable
) -> AsyncIterator[LookupService]:
    lookup = make_service(sandbox, store, table)
    yield lookup
    await lookup.api.aclose()


@pytest_asyncio.fixture(loop_scope="function")
async def api(sandbox: SandboxServer) -> AsyncIterator[MerchantAPI]:
    """A plain client, to read the sandbox's (time-shifted) transactions."""
    async with MerchantAPI(sandbox.base_url, sandbox.api_key) as client:
        yield client
