"""An index for a merchant's recent counter codes (listed on its home page).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_qr_codes_terminal_created", "qr_codes", ["terminal_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_qr_codes_terminal_created", table_name="qr_codes")
