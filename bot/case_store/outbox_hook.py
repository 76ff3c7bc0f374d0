"""The outbox's writing side: events added to the very transaction of the change they report.

Writers call `enqueue` inside their unit of work; `record_ticket_changes` makes the case database's
writer sessions do it for every ticket they create or change. The deliverer reads the rows through
`bot.case_store.outbox.Outbox`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from bot.case_store.escalation_models import OutboxRow, dump_json, ticket_json
from bot.case_store.models import TicketRow

TICKET_CHANGED = "ticket.changed"
_RECORDED = "outbox.recorded_tickets"  # session.info key: ticket row -> its outbox row, this transaction


def enqueue(session: Session, topic: str, payload: dict[str, Any], now: datetime) -> OutboxRow:
    """Add an event to the caller's transaction; it is sent only if that transaction commits."""
    row = OutboxRow(
        event_id=uuid.uuid4().hex,
        topic=topic,
        payload=dump_json(payload),
        created_at=now,
        attempts=0,
        next_attempt_at=now,
    )
    session.add(row)
    return row


def record_ticket_changes(sessions: sessionmaker) -> None:
    """Make the sessions of `sessions` add a "ticket.changed" event for each ticket they create or change.

    A flush hook rather than calls at each change: every path that touches a ticket (opening, notes,
    status changes, completed lookups, merges) is covered, and the payload shows the ticket as flushed,
    after the whole change. One event per ticket per transaction, carrying its final state.
    """
    event.listen(sessions, "before_flush", _add_ticket_events)
    event.listen(sessions, "after_transaction_end", _forget_recorded)


def _add_ticket_events(session: Session, _context: object, _instances: object) -> None:
    recorded: dict[TicketRow, OutboxRow] = session.info.setdefault(_RECORDED, {})
    created = [row for row in session.new if isinstance(row, TicketRow)]
    changed = [row for row in session.dirty if isinstance(row, TicketRow) and session.is_modified(row)]
    # Events in a stable order (tickets by id, new ones last) whatever the session's set order.
    for row in sorted(changed, key=lambda row: row.id) + created:
        payload = ticket_json(row)
        earlier = recorded.get(row)
        if earlier is not None:
            earlier.payload = dump_json(payload)
        else:
            recorded[row] = enqueue(session, TICKET_CHANGED, payload, row.updated_at)


def _forget_recorded(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction: committed or rolled back
        session.info.pop(_RECORDED, None)
