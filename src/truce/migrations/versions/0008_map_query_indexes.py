"""map query indexes: incidents by box and time together (PostGIS; nothing on SQLite)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


# Frozen DDL (not truce.geo's): a migration runs what it ran the day it was written.
# A box and a month out of a million incidents: with GiST on `geom` alone, PostgreSQL fetches every row in the box
# to test its time; with `(geom, start)` the index tests both (benchmarks/incidents_map_query.py). On SQLite the
# R*Tree drives the join and the time is tested on the few rows it yields.


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute("CREATE INDEX ix_incidents_start_geom ON incidents USING gist (geom, start)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_incidents_start_geom")
