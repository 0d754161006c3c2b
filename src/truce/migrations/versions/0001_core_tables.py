"""core tables

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SPATIAL_TABLES = ("areas", "lines", "sites")


def upgrade() -> None:
    op.create_table(
        "log_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_checkpoints")),
    )
    with op.batch_alter_table("log_checkpoints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_log_checkpoints_size"), ["size"], unique=False)

    op.create_table(
        "log_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column(
            "border",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_head")),
    )
    op.create_table(
        "log_nodes",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_log_nodes")),
    )
    op.create_table(
        "missions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("quorum_delegations", sa.Integer(), nullable=False),
        sa.Column(
            "quorum_required",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("ceiling_personnel", sa.Integer(), nullable=True),
        sa.Column("ceiling_armoured_vehicles", sa.Integer(), nullable=True),
        sa.Column("ceiling_other_vehicles", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_missions")),
        sa.UniqueConstraint("slug", name=op.f("uq_missions_slug")),
        # Ids are never reused, so a deleted record's history stays its own.
        sqlite_autoincrement=True,
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
        # Ids are never reused, so a deleted record's history stays its own.
        sqlite_autoincrement=True,
    )
    op.create_table(
        "lines",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.Column(
            "restricted_to",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "classification IN ('restricted', 'mission', 'parties', 'public')",
            name=op.f("ck_lines_classification"),
        ),
        sa.CheckConstraint("kind IN ('line_of_contact', 'patrol_route', 'road', 'border')", name=op.f("ck_lines_kind")),
        sa.ForeignKeyConstraint(["mission_id"], ["missions.id"], name=op.f("fk_lines_mission_id_missions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lines")),
        # Ids are never reused, so a deleted record's history stays its own.
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lines_mission_id"), ["mission_id"], unique=False)

    op.create_table(
        "log_cosignatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkpoint_id", sa.Integer(), nullable=False),
        sa.Column("key_name", sa.String(length=200), nullable=False),
        sa.Column("signature_line", sa.Text(), nullable=False),
        sa.Column("cosigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["log_checkpoints.id"],
            name=op.f("fk_log_cosignatures_checkpoint_id_log_checkpoints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_cosignatures")),
        sa.UniqueConstraint("checkpoint_id", "key_name", name=op.f("uq_log_cosignatures_checkpoint_id_key_name")),
    )
    with op.batch_alter_table("log_cosignatures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_log_cosignatures_checkpoint_id"), ["checkpoint_id"], unique=False)

    op.create_table(
        "log_entries",
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("delegation", sa.String(length=32), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity_type", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.ForeignKeyConstraint(["mission_id"], ["missions.id"], name=op.f("fk_log_entries_mission_id_missions")),
        sa.PrimaryKeyConstraint("idx", name=op.f("pk_log_entries")),
    )
    with op.batch_alter_table("log_entries", schema=None) as batch_op:
        batch_op.create_index("ix_log_entries_entity", ["entity_type", "entity_id", "idx"], unique=False)
        batch_op.create_index(batch_op.f("ix_log_entries_mission_id"), ["mission_id"], unique=False)

    op.create_table(
        "parties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.CheckConstraint("kind IN ('side','guarantor','mediator','agency','observer')", name=op.f("ck_parties_kind")),
        sa.ForeignKeyConstraint(["mission_id"], ["missions.id"], name=op.f("fk_parties_mission_id_missions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parties")),
        sa.UniqueConstraint("mission_id", "code", name=op.f("uq_parties_mission_id_code")),
        # Ids are never reused, so a deleted record's history stays its own.
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_parties_mission_id"), ["mission_id"], unique=False)

    op.create_table(
        "areas",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("controlled_by_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.Column(
            "restricted_to",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "classification IN ('restricted', 'mission', 'parties', 'public')",
            name=op.f("ck_areas_classification"),
        ),
        sa.CheckConstraint(
            "kind IN ('zone_of_control', 'separation_zone', 'buffer_zone', 'corridor', 'area_of_responsibility')",
            name=op.f("ck_areas_kind"),
        ),
        sa.ForeignKeyConstraint(["controlled_by_id"], ["parties.id"], name=op.f("fk_areas_controlled_by_id_parties")),
        sa.ForeignKeyConstraint(["mission_id"], ["missions.id"], name=op.f("fk_areas_mission_id_missions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_areas")),
        # Ids are never reused, so a deleted record's history stays its own.
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_areas_mission_id"), ["mission_id"], unique=False)

    op.create_table(
        "delegations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["mission_id"], ["missions.id"], name=op.f("fk_delegations_mission_id_missions")),
        sa.ForeignKeyConstraint(["party_id"], ["parties.id"], name=op.f("fk_delegations_party_id_parties")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delegations")),
        sa.UniqueConstraint("mission_id", "code", name=op.f("uq_delegations_mission_id_code")),
        # Ids are never reused, so a deleted record's history stays its own.
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("delegations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delegations_mission_id"), ["mission_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_delegations_party_id"), ["party_id"], unique=False)

    op.create_table(
        "memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("delegation_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "role IN ('admin','monitor','verifier','liaison','humanitarian','analyst')",
            name=op.f("ck_memberships_role"),
        ),
        sa.ForeignKeyConstraint(
            ["delegation_id"], ["delegations.id"], name=op.f("fk_memberships_delegation_id_delegations")
        ),
        sa.ForeignKeyConstraint(["mission_id"], ["missions.id"], name=op.f("fk_memberships_mission_id_missions")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_memberships_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint("user_id", "mission_id", name=op.f("uq_memberships_user_id_mission_id")),
        # Ids are never reused, so a deleted record's history stays its own.
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_memberships_delegation_id"), ["delegation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_memberships_mission_id"), ["mission_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_memberships_user_id"), ["user_id"], unique=False)

    op.create_table(
        "sites",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=True),
        sa.Column(
            "alt_names",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("operated_by_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.Column(
            "restricted_to",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "classification IN ('restricted', 'mission', 'parties', 'public')",
            name=op.f("ck_sites_classification"),
        ),
        sa.CheckConstraint(
            "kind IN ('post', 'checkpoint', 'command_post', 'observation_centre', 'settlement', 'crossing_point')",
            name=op.f("ck_sites_kind"),
        ),
        sa.CheckConstraint("status IN ('planned', 'active', 'closed')", name=op.f("ck_sites_status")),
        sa.ForeignKeyConstraint(["mission_id"], ["missions.id"], name=op.f("fk_sites_mission_id_missions")),
        sa.ForeignKeyConstraint(
            ["operated_by_id"], ["delegations.id"], name=op.f("fk_sites_operated_by_id_delegations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
        # Ids are never reused, so a deleted record's history stays its own.
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sites_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_sites_mission_id"), ["mission_id"], unique=False)

    op.create_table(
        "deployments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("personnel", sa.Integer(), nullable=False),
        sa.Column("armoured_vehicles", sa.Integer(), nullable=False),
        sa.Column("other_vehicles", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "personnel >= 0 AND armoured_vehicles >= 0 AND other_vehicles >= 0",
            name=op.f("ck_deployments_non_negative"),
        ),
        sa.ForeignKeyConstraint(["mission_id"], ["missions.id"], name=op.f("fk_deployments_mission_id_missions")),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_deployments_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployments")),
        sa.UniqueConstraint("mission_id", "site_id", "on_date", name=op.f("uq_deployments_mission_id_site_id_on_date")),
        # Ids are never reused, so a deleted record's history stays its own.
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deployments_mission_id"), ["mission_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_deployments_site_id"), ["site_id"], unique=False)
    dialect = op.get_bind().dialect.name
    for table_name in SPATIAL_TABLES:
        for statement in _spatial_index(dialect, table_name):
            op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table_name in SPATIAL_TABLES:
        for statement in _drop_spatial_index(dialect, table_name):
            op.execute(statement)
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deployments_site_id"))
        batch_op.drop_index(batch_op.f("ix_deployments_mission_id"))

    op.drop_table("deployments")
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sites_mission_id"))
        batch_op.drop_index(batch_op.f("ix_sites_kind"))

    op.drop_table("sites")
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_memberships_user_id"))
        batch_op.drop_index(batch_op.f("ix_memberships_mission_id"))
        batch_op.drop_index(batch_op.f("ix_memberships_delegation_id"))

    op.drop_table("memberships")
    with op.batch_alter_table("delegations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delegations_party_id"))
        batch_op.drop_index(batch_op.f("ix_delegations_mission_id"))

    op.drop_table("delegations")
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_areas_mission_id"))

    op.drop_table("areas")
    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_parties_mission_id"))

    op.drop_table("parties")
    with op.batch_alter_table("log_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_log_entries_mission_id"))
        batch_op.drop_index("ix_log_entries_entity")

    op.drop_table("log_entries")
    with op.batch_alter_table("log_cosignatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_log_cosignatures_checkpoint_id"))

    op.drop_table("log_cosignatures")
    with op.batch_alter_table("lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lines_mission_id"))

    op.drop_table("lines")
    op.drop_table("users")
    op.drop_table("missions")
    op.drop_table("log_nodes")
    op.drop_table("log_head")
    with op.batch_alter_table("log_checkpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_log_checkpoints_size"))

    op.drop_table("log_checkpoints")


# Frozen DDL: a migration keeps the statements it ran the day it was written, so a later change to live code
# (truce.geo) can never change what an old database was built with.
def _spatial_index(dialect: str, table: str) -> list[str]:
    """The bounding-box index of `table`: an R*Tree kept by triggers on SQLite, a generated column and GiST on PostGIS."""
    if dialect == "sqlite":
        rtree = f"{table}_rtree"
        cols = "new.id, new.min_lon, new.max_lon, new.min_lat, new.max_lat"
        return [
            f"CREATE VIRTUAL TABLE {rtree} USING rtree(id, min_lon, max_lon, min_lat, max_lat)",
            f"CREATE TRIGGER {rtree}_insert AFTER INSERT ON {table} BEGIN INSERT INTO {rtree} VALUES ({cols}); END",
            f"CREATE TRIGGER {rtree}_update AFTER UPDATE OF min_lon, max_lon, min_lat, max_lat "
            f"ON {table} BEGIN DELETE FROM {rtree} WHERE id = old.id; INSERT INTO {rtree} VALUES ({cols}); END",
            f"CREATE TRIGGER {rtree}_delete AFTER DELETE ON {table} BEGIN DELETE FROM {rtree} WHERE id = old.id; END",
        ]
    return [
        "CREATE EXTENSION IF NOT EXISTS postgis",
        f"ALTER TABLE {table} ADD COLUMN geom geometry(Geometry, 4326) GENERATED ALWAYS AS "
        f"(ST_SetSRID(ST_GeomFromGeoJSON(geometry), 4326)) STORED",
        f"CREATE INDEX ix_{table}_geom ON {table} USING gist (geom)",
    ]


def _drop_spatial_index(dialect: str, table: str) -> list[str]:
    """What undoes `_spatial_index`."""
    if dialect == "sqlite":
        rtree = f"{table}_rtree"
        triggers = [f"DROP TRIGGER IF EXISTS {rtree}_{op}" for op in ("insert", "update", "delete")]
        return [*triggers, f"DROP TABLE IF EXISTS {rtree}"]
    return [f"DROP INDEX IF EXISTS ix_{table}_geom", f"ALTER TABLE {table} DROP COLUMN geom"]
