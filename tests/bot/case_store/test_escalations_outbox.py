"""The outbox on SQLite and PostgreSQL: one event per escalation or ticket change, written in the
change's own transaction (no change without its event), and the delivery side's leases."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta, timezone

import pytest
from sqlalchemy.exc import IntegrityError

from bot.case_store import CaseDatabase, CaseStore, CaseStoreError, CaseStoreUnavailable, InvalidTransition
from bot.case_store.escalations import EscalationStore
from bot.case_store.outbox import Outbox
from tests.bot.case_store.escalation_support import _all_at_once, _open, _payloads
from tests.bot.case_store.support import Clock, count, pending_draft, refund_draft

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
        "number": "RF-20261126-0001-V",
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


def test_purge_undelivered_deletes_only_undelivered_rows_written_before_the_given_time(
    escalations: EscalationStore, outbox: Outbox, clock: Clock
) -> None:
    _open(escalations, "conv-delivered")
    _open(escalations, "conv-old")
    delivered = outbox.claim_next(clock.now, timedelta(seconds=30))
    assert delivered is not None and outbox.mark_delivered(delivered, clock.now)
    clock.advance(days=200)
    _open(escalations, "conv-new")

    assert outbox.purge_undelivered(clock.now - timedelta(days=180)) == 1
    left = [json.loads(message.payload)["conversation_id"] for message in outbox.messages()]
    assert left == ["conv-delivered", "conv-new"]  # delivered ones are the deliverer's to purge
