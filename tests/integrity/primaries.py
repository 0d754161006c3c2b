"""Primaries for replica tests: a demo data directory whose database is SQLite (in it) or a PostGIS database.

Replicas always keep their own SQLite file in their own data directory; only the primary changes backend.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import make_url

from databases import PG_URL, _administer, _database_name, fresh_database
from support import copy_data_dir, truce_process


def primary(backend: str, demo_data_dir: Path, data_dir: Path, name: str) -> tuple[str, dict[str, str]]:
    """A primary's data directory after `truce demo --no-serve`: its database URL and the environment to serve it."""
    if backend == "sqlite":
        copy_data_dir(demo_data_dir, data_dir)
        return f"sqlite:///{data_dir / 'truce.db'}", {}
    scratch = fresh_database("postgis", data_dir.parent, name)
    url = scratch.engine.url.render_as_string(hide_password=False)
    scratch.dispose()
    env = {"TRUCE_DATABASE_URL": url}
    # In a process of its own: no connection to the database is left behind, so it can be a template.
    loaded = truce_process("demo", "--no-serve", "--data-dir", str(data_dir), env=env)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    return url, env


def fork(backend: str, source: Path, source_url: str, data_dir: Path, name: str) -> tuple[str, dict[str, str]]:
    """A copy of a primary (the same keys, the same log), to be written to apart from it: a forked log."""
    if backend == "sqlite":
        copy_data_dir(source, data_dir)
        return f"sqlite:///{data_dir / 'truce.db'}", {}
    assert PG_URL
    copy = _database_name(name)
    template = make_url(source_url).database
    _administer(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)', f'CREATE DATABASE "{copy}" TEMPLATE "{template}"')
    shutil.copytree(source, data_dir)
    url = make_url(source_url).set(database=copy).render_as_string(hide_password=False)
    return url, {"TRUCE_DATABASE_URL": url}
