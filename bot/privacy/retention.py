"""One pass of the retention rules (bot.privacy.rules) over every store: what has expired is deleted, or,
for a ticket, loses its personal details and keeps its facts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.privacy.rules import RetentionPeriods
from bot.privacy.stores import Stores


@dataclass(frozen=True)
class Expired:
    """What one pass deleted or anonymised."""

    conversations: int  # deleted from the tracker store, every event of each
    escalations: int
    ticket_details: int  # tickets that lost their personal details
    tickets: int  # deleted, their facts expired too
    undelivered_events: int

    def describe(self) -> str:
        return (
            f"{self.conversations} conversation(s) and {self.escalations} escalation(s) deleted, "
            f"{self.ticket_details} ticket(s) anonymised, {self.tickets} ticket(s) deleted, "
            f"{self.undelivered_events} undelivered webhook event(s) deleted"
        )


def expire(stores: Stores, periods: RetentionPeriods, now: datetime) -> Expired:
    """Apply the retention periods at `now`; safe to run again, and beside another pass."""
    cutoffs = periods.cutoffs(now)
    # Facts first: a ticket about to be deleted need not be anonymised on the way.
    tickets = stores.records.delete_tickets(cutoffs.ticket_facts)
    return Expired(
        conversations=stores.tracker.delete_idle(cutoffs.transcript),
        escalations=stores.records.delete_escalations(cutoffs.escalation),
        ticket_details=stores.records.remove_ticket_details(cutoffs.ticket_details),
        tickets=tickets,
        undelivered_events=stores.outbox.purge_undelivered(cutoffs.undelivered_event),
    )
