"""One pass of the retention rules over the tracker store and the case store, on SQLite and PostgreSQL:
what has expired goes (or, for a ticket, keeps only its facts), what has not stays as it was."""

from __future__ import annotations

from datetime import timedelta

from bot.case_store import CaseStore
from bot.case_store.escalations import EscalationStore
from bot.privacy.retention import Expired, expire
from bot.privacy.rules import RetentionPeriods
from bot.privacy.stores import Stores
from bot.rasa_server.tracker_store import IncrementalSQLTrackerStore
from tests.bot.case_store.escalation_support import _all_at_once, _open
from tests.bot.case_store.support import SHANGHAI, Clock, refund_draft
from tests.bot.privacy.support import converse

PERIODS = RetentionPeriods(transcript_days=180, escalation_days=180, ticket_days=540, ticket_facts_days=1825)


def _history(stores: Stores, rasa_store: IncrementalSQLTrackerStore, clock: Clock) -> dict[str, str]:
    """Complaints made 2000, 1000 and 300 days ago and one today (the clock ends at today), each with
    its conversation, ticket and escalation; their ticket numbers by conversation."""
    store = CaseStore(stores.database, business_timezone=SHANGHAI, clock=clock)
    escalations = EscalationStore(stores.database, clock=clock)
    numbers = {}
    today = clock.now
    for age_days in (2000, 1000, 300, 0):
        clock.now = today - timedelta(days=age_days)
        conversation = f"conv-{age_days}"
        converse(rasa_store, conversation, (f"扣了{age_days}块", clock.now))
        ticket = store.open_ticket(
            refund_draft(conversation_id=conversation, transaction_id=f"TX-{age_days}", note="客户原话")
        )
        _open(escalations, conversation, ticket_number=ticket.number)
        numbers[conversation] = ticket.number
    return numbers


def test_a_pass_deletes_or_anonymises_what_expired_and_keeps_what_did_not(
    stores: Stores, rasa_store: IncrementalSQLTrackerStore, clock: Clock
) -> None:
    numbers = _history(stores, rasa_store, clock)

    expired = expire(stores, PERIODS, clock.now)

    assert expired == Expired(
        conversations=3, escalations=3, ticket_details=1, tickets=1, undelivered_events=6
    )
    case_store = CaseStore(stores.database, business_timezone=SHANGHAI)
    assert case_store.get(numbers["conv-2000"]) is None  # older than 5 years: gone
    for age in (1000, 300):
        ticket = case_store.get(numbers[f"conv-{age}"])
        assert ticket is not None and ticket.transaction_id == f"TX-{age}"
    anonymised = case_store.get(numbers["conv-1000"])
    assert anonymised.conversation_id.startswith("erased:") and anonymised.card_last4 is None  # type: ignore[union-attr]
    assert case_store.get(numbers["conv-300"]).card_last4 == "4821"  # type: ignore[union-attr]
    for age in (2000, 1000, 300):
        assert stores.tracker.events_of(f"conv-{age}") == []
        assert stores.records.export(f"conv-{age}")["escalations"] == []
    today = stores.records.export("conv-0")
    assert len(today["tickets"]) == 1 and len(today["escalations"]) == 1 and today["webhook_events"]
    assert stores.tracker.events_of("conv-0")
    assert expire(stores, PERIODS, clock.now) == Expired(0, 0, 0, 0, 0)


def test_two_passes_at_once_change_everything_once(
    stores: Stores, rasa_store: IncrementalSQLTrackerStore, migrated_url: str, tracker_url: str, clock: Clock
) -> None:
    _history(stores, rasa_store, clock)

    def one_pass(_: int) -> Expired:
        with Stores.open(migrated_url, tracker_url) as own:
            return expire(own, PERIODS, clock.now)

    first, second = _all_at_once(one_pass, 2)
    assert isinstance(first, Expired) and isinstance(second, Expired)
    total = [a + b for a, b in zip(first.__dict__.values(), second.__dict__.values(), strict=True)]
    assert total == [3, 3, 1, 1, 6]
