"""translations: the names (and descriptions) of missions, parties, delegations and places in other languages

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0018"
down_revision = "0016"
branch_labels = None
depends_on = None

TABLES = ("missions", "parties", "delegations", "areas", "lines", "sites")


def _json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    # Nullable, with no default: rows logged before this revision have no such field in their entries, and an
    # empty value reads the same as an absent one to the whole-record checker.
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("translations", _json(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("translations")
