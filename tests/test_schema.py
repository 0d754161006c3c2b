"""Migrations: they run on every backend and produce exactly what the models describe."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from conftest import fresh_database
from truce import schema


def test_migrations_match_the_models(backend: str, tmp_path: Path) -> None:
    db = fresh_database(backend, tmp_path)
    try:
        assert schema.is_current(db.engine)
        assert schema.differences(db.engine) == []
        tables = set(inspect(db.engine).get_table_names())
        assert {"missions", "sites", "log_entries", "log_nodes"} <= tables
    finally:
        db.dispose()


def test_downgrade_and_upgrade_again(backend: str, tmp_path: Path) -> None:
    db = fresh_database(backend, tmp_path)
    try:
        schema.upgrade_to(db.engine, "base")
        assert "sites" not in inspect(db.engine).get_table_names()
        schema.upgrade(db.engine)
        assert schema.differences(db.engine) == []
    finally:
        db.dispose()


def test_head_names_the_newest_migration() -> None:
    """`schema.HEAD` (what a server compares its database with, without loading Alembic) is the scripts' head."""
    assert schema.script_heads() == {schema.HEAD}, "a new migration: set schema.HEAD to its revision"


def test_a_database_behind_is_upgraded_and_one_at_head_is_left_alone(backend: str, tmp_path: Path) -> None:
    db = fresh_database(backend, tmp_path)
    try:
        assert schema.revisions(db.engine) == {schema.HEAD}
        schema.upgrade_to(db.engine, "0022")
        assert schema.revisions(db.engine) == {"0022"}
        assert not schema.is_current(db.engine)
        schema.upgrade(db.engine)
        assert schema.is_current(db.engine)
        schema.upgrade_to(db.engine, "base")
        assert schema.revisions(db.engine) == set()
        assert not schema.is_current(db.engine)
    finally:
        db.dispose()
