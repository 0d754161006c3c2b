"""agreement, movements and claims

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("speaker", sa.String(length=200), nullable=False),
        sa.Column("affiliation", sa.String(length=32), nullable=True),
        sa.Column("affiliation_text", sa.String(length=200), nullable=False),
        sa.Column("said_on", sa.Date(), nullable=False),
        sa.Column("source_title", sa.String(length=300), nullable=False),
        sa.Column("source_url", sa.String(length=2000), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column(
            "numbers", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "links", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_note", sa.Text(), nullable=False),
        sa.Column(
            "status_evidence",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status_by", sa.String(length=32), nullable=True),
        sa.Column("status_on", sa.Date(), nullable=True),
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
            "classification IN ('restricted', 'mission', 'parties', 'public')", name=op.f("ck_claims_classification")
        ),
        sa.CheckConstraint("status IN ('unverified', 'corroborated', 'contradicted')", name=op.f("ck_claims_status")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_claims_author_id_users")),
        sa.ForeignKeyConstraint(["mission_id"], ["missions.id"], name=op.f("fk_claims_mission_id_missions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claims_affiliation"), ["affiliation"], unique=False)
        batch_op.create_index(batch_op.f("ix_claims_mission_id"), ["mission_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_claims_status"), ["status"], unique=False)

    op.create_table(
        "provisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column(
            "responsible", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("original_deadline", sa.Date(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("level_as_of", sa.Date(), nullable=True),
        sa.Column(
            "links", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.Column(
            "restricted_to",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "classification IN ('restricted', 'mission', 'parties', 'public')",
            name=op.f("ck_provisions_classification"),
        ),
        sa.CheckConstraint("level BETWEEN 0 AND 3", name=op.f("ck_provisions_level")),
        sa.ForeignKeyConstraint(["mission_id"], ["missions.id"], name=op.f("fk_provisions_mission_id_missions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provisions")),
        sa.UniqueConstraint("mission_id", "number", name=op.f("uq_provisions_mission_id_number")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("provisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_provisions_mission_id"), ["mission_id"], unique=False)

    op.create_table(
        "deadline_extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("provision_id", sa.Integer(), nullable=False),
        sa.Column("previous_deadline", sa.Date(), nullable=False),
        sa.Column("new_deadline", sa.Date(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("delegation", sa.String(length=32), nullable=True),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.Column(
            "restricted_to",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "classification IN ('restricted', 'mission', 'parties', 'public')",
            name=op.f("ck_deadline_extensions_classification"),
        ),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_deadline_extensions_author_id_users")),
        sa.ForeignKeyConstraint(
            ["mission_id"], ["missions.id"], name=op.f("fk_deadline_extensions_mission_id_missions")
        ),
        sa.ForeignKeyConstraint(
            ["provision_id"], ["provisions.id"], name=op.f("fk_deadline_extensions_provision_id_provisions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadline_extensions")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("deadline_extensions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deadline_extensions_mission_id"), ["mission_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_deadline_extensions_provision_id"), ["provision_id"], unique=False)

    op.create_table(
        "provision_statuses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("provision_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("delegation", sa.String(length=32), nullable=True),
        sa.Column("assessor_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column(
            "evidence", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.Column(
            "restricted_to",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "classification IN ('restricted', 'mission', 'parties', 'public')",
            name=op.f("ck_provision_statuses_classification"),
        ),
        sa.CheckConstraint("level BETWEEN 0 AND 3", name=op.f("ck_provision_statuses_level")),
        sa.ForeignKeyConstraint(["assessor_id"], ["users.id"], name=op.f("fk_provision_statuses_assessor_id_users")),
        sa.ForeignKeyConstraint(
            ["mission_id"], ["missions.id"], name=op.f("fk_provision_statuses_mission_id_missions")
        ),
        sa.ForeignKeyConstraint(
            ["provision_id"], ["provisions.id"], name=op.f("fk_provision_statuses_provision_id_provisions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provision_statuses")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("provision_statuses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_provision_statuses_mission_id"), ["mission_id"], unique=False)
        batch_op.create_index("ix_provision_statuses_provision_as_of", ["provision_id", "as_of"], unique=False)

    op.create_table(
        "exchanges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("side_a", sa.String(length=32), nullable=False),
        sa.Column("side_b", sa.String(length=32), nullable=False),
        sa.Column("intermediary", sa.String(length=32), nullable=True),
        sa.Column("planned_on", sa.Date(), nullable=True),
        sa.Column("handed_over_on", sa.Date(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column(
            "handed_over", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "confirmations",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
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
            "classification IN ('restricted', 'mission', 'parties', 'public')", name=op.f("ck_exchanges_classification")
        ),
        sa.CheckConstraint("kind IN ('detainees', 'bodies', 'detainees_and_bodies')", name=op.f("ck_exchanges_kind")),
        sa.CheckConstraint(
            "status IN ('lists_pending', 'lists_differ', 'lists_match', 'handed_over', 'confirmed')",
            name=op.f("ck_exchanges_status"),
        ),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_exchanges_author_id_users")),
        sa.ForeignKeyConstraint(["mission_id"], ["missions.id"], name=op.f("fk_exchanges_mission_id_missions")),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_exchanges_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchanges")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("exchanges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exchanges_mission_id"), ["mission_id"], unique=False)

    op.create_table(
        "movements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("individuals", sa.Integer(), nullable=False),
        sa.Column("families", sa.Integer(), nullable=True),
        sa.Column("adults_male", sa.Integer(), nullable=True),
        sa.Column("adults_female", sa.Integer(), nullable=True),
        sa.Column("children_male", sa.Integer(), nullable=True),
        sa.Column("children_female", sa.Integer(), nullable=True),
        sa.Column("unaccompanied_children", sa.Integer(), nullable=True),
        sa.Column("vehicles", sa.Integer(), nullable=True),
        sa.Column("transport_mode", sa.String(length=16), nullable=True),
        sa.Column("origin_site_id", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(length=200), nullable=False),
        sa.Column("destination_site_id", sa.Integer(), nullable=True),
        sa.Column("destination", sa.String(length=200), nullable=False),
        sa.Column("convoy", sa.String(length=64), nullable=True),
        sa.Column("escort", sa.String(length=200), nullable=False),
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
            "classification IN ('restricted', 'mission', 'parties', 'public')", name=op.f("ck_movements_classification")
        ),
        sa.CheckConstraint("direction IN ('incoming', 'outgoing')", name=op.f("ck_movements_direction")),
        sa.CheckConstraint(
            "kind IN ('return', 'departure', 'humanitarian', 'commercial', 'other')", name=op.f("ck_movements_kind")
        ),
        sa.CheckConstraint("individuals >= 0", name=op.f("ck_movements_individuals")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_movements_author_id_users")),
        sa.ForeignKeyConstraint(
            ["destination_site_id"], ["sites.id"], name=op.f("fk_movements_destination_site_id_sites")
        ),
        sa.ForeignKeyConstraint(["mission_id"], ["missions.id"], name=op.f("fk_movements_mission_id_missions")),
        sa.ForeignKeyConstraint(["origin_site_id"], ["sites.id"], name=op.f("fk_movements_origin_site_id_sites")),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_movements_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_movements")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("movements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_movements_convoy"), ["convoy"], unique=False)
        batch_op.create_index(batch_op.f("ix_movements_mission_id"), ["mission_id"], unique=False)
        batch_op.create_index("ix_movements_mission_on_date", ["mission_id", "on_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_movements_site_id"), ["site_id"], unique=False)

    op.create_table(
        "exchange_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("exchange_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=32), nullable=False),
        sa.Column("hands_over_detainees", sa.Integer(), nullable=False),
        sa.Column("hands_over_bodies", sa.Integer(), nullable=False),
        sa.Column("receives_detainees", sa.Integer(), nullable=False),
        sa.Column("receives_bodies", sa.Integer(), nullable=False),
        sa.Column(
            "hands_over_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "receives_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.Column(
            "restricted_to",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_delegation", sa.String(length=32), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "classification IN ('restricted', 'mission', 'parties', 'public')",
            name=op.f("ck_exchange_lists_classification"),
        ),
        sa.CheckConstraint(
            "hands_over_detainees >= 0 AND hands_over_bodies >= 0 AND receives_detainees >= 0 AND receives_bodies >= 0",
            name=op.f("ck_exchange_lists_non_negative"),
        ),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_exchange_lists_author_id_users")),
        sa.ForeignKeyConstraint(
            ["exchange_id"], ["exchanges.id"], name=op.f("fk_exchange_lists_exchange_id_exchanges")
        ),
        sa.ForeignKeyConstraint(["mission_id"], ["missions.id"], name=op.f("fk_exchange_lists_mission_id_missions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_lists")),
        sa.UniqueConstraint("exchange_id", "side", name=op.f("uq_exchange_lists_exchange_id_side")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("exchange_lists", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exchange_lists_exchange_id"), ["exchange_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_exchange_lists_mission_id"), ["mission_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("exchange_lists", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_lists_mission_id"))
        batch_op.drop_index(batch_op.f("ix_exchange_lists_exchange_id"))

    op.drop_table("exchange_lists")
    with op.batch_alter_table("movements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_movements_site_id"))
        batch_op.drop_index("ix_movements_mission_on_date")
        batch_op.drop_index(batch_op.f("ix_movements_mission_id"))
        batch_op.drop_index(batch_op.f("ix_movements_convoy"))

    op.drop_table("movements")
    with op.batch_alter_table("exchanges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchanges_mission_id"))

    op.drop_table("exchanges")
    with op.batch_alter_table("provision_statuses", schema=None) as batch_op:
        batch_op.drop_index("ix_provision_statuses_provision_as_of")
        batch_op.drop_index(batch_op.f("ix_provision_statuses_mission_id"))

    op.drop_table("provision_statuses")
    with op.batch_alter_table("deadline_extensions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deadline_extensions_provision_id"))
        batch_op.drop_index(batch_op.f("ix_deadline_extensions_mission_id"))

    op.drop_table("deadline_extensions")
    with op.batch_alter_table("provisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provisions_mission_id"))

    op.drop_table("provisions")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claims_status"))
        batch_op.drop_index(batch_op.f("ix_claims_mission_id"))
        batch_op.drop_index(batch_op.f("ix_claims_affiliation"))

    op.drop_table("claims")
