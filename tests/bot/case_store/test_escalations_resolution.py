"""What resolving a hand-over does to its ticket, on SQLite and PostgreSQL: the hand-over's own open
ES ticket is resolved with the agent's note, any other ticket only gets the note, handing back
changes nothing, and a repeated request changes nothing twice."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import pytest

import bot.case_store.escalations as escalations_module
from bot.case_store import CaseStore, CaseStoreError, Ticket, TicketDraft
from bot.case_store.escalations import EscalationStore
from bot.case_store.handover_ticket import status_on_resolution
from bot.case_store.models import KINDS, STATUSES
from bot.case_store.outbox import Outbox
from bot.case_store.store import TRANSITIONS
from tests.bot.case_store.escalation_support import _open, _payloads, _topics
from tests.bot.case_store.support import Clock, facts, refund_draft


def escalation_ticket(store: CaseStore, **overrides: Any) -> Ticket:
    """The ES ticket a hand-over opens (as bot.handoff.service does)."""
    values = facts(kind="escalation", outcome="escalated", note="handed to a person: customer_asked")
    values.update(overrides)
    return store.open_ticket(TicketDraft(**values))


def test_resolving_settles_the_hand_over_s_own_ticket_with_the_note(
    store: CaseStore, escalations: EscalationStore, outbox: Outbox, clock: Clock
) -> None:
    ticket = escalation_ticket(store)
    escalation = _open(escalations, ticket_number=ticket.number)
    escalations.claim(escalation.id, "alice")
    clock.advance(minutes=12)

    note = "退款已安排，卡号 6222 0212 3456 7890 128 不用提供"
    change = escalations.resolve_change(escalation.id, "alice", note)

    assert change.made and change.escalation.status == "resolved"
    after = store.get(ticket.number)
    assert after.status == "resolved" and after.updated_at == clock.now
    last = after.history[-1]
    assert (last.from_status, last.to_status, last.actor) == ("open", "resolved", "agent:alice")
    assert last.at == clock.now
    assert last.note.startswith("hand-over resolved: 退款已安排") and "6222 0212" not in last.note
    assert "[***]" in last.note and last.note.endswith(change.escalation.note)
    # The helpdesk hears of both, from the one transaction.
    assert _topics(outbox)[-2:] in (
        ["ticket.changed", "escalation.resolved"],
        ["escalation.resolved", "ticket.changed"],
    )
    assert _payloads(outbox, "ticket.changed")[-1]["status"] == "resolved"


def test_resolving_without_a_note_still_settles_and_says_so(
    store: CaseStore, escalations: EscalationStore
) -> None:
    ticket = escalation_ticket(store)
    escalation = _open(escalations, ticket_number=ticket.number)
    escalations.claim(escalation.id, "alice")
    escalations.resolve(escalation.id, "alice")
    after = store.get(ticket.number)
    assert after.status == "resolved" and after.history[-1].note == "hand-over resolved"


def test_a_refund_still_pending_keeps_its_status_and_gets_the_note(
    store: CaseStore, escalations: EscalationStore
) -> None:
    refund = store.open_ticket(refund_draft())
    escalation = _open(escalations, ticket_number=refund.number)
    escalations.claim(escalation.id, "alice")

    escalations.resolve(escalation.id, "alice", "told the customer the refund date")

    after = store.get(refund.number)
    assert after.status == "open" and after.expected_by == date(2026, 12, 3)
    assert len(after.history) == len(refund.history) + 1
    last = after.history[-1]
    assert (last.from_status, last.to_status, last.actor) == ("open", None, "agent:alice")
    assert last.note == "hand-over resolved: told the customer the refund date"


def test_an_escalation_ticket_the_agent_put_in_progress_stays_in_progress(
    store: CaseStore, escalations: EscalationStore
) -> None:
    ticket = escalation_ticket(store)
    escalation = _open(escalations, ticket_number=ticket.number)
    escalations.claim(escalation.id, "alice")
    store.add_event(ticket.number, actor="agent:alice", to_status="in_progress", note="asked the merchant")

    escalations.resolve(escalation.id, "alice", "merchant will refund")

    after = store.get(ticket.number)
    assert after.status == "in_progress"
    assert after.history[-1].note == "hand-over resolved: merchant will refund"


def test_handing_back_leaves_the_ticket_as_it_is(
    store: CaseStore, escalations: EscalationStore, outbox: Outbox
) -> None:
    ticket = escalation_ticket(store)
    escalation = _open(escalations, ticket_number=ticket.number)
    escalations.claim(escalation.id, "alice")
    changes_before = len(_payloads(outbox, "ticket.changed"))

    change = escalations.hand_back_change(escalation.id, "alice")

    assert change.made and change.escalation.status == "handed_back"
    assert store.get(ticket.number) == ticket
    assert len(_payloads(outbox, "ticket.changed")) == changes_before


def test_a_repeated_request_changes_nothing_twice(store: CaseStore, escalations: EscalationStore) -> None:
    ticket = escalation_ticket(store)
    escalation = _open(escalations, ticket_number=ticket.number)
    first_claim = escalations.claim_change(escalation.id, "alice")
    second_claim = escalations.claim_change(escalation.id, "alice")
    assert first_claim.made and not second_claim.made
    assert second_claim.escalation == first_claim.escalation

    first = escalations.resolve_change(escalation.id, "alice", "done")
    settled = store.get(ticket.number)
    again = escalations.resolve_change(escalation.id, "alice", "done")

    assert first.made and not again.made and again.escalation == first.escalation
    assert store.get(ticket.number) == settled


def test_a_resolution_whose_ticket_cannot_change_does_not_happen(
    store: CaseStore, escalations: EscalationStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = escalation_ticket(store)
    escalation = _open(escalations, ticket_number=ticket.number)
    claimed = escalations.claim(escalation.id, "alice")

    def broken(*_args: object, **_kwargs: object) -> None:
        raise CaseStoreError("the ticket could not be written")

    monkeypatch.setattr(escalations_module, "record_resolution", broken)
    with pytest.raises(CaseStoreError):
        escalations.resolve(escalation.id, "alice", "done")

    assert escalations.get(escalation.id) == claimed
    assert store.get(ticket.number) == ticket


def test_a_ticket_number_no_ticket_has_does_not_stop_the_resolution(escalations: EscalationStore) -> None:
    escalation = _open(escalations)  # its ES number was never stored
    escalations.claim(escalation.id, "alice")
    assert escalations.resolve(escalation.id, "alice", "done").status == "resolved"


@pytest.mark.parametrize("kind, status", list(itertools.product(KINDS, STATUSES)))
def test_the_rule_asks_only_for_steps_the_ticket_state_machine_allows(kind: str, status: str) -> None:
    settled = status_on_resolution(kind, status)
    assert settled is None or settled in TRANSITIONS[status]  # type: ignore[index]
    assert (settled is not None) == (kind == "escalation" and status == "open")
