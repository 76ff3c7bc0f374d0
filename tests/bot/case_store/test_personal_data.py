"""Customers' data in the case store on SQLite and PostgreSQL: what the retention rules expire (and what
they keep), one conversation's export, and its erasure."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest

from bot.case_store import CaseDatabase, CaseStore, Ticket
from bot.case_store.escalations import EscalationStore
from bot.case_store.outbox import Outbox
from bot.case_store.personal_data import CONVERSATION_ERASED, ConversationWithAgent, PersonalData
from tests.bot.case_store.escalation_support import _all_at_once, _open
from tests.bot.case_store.support import Clock, count, pending_draft, refund_draft


@pytest.fixture
def records(migrated_url: str, clock: Clock) -> Iterator[PersonalData]:
    personal = PersonalData(CaseDatabase(migrated_url), clock=clock)
    yield personal
    personal.database.close()


def _facts(ticket: Ticket) -> dict[str, object]:
    """What a ticket keeps for good: everything but its personal details."""
    kept = {
        name: getattr(ticket, name)
        for name in ticket.__dataclass_fields__
        if name not in ("conversation_id", "card_last4", "history")
    }
    kept["history"] = [(e.at, e.from_status, e.to_status, e.actor) for e in ticket.history]
    return kept


def _old_and_new_tickets(store: CaseStore, clock: Clock) -> tuple[Ticket, Ticket]:
    """A ticket last changed 100 days ago, with notes, and one opened now."""
    old = store.open_ticket(refund_draft(conversation_id="conv-old", note="客户说卡尾号4821，电话138xxxx"))
    old = store.add_event(old.number, actor="alice", note="called the customer back", to_status="in_progress")
    clock.advance(days=100)
    new = store.open_ticket(refund_draft(conversation_id="conv-new", transaction_id="TX-0002"))
    return old, new


# --- expiry --------------------------------------------------------------------------------------


def test_a_ticket_unchanged_since_the_cutoff_loses_its_personal_details_and_keeps_its_facts(
    store: CaseStore, records: PersonalData, outbox: Outbox, clock: Clock
) -> None:
    old, new = _old_and_new_tickets(store, clock)
    events_before = len(outbox.messages())

    assert records.remove_ticket_details(clock.now - timedelta(days=50)) == 1

    anonymised = store.get(old.number)
    assert anonymised is not None
    assert anonymised.conversation_id == f"erased:{old.number}"
    assert anonymised.card_last4 is None
    assert [event.note for event in anonymised.history] == [None, None]
    assert _facts(anonymised) == _facts(old)  # number, amount, merchant, terminal, outcome, dates ...
    assert anonymised.amount == Decimal("128.50") and anonymised.terminal_id == "10293847"
    assert store.find_by_conversation("conv-old") == []
    assert store.get(new.number) == new
    assert len(outbox.messages()) == events_before, "anonymising is not a ticket change for the helpdesk"
    assert records.remove_ticket_details(clock.now - timedelta(days=50)) == 0  # once


def test_waiting_lookups_of_several_conversations_can_all_lose_their_details(
    store: CaseStore, records: PersonalData, clock: Clock
) -> None:
    # One complaint waiting per conversation is a unique index: the erased ids must stay unique.
    waiting = [store.open_pending_lookup(pending_draft(conversation_id=f"conv-{i}")) for i in range(3)]
    clock.advance(days=1)
    assert records.remove_ticket_details(clock.now, batch=2) == 3
    assert {store.get(t.number).conversation_id for t in waiting} == {f"erased:{t.number}" for t in waiting}  # type: ignore[union-attr]


def test_a_ticket_whose_facts_expired_is_deleted_with_its_history(
    store: CaseStore, records: PersonalData, migrated_url: str, clock: Clock
) -> None:
    old, new = _old_and_new_tickets(store, clock)

    assert records.delete_tickets(clock.now - timedelta(days=50)) == 1

    assert store.get(old.number) is None
    assert store.get(new.number) == new
    assert count(migrated_url, "SELECT count(*) FROM ticket_events") == len(new.history)


def test_escalations_unchanged_since_the_cutoff_are_deleted(
    escalations: EscalationStore, records: PersonalData, clock: Clock
) -> None:
    finished = _open(escalations, "conv-finished")
    escalations.claim(finished.id, "alice")
    escalations.resolve(finished.id, "alice", note="客户电话 138xxxx")
    waiting_long = _open(escalations, "conv-forgotten")
    taken_late = _open(escalations, "conv-taken-late")
    clock.advance(days=100)
    escalations.claim(taken_late.id, "bob")  # its last change is today
    fresh = _open(escalations, "conv-fresh")

    assert records.delete_escalations(clock.now - timedelta(days=50)) == 2

    assert escalations.get(finished.id) is None and escalations.get(waiting_long.id) is None
    assert escalations.get(taken_late.id) is not None and escalations.get(fresh.id) == fresh


def test_two_passes_at_once_change_each_ticket_once(
    migrated_url: str, store: CaseStore, clock: Clock
) -> None:
    tickets = [
        store.open_ticket(refund_draft(conversation_id=f"c{i}", transaction_id=f"T{i}")) for i in range(40)
    ]
    clock.advance(days=10)

    def one_pass(_: int) -> int:
        with CaseDatabase(migrated_url) as database:
            return PersonalData(database, clock=clock).remove_ticket_details(clock.now, batch=7)

    outcomes = _all_at_once(one_pass, 2)
    assert sum(outcomes) == 40  # type: ignore[arg-type]
    assert all(store.get(t.number).conversation_id == f"erased:{t.number}" for t in tickets)  # type: ignore[union-attr]


# --- one conversation ----------------------------------------------------------------------------


def test_the_export_holds_the_conversations_tickets_escalations_and_events_and_nothing_else(
    store: CaseStore, escalations: EscalationStore, records: PersonalData
) -> None:
    mine = store.open_ticket(refund_draft(conversation_id="conv-mine"))
    _open(escalations, "conv-mine", ticket_number=mine.number)
    theirs = store.open_ticket(refund_draft(conversation_id="conv-theirs", transaction_id="TX-0002"))
    _open(escalations, "conv-theirs", ticket_number=theirs.number)

    exported = records.export("conv-mine")

    assert [t["number"] for t in exported["tickets"]] == [mine.number]
    assert exported["tickets"][0]["amount"] == "128.50" and exported["tickets"][0]["card_last4"] == "4821"
    assert [e["ticket_number"] for e in exported["escalations"]] == [mine.number]
    assert {e["topic"] for e in exported["webhook_events"]} == {"ticket.changed", "escalation.opened"}
    assert all(e["data"]["conversation_id"] == "conv-mine" for e in exported["webhook_events"])
    assert "conv-theirs" not in json.dumps(exported) and theirs.number not in json.dumps(exported)


def test_erasing_keeps_the_tickets_facts_and_deletes_the_rest(
    store: CaseStore, escalations: EscalationStore, records: PersonalData, outbox: Outbox
) -> None:
    mine = store.open_ticket(refund_draft(conversation_id="conv-mine", note="客户的原话"))
    escalation = _open(escalations, "conv-mine", ticket_number=mine.number)
    escalations.claim(escalation.id, "alice")
    escalations.hand_back(escalation.id, "alice")
    # Another conversation reports the same payment: the ticket's history names it.
    store.open_ticket(refund_draft(conversation_id="conv-mine-2"))
    theirs = store.open_ticket(refund_draft(conversation_id="conv-theirs", transaction_id="TX-0002"))
    store.open_ticket(refund_draft(conversation_id="conv-mine", transaction_id="TX-0002"))  # names conv-mine

    before = store.get(mine.number)
    assert before is not None

    erased = records.erase("conv-mine")

    assert erased.tickets == (mine.number,) and erased.escalations == 1 and erased.notes == 1
    kept = store.get(mine.number)
    assert kept is not None and kept.conversation_id == f"erased:{mine.number}" and kept.card_last4 is None
    assert _facts(kept) == _facts(before)
    assert all(event.note is None for event in kept.history)
    assert escalations.get(escalation.id) is None
    their_notes = [event.note or "" for event in store.get(theirs.number).history]  # type: ignore[union-attr]
    assert "reported again from conversation [erased]" in their_notes
    assert not any("conv-mine" in note for note in their_notes)
    left = records.export("conv-mine")
    assert left["tickets"] == [] and left["escalations"] == []
    assert [event["topic"] for event in left["webhook_events"]] == [CONVERSATION_ERASED]
    assert left["webhook_events"][0]["data"]["tickets"] == [mine.number]
    assert outbox.messages(topic=CONVERSATION_ERASED)[-1].delivered_at is None  # the helpdesk is told
    assert not [m for m in outbox.messages() if '"conv-mine"' in m.payload and m.topic != CONVERSATION_ERASED]
    assert store.find_by_conversation("conv-theirs") == [store.get(theirs.number)]


def test_a_conversation_with_an_agent_is_not_erased(
    store: CaseStore, escalations: EscalationStore, records: PersonalData
) -> None:
    mine = store.open_ticket(refund_draft(conversation_id="conv-mine"))
    escalation = _open(escalations, "conv-mine")
    escalations.claim(escalation.id, "alice")

    with pytest.raises(ConversationWithAgent, match="claimed"):
        records.erase("conv-mine")

    assert store.get(mine.number) == mine and escalations.get(escalation.id) is not None
