"""What an agent's resolving a hand-over does to the escalation's ticket, in the same transaction as
the escalation's own change (so neither happens without the other).

The rule:
- The agent's resolution note always goes into the ticket's history (actor `agent:<login>`), so the
  ticket says how the hand-over ended, whatever its kind.
- The ticket the hand-over stands for, an escalation ticket (ES-…) still `open`, is settled with it:
  it becomes `resolved` (a step the store's TRANSITIONS allow). Not `closed`: a customer may come
  back about the case, and a resolved ticket can be reopened, a closed one never.
- Every other ticket keeps its status, because its work does not end with the chat:
  a refund (RF-…) or dispute (DS-…) ticket ends when the money comes back or the dispute is decided
  (a refund still pending keeps its expected date and stays answerable); a complaint waiting for the
  merchant API (LK-…) ends when the retry job completes it; an escalation ticket the agent put
  `in_progress` says that work goes on after the chat (a refund asked of the merchant, say); one
  already resolved, closed or cancelled is over. The agent changes any of these with the console's
  ticket form.

Handing the conversation back without resolving it leaves the ticket as it is (nothing here runs).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.case_store.models import TicketStatus
from bot.case_store.store import locked_ticket
from bot.case_store.ticket_history import append_event, change_status

SETTLED: TicketStatus = "resolved"
_ACTOR_CHARS = 64  # ticket_events.actor


def status_on_resolution(kind: str, status: str) -> TicketStatus | None:
    """The status a ticket takes when its hand-over is resolved; None: it keeps its own."""
    if kind == "escalation" and status == "open":
        return SETTLED
    return None


def resolution_note(note: str | None) -> str:
    """The history entry's text (the store masks card numbers and codes in it)."""
    return f"hand-over resolved: {note}" if note else "hand-over resolved"


def record_resolution(session: Session, number: str, *, agent: str, note: str | None, now: datetime) -> None:
    """Note the resolution on the ticket `number` and settle it when the rule says so. A number no
    ticket has (erased, or never stored) changes nothing: the hand-over still ends."""
    row = locked_ticket(session, number)
    if row is None:
        return
    actor = f"agent:{agent}"[:_ACTOR_CHARS]
    settled = status_on_resolution(row.kind, row.status)
    if settled is None:
        append_event(row, None, resolution_note(note), actor, now)
    else:
        change_status(row, settled, resolution_note(note), actor, now)
