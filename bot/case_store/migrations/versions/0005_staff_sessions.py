"""Staff sessions on record, and disabled staff accounts (agents, merchants).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.case_store.models import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_sessions",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('agent', 'merchant')", name="ck_staff_sessions_kind"),
        sa.PrimaryKeyConstraint("id_hash", name="pk_staff_sessions"),
    )
    op.create_index("ix_staff_sessions_subject", "staff_sessions", ["kind", "subject"])
    op.add_column("agents", sa.Column("disabled_at", UTCDateTime(), nullable=True))
    op.add_column("merchants", sa.Column("disabled_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite has it since 3.35): a batch copy of `merchants` would have to drop
    # a table that terminals refer to.
    op.drop_column("merchants", "disabled_at")
    op.drop_column("agents", "disabled_at")
    op.drop_index("ix_staff_sessions_subject", table_name="staff_sessions")
    op.drop_table("staff_sessions")
