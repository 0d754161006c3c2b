"""Alembic's entry: runs migrations on the engine Truce hands it."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context

from truce.db import UTCDateTime
from truce.models import Base
from truce.schema import include_name


def render_item(type_: str, obj: Any, _context: Any) -> str | Literal[False]:
    """Write our UTC timestamp type as the plain column type it stores, so migrations stand alone."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_name=include_name,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
