"""Cutting the case store's database connection for real, at a chosen point of a unit of work, and
reading back what the database then holds through a connection of its own.

PostgreSQL: the server ends the store's backend (`pg_terminate_backend`, sent from a second
connection), so the next statement or the COMMIT fails with the driver's own OperationalError.
SQLite has no server: the nearest thing is the store's file handle closing under it (the transaction
is rolled back by SQLite, the next call fails with "Cannot operate on a closed database").
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from sqlalchemy import MetaData, create_engine, event, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from bot.case_store.escalation_models import Escalation, EscalationRow, OutboxRow, dump_json, ticket_json
from bot.case_store.escalations import TOPICS
from bot.case_store.models import TicketRow, TicketSequenceRow
from bot.case_store.outbox_hook import TICKET_CHANGED
from bot.case_store.ticket_numbers import parse_number
from tests.bot.case_store.conftest import PG_ADMIN_URL

COMMIT = "commit"  # kill the connection just before the COMMIT is sent
ACK_LOST = "ack_lost"  # the COMMIT reaches the database, the connection dies before the caller hears
_WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    """The case store conftest's fixture of that name, except that a missing server fails the tests
    instead of skipping them: a dropped connection is real only on PostgreSQL, and CI always has one.
    Test modules override the conftest's with this one (`pg_admin = connection_killer.pg_admin`)."""
    engine = create_engine(
        PG_ADMIN_URL, future=True, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        engine.dispose()
        safe = make_url(PG_ADMIN_URL).render_as_string(hide_password=True)
        pytest.fail(f"PostgreSQL not reachable at {safe} (set TEST_POSTGRES_URL): {exc}")
    yield engine
    engine.dispose()


class ConnectionKiller:
    """Kills the connection of the next unit of work on the engines, once, at the point it is armed for.

    `arm(n)` kills before the n-th statement (1 = the first); `arm(COMMIT)` before the COMMIT of the
    next transaction that wrote something (reads commit too); `arm(ACK_LOST)` right after such a
    COMMIT succeeded, so that the caller gets the dead connection's error for a change that did land.
    `kills` records each kill (the tests check it happened).
    """

    def __init__(self, engines: Iterable[Engine], *, admin_url: str | None = None) -> None:
        self._admin = (
            create_engine(admin_url, future=True, isolation_level="AUTOCOMMIT", poolclass=NullPool)
            if admin_url is not None
            else None
        )
        self.point: int | str | None = None
        self.statements = 0
        self.kills: list[str] = []
        self._wrote = False  # the current transaction has written (single-threaded use)
        for engine in engines:
            event.listen(engine, "before_cursor_execute", self._before_statement)
            event.listen(engine, "commit", self._before_commit)
            event.listen(engine, "rollback", self._after_rollback)
            self._wrap_commit(engine)

    def arm(self, point: int | str) -> None:
        self.point, self.statements = point, 0

    def disarm(self) -> None:
        self.point = None

    def close(self) -> None:
        if self._admin is not None:
            self._admin.dispose()

    # --- the hooks ------------------------------------------------------------------------------

    def _before_statement(self, _conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(_WRITES):
            self._wrote = True
        if not isinstance(self.point, int):
            return
        self.statements += 1
        if self.statements == self.point:
            self._kill(cursor.connection, f"before statement {self.point}: {statement.split()[0]}")

    def _before_commit(self, conn: Any) -> None:
        if self.point == COMMIT and self._wrote:
            self._kill(conn.connection.dbapi_connection, "before COMMIT")

    def _after_rollback(self, _conn: Any) -> None:
        self._wrote = False

    def _wrap_commit(self, engine: Engine) -> None:
        dialect = engine.dialect
        commit = dialect.do_commit

        def do_commit(dbapi_connection: Any) -> None:
            wrote, self._wrote = self._wrote, False
            commit(dbapi_connection)
            if self.point == ACK_LOST and wrote:
                self._kill(dbapi_connection, "after COMMIT")
                # What a client whose connection dies before the COMMIT's answer arrives gets: the
                # driver's error from the dead connection (the change itself is committed).
                cursor = dbapi_connection.cursor()
                cursor.execute("SELECT 1")
                raise AssertionError("the killed connection still answers")

        dialect.do_commit = do_commit  # type: ignore[method-assign]

    def _kill(self, connection: Any, where: str) -> None:
        self.point = None  # once per arming
        # The driver's own connection, not the pool's proxy of it (whose close() only checks it in).
        dbapi_connection = getattr(connection, "dbapi_connection", connection)
        if self._admin is None:
            dbapi_connection.close()
        else:
            pid = dbapi_connection.get_backend_pid()
            with self._admin.connect() as admin:
                assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
                deadline = time.monotonic() + 10
                while admin.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
                ).scalar():
                    assert time.monotonic() < deadline, f"backend {pid} still alive after termination"
                    time.sleep(0.01)
        self.kills.append(where)


def terminate_all(admin_url: str, database: str) -> int:
    """End every server connection to `database` (from another database); how many there were."""
    admin = create_engine(admin_url, future=True, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            pids = (
                connection.execute(
                    text("SELECT pid FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid()"),
                    {"db": database},
                )
                .scalars()
                .all()
            )
            for pid in pids:
                connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            deadline = time.monotonic() + 10
            while connection.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"), {"pids": list(pids)}
            ).scalar():
                assert time.monotonic() < deadline, "backends still alive after termination"
                time.sleep(0.01)
            return len(pids)
    finally:
        admin.dispose()


# --- what the database holds, through a fresh connection ----------------------------------------------


class Inspector:
    """Reads the case store's database through an engine of its own (no pooling: always fresh)."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url, future=True, poolclass=NullPool)
        self._metadata = MetaData()
        self._metadata.reflect(self.engine)
        self._tables = [t for t in self._metadata.sorted_tables if t.name != "alembic_version"]

    def close(self) -> None:
        self.engine.dispose()

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, in primary key order."""
        with self.engine.connect() as connection:
            # Plain SQL: the values as stored, untouched by the models' types.
            return {
                table.name: [
                    tuple(row)
                    for row in connection.exec_driver_sql(
                        f'SELECT * FROM "{table.name}" ORDER BY '
                        + ", ".join(f'"{column.name}"' for column in table.primary_key.columns)
                    )
                ]
                for table in self._tables
            }

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.snapshot().items()}

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as connection:
            return connection.execute(text(sql), params).scalar_one()

    def check_whole(self) -> None:
        """What no unit of work may leave otherwise, committed or not.

        Every ticket has its history, and the newest outbox event about it carries its current state
        (so each committed change was announced, in its own transaction); the day's ticket numbers run
        from 1 without a gap (a rolled-back opening gave its number back); every escalation's outbox
        holds the event of its current status.
        """
        with Session(self.engine, future=True) as session:
            tickets = session.execute(select(TicketRow)).scalars().all()
            outbox = session.execute(select(OutboxRow).order_by(OutboxRow.id)).scalars().all()
            ticket_events = [json.loads(row.payload) for row in outbox if row.topic == TICKET_CHANGED]
            for ticket in tickets:
                assert ticket.events, f"{ticket.number} has no history"
                assert ticket.events[0].from_status is None, f"{ticket.number} lost its opening event"
                current = json.loads(dump_json(ticket_json(ticket)))
                assert current in ticket_events, f"{ticket.number}: its current state was never announced"
            sequences: dict[Any, list[int]] = defaultdict(list)
            for ticket in tickets:
                number = parse_number(ticket.number)
                assert number is not None
                sequences[number.day].append(number.sequence)
            last = {row.day: row.last_value for row in session.execute(select(TicketSequenceRow)).scalars()}
            for day, used in sequences.items():
                assert sorted(used) == list(range(1, last[day] + 1)), f"ticket numbers of {day}: {used}"
            for row in session.execute(select(EscalationRow)).scalars():
                escalation = Escalation.from_row(row)
                announced = [
                    json.loads(message.payload)
                    for message in outbox
                    if message.topic == TOPICS[escalation.status]
                ]
                current = json.loads(dump_json(escalation.as_json()))
                assert current in announced, f"escalation {row.id} ({row.status}) was never announced"
            # Every outbox row reports something that exists (nothing announced that was rolled back).
            numbers = {ticket.number for ticket in tickets}
            assert {event["number"] for event in ticket_events} <= numbers | {
                ticket.former_number for ticket in tickets
            }
