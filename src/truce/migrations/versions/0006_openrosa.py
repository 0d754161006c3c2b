"""OpenRosa forms, device tokens and submissions

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # reserved for the openrosa package's tables; filled in by the change that adds them


def downgrade() -> None:
    pass
