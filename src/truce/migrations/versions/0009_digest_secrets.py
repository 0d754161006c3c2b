"""digest secrets: what HTTP Digest logins to the OpenRosa endpoints are checked with, for accounts that ask

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_secrets",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("md5", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("password_tag", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_digest_secrets_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_digest_secrets")),
    )


def downgrade() -> None:
    op.drop_table("digest_secrets")
