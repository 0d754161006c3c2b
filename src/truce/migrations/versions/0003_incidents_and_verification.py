"""incidents and verification

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("subtype", sa.String(length=48), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("time_precision", sa.String(length=8), nullable=False),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.Column("geo_precision", sa.Integer(), nullable=False),
        sa.Column("observer_site_id", sa.Integer(), nullable=True),
        sa.Column("bearing_deg", sa.Float(), nullable=True),
        sa.Column("distance_km", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("means", sa.String(length=32), nullable=True),
        sa.Column(
            "counts", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "casualties", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "alleged_actors",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("narrative", sa.Text(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.Column(
            "restricted_to",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_delegation", sa.String(length=32), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=True),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("controlled_by", sa.String(length=32), nullable=True),
        sa.Column("nearest_site_id", sa.Integer(), nullable=True),
        sa.Column("nearest_site_km", sa.Float(), nullable=True),
        sa.Column("line_of_contact_km", sa.Float(), nullable=True),
        sa.Column("in_corridor", sa.Boolean(), nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "classification IN ('restricted', 'mission', 'parties', 'public')", name=op.f("ck_incidents_classification")
        ),
        sa.CheckConstraint(
            "source IN ('post', 'patrol', 'uav', 'camera', 'party', 'civilian', 'media')",
            name=op.f("ck_incidents_source"),
        ),
        sa.CheckConstraint(
            "status IN ('reported', 'under_verification', 'confirmed', 'not_confirmed', 'disputed', 'inconclusive', 'retracted')",
            name=op.f("ck_incidents_status"),
        ),
        sa.CheckConstraint(
            "time_precision IN ('minute', 'hour', 'day', 'week', 'month')", name=op.f("ck_incidents_time_precision")
        ),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_incidents_author_id_users")),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["incidents.id"], name=op.f("fk_incidents_merged_into_id_incidents")
        ),
        sa.ForeignKeyConstraint(["mission_id"], ["missions.id"], name=op.f("fk_incidents_mission_id_missions")),
        sa.ForeignKeyConstraint(["nearest_site_id"], ["sites.id"], name=op.f("fk_incidents_nearest_site_id_sites")),
        sa.ForeignKeyConstraint(["observer_site_id"], ["sites.id"], name=op.f("fk_incidents_observer_site_id_sites")),
        sa.ForeignKeyConstraint(["zone_id"], ["areas.id"], name=op.f("fk_incidents_zone_id_areas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incidents_mission_id"), ["mission_id"], unique=False)
        batch_op.create_index("ix_incidents_mission_start", ["mission_id", "start"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_status"), ["status"], unique=False)

    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column(
            "photo_metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.Column("delegation", sa.String(length=32), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], name=op.f("fk_evidence_incident_id_incidents")),
        sa.ForeignKeyConstraint(["mission_id"], ["missions.id"], name=op.f("fk_evidence_mission_id_missions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence")),
        sa.UniqueConstraint("incident_id", "sha256", name=op.f("uq_evidence_incident_id_sha256")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_mission_id"), ["mission_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_sha256"), ["sha256"], unique=False)

    op.create_table(
        "verifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("verifier_id", sa.Integer(), nullable=False),
        sa.Column("delegation", sa.String(length=32), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("verdict IN ('confirm', 'reject', 'inconclusive')", name=op.f("ck_verifications_verdict")),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], name=op.f("fk_verifications_incident_id_incidents")),
        sa.ForeignKeyConstraint(["mission_id"], ["missions.id"], name=op.f("fk_verifications_mission_id_missions")),
        sa.ForeignKeyConstraint(["verifier_id"], ["users.id"], name=op.f("fk_verifications_verifier_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verifications")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("verifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_verifications_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_verifications_mission_id"), ["mission_id"], unique=False)

    op.create_table(
        "custody",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("delegation", sa.String(length=32), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["evidence_id"], ["evidence.id"], name=op.f("fk_custody_evidence_id_evidence")),
        sa.ForeignKeyConstraint(["mission_id"], ["missions.id"], name=op.f("fk_custody_mission_id_missions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("custody", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_custody_evidence_id"), ["evidence_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_custody_mission_id"), ["mission_id"], unique=False)

    with op.batch_alter_table("missions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("allow_self_verification", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(sa.Column("duplicate_km", sa.Float(), nullable=False, server_default="2.0"))
        batch_op.add_column(sa.Column("duplicate_minutes", sa.Integer(), nullable=False, server_default="60"))
    dialect = op.get_bind().dialect.name
    for statement in _spatial_index(dialect, "incidents"):
        op.execute(statement)


def downgrade() -> None:
    for statement in _drop_spatial_index(op.get_bind().dialect.name, "incidents"):
        op.execute(statement)

    with op.batch_alter_table("missions", schema=None) as batch_op:
        batch_op.drop_column("duplicate_minutes")
        batch_op.drop_column("duplicate_km")
        batch_op.drop_column("allow_self_verification")

    with op.batch_alter_table("custody", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_custody_mission_id"))
        batch_op.drop_index(batch_op.f("ix_custody_evidence_id"))

    op.drop_table("custody")
    with op.batch_alter_table("verifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verifications_mission_id"))
        batch_op.drop_index(batch_op.f("ix_verifications_incident_id"))

    op.drop_table("verifications")
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_sha256"))
        batch_op.drop_index(batch_op.f("ix_evidence_mission_id"))
        batch_op.drop_index(batch_op.f("ix_evidence_incident_id"))

    op.drop_table("evidence")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incidents_status"))
        batch_op.drop_index("ix_incidents_mission_start")
        batch_op.drop_index(batch_op.f("ix_incidents_mission_id"))

    op.drop_table("incidents")


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
