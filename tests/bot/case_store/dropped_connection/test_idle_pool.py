"""The case store's pooled PostgreSQL connections killed while idle: every store carries on, and the
control, an engine without pre-ping, breaks."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bot.case_store.outbox import Outbox
from tests.bot.case_store.conftest import PG_ADMIN_URL
from tests.bot.case_store.connection_killer import terminate_all
from tests.bot.case_store.dropped_connection.scenarios import World, _open_escalation, _refund
from tests.bot.case_store.support import store_at


def _pg_database(url: str) -> str:
    database = make_url(url).database
    assert database is not None
    return database


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite has no server to drop idle connections
def test_connections_killed_while_idle_in_the_pool_are_replaced(world: World) -> None:
    # Several connections wait in each pool.
    for engine in (world.cases.database.engine, world.escalations.database.engine):
        connections = [engine.connect() for _ in range(3)]
        for connection in connections:
            connection.execute(text("SELECT 1"))
            connection.close()
    first = _refund(world, "before")
    escalation = _open_escalation(world, "before")
    terminal = world.terminal()

    assert terminate_all(PG_ADMIN_URL, _pg_database(world.url)) >= 7  # 3 + 3 + the merchants' one

    # Every store carries on as if nothing happened: reads, writes, on every pooled connection.
    for index in range(4):
        _refund(world, f"after-{index}")
    assert world.cases.get(first.number) == first
    assert world.escalations.claim(escalation.id, "alice").status == "claimed"
    assert world.merchants.issue_terminal_code(terminal).kind == "terminal"
    with store_at(Outbox, world.url) as outbox:
        outbox.messages()
        assert terminate_all(PG_ADMIN_URL, _pg_database(world.url)) >= 1
        assert outbox.undelivered_count() == len(outbox.messages())
    world.inspector.check_whole()
    assert world.inspector.scalar("SELECT COUNT(*) FROM tickets") == 5


@pytest.mark.parametrize("backend", ["postgresql"])
def test_killing_idle_connections_breaks_an_engine_that_does_not_check_them(migrated_url: str) -> None:
    """The control of the test above: the kill does reach idle pooled connections, and without the
    store's pre-ping the next use of one fails."""
    engine = create_engine(migrated_url, future=True)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        assert terminate_all(PG_ADMIN_URL, _pg_database(migrated_url)) == 1
        with pytest.raises(OperationalError) as raised, engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        assert raised.value.connection_invalidated
    finally:
        engine.dispose()
