"""Escalations and the outbox, on SQLite and PostgreSQL: idempotent opening, race-safe claims, and one
outbox event per change, written in the change's own transaction."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from typing import Any, TypeVar

import pytest
from sqlalchemy.exc import IntegrityError

from bot.case_store import CaseDatabase, CaseStore, CaseStoreError, CaseStoreUnavailable, InvalidTransition
from bot.case_store.escalation_models import Escalation
from bot.case_store.escalations import (
    AlreadyClaimed,
    EscalationClosed,
    EscalationError,
    EscalationNotFound,
    EscalationStore,
    NotHolder,
)
from bot.case_store.outbox import Outbox
from tests.bot.case_store.support import SHANGHAI, Clock, count, pending_draft, refund_draft

T = TypeVar("T")

FACTS = {
    "transaction_time": datetime(2026, 11, 26, 9, 31, tzinfo=SHANGHAI),
    "amount": "128.50",
    "terminal_id": "10293847",
    "merchant_name": "全家 FamilyMart 徐汇店",
}
LOOKUP = {"outcome": "escalated", "transaction_id": None, "candidates": 2}


@pytest.fixture
def escalations(migrated_url: str, clock: Clock) -> Iterator[EscalationStore]:
    store = EscalationStore(CaseDatabase(migrated_url), clock=clock)
    yield store
    store.database.close()


@pytest.fixture
def outbox(migrated_url: str) -> Iterator[Outbox]:
    store = Outbox(CaseDatabase(migrated_url))
    yield store
    store.database.close()


def _open(store: EscalationStore, conversation_id: str = "conv-1", **overrides: Any) -> Escalation:
    values: dict[str, Any] = {
        "conversation_id": conversation_id,
        "reason": "customer_asked",
        "language": "zh",
        "facts": FACTS,
        "lookup": LOOKUP,
        "ticket_number": "es-20261126-0003",
        "summary_customer": "您在全家徐汇店 128.50 元的付款已转交人工客服。",
        "summary_agent": "Customer reports a failed POS payment of CNY 128.50 at FamilyMart Xuhui.",
    }
    values.update(overrides)
    return store.open(**values)


def _all_at_once(work: Callable[[int], T], callers: int) -> list[T | BaseException]:
    """work(i) in `callers` threads released together; each caller's result or exception."""
    barrier = threading.Barrier(callers, timeout=30)

    def run(index: int) -> T:
        barrier.wait()
        return work(index)

    with ThreadPoolExecutor(max_workers=callers) as pool:
        futures = [pool.submit(run, i) for i in range(callers)]
        outcomes: list[T | BaseException] = []
        for future in futures:
            exc = future.exception(timeout=60)
            outcomes.append(exc if exc is not None else future.result())
        return outcomes


def _topics(outbox: Outbox) -> list[str]:
    return [message.topic for message in outbox.messages()]


def _payloads(outbox: Outbox, topic: str) -> list[dict[str, Any]]:
    return [json.loads(message.payload) for message in outbox.messages(topic=topic)]


# --- opening ---------------------------------------------------------------------------------------


def test_open_stores_the_hand_over_and_announces_it(
    escalations: EscalationStore, outbox: Outbox, clock: Clock
) -> None:
    escalation = _open(escalations)

    assert escalation.status == "waiting" and escalation.is_open
    assert escalation.reason == "customer_asked" and escalation.language == "zh"
    assert escalation.ticket_number == "ES-20261126-0003"  # normalized like every ticket number
    assert escalation.facts == {**FACTS, "transaction_time": "2026-11-26T09:31:00+08:00"}
    assert escalation.lookup == LOOKUP
    assert escalation.agent is None and escalation.claimed_at is None and escalation.resolved_at is None
    assert escalation.created_at == clock.now
    assert escalations.get(escalation.id) == escalation
    assert escalations.open_for("conv-1") == escalation

    [message] = outbox.messages()
    assert message.topic == "escalation.opened"
    assert len(message.event_id) == 32 and message.attempts == 0 and message.delivered_at is None
    assert message.next_attempt_at == message.created_at == clock.now
    payload = json.loads(message.payload)
    assert payload == escalation.as_json()
    assert payload["id"] == escalation.id and payload["status"] == "waiting"
    assert payload["created_at"] == "2026-11-26T02:00:00+00:00"
    assert payload["facts"]["merchant_name"] == "全家 FamilyMart 徐汇店"
    assert payload["summary_customer"] == "您在全家徐汇店 128.50 元的付款已转交人工客服。"


def test_open_is_idempotent_per_conversation(escalations: EscalationStore, outbox: Outbox) -> None:
    first = _open(escalations)
    again = _open(escalations, reason="repeated_failures", facts={"amount": "1.00"}, lookup=None)
    other = _open(escalations, "conv-2", language="en", ticket_number=None)

    assert again == first
    assert other.id != first.id and other.ticket_number is None
    assert count(outbox.database.url, "SELECT COUNT(*) FROM escalations") == 2
    assert _topics(outbox) == ["escalation.opened", "escalation.opened"]


def test_a_finished_escalation_makes_room_for_a_new_one(escalations: EscalationStore) -> None:
    first = _open(escalations)
    escalations.claim(first.id, "alice")
    escalations.hand_back(first.id, "alice")
    assert escalations.open_for("conv-1") is None

    second = _open(escalations)
    assert second.id != first.id and second.status == "waiting"
    assert escalations.open_for("conv-1") == second


@pytest.mark.parametrize("stores", ["one shared store", "a store per caller"])
def test_ten_callers_at_once_open_one_escalation(
    migrated_url: str, escalations: EscalationStore, outbox: Outbox, clock: Clock, stores: str
) -> None:
    callers = 10
    per_caller = [
        escalations
        if stores == "one shared store"
        else EscalationStore(CaseDatabase(migrated_url), clock=clock)
        for _ in range(callers)
    ]
    try:
        results = _all_at_once(lambda i: _open(per_caller[i], summary_agent=f"caller {i}"), callers)
    finally:
        for other in per_caller:
            if other is not escalations:
                other.database.close()

    assert all(isinstance(result, Escalation) for result in results), results
    assert len({result.id for result in results}) == 1  # type: ignore[union-attr]
    assert count(outbox.database.url, "SELECT COUNT(*) FROM escalations") == 1
    assert _topics(outbox) == ["escalation.opened"]


def test_open_refuses_bad_input(escalations: EscalationStore, outbox: Outbox) -> None:
    with pytest.raises(ValueError, match="reason"):
        _open(escalations, reason="bored")
    with pytest.raises(ValueError, match="language"):
        _open(escalations, language="fr")
    with pytest.raises(ValueError, match="ticket number"):
        _open(escalations, ticket_number="not-a-ticket")
    with pytest.raises(ValueError, match="card numbers"):
        _open(escalations, facts={**FACTS, "card_number": "6222021234567890123"})
    with pytest.raises(ValueError, match="card numbers"):
        _open(escalations, lookup={"attempts": [{"pin": "123456"}]})
    with pytest.raises(ValueError, match="last 4 digits"):
        _open(escalations, facts={**FACTS, "card_last4": "6222021234567890123"})
    with pytest.raises(ValueError, match="JSON"):
        _open(escalations, facts={"when": object()})
    assert outbox.messages() == []
    assert _open(escalations, facts={**FACTS, "card_last4": "4821"}).facts["card_last4"] == "4821"


def test_summaries_are_stored_and_sent_with_card_numbers_masked(
    escalations: EscalationStore, outbox: Outbox
) -> None:
    escalation = _open(escalations, summary_agent="Customer typed card 4111 1111 1111 1111 and PIN 123456")

    assert "4111" not in escalation.summary_agent and "123456" not in escalation.summary_agent
    assert "4111" not in outbox.messages()[0].payload and "123456" not in outbox.messages()[0].payload


# --- the queue -------------------------------------------------------------------------------------


def test_waiting_is_oldest_first_and_only_unclaimed(escalations: EscalationStore, clock: Clock) -> None:
    start = clock.now
    clock.now = start + timedelta(minutes=10)
    late = _open(escalations, "conv-late")
    clock.now = start
    early = _open(escalations, "conv-early")
    clock.now = start + timedelta(minutes=5)
    middle = _open(escalations, "conv-middle")
    taken = _open(escalations, "conv-taken")
    escalations.claim(taken.id, "alice")

    assert [e.id for e in escalations.waiting()] == [early.id, middle.id, late.id]
    assert [e.id for e in escalations.waiting(limit=1)] == [early.id]


def test_get_and_open_for_unknown(escalations: EscalationStore) -> None:
    assert escalations.get(12345) is None
    assert escalations.open_for("nobody") is None


# --- claiming --------------------------------------------------------------------------------------


def test_claim_by_one_agent_refused_for_another(
    escalations: EscalationStore, outbox: Outbox, clock: Clock
) -> None:
    escalation = _open(escalations)
    clock.advance(minutes=3)

    claimed = escalations.claim(escalation.id, "alice")
    assert claimed.status == "claimed" and claimed.agent == "alice" and claimed.claimed_at == clock.now
    assert escalations.claim(escalation.id, "alice") == claimed  # the same agent again: fine, no event
    with pytest.raises(AlreadyClaimed, match="alice") as refused:
        escalations.claim(escalation.id, "bob")
    assert isinstance(refused.value, CaseStoreError) and isinstance(refused.value, EscalationError)
    with pytest.raises(EscalationNotFound):
        escalations.claim(999_999, "alice")

    assert escalations.get(escalation.id) == claimed
    assert _topics(outbox) == ["escalation.opened", "escalation.claimed"]
    assert _payloads(outbox, "escalation.claimed") == [claimed.as_json()]
    assert escalations.open_for("conv-1") == claimed
    assert escalations.waiting() == []


@pytest.mark.parametrize("callers", [2, 10])
def test_racing_agents_exactly_one_wins(
    migrated_url: str, escalations: EscalationStore, outbox: Outbox, clock: Clock, callers: int
) -> None:
    escalation = _open(escalations)
    per_caller = [EscalationStore(CaseDatabase(migrated_url), clock=clock) for _ in range(callers)]
    try:
        results = _all_at_once(lambda i: per_caller[i].claim(escalation.id, f"agent-{i}"), callers)
    finally:
        for other in per_caller:
            other.database.close()

    winners = [result for result in results if isinstance(result, Escalation)]
    losers = [result for result in results if not isinstance(result, Escalation)]
    assert len(winners) == 1, results
    assert all(isinstance(loser, AlreadyClaimed) for loser in losers), losers
    assert escalations.get(escalation.id).agent == winners[0].agent  # type: ignore[union-attr]
    assert _topics(outbox) == ["escalation.opened", "escalation.claimed"]


# --- finishing -------------------------------------------------------------------------------------


def test_resolve_only_by_the_holder(escalations: EscalationStore, outbox: Outbox, clock: Clock) -> None:
    escalation = _open(escalations)
    with pytest.raises(NotHolder, match="claimed first"):
        escalations.resolve(escalation.id, "alice", "too early")
    escalations.claim(escalation.id, "alice")
    with pytest.raises(NotHolder, match="alice"):
        escalations.resolve(escalation.id, "bob", "not mine")
    with pytest.raises(NotHolder):
        escalations.hand_back(escalation.id, "bob")
    clock.advance(minutes=20)

    resolved = escalations.resolve(escalation.id, "alice", "refund confirmed by the acquirer")
    assert resolved.status == "resolved" and not resolved.is_open
    assert resolved.note == "refund confirmed by the acquirer" and resolved.resolved_at == clock.now
    assert escalations.resolve(escalation.id, "alice", "double click") == resolved
    with pytest.raises(EscalationClosed):
        escalations.hand_back(escalation.id, "alice")
    with pytest.raises(EscalationClosed):
        escalations.claim(escalation.id, "bob")
    with pytest.raises(EscalationNotFound):
        escalations.resolve(999_999, "alice")

    assert _topics(outbox) == ["escalation.opened", "escalation.claimed", "escalation.resolved"]
    assert _payloads(outbox, "escalation.resolved") == [resolved.as_json()]
    assert escalations.open_for("conv-1") is None


def test_hand_back_only_by_the_holder(escalations: EscalationStore, outbox: Outbox, clock: Clock) -> None:
    escalation = _open(escalations)
    with pytest.raises(NotHolder):
        escalations.hand_back(escalation.id, "alice")
    escalations.claim(escalation.id, "alice")
    clock.advance(minutes=1)

    back = escalations.hand_back(escalation.id, "alice")
    assert back.status == "handed_back" and back.agent == "alice" and back.resolved_at == clock.now
    assert escalations.hand_back(escalation.id, "alice") == back
    with pytest.raises(EscalationClosed):
        escalations.resolve(escalation.id, "alice")

    assert _topics(outbox) == ["escalation.opened", "escalation.claimed", "escalation.handed_back"]
    assert [p["status"] for p in _payloads(outbox, "escalation.handed_back")] == ["handed_back"]


def test_agent_names_are_checked(escalations: EscalationStore) -> None:
    escalation = _open(escalations)
    for agent in ("", "   ", "x" * 65):
        with pytest.raises(ValueError, match="agent"):
            escalations.claim(escalation.id, agent)


# --- same transaction ------------------------------------------------------------------------------


def test_a_transition_whose_event_cannot_be_written_does_not_happen(
    escalations: EscalationStore, outbox: Outbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    escalation = _open(escalations)
    [opened] = outbox.messages()
    # The next event gets the id of the first one: the outbox's unique index refuses it.
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(hex=opened.event_id))

    with pytest.raises(CaseStoreUnavailable) as failed:
        escalations.claim(escalation.id, "alice")
    assert isinstance(failed.value.__cause__, IntegrityError)

    assert escalations.get(escalation.id) == escalation  # still waiting, nobody's
    assert outbox.messages() == [opened]


def test_a_ticket_whose_event_cannot_be_written_is_not_opened(
    store: CaseStore, outbox: Outbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.open_ticket(refund_draft())
    [first] = outbox.messages()
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(hex=first.event_id))

    with pytest.raises(CaseStoreError):
        store.open_ticket(refund_draft(transaction_id="TX-0002", conversation_id="conv-2"))

    assert count(store, "SELECT COUNT(*) FROM tickets") == 1
    assert outbox.messages() == [first]


# --- ticket changes --------------------------------------------------------------------------------


def test_opening_a_ticket_writes_ticket_changed(store: CaseStore, outbox: Outbox) -> None:
    ticket = store.open_ticket(refund_draft())

    [message] = outbox.messages()
    assert message.topic == "ticket.changed"
    assert message.created_at == ticket.created_at
    assert json.loads(message.payload) == {
        "number": "RF-20261126-0001",
        "former_number": None,
        "kind": "refund",
        "status": "open",
        "outcome": "refund_ticket",
        "transaction_id": "TX-0001",
        "amount": "128.50",
        "currency": "CNY",
        "expected_by": "2026-12-03",
        "language": "zh",
        "conversation_id": "conv-1",
        "created_at": "2026-11-26T02:00:00+00:00",
        "updated_at": "2026-11-26T02:00:00+00:00",
    }
    assert "4821" not in message.payload  # the card's last digits stay in the ticket


def test_ticket_changes_write_one_event_each(store: CaseStore, outbox: Outbox, clock: Clock) -> None:
    ticket = store.open_ticket(refund_draft())
    store.open_ticket(refund_draft())  # the same conversation again: nothing changes, no event
    assert len(outbox.messages()) == 1

    clock.advance(hours=1)
    store.add_event(
        ticket.number, actor="agent:alice", to_status="in_progress", expected_by=date(2026, 12, 5)
    )
    with pytest.raises(InvalidTransition):
        store.add_event(ticket.number, actor="agent:alice", to_status="waiting_for_lookup")
    store.open_ticket(refund_draft(conversation_id="conv-9"))  # noted on the ticket: a change

    payloads = _payloads(outbox, "ticket.changed")
    assert [(p["status"], p["expected_by"]) for p in payloads] == [
        ("open", "2026-12-03"),
        ("in_progress", "2026-12-05"),
        ("in_progress", "2026-12-05"),
    ]
    assert payloads[1]["updated_at"] == "2026-11-26T03:00:00+00:00"


def test_completed_lookups_report_the_final_state(store: CaseStore, outbox: Outbox) -> None:
    waiting = store.open_pending_lookup(pending_draft(conversation_id="conv-lk"))
    became = store.complete_lookup(waiting.number, outcome="refund_ticket", transaction_id="TX-LK")
    duplicate = store.open_pending_lookup(pending_draft(conversation_id="conv-dup"))
    merged_into = store.complete_lookup(duplicate.number, outcome="refund_ticket", transaction_id="TX-LK")
    store.record_lookup_failure(duplicate.number, "merchant API down")  # concluded: no change, no event

    payloads = _payloads(outbox, "ticket.changed")
    summary = [(p["number"], p["former_number"], p["status"]) for p in payloads]
    assert summary == [
        (waiting.number, None, "waiting_for_lookup"),
        (became.number, waiting.number, "open"),  # as it is after the change, not halfway through
        (duplicate.number, None, "waiting_for_lookup"),
        # One transaction changed two tickets: the case the duplicate joined noted, the duplicate closed.
        (merged_into.number, waiting.number, "open"),
        (duplicate.number, None, "closed"),
    ]


# --- the outbox's delivery side ---------------------------------------------------------------------


def test_claim_next_leases_the_oldest_due_row(
    escalations: EscalationStore, outbox: Outbox, clock: Clock
) -> None:
    _open(escalations, "conv-1")
    clock.advance(seconds=1)
    _open(escalations, "conv-2")
    now = clock.now
    lease = timedelta(seconds=40)

    first = outbox.claim_next(now, lease)
    second = outbox.claim_next(now, lease)
    assert first is not None and second is not None
    assert json.loads(first.payload)["conversation_id"] == "conv-1"
    assert json.loads(second.payload)["conversation_id"] == "conv-2"
    assert first.attempts == 1 and first.next_attempt_at == now + lease
    assert outbox.claim_next(now, lease) is None  # both leased

    assert outbox.mark_failed(first, "HTTP 500", now + timedelta(seconds=2))
    assert outbox.claim_next(now + timedelta(seconds=1), lease) is None
    again = outbox.claim_next(now + timedelta(seconds=2), lease)
    assert again is not None and again.id == first.id and again.attempts == 2
    assert not outbox.mark_failed(first, "stale attempt", now)  # attempt 1 is over: no effect
    assert outbox.mark_delivered(again, now)
    assert not outbox.mark_delivered(again, now)  # once
    assert outbox.get(first.id).last_error == "HTTP 500"  # type: ignore[union-attr]
    assert outbox.undelivered_count() == 1
    # Delivered rows are never due again, whatever the time.
    assert outbox.claim_next(now + timedelta(days=365), lease).id == second.id  # type: ignore[union-attr]

    assert outbox.purge_delivered(now + timedelta(seconds=1)) == 1
    assert [m.id for m in outbox.messages()] == [second.id]


def test_racing_deliverers_never_claim_the_same_row(
    migrated_url: str, escalations: EscalationStore, outbox: Outbox, clock: Clock
) -> None:
    for i in range(30):
        _open(escalations, f"conv-{i}")
    deliverers = 5
    per_deliverer = [Outbox(CaseDatabase(migrated_url)) for _ in range(deliverers)]
    now = clock.now

    def drain(index: int) -> list[int]:
        claimed = []
        while (message := per_deliverer[index].claim_next(now, timedelta(minutes=1))) is not None:
            claimed.append(message.id)
        return claimed

    try:
        results = _all_at_once(drain, deliverers)
    finally:
        for other in per_deliverer:
            other.database.close()

    claimed = [message_id for result in results for message_id in result]  # type: ignore[union-attr]
    assert sorted(claimed) == sorted(m.id for m in outbox.messages())
    assert len(claimed) == len(set(claimed)) == 30
    assert {m.attempts for m in outbox.messages()} == {1}


def test_outbox_times_are_utc(escalations: EscalationStore, outbox: Outbox) -> None:
    _open(escalations)
    [message] = outbox.messages()
    assert message.created_at.tzinfo is not None
    assert message.created_at.utcoffset() == timezone.utc.utcoffset(None)
