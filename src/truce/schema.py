"""Apply the Alembic migrations shipped inside the package, and compare them with the models."""

from __future__ import annotations

import warnings
from importlib.resources import files
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from truce import geo
from truce.events import queue
from truce.models import Base


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration that runs on `engine` without an ini file."""
    config = Config()
    config.set_main_option("script_location", str(files("truce") / "migrations"))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema up to `revision`."""
    command.upgrade(alembic_config(engine), revision)
    if revision == "head":
        # The job queue's own schema (procrastinate, PostgreSQL only), which Alembic does not describe.
        queue.prepare(engine)


def upgrade_to(engine: Engine, revision: str) -> None:
    """Move the schema down to `revision` ("base" removes every table)."""
    command.downgrade(alembic_config(engine), revision)


def include_name(name: str | None, type_: str, _parent: Any) -> bool:
    """Leave the spatial index's and the job queue's own tables and columns out of model comparisons."""
    return not geo.is_index_object(name) and not queue.is_queue_object(name)


def differences(engine: Engine) -> list[Any]:
    """What differs between the migrated database and the models; empty when they agree."""
    with engine.connect() as connection, warnings.catch_warnings():
        # SQLAlchemy has no type for PostGIS's geometry column, which the comparison skips anyway.
        warnings.filterwarnings("ignore", message="Did not recognize type 'geometry'")
        context = MigrationContext.configure(connection, opts={"include_name": include_name, "compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def is_current(engine: Engine) -> bool:
    """Whether the database is at the newest revision."""
    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    return set(current) == set(script.get_heads())
