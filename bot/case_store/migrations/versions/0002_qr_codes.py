"""Merchants, terminals and QR codes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.case_store.models import Money, UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_ACTIVE_TERMINAL_CODE = "kind = 'terminal' AND revoked_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "merchants",
        sa.Column("merchant_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("merchant_id", name="pk_merchants"),
        sa.UniqueConstraint("login", name="uq_merchants_login"),
    )
    op.create_table(
        "terminals",
        sa.Column("terminal_id", sa.String(8), nullable=False),
        sa.Column("merchant_id", sa.String(32), nullable=False),
        sa.Column("label", sa.String(200), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.merchant_id"], name="fk_terminals_merchant_id_merchants"
        ),
        sa.PrimaryKeyConstraint("terminal_id", name="pk_terminals"),
    )
    op.create_index("ix_terminals_merchant_id", "terminals", ["merchant_id"])
    op.create_table(
        "qr_codes",
        sa.Column("token", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("terminal_id", sa.String(8), nullable=False),
        sa.Column("amount", Money(), nullable=True),
        sa.Column("transaction_time", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("scans", sa.Integer(), nullable=False),
        sa.Column("last_scanned_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('terminal', 'counter')", name="ck_qr_codes_kind"),
        sa.CheckConstraint(
            "kind = 'terminal' OR "
            "(amount IS NOT NULL AND transaction_time IS NOT NULL AND expires_at IS NOT NULL)",
            name="ck_qr_codes_counter_facts",
        ),
        sa.ForeignKeyConstraint(
            ["terminal_id"], ["terminals.terminal_id"], name="fk_qr_codes_terminal_id_terminals"
        ),
        sa.PrimaryKeyConstraint("token", name="pk_qr_codes"),
    )
    op.create_index(
        "uq_qr_codes_active_terminal",
        "qr_codes",
        ["terminal_id"],
        unique=True,
        sqlite_where=sa.text(_ACTIVE_TERMINAL_CODE),
        postgresql_where=sa.text(_ACTIVE_TERMINAL_CODE),
    )


def downgrade() -> None:
    op.drop_index("uq_qr_codes_active_terminal", table_name="qr_codes")
    op.drop_table("qr_codes")
    op.drop_index("ix_terminals_merchant_id", table_name="terminals")
    op.drop_table("terminals")
    op.drop_table("merchants")
