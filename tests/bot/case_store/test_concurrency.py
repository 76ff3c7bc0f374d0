"""Races that the database, not Python, must settle: 20 callers at once on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import TypeVar

import pytest

from bot.case_store import CaseDatabase, CaseStore, CaseStoreError, Ticket, TicketNumber
from tests.bot.case_store.support import SHANGHAI, Clock, count, pending_draft, refund_draft

CALLERS = 20
TX = "TX-RACE"
T = TypeVar("T")


def _all_at_once(work: Callable[[int], T], callers: int = CALLERS) -> list[T]:
    """Run work(i) in `callers` threads released together; re-raises any thread's exception."""
    barrier = threading.Barrier(callers, timeout=30)

    def run(index: int) -> T:
        barrier.wait()
        return work(index)

    with ThreadPoolExecutor(max_workers=callers) as pool:
        return [future.result(timeout=60) for future in [pool.submit(run, i) for i in range(callers)]]


@pytest.mark.parametrize("stores", ["one shared store", "a store per caller"])
def test_racing_conversations_get_exactly_one_ticket(
    migrated_url: str, store: CaseStore, clock: Clock, stores: str
) -> None:
    per_caller = [
        store
        if stores == "one shared store"
        else CaseStore(CaseDatabase(migrated_url), business_timezone=SHANGHAI, clock=clock)
        for _ in range(CALLERS)
    ]
    try:
        tickets = _all_at_once(
            lambda i: per_caller[i].open_ticket(refund_draft(transaction_id=TX, conversation_id=f"conv-{i}"))
        )
    finally:
        for other in per_caller:
            if other is not store:
                other.database.close()

    assert {ticket.number for ticket in tickets} == {"RF-20261126-0001-V"}
    assert count(store, "SELECT COUNT(*) FROM tickets WHERE transaction_id = :tx", tx=TX) == 1
    assert count(store, "SELECT COUNT(*) FROM tickets") == 1
    final = store.get("RF-20261126-0001-V")
    assert len([e for e in final.history if (e.note or "").startswith("reported again")]) == CALLERS - 1
    # Losers gave their sequence numbers back: the next ticket of the day follows without a gap.
    assert store.open_ticket(refund_draft(transaction_id="TX-NEXT")).number == "RF-20261126-0002-W"


def _open_in_child(url: str, index: int, barrier: object, results: object) -> None:
    store = CaseStore(CaseDatabase(url), business_timezone=SHANGHAI)
    try:
        barrier.wait()  # type: ignore[attr-defined]
        ticket = store.open_ticket(refund_draft(transaction_id=TX, conversation_id=f"proc-{index}"))
        results.put(ticket.number)  # type: ignore[attr-defined]
    except Exception as exc:  # reported to the parent, which fails the test
        results.put(f"error: {exc!r}")  # type: ignore[attr-defined]
    finally:
        store.database.close()


def test_racing_processes_get_exactly_one_ticket(migrated_url: str, store: CaseStore) -> None:
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(CALLERS, timeout=30)
    results = context.Queue()
    children = [
        context.Process(target=_open_in_child, args=(migrated_url, i, barrier, results))
        for i in range(CALLERS)
    ]
    for child in children:
        child.start()
    numbers = [results.get(timeout=60) for _ in children]
    for child in children:
        child.join(timeout=30)

    assert len(set(numbers)) == 1, numbers
    assert numbers[0].startswith("RF-")
    assert count(store, "SELECT COUNT(*) FROM tickets WHERE transaction_id = :tx", tx=TX) == 1


def test_racing_resubmits_record_one_pending_lookup(store: CaseStore) -> None:
    tickets = _all_at_once(lambda _: store.open_pending_lookup(pending_draft(conversation_id="conv-x")))
    assert len({ticket.number for ticket in tickets}) == 1
    assert count(store, "SELECT COUNT(*) FROM tickets WHERE conversation_id = 'conv-x'") == 1


def test_racing_lookup_completions_for_one_transaction_leave_one_active_ticket(store: CaseStore) -> None:
    callers = 10
    pending = [store.open_pending_lookup(pending_draft(conversation_id=f"conv-{i}")) for i in range(callers)]

    carriers: list[Ticket] = _all_at_once(
        lambda i: store.complete_lookup(
            pending[i].number, outcome="refund_ticket", transaction_id=TX, expected_by=date(2026, 12, 3)
        ),
        callers,
    )

    active = store.active_for_transaction(TX)
    assert active is not None and active.kind == "refund"
    assert {ticket.number for ticket in carriers} == {active.number}
    duplicates = [store.get(ticket.number) for ticket in pending if ticket.number != active.former_number]
    assert len(duplicates) == callers - 1
    assert all(d.status == "closed" and d.merged_into == active.number for d in duplicates)
    assert count(store, "SELECT COUNT(*) FROM tickets WHERE status = 'open'") == 1


def test_concurrent_tickets_get_distinct_numbers(store: CaseStore) -> None:
    tickets = _all_at_once(lambda i: store.open_ticket(refund_draft(transaction_id=f"TX-{i}")))
    assert sorted(ticket.number for ticket in tickets) == [
        str(TicketNumber("RF", date(2026, 11, 26), n)) for n in range(1, CALLERS + 1)
    ]


def test_the_database_alone_keeps_racers_to_one_ticket(
    store: CaseStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without the store's look-before-insert, only the partial unique index stands between the racers.
    monkeypatch.setattr(CaseStore, "_active_row", staticmethod(lambda *args, **kwargs: None))

    def attempt(i: int) -> str:
        try:
            return store.open_ticket(refund_draft(transaction_id=TX, conversation_id=f"conv-{i}")).number
        except CaseStoreError:
            return "refused"

    outcomes = _all_at_once(attempt)
    assert outcomes.count("refused") == CALLERS - 1
    assert count(store, "SELECT COUNT(*) FROM tickets WHERE transaction_id = :tx", tx=TX) == 1
