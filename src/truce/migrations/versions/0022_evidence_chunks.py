"""evidence chunks: the PostgreSQL evidence store, files as content-addressed chunks in the database

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evidence_chunks",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_evidence_chunks")),
    )
    op.create_table(
        "evidence_blobs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_evidence_blobs")),
    )
    op.create_table(
        "evidence_blob_chunks",
        sa.Column("blob_sha256", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("chunk_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["blob_sha256"],
            ["evidence_blobs.sha256"],
            name=op.f("fk_evidence_blob_chunks_blob_sha256_evidence_blobs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["chunk_sha256"],
            ["evidence_chunks.sha256"],
            name=op.f("fk_evidence_blob_chunks_chunk_sha256_evidence_chunks"),
        ),
        sa.PrimaryKeyConstraint("blob_sha256", "seq", name=op.f("pk_evidence_blob_chunks")),
    )
    op.create_index(
        op.f("ix_evidence_blob_chunks_chunk_sha256"), "evidence_blob_chunks", ["chunk_sha256"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_evidence_blob_chunks_chunk_sha256"), table_name="evidence_blob_chunks")
    op.drop_table("evidence_blob_chunks")
    op.drop_table("evidence_blobs")
    op.drop_table("evidence_chunks")
