"""Databases for tests: this worker's PostGIS names, and copies of templates migrated (and loaded) once per process.

conftest.py and the tests that need a database of their own (`from conftest import fresh_database`) reach these
through one module, imported once: pytest's copy of conftest and the tests' are two modules, and the templates
must be built once per process, not once per copy.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from mission_examples import DEMO_SLUG, EXAMPLE_SLUG, load_example
from support import copy_sqlite
from truce import schema
from truce.db import Database, connect
from truce.demo import incidents as demo_incidents
from truce.demo import loader

PG_URL = os.environ.get("TRUCE_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", "postgis"] if PG_URL else ["sqlite"]
# This process's share of the databases: pytest-xdist's worker id, or "main" without xdist.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


def reset_postgis(url: str) -> Database:
    """An empty PostGIS database at `url`: every table of an earlier run dropped."""
    db = connect(url)
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    return db


def _database_name(name: str) -> str:
    """This worker's database called `name`, beside the one TRUCE_TEST_DATABASE_URL names."""
    return f"{make_url(PG_URL).database}_{WORKER}_{name}" if name else f"{make_url(PG_URL).database}_{WORKER}"


def _administer(*statements: str) -> None:
    """Run statements that may not run in a transaction (CREATE, DROP DATABASE) on the shared database."""
    admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        admin.dispose()


def scratch_url(name: str) -> str:
    """A PostGIS database of this worker's beside the shared one, created (empty) on first use."""
    scratch = make_url(PG_URL).set(database=_database_name(name))
    admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": scratch.database}
        ).scalar()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{scratch.database}"'))
    admin.dispose()
    return scratch.render_as_string(hide_password=False)


# (backend, incidents or None for no demo, example) -> the template: a SQLite file, or a PostGIS database's name.
_templates: dict[tuple[str, int | None, bool], str] = {}
_template_dir: list[Path] = []


def _template(backend: str, incidents: int | None, example: bool = False) -> str:
    """A migrated database, with the demo of `incidents` incidents unless None (or, if `example`, the example
    mission as `load_example` makes it), built on first use."""
    key = (backend, incidents, example)
    if key not in _templates:
        label = "example" if example else "empty" if incidents is None else f"demo{incidents}"
        if backend == "postgis":
            name = _database_name(f"template_{label}")
            db = reset_postgis(scratch_url(f"template_{label}"))
        else:
            if not _template_dir:
                _template_dir.append(Path(tempfile.mkdtemp(prefix=f"truce-templates-{WORKER}-")))
            name = str(_template_dir[0] / f"{label}.db")
            db = connect(f"sqlite:///{name}")
        schema.upgrade(db.engine)
        if example:
            with db.session() as session:
                load_example(session)
        elif incidents is not None:
            with db.session() as session:
                loader.load(session, incidents=incidents)
        # A PostGIS template must have no connections left when it is copied.
        db.dispose()
        _templates[key] = name
    return _templates[key]


def copy_database(backend: str, directory: Path, name: str, incidents: int | None, example: bool = False) -> Database:
    """A database of the test's own, copied from the template of `incidents` (None: migrated, empty; with
    `example`, the example mission)."""
    template = _template(backend, incidents, example)
    if backend == "postgis":
        copy = _database_name(name)
        _administer(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)', f'CREATE DATABASE "{copy}" TEMPLATE "{template}"')
        return connect(make_url(PG_URL).set(database=copy).render_as_string(hide_password=False))
    path = directory / "truce.db"
    path.unlink(missing_ok=True)
    copy_sqlite(Path(template), path)
    return connect(f"sqlite:///{path}")


def fresh_database(backend: str, directory: Path, name: str = "scratch") -> Database:
    """A newly migrated, empty database of the given backend, apart from the shared one."""
    return copy_database(backend, directory, name, incidents=None)


def demo_database(
    backend: str, directory: Path, name: str = "scratch", incidents: int = demo_incidents.COUNT
) -> Database:
    """A migrated database of the test's own with the demo loaded (`loader.load(session, incidents=...)`)."""
    return copy_database(backend, directory, name, incidents=incidents)


def mission_database(backend: str, directory: Path, name: str, slug: str, incidents: int = 12) -> Database:
    """A migrated database of the test's own with the mission `slug` loaded: the demo of `incidents` incidents, or
    the example mission from its file with its accounts and incidents (`load_example`)."""
    if slug == DEMO_SLUG:
        return demo_database(backend, directory, name, incidents)
    assert slug == EXAMPLE_SLUG, slug
    return copy_database(backend, directory, name, None, example=True)


def remove_templates() -> None:
    """Delete this process's SQLite templates (the PostGIS ones stay, rebuilt by the next run)."""
    for directory in _template_dir:
        shutil.rmtree(directory, ignore_errors=True)
