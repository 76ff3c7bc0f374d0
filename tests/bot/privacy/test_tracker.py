"""Rasa's tracker store as the privacy jobs read and delete it, on SQLite and PostgreSQL, with the rows
written by the tracker store the rasa servers use."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.privacy.tracker import TrackerEvents
from bot.rasa_server.tracker_store import IncrementalSQLTrackerStore
from tests.bot.case_store.escalation_support import _all_at_once
from tests.bot.case_store.support import Clock
from tests.bot.privacy.support import converse


@pytest.fixture
def events(tracker_url: str, rasa_store: IncrementalSQLTrackerStore) -> Iterator[TrackerEvents]:
    tracker = TrackerEvents(tracker_url)
    yield tracker
    tracker.close()


def _texts(events: TrackerEvents, sender: str) -> list[str]:
    return [e["text"] for e in events.events_of(sender) if e["event"] in ("user", "bot")]


def test_conversations_idle_since_the_cutoff_are_deleted_and_the_others_kept_whole(
    rasa_store: IncrementalSQLTrackerStore, events: TrackerEvents, clock: Clock
) -> None:
    now = clock.now
    old, older = now - timedelta(days=199), now - timedelta(days=200)
    converse(rasa_store, "idle", ("昨天在全家扣了128", older), ("还没退", old))
    converse(rasa_store, "came-back", ("old", now - timedelta(days=200)), ("new", now - timedelta(days=10)))
    converse(rasa_store, "fresh", ("hello", now - timedelta(days=1)))
    kept = {sender: events.events_of(sender) for sender in ("came-back", "fresh")}

    assert events.delete_idle(now - timedelta(days=180)) == 1

    assert events.events_of("idle") == []
    assert {sender: events.events_of(sender) for sender in kept} == kept
    assert _texts(events, "came-back") == ["old", "收到：old", "new", "收到：new"]
    assert events.delete_idle(now - timedelta(days=180)) == 0


def test_many_idle_conversations_go_in_batches(
    rasa_store: IncrementalSQLTrackerStore, events: TrackerEvents, clock: Clock
) -> None:
    for n in range(7):
        converse(rasa_store, f"idle-{n}", ("hi", clock.now - timedelta(days=400)))
    converse(rasa_store, "fresh", ("hi", clock.now))
    assert events.delete_idle(clock.now - timedelta(days=180), batch=3) == 7
    assert _texts(events, "fresh") == ["hi", "收到：hi"]


def test_two_jobs_at_once_delete_and_count_each_conversation_once(
    rasa_store: IncrementalSQLTrackerStore, tracker_url: str, clock: Clock
) -> None:
    for n in range(12):
        converse(rasa_store, f"idle-{n}", ("hi", clock.now - timedelta(days=400)))
    converse(rasa_store, "fresh", ("hi", clock.now))

    def job(_: int) -> int:
        with TrackerEvents(tracker_url) as tracker:
            return tracker.delete_idle(clock.now - timedelta(days=180), batch=5)

    assert sum(_all_at_once(job, 2)) == 12  # type: ignore[arg-type]
    with TrackerEvents(tracker_url) as tracker:
        assert _texts(tracker, "fresh") == ["hi", "收到：hi"]


def test_one_conversation_is_read_whole_and_deleted_alone(
    rasa_store: IncrementalSQLTrackerStore, events: TrackerEvents, clock: Clock
) -> None:
    converse(rasa_store, "mine", ("扣了128", clock.now), ("终端 10293847", clock.now + timedelta(seconds=5)))
    converse(rasa_store, "theirs", ("hello", clock.now))

    mine = events.events_of("mine")
    assert [e["event"] for e in mine][:3] == ["action", "session_started", "action"]
    assert _texts(events, "mine") == ["扣了128", "收到：扣了128", "终端 10293847", "收到：终端 10293847"]
    assert events.delete("mine") == len(mine)
    assert events.events_of("mine") == [] and _texts(events, "theirs") == ["hello", "收到：hello"]


def test_before_rasa_made_its_table_there_is_nothing_to_do(tmp_path: Path, clock: Clock) -> None:
    with TrackerEvents(f"sqlite:///{tmp_path / 'tracker.db'}") as tracker:
        assert tracker.delete_idle(clock.now) == 0
        assert tracker.events_of("anyone") == [] and tracker.delete("anyone") == 0
