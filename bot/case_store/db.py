"""The case store's database for one process: one engine, its sessions, and the outbox hook.

Every store (tickets, escalations, merchants, agents, the outbox) is given the process's one
`CaseDatabase`, so a process keeps one connection pool per database whatever it uses. Its errors
become `CaseStoreUnavailable` at the stores' edge (`translate_errors`): nothing outside
bot/case_store/ needs to know SQLAlchemy.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from bot import config
from bot.case_store.errors import CaseStoreUnavailable
from bot.case_store.outbox_hook import record_ticket_changes
from bot.private_files import make_private, sqlite_file

SQLITE_BUSY_TIMEOUT_S = 30.0
# Passes through a unit of work that lost a race (a unique violation) before giving up.
RACE_ATTEMPTS = 5


class CaseDatabase:
    """The engine of the case store's database and its reading and writing sessions."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or config.case_store_url()
        self.engine = make_engine(self.url)
        self.reads, self.writes = session_factories(self.engine)
        # Every ticket created or changed adds a "ticket.changed" outbox event to the same transaction.
        record_ticket_changes(self.writes)

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> CaseDatabase:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


StoreClass = TypeVar("StoreClass", bound=type)


def translate_errors(cls: StoreClass) -> StoreClass:
    """Make every public method of a store raise CaseStoreUnavailable where the database failed."""
    for name, method in list(vars(cls).items()):
        if name.startswith("_") or not inspect.isfunction(method):
            continue
        setattr(cls, name, _translated(method))
    return cls


def _translated(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except SQLAlchemyError as error:
            raise CaseStoreUnavailable(f"the case store failed: {type(error).__name__}") from error

    return call


def make_engine(url: str) -> Engine:
    """An engine for the case store: PostgreSQL, or SQLite tuned for threads (WAL, busy timeout).

    Its errors never show the values of a statement (`hide_parameters`): callers log them, and a
    ticket's facts and notes belong in the case store, not in the logs."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, future=True, pool_pre_ping=True, hide_parameters=True)
    path = sqlite_file(parsed)
    in_memory = path is None
    if path is not None:
        make_private(path)  # tickets and escalations: the owner's alone (0600)
    pool: dict[str, Any] = {} if in_memory else {"poolclass": QueuePool, "pool_size": 5, "max_overflow": 20}
    engine = create_engine(
        parsed,
        future=True,
        hide_parameters=True,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S},
        **pool,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # pysqlite's own BEGIN handling off; see _on_begin
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers take the write lock at BEGIN (waiting up to the busy timeout) instead of failing
        # with SQLITE_BUSY when a read transaction tries to become a write transaction.
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def is_unique_violation(exc: IntegrityError) -> bool:
    """Whether a write failed on a unique index (another writer got there first)."""
    original = exc.orig
    if getattr(original, "pgcode", None) == "23505":
        return True
    return "UNIQUE constraint failed" in str(original)


def session_factories(engine: Engine) -> tuple[sessionmaker, sessionmaker]:
    """Sessions for reading and for writing. No autoflush: a unit of work flushes when its changes are
    complete, so a half-made change never meets the database's constraints. SQLite writers take the
    write lock at BEGIN (IMMEDIATE), waiting their turn instead of failing halfway."""
    writer = engine.execution_options(sqlite_begin="IMMEDIATE") if engine.dialect.name == "sqlite" else engine
    reads = sessionmaker(engine, future=True, expire_on_commit=False, autoflush=False)
    writes = sessionmaker(writer, future=True, expire_on_commit=False, autoflush=False)
    return reads, writes
