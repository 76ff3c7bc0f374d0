"""The case store's connection dropped mid-write: no half-written ticket, and a retry finishes the job.

Every unit of work that writes more than one row (a ticket with its history and its outbox event, a
status change, an escalation with its event, a terminal's new code) is cut off at each of its
statements in turn and at its COMMIT, by really killing the server side of its connection (see
connection_killer). Then, through a fresh connection: the database is exactly as before, every ticket
has its history and every committed change its outbox event; and the same call, on the same store,
succeeds and leaves what an uninterrupted call leaves (one ticket). PostgreSQL always, where a dropped
connection is real; SQLite too, where the nearest thing is the file handle closing under the store.
And a COMMIT that lands while its answer is lost: the retry writes nothing twice.
"""

from __future__ import annotations

import pytest

from tests.bot.case_store.connection_killer import ACK_LOST, COMMIT
from tests.bot.case_store.dropped_connection.scenarios import (
    SCENARIOS,
    Scenario,
    World,
    _assert_dropped,
    _changed,
    _cut,
    _delta,
    _reference,
)

# --- cut off at every statement and at the COMMIT -------------------------------------------------------


def _cut_and_retry(world: World, scenario: Scenario, added: dict[str, int], point: int | str) -> bool:
    """Cut the write at `point`, check nothing of it stayed, retry it; False if it ran whole instead
    (it has fewer statements than `point`)."""
    key = f"cut-{point}"
    state = scenario.setup(world, key)
    before = world.inspector.snapshot()

    error, result = _cut(world, scenario, key, state, point)
    if error is None:
        assert point != COMMIT, "the write did not commit"
        scenario.check(world, key, result)
        return False
    _assert_dropped(world, error)
    assert _changed(before, world.inspector.snapshot()) == [], f"cut {world.killer.kills[-1]}: rows stayed"
    world.inspector.check_whole()

    counts = world.inspector.counts()
    result = scenario.run(world, key, state)  # the same call, on the same store: it recovers
    assert _delta(counts, world.inspector.counts()) == added, f"the retry after the cut {point}"
    scenario.check(world, key, result)
    world.inspector.check_whole()
    return True


@pytest.mark.parametrize("scenario", SCENARIOS, ids=str)
def test_a_write_cut_off_anywhere_leaves_nothing_and_a_retry_completes_it(
    world: World, scenario: Scenario
) -> None:
    added = _reference(world, scenario)
    statements = 0
    while _cut_and_retry(world, scenario, added, statements + 1):
        statements += 1
        assert statements <= 50, "a runaway write"
    assert statements >= 2, f"{scenario}: {statements} statement(s), not a multi-row write"
    assert _cut_and_retry(world, scenario, added, COMMIT)
    assert world.killer.kills[-1] == "before COMMIT"
    assert len(world.killer.kills) == statements + 1


# --- the COMMIT lands, its answer does not ---------------------------------------------------------------


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s.idempotent], ids=str)
def test_a_write_whose_commit_answer_is_lost_is_not_repeated_by_its_retry(
    world: World, scenario: Scenario
) -> None:
    """The caller gets an error for a change that committed; calling again (what a caller that cannot
    know does) finds it done and writes nothing twice: one ticket, one event, one escalation."""
    added = _reference(world, scenario)
    state = scenario.setup(world, "ack")
    counts = world.inspector.counts()

    error, _ = _cut(world, scenario, "ack", state, ACK_LOST)

    assert error is not None and world.killer.kills[-1] == "after COMMIT"
    _assert_dropped(world, error)
    assert _delta(counts, world.inspector.counts()) == added  # it did land, whole
    world.inspector.check_whole()
    before = world.inspector.snapshot()
    result = scenario.run(world, "ack", state)
    assert _changed(before, world.inspector.snapshot()) == []
    scenario.check(world, "ack", result)
