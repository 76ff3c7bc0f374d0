"""The transactional outbox: an event row written in the very transaction of the change it reports, so
the helpdesk hears of every committed change and of nothing that was rolled back.

Writers call `enqueue` inside their unit of work (bot.case_store.outbox_hook); `record_ticket_changes`
makes the case database's writer sessions do it for every ticket they create or change. The webhook
deliverer (bot.webhooks) reads the
rows through `Outbox`: `claim_next` takes the oldest due row and moves its `next_attempt_at` ahead by a
lease before the row is sent, so a second deliverer does not send it at the same time (PostgreSQL
picks with FOR UPDATE SKIP LOCKED; on SQLite the writer's BEGIN IMMEDIATE serializes the claims);
`mark_delivered` / `mark_failed` record the result. Rows are not dropped before the helpdesk has them:
`purge_delivered` removes delivered ones, and `purge_undelivered` what can never be sent (no helpdesk is
configured, so the outbox would grow for ever) or what the retention rules (bot/privacy) say has
outlived its purpose.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update

from bot.case_store.db import CaseDatabase, translate_errors
from bot.case_store.escalation_models import LAST_ERROR_LENGTH, OutboxMessage, OutboxRow


@translate_errors
class Outbox:
    """The deliverer's view of the outbox."""

    def __init__(self, database: CaseDatabase) -> None:
        self.database = database
        self._reads, self._writes = database.reads, database.writes

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
        """Delete rows delivered before `before`; returns how many. Undelivered rows stay (only
        `purge_undelivered` removes them)."""
        with self._writes.begin() as session:
            result = session.execute(
                delete(OutboxRow)
                .where(OutboxRow.delivered_at.is_not(None))
                .where(OutboxRow.delivered_at < before)
                .execution_options(synchronize_session=False)
            )
            return result.rowcount

    def purge_undelivered(self, written_before: datetime) -> int:
        """Delete rows never delivered and written before `written_before`; returns how many. For a
        deployment without a helpdesk (nothing will ever send them) and for the retention job (the
        helpdesk has not taken them for as long as their data may be kept)."""
        with self._writes.begin() as session:
            result = session.execute(
                delete(OutboxRow)
                .where(OutboxRow.delivered_at.is_(None))
                .where(OutboxRow.created_at < written_before)
                .execution_options(synchronize_session=False)
            )
            return result.rowcount
