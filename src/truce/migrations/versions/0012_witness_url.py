"""witnesses: where a delegation's C2SP tlog-witness listens, and each mission's witness policy (C2SP tlog-policy)

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
    op.create_table(
        "log_witness_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["mission_id"], ["missions.id"], name=op.f("fk_log_witness_policies_mission_id_missions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_witness_policies")),
        sa.UniqueConstraint("mission_id", name=op.f("uq_log_witness_policies_mission_id")),
    )


def downgrade() -> None:
    op.drop_table("log_witness_policies")
    with op.batch_alter_table("log_witnesses") as batch:
        batch.drop_column("url")
