"""Escalations to human agents, and the outbox of events for the helpdesk webhook.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.case_store.models import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_OPEN = "status IN ('waiting', 'claimed')"
_UNDELIVERED = "delivered_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("lookup", sa.Text(), nullable=True),
        sa.Column("ticket_number", sa.String(24), nullable=True),
        sa.Column("summary_customer", sa.Text(), nullable=False),
        sa.Column("summary_agent", sa.Text(), nullable=False),
        sa.Column("agent", sa.String(64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('waiting', 'claimed', 'resolved', 'handed_back')", name="ck_escalations_status"
        ),
        sa.CheckConstraint(
            "reason IN ('customer_asked', 'repeated_failures', 'policy')", name="ck_escalations_reason"
        ),
        sa.CheckConstraint("language IN ('zh', 'en')", name="ck_escalations_language"),
        sa.CheckConstraint(
            "status = 'waiting' OR (agent IS NOT NULL AND claimed_at IS NOT NULL)",
            name="ck_escalations_agent",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_escalations"),
    )
    # One open escalation per conversation, enforced by the database (idempotent opening, race-safe).
    op.create_index(
        "uq_escalations_open_conversation",
        "escalations",
        ["conversation_id"],
        unique=True,
        sqlite_where=sa.text(_OPEN),
        postgresql_where=sa.text(_OPEN),
    )
    op.create_index("ix_escalations_status_created_at", "escalations", ["status", "created_at"])

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(32), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.CheckConstraint("attempts >= 0", name="ck_outbox_attempts"),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("event_id", name="uq_outbox_event_id"),
    )
    # The deliverer's "what is due?" reads only undelivered rows, however many were delivered before.
    op.create_index(
        "ix_outbox_due",
        "outbox",
        ["next_attempt_at"],
        sqlite_where=sa.text(_UNDELIVERED),
        postgresql_where=sa.text(_UNDELIVERED),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_due", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("ix_escalations_status_created_at", table_name="escalations")
    op.drop_index("uq_escalations_open_conversation", table_name="escalations")
    op.drop_table("escalations")
