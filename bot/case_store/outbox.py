"""The transactional outbox: an event row written in the very transaction of the change it reports, so
the helpdesk hears of every committed change and of nothing that was rolled back.

Writers call `enqueue` inside their unit of work; `record_ticket_changes` makes CaseStore's writer
sessions do it for every ticket they create or change. The webhook deliverer (bot.webhooks) reads the
rows through `Outbox`: `claim_next` takes the oldest due row and moves its `next_attempt_at` ahead by a
lease before the row is sent, so a second deliverer does not send it at the same time (PostgreSQL
picks with FOR UPDATE SKIP LOCKED; on SQLite the writer's BEGIN IMMEDIATE serializes the claims);
`mark_delivered` / `mark_failed` record the result. Rows are never dropped (`purge_delivered` removes
delivered ones only).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, event, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from bot.case_store.escalation_models import (
    LAST_ERROR_LENGTH,
    OutboxMessage,
    OutboxRow,
    dump_json,
    ticket_json,
)
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


class Outbox:
    """The deliverer's view of the outbox; one engine per instance."""

    def __init__(self, url: str | None = None) -> None:
        # store.py imports this module (record_ticket_changes), so its engine helpers come in late.
        from bot.case_store.store import make_engine, session_factories, url_from_environment

        self.url = url or url_from_environment()
        self._engine = make_engine(self.url)
        self._reads, self._writes = session_factories(self._engine)

    @property
    def engine(self) -> Engine:
        """The outbox's engine (for tests and maintenance)."""
        return self._engine

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- delivery -------------------------------------------------------------------------------

    def claim_next(self, now: datetime, lease: timedelta) -> OutboxMessage | None:
        """The oldest undelivered row due at `now`, its attempt counted and leased until `now + lease`.

        The returned message's `attempts` is the number of this attempt. Until the lease ends no other
        claim returns the row; a deliverer that dies mid-send leaves it to be retried after the lease.
        """
        with self._writes.begin() as session:
            row = session.execute(
                select(OutboxRow)
                .where(OutboxRow.delivered_at.is_(None))
                .where(OutboxRow.next_attempt_at <= now)
                .order_by(OutboxRow.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).scalar_one_or_none()
            if row is None:
                return None
            row.attempts += 1
            row.next_attempt_at = now + lease
            session.flush()
            return OutboxMessage.from_row(row)

    def mark_delivered(self, message: OutboxMessage, now: datetime) -> bool:
        """Record that the receiver accepted the message; False when it was marked delivered before."""
        with self._writes.begin() as session:
            result = session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == message.id)
                .where(OutboxRow.delivered_at.is_(None))
                .values(delivered_at=now)
                .execution_options(synchronize_session=False)
            )
            return result.rowcount == 1

    def mark_failed(self, message: OutboxMessage, error: str, retry_at: datetime) -> bool:
        """Record a failed attempt and when to try again; False when the row has moved on since the claim
        (delivered, or claimed again after the lease ran out), in which case nothing changes."""
        with self._writes.begin() as session:
            result = session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == message.id)
                .where(OutboxRow.delivered_at.is_(None))
                .where(OutboxRow.attempts == message.attempts)
                .values(next_attempt_at=retry_at, last_error=error[:LAST_ERROR_LENGTH])
                .execution_options(synchronize_session=False)
            )
            return result.rowcount == 1

    # --- reading and upkeep ---------------------------------------------------------------------

    def get(self, message_id: int) -> OutboxMessage | None:
        """The row with that id, or None."""
        with self._reads.begin() as session:
            row = session.get(OutboxRow, message_id)
            return None if row is None else OutboxMessage.from_row(row)

    def messages(self, *, topic: str | None = None, undelivered_only: bool = False) -> list[OutboxMessage]:
        """Rows oldest first, optionally of one topic or not yet delivered."""
        statement = select(OutboxRow).order_by(OutboxRow.id)
        if topic is not None:
            statement = statement.where(OutboxRow.topic == topic)
        if undelivered_only:
            statement = statement.where(OutboxRow.delivered_at.is_(None))
        with self._reads.begin() as session:
            return [OutboxMessage.from_row(row) for row in session.execute(statement).scalars()]

    def undelivered_count(self) -> int:
        """How many events the helpdesk has not accepted yet."""
        with self._reads.begin() as session:
            statement = select(func.count()).select_from(OutboxRow).where(OutboxRow.delivered_at.is_(None))
            return session.execute(statement).scalar_one()

    def purge_delivered(self, before: datetime) -> int:
        """Delete rows delivered before `before`; returns how many. Undelivered rows are never deleted."""
        with self._writes.begin() as session:
            result = session.execute(
                delete(OutboxRow)
                .where(OutboxRow.delivered_at.is_not(None))
                .where(OutboxRow.delivered_at < before)
                .execution_options(synchronize_session=False)
            )
            return result.rowcount
