"""Tickets, their status history and the per-day ticket number sequence.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_ACTIVE = "status IN ('open', 'in_progress', 'waiting_for_lookup') AND transaction_id IS NOT NULL"
_WAITING = "status = 'waiting_for_lookup'"


def _digits(column: str, count: int) -> str:
    stripped = column
    for digit in "0123456789":
        stripped = f"replace({stripped}, '{digit}', '')"
    return f"length({column}) = {count} AND {stripped} = ''"


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(24), nullable=False),
        sa.Column("former_number", sa.String(24), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("transaction_id", sa.String(64), nullable=True),
        sa.Column("merchant_id", sa.String(32), nullable=True),
        sa.Column("merchant_name", sa.String(200), nullable=True),
        sa.Column("terminal_id", sa.String(16), nullable=True),
        sa.Column("amount", sa.Numeric(12, 2), nullable=True),
        sa.Column("currency", sa.String(3), server_default="CNY", nullable=False),
        sa.Column("card_last4", sa.String(4), nullable=True),
        sa.Column("rrn", sa.String(12), nullable=True),
        sa.Column("voucher_no", sa.String(6), nullable=True),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("expected_by", sa.Date(), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("lookup_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_lookup_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('refund', 'dispute', 'escalation', 'lookup_pending')", name=op.f("ck_tickets_kind")
        ),
        sa.CheckConstraint(
            "status IN ('waiting_for_lookup', 'open', 'in_progress', 'resolved', 'closed', 'cancelled')",
            name=op.f("ck_tickets_status"),
        ),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('refund_ticket', 'dispute_ticket', 'reversal_in_progress', "
            "'no_charge', 'charge_succeeded', 'escalated')",
            name=op.f("ck_tickets_outcome"),
        ),
        sa.CheckConstraint("language IN ('zh', 'en')", name=op.f("ck_tickets_language")),
        # Only the last 4 digits of a card can ever be stored here.
        sa.CheckConstraint(
            f"card_last4 IS NULL OR ({_digits('card_last4', 4)})", name=op.f("ck_tickets_card_last4")
        ),
        sa.CheckConstraint(
            f"voucher_no IS NULL OR ({_digits('voucher_no', 6)})", name=op.f("ck_tickets_voucher_no")
        ),
        sa.CheckConstraint("amount IS NULL OR amount > 0", name=op.f("ck_tickets_amount")),
        sa.CheckConstraint(
            "window_start IS NULL OR window_end IS NULL OR window_start <= window_end",
            name=op.f("ck_tickets_window"),
        ),
        sa.CheckConstraint(
            "status <> 'waiting_for_lookup' OR (kind = 'lookup_pending' AND transaction_id IS NULL)",
            name=op.f("ck_tickets_waiting"),
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["tickets.id"],
            name=op.f("fk_tickets_merged_into_id_tickets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sa.UniqueConstraint("number", name=op.f("uq_tickets_number")),
        sa.UniqueConstraint("former_number", name=op.f("uq_tickets_former_number")),
    )
    # One active ticket per transaction, enforced by the database (idempotent opening, race-safe).
    op.create_index(
        "uq_tickets_active_transaction",
        "tickets",
        ["transaction_id"],
        unique=True,
        sqlite_where=sa.text(_ACTIVE),
        postgresql_where=sa.text(_ACTIVE),
    )
    # One complaint waiting for the merchant API per conversation.
    op.create_index(
        "uq_tickets_waiting_conversation",
        "tickets",
        ["conversation_id"],
        unique=True,
        sqlite_where=sa.text(_WAITING),
        postgresql_where=sa.text(_WAITING),
    )
    op.create_index("ix_tickets_conversation_id", "tickets", ["conversation_id"])
    op.create_index("ix_tickets_status_created_at", "tickets", ["status", "created_at"])

    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("from_status", sa.String(24), nullable=True),
        sa.Column("to_status", sa.String(24), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_events_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_events")),
    )
    op.create_index(op.f("ix_ticket_events_ticket_id"), "ticket_events", ["ticket_id"])

    op.create_table(
        "ticket_sequences",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_ticket_sequences")),
    )


def downgrade() -> None:
    op.drop_table("ticket_sequences")
    op.drop_index(op.f("ix_ticket_events_ticket_id"), table_name="ticket_events")
    op.drop_table("ticket_events")
    op.drop_index("ix_tickets_status_created_at", table_name="tickets")
    op.drop_index("ix_tickets_conversation_id", table_name="tickets")
    op.drop_index("uq_tickets_waiting_conversation", table_name="tickets")
    op.drop_index("uq_tickets_active_transaction", table_name="tickets")
    op.drop_table("tickets")
