"""Rasa's tracker store as the privacy jobs see it: the `events` table of Rasa's SQLTrackerStore (one row
per event: id, sender_id = the conversation, timestamp in Unix seconds, data = the event as JSON), on
SQLite or PostgreSQL. Read and deleted with plain SQL, so that no rasa (and no TensorFlow) is loaded.

Deleting is safe beside running rasa servers: a conversation goes in one statement that checks its last
event again, so one that got a message meanwhile is kept whole, and two jobs deleting at once delete
(and count) each conversation once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from bot.case_store.db import make_engine
from bot.privacy.errors import TrackerStoreUnavailable

EVENTS = sa.table(
    "events",
    sa.column("id", sa.Integer),
    sa.column("sender_id", sa.String),
    sa.column("timestamp", sa.Float),
    sa.column("data", sa.Text),
)
# Conversations deleted per transaction, so that rasa servers sharing a SQLite file wait briefly.
BATCH = 200


class TrackerEvents:
    """The conversations in Rasa's tracker store."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)  # SQLite: write-ahead log and busy timeout, as the rasa servers
        self._writer = (
            self.engine.execution_options(sqlite_begin="IMMEDIATE")
            if self.engine.dialect.name == "sqlite"
            else self.engine
        )

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> TrackerEvents:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def delete_idle(self, last_event_before: datetime, *, batch: int = BATCH) -> int:
        """Delete every conversation whose last event is older than `last_event_before`; how many."""
        if not self._exists():
            return 0
        cutoff = last_event_before.timestamp()
        idle = (
            sa.select(EVENTS.c.sender_id)
            .group_by(EVENTS.c.sender_id)
            .having(sa.func.max(EVENTS.c.timestamp) < cutoff)
            .limit(batch)
        )
        later = EVENTS.alias("later")
        deleted = 0
        while True:
            with _translated(), self._writer.begin() as connection:
                senders = connection.execute(idle).scalars().all()
                if not senders:
                    return deleted
                for sender in senders:
                    # The last event checked again as it goes: a conversation that got a message since
                    # the SELECT keeps it (and another job that got there first leaves nothing to count).
                    still_idle = ~sa.exists().where(later.c.sender_id == sender, later.c.timestamp >= cutoff)
                    result = connection.execute(
                        sa.delete(EVENTS).where(EVENTS.c.sender_id == sender, still_idle)
                    )
                    if result.rowcount:
                        deleted += 1

    def events_of(self, conversation_id: str) -> list[dict[str, Any]]:
        """Every event of the conversation as Rasa stored it, oldest first (every session)."""
        if not self._exists():
            return []
        query = sa.select(EVENTS.c.data).where(EVENTS.c.sender_id == conversation_id).order_by(EVENTS.c.id)
        with _translated(), self.engine.connect() as connection:
            return [json.loads(data) for data in connection.execute(query).scalars()]

    def delete(self, conversation_id: str) -> int:
        """Delete the conversation's events; how many."""
        if not self._exists():
            return 0
        with _translated(), self._writer.begin() as connection:
            result = connection.execute(sa.delete(EVENTS).where(EVENTS.c.sender_id == conversation_id))
            return result.rowcount

    def _exists(self) -> bool:
        """Whether Rasa has made its table yet (a rasa server makes it when it first starts)."""
        with _translated():
            return sa.inspect(self.engine).has_table("events")


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except SQLAlchemyError as error:
        raise TrackerStoreUnavailable(f"the tracker store failed: {type(error).__name__}") from error
