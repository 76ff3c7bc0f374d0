"""The case store's pending lookups: complaints the merchant API could not answer yet, the retry
job's reading of them, and their completion into a case (`CaseStore` has these methods)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from bot.case_store import ticket_numbers
from bot.case_store.db import RACE_ATTEMPTS, is_unique_violation, translate_errors
from bot.case_store.errors import CaseStoreError
from bot.case_store.models import OpenKind, PendingDraft, Ticket, TicketRow, check_card_last4, masked
from bot.case_store.ticket_history import append_event, change_status
from bot.lookup.outcomes import OUTCOMES, Outcome

# Where complete_lookup sends a pending complaint, by the lookup's outcome; other outcomes need no case.
CASE_KIND_FOR_OUTCOME: dict[str, OpenKind] = {
    "refund_ticket": "refund",
    "dispute_ticket": "dispute",
    "escalated": "escalation",
}


@translate_errors
class PendingLookups:
    """CaseStore's methods for pending lookups. A mixin: it works through the store's units of work
    and row helpers (`_writes`, `_reads`, `_require`, `_insert`, `_snapshot`, ...)."""

    def open_pending_lookup(self, draft: PendingDraft) -> Ticket:
        """Record a complaint the merchant API could not look up yet; one per conversation."""
        for _ in range(RACE_ATTEMPTS):
            try:
                with self._writes.begin() as session:
                    existing = session.execute(
                        select(TicketRow)
                        .where(TicketRow.conversation_id == draft.conversation_id)
                        .where(TicketRow.status == "waiting_for_lookup")
                        .with_for_update()
                    ).scalar_one_or_none()
                    if existing is not None:
                        self._update_waiting_facts(existing, draft)
                        session.flush()
                        return self._snapshot(existing)
                    row = self._insert(session, draft, kind="lookup_pending", status="waiting_for_lookup")
                    return self._snapshot(row)
            except IntegrityError as exc:
                if not is_unique_violation(exc):
                    raise
        raise CaseStoreError(f"could not record a pending lookup for {draft.conversation_id}")

    def pending_lookups(self, *, limit: int = 100, attempted_before: datetime | None = None) -> list[Ticket]:
        """Complaints still waiting for the merchant API, oldest first."""
        statement = (
            select(TicketRow)
            .where(TicketRow.status == "waiting_for_lookup")
            .order_by(TicketRow.created_at, TicketRow.id)
            .limit(limit)
            .options(selectinload(TicketRow.events))
        )
        if attempted_before is not None:
            statement = statement.where(
                or_(TicketRow.last_lookup_at.is_(None), TicketRow.last_lookup_at < attempted_before)
            )
        with self._reads.begin() as session:
            return [self._snapshot(row) for row in session.execute(statement).scalars()]

    def record_lookup_failure(self, number: str, reason: str, *, actor: str = "lookup-retry") -> Ticket:
        """Count a failed retry of a pending lookup (for back-off) and note why it failed."""
        with self._writes.begin() as session:
            row = self._require(session, number, lock=True)
            if row.status == "waiting_for_lookup":
                now = self._now()
                row.lookup_attempts += 1
                row.last_lookup_at = now
                append_event(row, None, f"lookup failed: {reason}", actor, now)
                session.flush()
            return self._snapshot(row)

    def complete_lookup(
        self,
        number: str,
        *,
        outcome: Outcome,
        transaction_id: str | None,
        expected_by: date | None = None,
        merchant_id: str | None = None,
        merchant_name: str | None = None,
        terminal_id: str | None = None,
        card_last4: str | None = None,
        actor: str = "lookup-retry",
        note: str | None = None,
    ) -> Ticket:
        """Conclude a pending lookup; returns the ticket that carries the case from now on.

        refund_ticket / dispute_ticket / escalated turn it into an open case of that kind (RF/DP/ES,
        same day and sequence; the LK number keeps working). Other outcomes need no case: it is
        resolved with the outcome and expected date. When the transaction already has an active
        ticket, this one is closed as its duplicate (merged_into) and the active one is returned.
        Calling it again on a concluded ticket changes nothing.
        """
        check_card_last4(card_last4)
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        kind = CASE_KIND_FOR_OUTCOME.get(outcome)
        for _ in range(RACE_ATTEMPTS):
            try:
                with self._writes.begin() as session:
                    row = self._require(session, number, lock=True)
                    if row.status != "waiting_for_lookup":
                        return self._snapshot(self._carrier(row))
                    active = None
                    if kind is not None and transaction_id is not None:
                        active = self._active_row(session, transaction_id, lock=True)
                    now = self._now()
                    for field, value in (
                        ("merchant_id", merchant_id),
                        ("merchant_name", masked(merchant_name)),
                        ("terminal_id", terminal_id),
                        ("card_last4", card_last4),
                    ):
                        if getattr(row, field) is None and value is not None:
                            setattr(row, field, value)  # fill gaps; never overwrite what the customer said
                    row.outcome = outcome
                    row.transaction_id = transaction_id
                    row.expected_by = expected_by
                    if kind is None:
                        change_status(row, "resolved", note or f"lookup done: {outcome}", actor, now)
                        session.flush()
                        return self._snapshot(row)
                    if active is not None:
                        self._merge(row, active, outcome, actor, now)
                        session.flush()
                        return self._snapshot(active)
                    current = ticket_numbers.parse_number(row.number)
                    if current is None:  # pragma: no cover - every stored number parses
                        raise CaseStoreError(f"unreadable ticket number {row.number!r}")
                    row.former_number = row.number
                    row.number = str(current.with_prefix(ticket_numbers.PREFIXES[kind]))
                    row.kind = kind
                    change_status(row, "open", note or f"lookup done: {outcome}", actor, now)
                    session.flush()
                    return self._snapshot(row)
            except IntegrityError as exc:
                # A ticket for the transaction became active concurrently; the next pass merges into it.
                if not is_unique_violation(exc):
                    raise
        raise CaseStoreError(f"could not complete the lookup of {number}")

    # --- helpers ------------------------------------------------------------------------------

    def _update_waiting_facts(self, row: TicketRow, draft: PendingDraft) -> None:
        """A resubmission from the same conversation: keep the latest facts, the earlier ones in history."""
        fields = (
            "amount",
            "currency",
            "window_start",
            "window_end",
            "terminal_id",
            "merchant_id",
            "merchant_name",
            "card_last4",
            "rrn",
            "voucher_no",
            "language",
        )
        new = {field: getattr(draft, field) for field in fields}
        new["merchant_name"] = masked(draft.merchant_name)
        changed = [field for field in fields if getattr(row, field) != new[field]]
        if not changed:
            return
        before = ", ".join(f"{field}={_show(getattr(row, field))}" for field in changed)
        for field in changed:
            setattr(row, field, new[field])
        append_event(row, None, f"facts updated by the customer; before: {before}", draft.actor, self._now())

    def _merge(self, row: TicketRow, active: TicketRow, outcome: str, actor: str, now: datetime) -> None:
        """Close a completed lookup as a duplicate of the transaction's active ticket."""
        change_status(row, "closed", f"duplicate of {active.number}", actor, now)
        row.merged_into = active
        append_event(
            active,
            None,
            f"{row.number} (conversation {row.conversation_id}) reported the same transaction; "
            f"its lookup concluded {outcome}",
            actor,
            now,
        )


def _show(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return "-" if value is None else str(value)
