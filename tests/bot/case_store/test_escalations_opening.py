"""Escalations opened on SQLite and PostgreSQL: announced in the outbox, idempotent per conversation
(ten callers at once open one), bad input refused, summaries masked; the queue of waiting ones."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.case_store import CaseDatabase
from bot.case_store.escalation_models import Escalation
from bot.case_store.escalations import EscalationStore
from bot.case_store.outbox import Outbox
from tests.bot.case_store.escalation_support import FACTS, LOOKUP, _all_at_once, _open, _topics
from tests.bot.case_store.support import Clock, count


def test_open_stores_the_hand_over_and_announces_it(
    escalations: EscalationStore, outbox: Outbox, clock: Clock
) -> None:
    escalation = _open(escalations)

    assert escalation.status == "waiting" and escalation.is_open
    assert escalation.reason == "customer_asked" and escalation.language == "zh"
    assert escalation.ticket_number == "ES-20261126-0003-L"  # normalized like every ticket number
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
