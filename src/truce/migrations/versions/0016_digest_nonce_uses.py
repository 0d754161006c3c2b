"""digest nonce uses: the Digest nonce counts already accepted, in the database so that every process refuses a replay

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_nonce_uses",
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("nc", sa.String(length=8), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("nonce", "nc", name=op.f("pk_digest_nonce_uses")),
    )
    op.create_index(op.f("ix_digest_nonce_uses_expires_at"), "digest_nonce_uses", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_digest_nonce_uses_expires_at"), table_name="digest_nonce_uses")
    op.drop_table("digest_nonce_uses")
