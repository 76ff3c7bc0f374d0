"""Rasa's SQL tracker store, with each message's save costing one INSERT statement and one commit.

Rasa 3.6's `SQLTrackerStore.save` finds the events a message added by counting the rows the
conversation already has (a query with a subquery), then adds one ORM object per event. A sampling
profile under load put saving and loading trackers at a third of the rasa server's time. Here:

- the count is known already: it is the number of rows `retrieve` loaded for that very tracker
  object (or none, for the tracker created after `retrieve` found nothing), plus what the last
  `save` of that object added. Between the two, the
  conversation's lock (the lock store, and the gateway's per-conversation turn) keeps every other
  writer out, so the count is the one Rasa's query would find. A tracker this store did not load
  (a replaced tracker, say) is counted as Rasa counts it;
- the new rows go in as one executemany INSERT, and the conversation is loaded by one prepared
  query: the same rows, in the same order, as Rasa's ORM query;
- a SQLite database is put in write-ahead-log mode with a busy timeout, so that several rasa
  servers of the local profile can share the file: readers do not block the writer, and a writer
  waits for another instead of failing. `synchronous=NORMAL` is the mode SQLite recommends with
  a write-ahead log: a crash of any process loses nothing; a power cut may lose the last commits.

endpoints.yml and endpoints.production.yml name it: `tracker_store: {type:
bot.rasa_server.tracker_store.IncrementalSQLTrackerStore, ...}` with the settings of Rasa's `type: SQL`.
"""

from __future__ import annotations

import itertools
import json
import weakref
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.private_files import make_private_sqlite

# How long a SQLite writer waits for another process's transaction before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000
# How many conversations looked up in vain are remembered, waiting to be created.
FORGET_UNKNOWN_AFTER = 10_000

# Rasa's `_event_query` for the latest session: the rows stamped at or after the latest
# session_started, or every row when there is none; in insertion order.
_SESSION_EVENTS = sa.text(
    "SELECT data FROM events WHERE sender_id = :sender AND ("
    " timestamp >= (SELECT max(timestamp) FROM events"
    "  WHERE sender_id = :sender AND type_name = :session_started)"
    " OR NOT EXISTS (SELECT 1 FROM events"
    "  WHERE sender_id = :sender AND type_name = :session_started))"
    " ORDER BY id"
)


class IncrementalSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The customers' words: a SQLite file is made the owner's alone (0600) before Rasa creates it.
        make_private_sqlite(_database_url(kwargs))
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            self._share_sqlite_file()
        self._events_table = self.SQLEvent.__table__
        # Per conversation: the tracker object `retrieve` loaded, and how many rows it was loaded from.
        self._loaded: dict[str, tuple[weakref.ref[DialogueStateTracker], int]] = {}
        self._found_nothing: set[str] = set()

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        with self.engine.connect() as connection:
            rows = connection.execute(
                _SESSION_EVENTS, {"sender": sender_id, "session_started": SessionStarted.type_name}
            ).all()
        self._loaded.pop(sender_id, None)
        if not rows or self.domain is None:
            if len(self._found_nothing) >= FORGET_UNKNOWN_AFTER:
                self._found_nothing.clear()  # names looked up and never created (`exists`, say)
            self._found_nothing.add(sender_id)
            return None
        self._found_nothing.discard(sender_id)
        events = [json.loads(data) for (data,) in rows]
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        self._remember(tracker, len(rows))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        stored = self._stored_count(tracker)
        if stored is None:
            with self.session_scope() as session:
                stored = self._event_query(
                    session, tracker.sender_id, fetch_events_from_all_sessions=False
                ).count()
        new_events = list(itertools.islice(tracker.events, stored, None))
        if new_events:
            rows = [self._row(tracker.sender_id, event) for event in new_events]
            with self.engine.begin() as connection:
                connection.execute(self._events_table.insert(), rows)
        # The same tracker may be saved again (a new conversation's is saved when it is created and
        # after its first message). A new session changes what counts as stored: Rasa counts again.
        if not any(isinstance(event, SessionStarted) for event in new_events):
            self._remember(tracker, stored + len(new_events))

    def _share_sqlite_file(self) -> None:
        """The same file, with connections kept open (closing the last one checkpoints the log)."""
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(
            url, poolclass=sa.pool.QueuePool, connect_args={"check_same_thread": False}
        )
        sa.event.listen(self.engine, "connect", _configure_sqlite_connection)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    def _remember(self, tracker: DialogueStateTracker, stored: int) -> None:
        sender_id = tracker.sender_id
        self._loaded[sender_id] = (weakref.ref(tracker, lambda _: self._forget(sender_id)), stored)

    def _forget(self, sender_id: str) -> None:
        entry = self._loaded.get(sender_id)
        if entry is not None and entry[0]() is None:
            del self._loaded[sender_id]

    def _stored_count(self, tracker: DialogueStateTracker) -> int | None:
        """How many of the tracker's events are stored, when this store loaded or saved it."""
        entry = self._loaded.pop(tracker.sender_id, None)
        if entry is not None and entry[0]() is tracker:
            return entry[1]
        if tracker.sender_id in self._found_nothing:  # created because `retrieve` found no rows
            self._found_nothing.discard(tracker.sender_id)
            return 0
        return None

    @staticmethod
    def _row(sender_id: str, event: Event) -> dict[str, Any]:
        """The columns Rasa's `save` writes for one event."""
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }


def _database_url(settings: dict[str, Any]) -> str:
    """The URL Rasa's SQLTrackerStore connects to, from the endpoints file's settings: a whole URL in
    `url` (given as `host`), else `dialect` and `db` (our endpoints files use no other settings)."""
    host = settings.get("host") or ""
    if "://" in host:
        return host
    return f"{settings.get('dialect') or 'sqlite'}:///{settings.get('db') or 'rasa.db'}"


def _configure_sqlite_connection(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()
