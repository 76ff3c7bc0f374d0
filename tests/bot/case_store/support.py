"""Shared pieces of the case store tests: a hand-moved clock, typical drafts, raw COUNT queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text

from bot.case_store import CaseDatabase, CaseStore, PendingDraft, TicketDraft, upgrade

SHANGHAI = ZoneInfo("Asia/Shanghai")
Store = TypeVar("Store")


def migrated_sqlite(directory: Path) -> str:
    """The URL of a SQLite case store in `directory`, brought to the newest schema."""
    url = f"sqlite:///{directory / 'cases.db'}"
    upgrade(url)
    return url


@contextmanager
def store_at(store: type[Store], url: str, **options: Any) -> Iterator[Store]:
    """A store on its own case database at `url`, closed after the block."""
    database = CaseDatabase(url)
    try:
        yield store(database, **options)  # type: ignore[call-arg]
    finally:
        database.close()


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def facts(**overrides: Any) -> dict[str, Any]:
    """The facts of a typical complaint."""
    start = datetime(2026, 11, 26, 9, 30, tzinfo=SHANGHAI)
    values: dict[str, Any] = {
        "conversation_id": "conv-1",
        "language": "zh",
        "amount": Decimal("128.50"),
        "window_start": start,
        "window_end": start + timedelta(minutes=10),
        "terminal_id": "10293847",
        "merchant_id": "898310048161234",
        "merchant_name": "全家 FamilyMart 徐汇店",
        "card_last4": "4821",
    }
    values.update(overrides)
    return values


def refund_draft(**overrides: Any) -> TicketDraft:
    values = facts(
        kind="refund",
        outcome="refund_ticket",
        transaction_id="TX-0001",
        expected_by=date(2026, 12, 3),
    )
    values.update(overrides)
    return TicketDraft(**values)


def pending_draft(**overrides: Any) -> PendingDraft:
    return PendingDraft(**facts(**overrides))


def count(url_or_store: str | CaseStore, sql: str, **params: Any) -> int:
    """A COUNT query straight on the database."""
    if isinstance(url_or_store, CaseStore):
        with url_or_store.database.engine.connect() as connection:
            return connection.execute(text(sql), params).scalar_one()
    engine = create_engine(url_or_store, future=True)
    try:
        with engine.connect() as connection:
            return connection.execute(text(sql), params).scalar_one()
    finally:
        engine.dispose()
