from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from bot.case_store import (
    CaseStore,
    DuplicateActiveTicket,
    InvalidTransition,
    TicketNotFound,
)
from bot.case_store.db import make_engine
from tests.bot.case_store.support import SHANGHAI, Clock, count, facts, pending_draft, refund_draft

TX = "TX-0001"


def test_open_ticket_keeps_every_fact(store: CaseStore) -> None:
    ticket = store.open_ticket(refund_draft())

    assert ticket.number == "RF-20261126-0001-V"
    assert (ticket.kind, ticket.status, ticket.outcome) == ("refund", "open", "refund_ticket")
    stored = store.get(ticket.number)
    assert stored == ticket
    assert stored.transaction_id == TX
    assert stored.amount == Decimal("128.50") and stored.currency == "CNY"
    assert stored.window_start == datetime(2026, 11, 26, 9, 30, tzinfo=SHANGHAI)
    assert stored.window_start.tzinfo is timezone.utc
    assert stored.window_end - stored.window_start == timedelta(minutes=10)
    assert (stored.terminal_id, stored.merchant_id, stored.card_last4) == (
        "10293847",
        "898310048161234",
        "4821",
    )
    assert stored.merchant_name == "全家 FamilyMart 徐汇店"
    assert (stored.language, stored.conversation_id) == ("zh", "conv-1")
    assert stored.expected_by == date(2026, 12, 3)
    assert [(e.from_status, e.to_status, e.actor) for e in stored.history] == [(None, "open", "bot")]


def test_numbers_are_readable_unique_and_restart_each_business_day(store: CaseStore, clock: Clock) -> None:
    refund = store.open_ticket(refund_draft())
    dispute = store.open_ticket(refund_draft(kind="dispute", outcome="dispute_ticket", transaction_id=None))
    escalation = store.open_ticket(
        refund_draft(kind="escalation", outcome="escalated", transaction_id="TX-9")
    )
    pending = store.open_pending_lookup(pending_draft(conversation_id="conv-2"))
    assert [t.number for t in (refund, dispute, escalation, pending)] == [
        "RF-20261126-0001-V",
        "DP-20261126-0002-E",
        "ES-20261126-0003-L",
        "LK-20261126-0004-Q",
    ]
    clock.now = datetime(2026, 11, 26, 23, 59, tzinfo=SHANGHAI)
    assert store.open_ticket(refund_draft(transaction_id="TX-2")).number == "RF-20261126-0005-Z"
    clock.now = datetime(2026, 11, 26, 16, 1, tzinfo=timezone.utc)  # 00:01 the next day in Shanghai
    assert store.open_ticket(refund_draft(transaction_id="TX-3")).number == "RF-20261127-0001-P"


def test_open_ticket_is_idempotent_per_transaction(store: CaseStore) -> None:
    first = store.open_ticket(refund_draft())
    again = store.open_ticket(refund_draft())
    assert again.number == first.number
    assert again.history == first.history  # a retry from the same conversation changes nothing

    other = store.open_ticket(refund_draft(conversation_id="conv-2", language="en"))
    store.open_ticket(refund_draft(conversation_id="conv-2"))
    assert other.number == first.number
    assert count(store, "SELECT COUNT(*) FROM tickets WHERE transaction_id = :tx", tx=TX) == 1
    notes = [e.note for e in store.get(first.number).history]
    assert notes.count("reported again from conversation conv-2") == 1


def test_a_new_ticket_may_follow_a_resolved_one(store: CaseStore) -> None:
    first = store.open_ticket(refund_draft())
    store.add_event(first.number, actor="agent:li", to_status="resolved", note="refund posted")

    second = store.open_ticket(refund_draft())
    assert second.number != first.number
    assert store.active_for_transaction(TX) == second
    assert count(store, "SELECT COUNT(*) FROM tickets WHERE transaction_id = :tx", tx=TX) == 2

    with pytest.raises(DuplicateActiveTicket):
        store.add_event(first.number, actor="agent:li", to_status="open")
    assert store.get(first.number).status == "resolved"


def test_status_history_is_recorded(store: CaseStore, clock: Clock) -> None:
    ticket = store.open_ticket(refund_draft())
    clock.advance(hours=1)
    store.add_event(ticket.number, actor="agent:li", to_status="in_progress", note="asked the acquirer")
    clock.advance(hours=1)
    store.add_event(ticket.number, actor="agent:li", note="acquirer confirms", expected_by=date(2026, 12, 1))
    clock.advance(days=2)
    done = store.add_event(ticket.number, actor="agent:li", to_status="resolved")

    assert [(e.from_status, e.to_status) for e in done.history] == [
        (None, "open"),
        ("open", "in_progress"),
        ("in_progress", None),
        ("in_progress", "resolved"),
    ]
    assert done.history[2].note == "acquirer confirms; expected by 2026-12-01"
    assert done.expected_by == date(2026, 12, 1)
    assert done.updated_at == clock.now and done.created_at == clock.now - timedelta(days=2, hours=2)
    assert [e.at for e in done.history] == sorted(e.at for e in done.history)

    store.add_event(ticket.number, actor="agent:li", to_status="closed")
    with pytest.raises(InvalidTransition):
        store.add_event(ticket.number, actor="agent:li", to_status="open")
    with pytest.raises(TicketNotFound):
        store.add_event("RF-20261126-0999-E", actor="agent:li", note="?")


def test_get_unknown_or_malformed_number_is_none(store: CaseStore) -> None:
    assert store.get("RF-20261126-0001-V") is None
    assert store.get("not a number") is None
    ticket = store.open_ticket(refund_draft())
    assert store.get("rf 20261126 1") == ticket
    assert store.get("ＲＦ－２０２６１１２６－０００１") == ticket
    assert store.get("DP-20261126-0001-D") is None
    assert store.get("RF-20261126-0001-W") is None  # the wrong check letter


def test_a_number_stored_before_check_letters_is_found_by_either_spelling(store: CaseStore) -> None:
    ticket = store.open_ticket(refund_draft())
    with store.database.engine.begin() as connection:
        connection.execute(text("UPDATE tickets SET number = 'RF-20261126-0001' WHERE id = 1"))
    assert store.get("RF-20261126-0001").number == "RF-20261126-0001"  # type: ignore[union-attr]
    assert store.get(ticket.number).number == "RF-20261126-0001"  # type: ignore[union-attr]
    stored = store.add_event("rf 20261126 0001", actor="agent:li", note="still there")
    assert stored.number == "RF-20261126-0001"


def test_pending_lookup_keeps_the_facts_and_is_one_per_conversation(store: CaseStore, clock: Clock) -> None:
    pending = store.open_pending_lookup(pending_draft(rrn="123456789012", voucher_no="000123"))
    assert pending.number == "LK-20261126-0001-M"
    assert (pending.kind, pending.status, pending.transaction_id) == (
        "lookup_pending",
        "waiting_for_lookup",
        None,
    )
    assert store.open_pending_lookup(pending_draft(rrn="123456789012", voucher_no="000123")) == pending

    corrected = store.open_pending_lookup(pending_draft(amount=Decimal("138.00"), rrn="123456789012"))
    assert corrected.number == pending.number and corrected.amount == Decimal("138.00")
    assert corrected.voucher_no is None
    assert "amount=128.50" in corrected.history[-1].note and "voucher_no=000123" in corrected.history[-1].note
    assert count(store, "SELECT COUNT(*) FROM tickets") == 1

    other = store.open_pending_lookup(pending_draft(conversation_id="conv-2"))
    assert [t.number for t in store.pending_lookups()] == [pending.number, other.number]

    failed = store.record_lookup_failure(pending.number, "merchant API unavailable")
    assert (failed.lookup_attempts, failed.last_lookup_at) == (1, clock.now)
    assert failed.history[-1].note == "lookup failed: merchant API unavailable"
    assert [t.number for t in store.pending_lookups(attempted_before=clock.now)] == [other.number]
    assert store.find_by_conversation("conv-1") == [store.get(pending.number)]


def test_complete_lookup_turns_a_pending_complaint_into_a_ticket(store: CaseStore, clock: Clock) -> None:
    pending = store.open_pending_lookup(pending_draft(merchant_id=None, card_last4=None))
    clock.advance(minutes=30)
    ticket = store.complete_lookup(
        pending.number,
        outcome="refund_ticket",
        transaction_id=TX,
        expected_by=date(2026, 12, 3),
        merchant_id="898310048161234",
        terminal_id="99999999",  # the customer's own terminal ID is kept
        card_last4="4821",
    )
    assert ticket.number == "RF-20261126-0001-V" and ticket.former_number == "LK-20261126-0001-M"
    assert (ticket.kind, ticket.status, ticket.outcome) == ("refund", "open", "refund_ticket")
    assert (ticket.transaction_id, ticket.expected_by) == (TX, date(2026, 12, 3))
    assert (ticket.merchant_id, ticket.terminal_id, ticket.card_last4) == (
        "898310048161234",
        "10293847",
        "4821",
    )
    assert ticket.amount == Decimal("128.50")
    assert ticket.history[-1].from_status == "waiting_for_lookup" and ticket.history[-1].to_status == "open"
    assert store.get(pending.number) == ticket  # the number the customer was given still works
    assert store.pending_lookups() == []
    assert store.open_ticket(refund_draft()).number == ticket.number  # and it counts for the transaction

    again = store.complete_lookup(pending.number, outcome="refund_ticket", transaction_id=TX)
    assert again == store.get(ticket.number)


def test_complete_lookup_without_a_case_resolves_it(store: CaseStore) -> None:
    pending = store.open_pending_lookup(pending_draft())
    done = store.complete_lookup(
        pending.number, outcome="reversal_in_progress", transaction_id=TX, expected_by=date(2026, 11, 27)
    )
    assert done.number == pending.number
    assert (done.kind, done.status, done.outcome, done.expected_by) == (
        "lookup_pending",
        "resolved",
        "reversal_in_progress",
        date(2026, 11, 27),
    )
    assert store.active_for_transaction(TX) is None


def test_complete_lookup_nothing_found_opens_a_dispute(store: CaseStore) -> None:
    pending = store.open_pending_lookup(pending_draft())
    dispute = store.complete_lookup(pending.number, outcome="dispute_ticket", transaction_id=None)
    assert (dispute.number, dispute.kind, dispute.status) == ("DP-20261126-0001-D", "dispute", "open")


def test_complete_lookup_of_a_transaction_with_an_open_ticket_merges(store: CaseStore) -> None:
    existing = store.open_ticket(refund_draft(conversation_id="conv-A"))
    pending = store.open_pending_lookup(pending_draft(conversation_id="conv-B", language="en"))

    carrier = store.complete_lookup(pending.number, outcome="refund_ticket", transaction_id=TX)
    assert carrier.number == existing.number and carrier.status == "open"
    assert carrier.history[-1].note == (
        f"{pending.number} (conversation conv-B) reported the same transaction; "
        "its lookup concluded refund_ticket"
    )
    duplicate = store.get(pending.number)
    assert (duplicate.status, duplicate.merged_into, duplicate.transaction_id) == (
        "closed",
        existing.number,
        TX,
    )
    assert duplicate.amount == Decimal("128.50") and duplicate.language == "en"  # facts kept
    assert store.get(pending.number, follow_merges=True) == carrier
    assert store.complete_lookup(pending.number, outcome="refund_ticket", transaction_id=TX) == carrier
    assert count(store, "SELECT COUNT(*) FROM tickets WHERE transaction_id = :tx", tx=TX) == 2
    assert store.active_for_transaction(TX) == carrier


def test_complete_lookup_of_an_unknown_number(store: CaseStore) -> None:
    with pytest.raises(TicketNotFound):
        store.complete_lookup("LK-20261126-0001-M", outcome="no_charge", transaction_id=None)


FULL_OR_WRONG = ["4111111111111111", "4111 1111 1111 1111", "482", "48210", "48a1", "４８２１", ""]


def test_only_the_last_four_card_digits_are_accepted(store: CaseStore) -> None:
    ticket = store.open_ticket(refund_draft())
    for value in FULL_OR_WRONG:
        with pytest.raises(ValueError, match="last 4"):
            refund_draft(card_last4=value)
        # Even bypassing the store, the database refuses (CHECK constraint; PostgreSQL's varchar(4) too).
        with pytest.raises((IntegrityError, DataError)), store.database.engine.begin() as connection:
            connection.execute(
                text("UPDATE tickets SET card_last4 = :v WHERE number = :n"), {"v": value, "n": ticket.number}
            )
    assert store.get(ticket.number).card_last4 == "4821"


def test_the_database_itself_enforces_one_active_ticket_per_transaction(store: CaseStore) -> None:
    first = store.open_ticket(refund_draft())
    second = store.open_ticket(refund_draft(transaction_id="TX-2"))
    with pytest.raises(IntegrityError), store.database.engine.begin() as connection:
        connection.execute(
            text("UPDATE tickets SET transaction_id = :tx WHERE number = :n"), {"tx": TX, "n": second.number}
        )
    store.add_event(first.number, actor="agent", to_status="cancelled")
    with store.database.engine.begin() as connection:  # allowed once the first one is no longer active
        connection.execute(
            text("UPDATE tickets SET transaction_id = :tx WHERE number = :n"), {"tx": TX, "n": second.number}
        )


def test_the_database_itself_enforces_one_waiting_lookup_per_conversation(store: CaseStore) -> None:
    store.open_pending_lookup(pending_draft())
    other = store.open_pending_lookup(pending_draft(conversation_id="conv-2"))
    with pytest.raises(IntegrityError), store.database.engine.begin() as connection:
        connection.execute(
            text("UPDATE tickets SET conversation_id = 'conv-1' WHERE number = :n"), {"n": other.number}
        )


def test_free_text_is_redacted(store: CaseStore) -> None:
    ticket = store.open_ticket(refund_draft())
    noted = store.add_event(
        ticket.number, actor="agent", note="customer typed 6222 0212 3456 7890 128 in chat"
    )
    assert "6222" not in noted.history[-1].note and "[***]" in noted.history[-1].note


def test_drafts_refuse_what_cannot_be_stored(store: CaseStore) -> None:
    with pytest.raises(ValueError, match="aware"):
        refund_draft(window_start=datetime(2026, 11, 26, 9, 30))
    with pytest.raises(ValueError, match="amount"):
        refund_draft(amount=Decimal("0"))
    with pytest.raises(ValueError, match="amount"):
        refund_draft(amount=Decimal("1.005"))
    with pytest.raises(ValueError, match="language"):
        refund_draft(language="fr")
    with pytest.raises(ValueError, match="pending lookup"):
        pending_draft(amount=None)
    with pytest.raises(ValueError, match="last 4"):
        store.complete_lookup(
            "LK-20261126-0001-M", outcome="no_charge", transaction_id=None, card_last4="12345"
        )
    assert facts()["card_last4"] == "4821"


def test_a_failed_statement_does_not_show_its_values(tmp_path: Path) -> None:
    """Callers log case store errors; a ticket's facts must not go into the logs with them."""
    engine = make_engine(f"sqlite:///{tmp_path / 'cases.db'}")
    statement = text("SELECT * FROM no_such_table WHERE note = :note")
    with engine.connect() as connection, pytest.raises(OperationalError) as failed:
        connection.execute(statement, {"note": "卡尾号 4821 128.50"})
    engine.dispose()
    assert "4821" not in str(failed.value) and "hidden" in str(failed.value)
