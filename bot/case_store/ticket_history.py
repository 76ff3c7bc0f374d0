"""A ticket's history: every change to a ticket row goes through here, whichever store's unit of
work makes it (the case store, its pending lookups, an escalation resolved with its ticket)."""

from __future__ import annotations

from datetime import datetime

from bot.case_store.models import TicketEventRow, TicketRow, TicketStatus, masked


def append_event(
    row: TicketRow, to_status: TicketStatus | None, note: str | None, actor: str, now: datetime
) -> None:
    """An entry in the ticket's history (the note masked); the status itself is not changed here."""
    row.events.append(
        TicketEventRow(at=now, from_status=row.status, to_status=to_status, note=masked(note), actor=actor)
    )
    row.updated_at = now


def change_status(
    row: TicketRow, to_status: TicketStatus, note: str | None, actor: str, now: datetime
) -> None:
    """A status change and its history entry; the caller has checked it against TRANSITIONS."""
    append_event(row, to_status, note, actor, now)
    row.status = to_status
