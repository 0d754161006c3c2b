"""log witnesses

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "log_witnesses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_name", sa.String(length=200), nullable=False),
        sa.Column("vkey", sa.Text(), nullable=False),
        sa.Column("delegation", sa.String(length=200), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_witnesses")),
        sa.UniqueConstraint("key_name", name=op.f("uq_log_witnesses_key_name")),
    )


def downgrade() -> None:

    op.drop_table("log_witnesses")
