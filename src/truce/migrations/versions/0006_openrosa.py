"""OpenRosa forms, device tokens and submissions

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("forms", _json(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["mission_id"], ["missions.id"], name=op.f("fk_devices_mission_id_missions")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_devices_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
        sa.UniqueConstraint("mission_id", "name", name=op.f("uq_devices_mission_id_name")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_devices_token_hash")),
        sa.UniqueConstraint("user_id", name=op.f("uq_devices_user_id")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_devices_mission_id"), "devices", ["mission_id"], unique=False)
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.String(length=64), nullable=False),
        sa.Column("form_version", sa.String(length=64), nullable=False),
        sa.Column("instance_id", sa.String(length=128), nullable=False),
        sa.Column("deprecated_id", sa.String(length=128), nullable=True),
        sa.Column("xml_sha256", sa.String(length=64), nullable=False),
        sa.Column("xml", sa.Text(), nullable=False),
        sa.Column("record_kind", sa.String(length=16), nullable=False),
        sa.Column("record_ids", _json(), nullable=False),
        sa.Column("superseded", sa.Boolean(), nullable=False),
        sa.Column("route", _json(), nullable=True),
        sa.Column("attachments", _json(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_delegation", sa.String(length=32), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "record_kind IN ('incident', 'movement', 'patrol')", name=op.f("ck_submissions_record_kind")
        ),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_submissions_author_id_users")),
        sa.ForeignKeyConstraint(["device_id"], ["devices.id"], name=op.f("fk_submissions_device_id_devices")),
        sa.ForeignKeyConstraint(["mission_id"], ["missions.id"], name=op.f("fk_submissions_mission_id_missions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
        sa.UniqueConstraint(
            "mission_id", "form_id", "instance_id", name=op.f("uq_submissions_mission_id_form_id_instance_id")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_submissions_deprecated_id"), "submissions", ["deprecated_id"], unique=False)
    op.create_index(op.f("ix_submissions_device_id"), "submissions", ["device_id"], unique=False)
    op.create_index(op.f("ix_submissions_mission_id"), "submissions", ["mission_id"], unique=False)


def downgrade() -> None:
    op.drop_table("submissions")
    op.drop_table("devices")
