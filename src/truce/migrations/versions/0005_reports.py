"""reports and bulletins (stored reports, their hashes)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # reserved for the reports package's tables; filled in by the change that adds them


def downgrade() -> None:
    pass
