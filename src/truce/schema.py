"""Apply the Alembic migrations shipped inside the package, and compare them with the models.

Alembic is imported only to migrate or compare: a server or a command that finds its database current reads the
version table itself. Importing Alembic (its dialects, Mako and Pygments) was over a sixth of `truce serve`'s
start-up CPU, paid again by every process and command that opens the database.
"""

from __future__ import annotations

import warnings
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, column, inspect, select, table

from truce import geo
from truce.events import queue
from truce.models import Base

if TYPE_CHECKING:
    from alembic.config import Config

# The newest migration's revision. A new migration changes it; tests/test_schema.py checks it against the scripts.
HEAD = "0023"
VERSION_TABLE = table("alembic_version", column("version_num"))  # Alembic's default, which migrations/env.py keeps


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic configuration of the package's migrations, without an ini file, that runs on `engine`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(files("truce") / "migrations"))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema up to `revision`."""
    if revision not in ("head", HEAD) or not is_current(engine):
        from alembic import command

        command.upgrade(alembic_config(engine), revision)
    if revision == "head":
        # The job queue's own schema (procrastinate, PostgreSQL only), which Alembic does not describe.
        queue.prepare(engine)


def upgrade_to(engine: Engine, revision: str) -> None:
    """Move the schema down to `revision` ("base" removes every table)."""
    from alembic import command

    command.downgrade(alembic_config(engine), revision)


def include_name(name: str | None, type_: str, _parent: Any) -> bool:
    """Leave the spatial index's and the job queue's own tables and columns out of model comparisons."""
    return not geo.is_index_object(name) and not queue.is_queue_object(name)


def differences(engine: Engine) -> list[Any]:
    """What differs between the migrated database and the models; empty when they agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as connection, warnings.catch_warnings():
        # SQLAlchemy has no type for PostGIS's geometry column, which the comparison skips anyway.
        warnings.filterwarnings("ignore", message="Did not recognize type 'geometry'")
        context = MigrationContext.configure(connection, opts={"include_name": include_name, "compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def revisions(engine: Engine) -> set[str]:
    """The revisions the database is at, as Alembic's version table records them (none before the first)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE.name):
            return set()
        return set(connection.execute(select(VERSION_TABLE.c.version_num)).scalars())


def is_current(engine: Engine) -> bool:
    """Whether the database is at the newest revision."""
    return revisions(engine) == {HEAD}


def script_heads() -> set[str]:
    """The newest revisions as the migration scripts chain them (what HEAD must name)."""
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config()).get_heads())
