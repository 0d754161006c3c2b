"""witness url: where a delegation's C2SP tlog-witness listens, so that the primary sends it each checkpoint

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("log_witnesses") as batch:
        batch.add_column(sa.Column("url", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("log_witnesses") as batch:
        batch.drop_column("url")
