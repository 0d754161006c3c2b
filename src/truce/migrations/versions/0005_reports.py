"""reports and bulletins (stored reports, their hashes)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.Column(
            "restricted_to",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("log_size", sa.Integer(), nullable=True),
        sa.Column("log_root", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("delegation", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('daily', 'bulletin')", name=op.f("ck_reports_kind")),
        sa.CheckConstraint("format IN ('html', 'pdf')", name=op.f("ck_reports_format")),
        sa.CheckConstraint(
            "classification IN ('restricted', 'mission', 'parties', 'public')", name=op.f("ck_reports_classification")
        ),
        sa.ForeignKeyConstraint(["mission_id"], ["missions.id"], name=op.f("fk_reports_mission_id_missions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reports_mission_id"), ["mission_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_sha256"), ["sha256"], unique=False)
        batch_op.create_index("ix_reports_mission_on_date", ["mission_id", "on_date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_mission_on_date")
        batch_op.drop_index(batch_op.f("ix_reports_sha256"))
        batch_op.drop_index(batch_op.f("ix_reports_mission_id"))
    op.drop_table("reports")
