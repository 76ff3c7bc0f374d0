"""The tracker store writes the same rows as Rasa's own SQL tracker store, whatever the sequence of
loads and saves, and several stores ("rasa servers") can share one SQLite file."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from pathlib import Path

import pytest
import yaml
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore, create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import class_from_module_path
from rasa.utils.endpoints import EndpointConfig

from bot.config import PROJECT_ROOT
from bot.rasa_server.tracker_store import IncrementalSQLTrackerStore

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet, give_details]
slots:
  amount:
    type: text
    mappings: [{type: custom}]
responses:
  utter_ask: [{text: "how much?"}]
"""
)
START = 1_800_000_000.0


def message(text: str, at: float) -> list[Event]:
    """What one turn adds: the customer's message, an action with a slot and a reply, listening."""
    return [
        UserUttered(text, {"name": "give_details", "confidence": 0.9}, timestamp=at),
        ActionExecuted("action_turn", timestamp=at + 0.1),
        SlotSet("amount", text, timestamp=at + 0.2),
        BotUttered(f"got {text}", timestamp=at + 0.3),
        ActionExecuted("action_listen", timestamp=at + 0.4),
    ]


def session_start(at: float) -> list[Event]:
    return [
        ActionExecuted("action_session_start", timestamp=at),
        SessionStarted(timestamp=at + 0.01),
        ActionExecuted("action_listen", timestamp=at + 0.02),
    ]


def store_at(kind: type[SQLTrackerStore], path: Path) -> FailSafeTrackerStore:
    """A store as the rasa server holds it (behind Rasa's fail-safe wrapper)."""
    return FailSafeTrackerStore(kind(domain=DOMAIN, dialect="sqlite", db=str(path)))


def rows(path: Path) -> list[tuple]:
    """The stored rows; the time a conversation was created (now, not a time of ours) left out."""
    with sqlite3.connect(path) as connection:
        columns = "sender_id, type_name, timestamp, intent_name, action_name, data"
        stored = connection.execute(f"SELECT {columns} FROM events ORDER BY id").fetchall()
    return [row if row[2] >= START else (*row[:2], None, *row[3:5], _untimed(row[5])) for row in stored]


def _untimed(data: str) -> str:
    return json.dumps({k: v for k, v in json.loads(data).items() if k != "timestamp"})


async def turn(store: FailSafeTrackerStore, sender: str, events: list[Event]) -> DialogueStateTracker:
    """One message as the rasa server handles it: load (or create), add the turn's events, save."""
    tracker = await store.get_or_create_tracker(sender)
    for event in events:
        tracker.update(event)
    await store.save(tracker)
    return tracker


async def conversation_history(store: FailSafeTrackerStore) -> None:
    """New conversations, interleaved turns, a double save, a new session, a tracker not loaded."""
    first = await turn(store, "alice", session_start(START) + message("128", START + 1))
    first.update(BotUttered("and again", timestamp=START + 2))
    await store.save(first)  # the same tracker saved twice (as after an action run through the API)
    await turn(store, "bob", session_start(START + 3) + message("66", START + 4))
    await turn(store, "alice", message("128.50", START + 5))
    await turn(store, "alice", session_start(START + 3600) + message("5", START + 3601))  # a new session
    await turn(store, "alice", message("6", START + 3602))
    await turn(store, "bob", message("67", START + 3603))
    # A tracker the store did not load, holding what is stored and one event more.
    loaded = await store.retrieve("bob")
    assert loaded is not None
    replaced = DialogueStateTracker.from_events("bob", list(loaded.events), DOMAIN.slots)
    replaced.update(BotUttered("replaced", timestamp=START + 3604))
    await store.save(replaced)


def test_it_stores_the_same_rows_as_rasas_own_store(tmp_path: Path) -> None:
    asyncio.run(conversation_history(store_at(SQLTrackerStore, tmp_path / "rasa.db")))
    asyncio.run(conversation_history(store_at(IncrementalSQLTrackerStore, tmp_path / "ours.db")))

    ours = rows(tmp_path / "ours.db")
    assert ours == rows(tmp_path / "rasa.db")
    assert len(ours) > 20


def test_it_loads_the_latest_session_as_rasas_own_store_does(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    asyncio.run(conversation_history(store_at(IncrementalSQLTrackerStore, path)))

    async def both() -> tuple[list[dict], list[dict]]:
        ours = await store_at(IncrementalSQLTrackerStore, path).retrieve("alice")
        theirs = await store_at(SQLTrackerStore, path).retrieve("alice")
        assert ours is not None and theirs is not None
        return [e.as_dict() for e in ours.events], [e.as_dict() for e in theirs.events]

    ours, theirs = asyncio.run(both())
    assert ours == theirs
    assert [e["text"] for e in ours if e["event"] == "user"] == ["5", "6"]  # the new session only


def test_two_servers_sharing_one_file_store_each_event_once(tmp_path: Path) -> None:
    path = tmp_path / "tracker.db"

    async def alternate() -> None:
        servers = [store_at(IncrementalSQLTrackerStore, path) for _ in range(2)]
        await turn(servers[0], "carol", session_start(START) + message("1", START + 1))
        for number in range(2, 8):  # the gateway sends each message to the next server in turn
            await turn(servers[number % 2], "carol", message(str(number), START + number))

    asyncio.run(alternate())
    stored = rows(path)
    assert len(stored) == 1 + 3 + 7 * 5  # listening when created, the session's start, seven turns
    assert len({row[5] for row in stored}) == len(stored)  # no event twice


def test_a_sqlite_file_is_in_write_ahead_log_mode(tmp_path: Path) -> None:
    path = tmp_path / "tracker.db"
    asyncio.run(turn(store_at(IncrementalSQLTrackerStore, path), "dave", message("1", START)))
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize("endpoints", ["endpoints.yml", "endpoints.production.yml"])
def test_both_profiles_use_it(endpoints: str) -> None:
    configured = yaml.safe_load((PROJECT_ROOT / endpoints).read_text())["tracker_store"]["type"]
    assert class_from_module_path(configured) is IncrementalSQLTrackerStore


def test_rasa_builds_it_from_the_endpoint_settings(tmp_path: Path) -> None:
    # Rasa falls back to an in-memory store, with only a warning, when it cannot build the one named.
    settings = EndpointConfig(
        type="bot.rasa_server.tracker_store.IncrementalSQLTrackerStore",
        dialect="sqlite",
        db=str(tmp_path / "t.db"),
    )
    assert isinstance(create_tracker_store(settings, DOMAIN), IncrementalSQLTrackerStore)


def test_a_sqlite_tracker_store_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    before = os.umask(0)  # a process that would make the file anyone's
    try:
        store = store_at(IncrementalSQLTrackerStore, tmp_path / "var" / "tracker.db")
        asyncio.run(conversation_history(store))
    finally:
        os.umask(before)
    files = [tmp_path / "var" / name for name in ("tracker.db", "tracker.db-wal", "tracker.db-shm")]
    assert [path.stat().st_mode & 0o777 for path in files] == [0o600, 0o600, 0o600]
    assert (tmp_path / "var").stat().st_mode & 0o777 == 0o700
