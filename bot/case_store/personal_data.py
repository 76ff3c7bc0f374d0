"""What the case store holds about customers, for the privacy subsystem (bot/privacy): its expiry under
the retention rules, and one conversation's data exported or erased (PIPL's rights of access, art. 45,
and deletion, art. 47).

A ticket is never deleted on request: it is the complaint's record. It loses its personal details
instead (bot.privacy.rules.TICKET_DETAILS_REMOVED) and keeps its facts until they expire too. Changes
here write no "ticket.changed" event (bulk statements, not the ORM rows the outbox hook watches):
erasing a conversation tells the helpdesk once, with a "conversation.erased" event.

Two retention jobs may run at once: every statement is idempotent, and tickets are taken with
FOR UPDATE SKIP LOCKED on PostgreSQL (SQLite's writers take their turn at BEGIN IMMEDIATE).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import bindparam, delete, func, not_, select, update
from sqlalchemy.orm import Session

from bot.case_store.db import CaseDatabase, translate_errors, utc_now
from bot.case_store.errors import CaseStoreError
from bot.case_store.escalation_models import (
    OPEN_ESCALATION_STATUSES,
    Escalation,
    EscalationRow,
    OutboxRow,
    dump_json,
)
from bot.case_store.models import TicketEventRow, TicketRow
from bot.case_store.outbox_hook import enqueue
from bot.case_store.store import CaseStore
from bot.privacy.rules import ERASED_PREFIX, erased_conversation_id, is_about, mention, without_mentions

CONVERSATION_ERASED = "conversation.erased"
BATCH = 500  # tickets per transaction


class ConversationWithAgent(CaseStoreError):
    """The conversation is handed to an agent right now (an open escalation): finish it first."""


@dataclass(frozen=True)
class Erased:
    """What erasing a conversation changed in the case store."""

    tickets: tuple[str, ...]  # the numbers of its tickets, which keep their facts
    escalations: int
    webhook_events: int
    notes: int  # other tickets' notes that named the conversation


@translate_errors
class PersonalData:
    """Customers' data in the case store's database; one session per unit of work."""

    def __init__(self, database: CaseDatabase, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.database = database
        self._clock = clock
        self._reads, self._writes = database.reads, database.writes

    # --- expiry ---------------------------------------------------------------------------------

    def remove_ticket_details(self, changed_before: datetime, *, batch: int = BATCH) -> int:
        """Remove the personal details of the tickets unchanged since `changed_before`; how many."""
        removed = 0
        while True:
            with self._writes.begin() as session:
                tickets = session.execute(
                    select(TicketRow.id, TicketRow.number)
                    .where(TicketRow.updated_at < changed_before)
                    .where(not_(TicketRow.conversation_id.startswith(ERASED_PREFIX)))
                    .order_by(TicketRow.id)
                    .limit(batch)
                    .with_for_update(skip_locked=True)
                ).all()
                if not tickets:
                    return removed
                _remove_details(session, tickets)
            removed += len(tickets)

    def delete_tickets(self, changed_before: datetime) -> int:
        """Delete the tickets unchanged since `changed_before`, history included; how many."""
        with self._writes.begin() as session:
            result = session.execute(
                delete(TicketRow)
                .where(TicketRow.updated_at < changed_before)
                .execution_options(synchronize_session=False)
            )
            return result.rowcount

    def delete_escalations(self, changed_before: datetime) -> int:
        """Delete the escalations unchanged (opened, claimed, finished) since `changed_before`; how many."""
        row = EscalationRow
        last_change = func.coalesce(row.resolved_at, row.claimed_at, row.created_at)
        with self._writes.begin() as session:
            result = session.execute(
                delete(EscalationRow)
                .where(last_change < changed_before)
                .execution_options(synchronize_session=False)
            )
            return result.rowcount

    # --- one conversation -----------------------------------------------------------------------

    def conversation_of(self, ticket_number: str) -> str | None:
        """The conversation a ticket was opened in (an `erased:` id once its details are gone), or None."""
        ticket = CaseStore(self.database).get(ticket_number)
        return None if ticket is None else ticket.conversation_id

    def export(self, conversation_id: str) -> dict[str, Any]:
        """Everything the case store holds about the conversation, as plain JSON values."""
        tickets = CaseStore(self.database).find_by_conversation(conversation_id)
        with self._reads.begin() as session:
            escalations = session.execute(
                select(EscalationRow)
                .where(EscalationRow.conversation_id == conversation_id)
                .order_by(EscalationRow.id)
            ).scalars()
            escalation_values = [Escalation.from_row(row).as_json() for row in escalations]
            events = [
                {
                    "event_id": row.event_id,
                    "topic": row.topic,
                    "created_at": row.created_at,
                    "delivered_at": row.delivered_at,
                    "data": json.loads(row.payload),
                }
                for row in _events_about(session, conversation_id)
            ]
        exported = {
            "tickets": [asdict(ticket) for ticket in tickets],
            "escalations": escalation_values,
            "webhook_events": events,
        }
        return json.loads(dump_json(exported))  # times as ISO 8601 (UTC), amounts as strings

    def erase(self, conversation_id: str) -> Erased:
        """Erase what the case store holds about the conversation: its tickets keep only their facts, its
        escalations and webhook events are deleted, other tickets' notes stop naming it, and the helpdesk
        is told (a "conversation.erased" event). Refused while an agent has the conversation."""
        with self._writes.begin() as session:
            held = session.execute(
                select(EscalationRow.id, EscalationRow.status)
                .where(EscalationRow.conversation_id == conversation_id)
                .where(EscalationRow.status.in_(OPEN_ESCALATION_STATUSES))
            ).first()
            if held is not None:
                raise ConversationWithAgent(
                    f"escalation {held.id} of this conversation is {held.status}: "
                    "an agent must resolve it or hand it back first"
                )
            tickets = session.execute(
                select(TicketRow.id, TicketRow.number)
                .where(TicketRow.conversation_id == conversation_id)
                .order_by(TicketRow.id)
                .with_for_update()
            ).all()
            _remove_details(session, tickets)
            notes = _forget_mentions(session, conversation_id)
            escalations = session.execute(
                delete(EscalationRow)
                .where(EscalationRow.conversation_id == conversation_id)
                .execution_options(synchronize_session=False)
            ).rowcount
            event_ids = [row.id for row in _events_about(session, conversation_id)]
            if event_ids:
                session.execute(
                    delete(OutboxRow)
                    .where(OutboxRow.id.in_(event_ids))
                    .execution_options(synchronize_session=False)
                )
            numbers = tuple(ticket.number for ticket in tickets)
            now = self._now()
            # The helpdesk holds copies of these tickets and escalations: it should erase them too.
            payload = {
                "conversation_id": conversation_id,
                "tickets": list(numbers),
                "erased_at": now.astimezone(timezone.utc).isoformat(),
            }
            enqueue(session, CONVERSATION_ERASED, payload, now)
            return Erased(
                tickets=numbers, escalations=escalations, webhook_events=len(event_ids), notes=notes
            )

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the clock must return aware datetimes")
        return now


def _remove_details(session: Session, tickets: Sequence[Any]) -> None:
    """Take the personal details off these tickets (rows of id and number) and their history."""
    if not tickets:
        return
    ids = [ticket.id for ticket in tickets]
    session.execute(
        update(TicketEventRow)
        .where(TicketEventRow.ticket_id.in_(ids))
        .where(TicketEventRow.note.is_not(None))
        .values(note=None)
        .execution_options(synchronize_session=False)
    )
    session.connection().execute(
        update(TicketRow.__table__)
        .where(TicketRow.__table__.c.id == bindparam("ticket_id"))
        .values(conversation_id=bindparam("erased_id"), card_last4=None),
        [{"ticket_id": t.id, "erased_id": erased_conversation_id(t.number)} for t in tickets],
    )


def _forget_mentions(session: Session, conversation_id: str) -> int:
    """Take the conversation's id out of every note that names it; how many notes changed."""
    named = session.execute(
        select(TicketEventRow.id, TicketEventRow.note).where(
            TicketEventRow.note.contains(mention(conversation_id), autoescape=True)
        )
    ).all()
    changed = [
        {"event_id": row.id, "new_note": without_mentions(row.note, conversation_id)}
        for row in named
        if without_mentions(row.note, conversation_id) != row.note
    ]
    if changed:
        events = TicketEventRow.__table__
        session.connection().execute(
            update(events).where(events.c.id == bindparam("event_id")).values(note=bindparam("new_note")),
            changed,
        )
    return len(changed)


def _events_about(session: Session, conversation_id: str) -> list[OutboxRow]:
    """The webhook events (tickets, escalations, erasures) of the conversation, oldest first."""
    candidates = session.execute(
        select(OutboxRow)
        .where(OutboxRow.payload.contains(dump_json(conversation_id), autoescape=True))
        .order_by(OutboxRow.id)
    ).scalars()
    return [row for row in candidates if is_about(row.payload, conversation_id)]
