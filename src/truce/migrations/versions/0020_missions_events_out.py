"""missions.events_out: whether a mission ever had a webhook subscription or a CAP rule (the listeners' hint)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("missions") as batch:
        batch.add_column(sa.Column("events_out", sa.Boolean(), server_default=sa.false(), nullable=False))
    # Missions that already send events keep sending them. The column is left out of the log (`__log_skip__`),
    # so this UPDATE changes no logged content.
    op.execute(
        "UPDATE missions SET events_out = true WHERE id IN (SELECT mission_id FROM webhook_subscriptions)"
        " OR id IN (SELECT mission_id FROM cap_alert_rules)"
    )


def downgrade() -> None:
    with op.batch_alter_table("missions") as batch:
        batch.drop_column("events_out")
