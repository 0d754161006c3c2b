"""Alembic's entry: runs migrations on the engine Truce hands it."""

from __future__ import annotations

from alembic import context

from truce.models import Base
from truce.schema import include_name

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_name=include_name,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
