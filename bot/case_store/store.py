"""The case store: opens tickets idempotently, keeps their history, answers status questions.

Pending lookups (complaints waiting for the merchant API) and their completion: `pending_lookups.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from bot.case_store import ticket_numbers
from bot.case_store.db import RACE_ATTEMPTS, CaseDatabase, is_unique_violation, translate_errors, utc_now
from bot.case_store.errors import CaseStoreError, DuplicateActiveTicket, InvalidTransition, TicketNotFound
from bot.case_store.models import (
    ACTIVE_STATUSES,
    CaseFacts,
    Ticket,
    TicketDraft,
    TicketEvent,
    TicketEventRow,
    TicketKind,
    TicketRow,
    TicketStatus,
    masked,
)
from bot.case_store.pending_lookups import PendingLookups
from bot.case_store.ticket_history import append_event, change_status
from bot.config import settings
from bot.lookup.outcomes import Outcome

# Status changes allowed through add_event (complete_lookup alone turns a pending lookup into a case).
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    "waiting_for_lookup": frozenset({"cancelled", "closed"}),
    "open": frozenset({"in_progress", "resolved", "closed", "cancelled"}),
    "in_progress": frozenset({"open", "resolved", "closed", "cancelled"}),
    "resolved": frozenset({"open", "closed"}),
    "closed": frozenset(),
    "cancelled": frozenset(),
}


@translate_errors
class CaseStore(PendingLookups):
    """Tickets in the case store's database; one session per unit of work. Pending lookups and their
    completion (the retry job's part) are in `PendingLookups`."""

    def __init__(
        self,
        database: CaseDatabase,
        *,
        business_timezone: ZoneInfo | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.database = database
        self._timezone = business_timezone or settings().default_timezone
        self._clock = clock
        self._reads, self._writes = database.reads, database.writes

    # --- opening ------------------------------------------------------------------------------

    def open_ticket(self, draft: TicketDraft) -> Ticket:
        """Open a case; the transaction's active ticket when it has one (unique index, race-safe)."""
        for _ in range(RACE_ATTEMPTS):
            try:
                with self._writes.begin() as session:
                    if draft.transaction_id is not None:
                        existing = self._active_row(session, draft.transaction_id)
                        if existing is not None:
                            self._note_repeat(existing, draft)
                            session.flush()
                            return self._snapshot(existing)
                    row = self._insert(
                        session,
                        draft,
                        kind=draft.kind,
                        status="open",
                        outcome=draft.outcome,
                        transaction_id=draft.transaction_id,
                        expected_by=draft.expected_by,
                    )
                    return self._snapshot(row)
            except IntegrityError as exc:
                # Another caller opened the transaction's ticket between our check and our insert;
                # the next pass finds and returns it.
                if draft.transaction_id is None or not is_unique_violation(exc):
                    raise
        raise CaseStoreError(f"could not open a ticket for transaction {draft.transaction_id}")

    # --- reading and history --------------------------------------------------------------------

    def get(self, number: str, *, follow_merges: bool = False) -> Ticket | None:
        """The ticket with that number (as a customer types it, or its former LK number), or None."""
        with self._reads.begin() as session:
            row = self._row_by_number(session, number)
            if row is None:
                return None
            return self._snapshot(self._carrier(row) if follow_merges else row)

    def find_by_conversation(self, conversation_id: str) -> list[Ticket]:
        """Every ticket opened from a conversation, oldest first."""
        with self._reads.begin() as session:
            rows = session.execute(
                select(TicketRow)
                .where(TicketRow.conversation_id == conversation_id)
                .order_by(TicketRow.created_at, TicketRow.id)
                .options(selectinload(TicketRow.events))
            ).scalars()
            return [self._snapshot(row) for row in rows]

    def active_for_transaction(self, transaction_id: str) -> Ticket | None:
        """The transaction's open, in-progress or waiting ticket, if any."""
        with self._reads.begin() as session:
            row = self._active_row(session, transaction_id)
            return None if row is None else self._snapshot(row)

    def add_event(
        self,
        number: str,
        *,
        actor: str,
        note: str | None = None,
        to_status: TicketStatus | None = None,
        expected_by: date | None = None,
    ) -> Ticket:
        """Add a note and/or a status change (and optionally a new expected date) to a ticket's history."""
        try:
            with self._writes.begin() as session:
                row = self._require(session, number, lock=True)
                now = self._now()
                if expected_by is not None and expected_by != row.expected_by:
                    row.expected_by = expected_by
                    note = f"{note}; " if note else ""
                    note += f"expected by {expected_by.isoformat()}"
                if to_status is None or to_status == row.status:
                    append_event(row, None, note, actor, now)
                else:
                    if to_status not in TRANSITIONS[row.status]:
                        raise InvalidTransition(f"{row.number}: {row.status} -> {to_status} is not allowed")
                    change_status(row, to_status, note, actor, now)
                session.flush()
                return self._snapshot(row)
        except IntegrityError as exc:
            if is_unique_violation(exc):
                raise DuplicateActiveTicket(
                    f"{number}: transaction already has another active ticket; it cannot be reopened"
                ) from exc
            raise

    # --- helpers --------------------------------------------------------------------------------

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the case store's clock must return aware datetimes")
        return now

    def _insert(
        self,
        session: Session,
        facts: CaseFacts,
        *,
        kind: TicketKind,
        status: TicketStatus,
        outcome: Outcome | None = None,
        transaction_id: str | None = None,
        expected_by: date | None = None,
    ) -> TicketRow:
        now = self._now()
        number = ticket_numbers.next_number(session, kind, now.astimezone(self._timezone).date())
        row = TicketRow(
            number=str(number),
            kind=kind,
            status=status,
            outcome=outcome,
            transaction_id=transaction_id,
            merchant_id=facts.merchant_id,
            merchant_name=masked(facts.merchant_name),
            terminal_id=facts.terminal_id,
            amount=facts.amount,
            currency=facts.currency,
            card_last4=facts.card_last4,
            rrn=facts.rrn,
            voucher_no=facts.voucher_no,
            window_start=facts.window_start,
            window_end=facts.window_end,
            language=facts.language,
            conversation_id=facts.conversation_id,
            expected_by=expected_by,
            lookup_attempts=0,
            created_at=now,
            updated_at=now,
        )
        row.events.append(
            TicketEventRow(
                at=now, from_status=None, to_status=status, note=masked(facts.note), actor=facts.actor
            )
        )
        session.add(row)
        session.flush()
        return row

    @staticmethod
    def _active_row(session: Session, transaction_id: str, *, lock: bool = False) -> TicketRow | None:
        statement = (
            select(TicketRow)
            .where(TicketRow.transaction_id == transaction_id)
            .where(TicketRow.status.in_(ACTIVE_STATUSES))
        )
        if lock:
            statement = statement.with_for_update()
        return session.execute(statement).scalar_one_or_none()

    @staticmethod
    def _row_by_number(session: Session, number: str, *, lock: bool = False) -> TicketRow | None:
        parsed = ticket_numbers.parse_number(number)
        if parsed is None:
            return None
        # Either spelling finds the ticket: numbers from before check letters are stored without one.
        spellings = (str(replace(parsed, checked=True)), parsed.plain)
        statement = select(TicketRow).where(
            or_(TicketRow.number.in_(spellings), TicketRow.former_number.in_(spellings))
        )
        if lock:
            statement = statement.with_for_update()
        return session.execute(statement).scalar_one_or_none()

    def _require(self, session: Session, number: str, *, lock: bool = False) -> TicketRow:
        row = self._row_by_number(session, number, lock=lock)
        if row is None:
            raise TicketNotFound(number)
        return row

    @staticmethod
    def _carrier(row: TicketRow) -> TicketRow:
        """The ticket that carries this one's case (following duplicates)."""
        for _ in range(10):
            if row.merged_into is None:
                break
            row = row.merged_into
        return row

    def _note_repeat(self, row: TicketRow, draft: TicketDraft) -> None:
        """Note on the active ticket that another conversation reported the same transaction."""
        if draft.conversation_id == row.conversation_id:
            return
        note = f"reported again from conversation {draft.conversation_id}"
        if any(event.note == note for event in row.events):
            return
        append_event(row, None, note, draft.actor, self._now())

    @staticmethod
    def _snapshot(row: TicketRow) -> Ticket:
        return Ticket(
            number=row.number,
            former_number=row.former_number,
            kind=row.kind,
            status=row.status,
            outcome=row.outcome,
            transaction_id=row.transaction_id,
            merchant_id=row.merchant_id,
            merchant_name=row.merchant_name,
            terminal_id=row.terminal_id,
            amount=row.amount,
            currency=row.currency,
            card_last4=row.card_last4,
            rrn=row.rrn,
            voucher_no=row.voucher_no,
            window_start=row.window_start,
            window_end=row.window_end,
            language=row.language,
            conversation_id=row.conversation_id,
            expected_by=row.expected_by,
            merged_into=row.merged_into.number if row.merged_into is not None else None,
            lookup_attempts=row.lookup_attempts,
            last_lookup_at=row.last_lookup_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            history=tuple(
                TicketEvent(
                    at=event.at,
                    from_status=event.from_status,
                    to_status=event.to_status,
                    note=event.note,
                    actor=event.actor,
                )
                for event in row.events
            ),
        )


# --- a ticket changed inside another store's unit of work (a hand-over resolved with its ticket) --


def locked_ticket(session: Session, number: str) -> TicketRow | None:
    """The ticket that carries the case of `number` (following merges), locked for a change in the
    caller's transaction; None when no ticket has that number."""
    row = CaseStore._row_by_number(session, number)
    if row is None:
        return None
    carrier = CaseStore._carrier(row)
    return session.execute(
        select(TicketRow)
        .where(TicketRow.id == carrier.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
