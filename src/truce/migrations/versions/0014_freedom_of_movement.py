"""freedom of movement: patrols and their tracks, restrictions and their verdicts, UAV flights

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "patrols",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("team", sa.String(length=200), nullable=False),
        sa.Column(
            "delegations", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "vehicles", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("route", sa.Text(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.Column("buffer_m", sa.Float(), nullable=False),
        sa.Column(
            "checkpoints", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("planned_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("planned_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "notifications",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.Column(
            "restricted_to",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_delegation", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "classification IN ('restricted', 'mission', 'parties', 'public')", name=op.f("ck_patrols_classification")
        ),
        sa.CheckConstraint(
            "status IN ('planned', 'under_way', 'completed', 'cancelled')", name=op.f("ck_patrols_status")
        ),
        sa.CheckConstraint("buffer_m > 0", name=op.f("ck_patrols_buffer_m")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_patrols_author_id_users")),
        sa.ForeignKeyConstraint(["mission_id"], ["missions.id"], name=op.f("fk_patrols_mission_id_missions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrols")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("patrols", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patrols_mission_id"), ["mission_id"], unique=False)
        batch_op.create_index("ix_patrols_mission_planned_start", ["mission_id", "planned_start"], unique=False)

    op.create_table(
        "patrol_tracks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("patrol_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("point_count", sa.Integer(), nullable=False),
        sa.Column("timed", sa.Boolean(), nullable=False),
        sa.Column("first_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("length_m", sa.Float(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.Column("points", sa.LargeBinary(), nullable=False),
        sa.Column("points_sha256", sa.String(length=64), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.Column(
            "restricted_to",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_delegation", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "classification IN ('restricted', 'mission', 'parties', 'public')",
            name=op.f("ck_patrol_tracks_classification"),
        ),
        sa.CheckConstraint(
            "source IN ('gpx', 'odk_geotrace', 'odk_audit', 'page')", name=op.f("ck_patrol_tracks_source")
        ),
        sa.CheckConstraint("point_count >= 0", name=op.f("ck_patrol_tracks_point_count")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_patrol_tracks_author_id_users")),
        sa.ForeignKeyConstraint(["mission_id"], ["missions.id"], name=op.f("fk_patrol_tracks_mission_id_missions")),
        sa.ForeignKeyConstraint(["patrol_id"], ["patrols.id"], name=op.f("fk_patrol_tracks_patrol_id_patrols")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrol_tracks")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("patrol_tracks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patrol_tracks_mission_id"), ["mission_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_patrol_tracks_patrol_id"), ["patrol_id"], unique=False)

    op.create_table(
        "uav_flights",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("aircraft", sa.String(length=100), nullable=False),
        sa.Column("announced", sa.Boolean(), nullable=False),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("area", sa.Text(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("patrol_id", sa.Integer(), nullable=True),
        sa.Column(
            "episodes", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.Column(
            "restricted_to",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_delegation", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "classification IN ('restricted', 'mission', 'parties', 'public')",
            name=op.f("ck_uav_flights_classification"),
        ),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_uav_flights_author_id_users")),
        sa.ForeignKeyConstraint(["mission_id"], ["missions.id"], name=op.f("fk_uav_flights_mission_id_missions")),
        sa.ForeignKeyConstraint(["patrol_id"], ["patrols.id"], name=op.f("fk_uav_flights_patrol_id_patrols")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uav_flights")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("uav_flights", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_uav_flights_mission_id"), ["mission_id"], unique=False)
        batch_op.create_index("ix_uav_flights_mission_start", ["mission_id", "start"], unique=False)

    op.create_table(
        "restrictions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("controlled_by", sa.String(length=32), nullable=True),
        sa.Column("patrol_id", sa.Integer(), nullable=True),
        sa.Column("uav_flight_id", sa.Integer(), nullable=True),
        sa.Column("reason_given", sa.Text(), nullable=False),
        sa.Column("liaison_informed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("centre_informed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
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
        sa.CheckConstraint(
            "category IN ('denial', 'delay', 'conditional_access', 'other_impediment')",
            name=op.f("ck_restrictions_category"),
        ),
        sa.CheckConstraint(
            "classification IN ('restricted', 'mission', 'parties', 'public')",
            name=op.f("ck_restrictions_classification"),
        ),
        sa.CheckConstraint(
            "kind IN ('checkpoint', 'mines_uxo', 'threat', 'gunfire', 'information_refused', 'camera_obstructed', 'uav_signal_interference', 'uav_fired_upon', 'uav_lost')",
            name=op.f("ck_restrictions_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('reported', 'under_verification', 'confirmed', 'not_confirmed', 'disputed', 'inconclusive', 'retracted')",
            name=op.f("ck_restrictions_status"),
        ),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_restrictions_author_id_users")),
        sa.ForeignKeyConstraint(["mission_id"], ["missions.id"], name=op.f("fk_restrictions_mission_id_missions")),
        sa.ForeignKeyConstraint(["patrol_id"], ["patrols.id"], name=op.f("fk_restrictions_patrol_id_patrols")),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_restrictions_site_id_sites")),
        sa.ForeignKeyConstraint(
            ["uav_flight_id"], ["uav_flights.id"], name=op.f("fk_restrictions_uav_flight_id_uav_flights")
        ),
        sa.ForeignKeyConstraint(["zone_id"], ["areas.id"], name=op.f("fk_restrictions_zone_id_areas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restrictions")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("restrictions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_restrictions_controlled_by"), ["controlled_by"], unique=False)
        batch_op.create_index(batch_op.f("ix_restrictions_mission_id"), ["mission_id"], unique=False)
        batch_op.create_index("ix_restrictions_mission_start", ["mission_id", "start"], unique=False)
        batch_op.create_index(batch_op.f("ix_restrictions_patrol_id"), ["patrol_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_restrictions_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_restrictions_uav_flight_id"), ["uav_flight_id"], unique=False)

    op.create_table(
        "restriction_verdicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("restriction_id", sa.Integer(), nullable=False),
        sa.Column("verifier_id", sa.Integer(), nullable=False),
        sa.Column("delegation", sa.String(length=32), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "verdict IN ('confirm', 'reject', 'inconclusive')", name=op.f("ck_restriction_verdicts_verdict")
        ),
        sa.ForeignKeyConstraint(
            ["mission_id"], ["missions.id"], name=op.f("fk_restriction_verdicts_mission_id_missions")
        ),
        sa.ForeignKeyConstraint(
            ["restriction_id"], ["restrictions.id"], name=op.f("fk_restriction_verdicts_restriction_id_restrictions")
        ),
        sa.ForeignKeyConstraint(["verifier_id"], ["users.id"], name=op.f("fk_restriction_verdicts_verifier_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restriction_verdicts")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("restriction_verdicts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_restriction_verdicts_mission_id"), ["mission_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_restriction_verdicts_restriction_id"), ["restriction_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("restriction_verdicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_restriction_verdicts_restriction_id"))
        batch_op.drop_index(batch_op.f("ix_restriction_verdicts_mission_id"))

    op.drop_table("restriction_verdicts")
    with op.batch_alter_table("restrictions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_restrictions_uav_flight_id"))
        batch_op.drop_index(batch_op.f("ix_restrictions_status"))
        batch_op.drop_index(batch_op.f("ix_restrictions_patrol_id"))
        batch_op.drop_index("ix_restrictions_mission_start")
        batch_op.drop_index(batch_op.f("ix_restrictions_mission_id"))
        batch_op.drop_index(batch_op.f("ix_restrictions_controlled_by"))

    op.drop_table("restrictions")
    with op.batch_alter_table("uav_flights", schema=None) as batch_op:
        batch_op.drop_index("ix_uav_flights_mission_start")
        batch_op.drop_index(batch_op.f("ix_uav_flights_mission_id"))

    op.drop_table("uav_flights")
    with op.batch_alter_table("patrol_tracks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patrol_tracks_patrol_id"))
        batch_op.drop_index(batch_op.f("ix_patrol_tracks_mission_id"))

    op.drop_table("patrol_tracks")
    with op.batch_alter_table("patrols", schema=None) as batch_op:
        batch_op.drop_index("ix_patrols_mission_planned_start")
        batch_op.drop_index(batch_op.f("ix_patrols_mission_id"))

    op.drop_table("patrols")
