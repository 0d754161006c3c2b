"""mission files: a mission's names per language, languages, end date, whether it is illustrative, default classification and local
taxonomy; the instance's operators, who create missions

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("missions") as batch:
        batch.add_column(sa.Column("names", _json(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("languages", _json(), nullable=False, server_default='["en"]'))
        batch.add_column(sa.Column("illustrative", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("ends_on", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column("default_classification", sa.String(length=16), nullable=False, server_default="mission")
        )
        batch.add_column(sa.Column("taxonomy", _json(), nullable=False, server_default="[]"))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("operator", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("operator")
    with op.batch_alter_table("missions") as batch:
        batch.drop_column("taxonomy")
        batch.drop_column("default_classification")
        batch.drop_column("ends_on")
        batch.drop_column("illustrative")
        batch.drop_column("languages")
        batch.drop_column("names")
