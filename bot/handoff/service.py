"""Handing a conversation to a person: the escalation record, its ticket, and when people answer.

No Rasa here: `action_turn` (and the lookup, when the decision policy escalates) call
`HandoffService.hand_off`. The record is the support queue's: the agents' console (and the
helpdesk, through the outbox and its webhook) pick it up from the case store.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from bot import config
from bot.case_store import CaseDatabase, CaseStore, Ticket, TicketDraft
from bot.case_store.escalations import EscalationStore
from bot.handoff.hours import SupportHours
from bot.handoff.summary import HandoffFacts, summarize


@dataclass(frozen=True)
class Handoff:
    """What the customer is told: the ticket to quote, and whether people are at work now."""

    ticket_number: str
    escalation_id: int
    open_now: bool
    next_opening: datetime


class HandoffService:
    def __init__(
        self, cases: CaseStore, escalations: EscalationStore, hours: SupportHours, agent_language: str
    ) -> None:
        self.cases = cases
        self.escalations = escalations
        self.hours = hours
        self.agent_language = agent_language

    @classmethod
    def configured(cls, database: CaseDatabase) -> HandoffService:
        """Hand-overs into the process's case database, with SUPPORT_HOURS and SUPPORT_AGENT_LANGUAGE."""
        return cls(
            CaseStore(database),
            EscalationStore(database),
            SupportHours.configured(),
            config.text("SUPPORT_AGENT_LANGUAGE"),
        )

    def hand_off(self, conversation_id: str, facts: HandoffFacts, now: datetime) -> Handoff:
        """Queue the conversation for a person (once: asking again finds the same record)."""
        escalation = self.escalations.open_for(conversation_id)
        if escalation is None:
            ticket_number = facts.ticket_number or self._escalation_ticket(conversation_id, facts).number
            facts = replace(facts, ticket_number=ticket_number)
            escalation = self.escalations.open(
                conversation_id=conversation_id,
                reason=facts.reason,
                language=facts.customer_language,
                facts=_plain_facts(facts),
                lookup=_plain_lookup(facts),
                ticket_number=ticket_number,
                summary_customer=summarize(facts, facts.customer_language),
                summary_agent=summarize(facts, self.agent_language),
            )
        return Handoff(
            ticket_number=escalation.ticket_number or "-",
            escalation_id=escalation.id,
            open_now=self.hours.is_open(now),
            next_opening=self.hours.next_opening(now),
        )

    def _escalation_ticket(self, conversation_id: str, facts: HandoffFacts) -> Ticket:
        """The conversation's active escalation ticket, or a new one. Reusing it matters when an earlier
        hand-off stored its ticket but failed before its escalation was queued: asking again must not
        open a second ticket for one case."""
        for ticket in reversed(self.cases.find_by_conversation(conversation_id)):
            if ticket.kind == "escalation" and ticket.is_active:
                return ticket
        return self._open_ticket(conversation_id, facts)

    def _open_ticket(self, conversation_id: str, facts: HandoffFacts) -> Ticket:
        window = facts.window
        return self.cases.open_ticket(
            TicketDraft(
                kind="escalation",
                outcome="escalated",
                conversation_id=conversation_id,
                language=facts.customer_language,
                amount=facts.amount,
                window_start=window.start if window else None,
                window_end=window.end if window else None,
                terminal_id=facts.terminal_id,
                merchant_name=facts.merchant_name,
                card_last4=facts.card_last4,
                note=f"handed to a person: {facts.reason}",
            )
        )


def _plain_facts(facts: HandoffFacts) -> dict[str, str | None]:
    window = facts.window
    return {
        "window_start": window.start.isoformat() if window else None,
        "window_end": window.end.isoformat() if window else None,
        "amount": f"{facts.amount:.2f}" if facts.amount is not None else None,
        "terminal_id": facts.terminal_id,
        "merchant_name": facts.merchant_name,
        "card_last4": facts.card_last4,
    }


def _plain_lookup(facts: HandoffFacts) -> dict[str, str | None] | None:
    if facts.transaction_id is None and facts.outcome is None:
        return None
    return {"transaction_id": facts.transaction_id, "outcome": facts.outcome}
