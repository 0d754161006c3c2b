"""place versions: a number per mission that changes, in the same transaction, with every change to its places

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

Triggers on areas, lines, sites and parties set it, so no write path (a service, an import, a hand-made SQL fix)
can change a place without changing the version. The value is new each time and never repeats, rather than
counting up: a counter rolled back with a discarded change would give its number again to a different change,
and a process that had built its map index inside the discarded transaction would take the index for current.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

PLACE_TABLES = ("areas", "lines", "sites", "parties")
OPERATIONS = ("insert", "update", "delete")


def upgrade() -> None:
    op.create_table(
        "place_versions",
        sa.Column("mission_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["mission_id"], ["missions.id"], name=op.f("fk_place_versions_mission_id_missions")),
        sa.PrimaryKeyConstraint("mission_id", name=op.f("pk_place_versions")),
    )
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_triggers()
    else:
        _postgresql_triggers()


def _sqlite_triggers() -> None:
    # random() is a 64-bit value: a repeat is as likely as guessing a key.
    op.execute("INSERT INTO place_versions (mission_id, version) SELECT id, random() FROM missions")
    for table in PLACE_TABLES:
        for operation in OPERATIONS:
            row = "old" if operation == "delete" else "new"
            op.execute(
                f"CREATE TRIGGER {table}_version_{operation} AFTER {operation.upper()} ON {table} BEGIN "
                f"INSERT OR IGNORE INTO place_versions (mission_id, version) VALUES ({row}.mission_id, 0); "
                f"UPDATE place_versions SET version = random() WHERE mission_id = {row}.mission_id; END"
            )


def _postgresql_triggers() -> None:
    # A sequence's numbers are never handed out twice, rolled back or not.
    op.execute("CREATE SEQUENCE place_version_seq")
    op.execute("INSERT INTO place_versions (mission_id, version) SELECT id, nextval('place_version_seq') FROM missions")
    op.execute(
        """
        CREATE FUNCTION bump_place_version() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            mission integer;
        BEGIN
            IF TG_OP = 'DELETE' THEN mission := OLD.mission_id; ELSE mission := NEW.mission_id; END IF;
            INSERT INTO place_versions (mission_id, version) VALUES (mission, nextval('place_version_seq'))
                ON CONFLICT (mission_id) DO UPDATE SET version = EXCLUDED.version;
            RETURN NULL;
        END
        $$
        """
    )
    for table in PLACE_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_version AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION bump_place_version()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in PLACE_TABLES:
            for operation in OPERATIONS:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_version_{operation}")
    else:
        for table in PLACE_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_version ON {table}")
        op.execute("DROP FUNCTION IF EXISTS bump_place_version()")
        op.execute("DROP SEQUENCE IF EXISTS place_version_seq")
    op.drop_table("place_versions")
