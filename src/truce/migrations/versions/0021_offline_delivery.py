"""offline delivery: idempotency keys name the record they made (a retry after a lost answer gets the record);
incidents, movements and restrictions keep the device's time and its clock's offset

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None
RECORDS = ("incidents", "movements", "restrictions")


def upgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.add_column(sa.Column("committed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("record_type", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("record_id", sa.String(length=200), nullable=True))
    for table in RECORDS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("device_time", sa.DateTime(timezone=True), nullable=True))
            batch.add_column(sa.Column("device_clock_offset_s", sa.Integer(), nullable=True))


def downgrade() -> None:
    for table in RECORDS:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("device_clock_offset_s")
            batch.drop_column("device_time")
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("record_id")
        batch.drop_column("record_type")
        batch.drop_column("committed_at")
