"""map query indexes: incidents by box and time together (PostGIS; nothing on SQLite)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

from truce import geo

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for statement in geo.space_time_index_ddl(op.get_bind().dialect.name, "incidents"):
        op.execute(statement)


def downgrade() -> None:
    for statement in geo.drop_space_time_index_ddl(op.get_bind().dialect.name, "incidents"):
        op.execute(statement)
