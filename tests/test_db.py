"""The database layer's own choices: how JSON and times are read back, read-only pages, planning on PostgreSQL."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from conftest import PG_URL
from truce import db as truce_db
from truce.db import InexactJSON, _json_loads, _long_digits, _sqlite_utc, connect


@pytest.mark.parametrize("document", ['{"a": [1, 2.5, null, true, "é"]}', "[]", "{}", '"text"', "0"])
def test_json_reads_like_the_standard_library(document: str) -> None:
    assert _json_loads(document) == json.loads(document)


def test_json_refuses_what_it_cannot_read_back_exactly() -> None:
    # json.dumps writes NaN and integers beyond 64 bits; orjson read 2**70 + 1 as a float (and 2**70 only by luck
    # of being a power of two), so a record no longer matched its log entry. Such a column is an error now.
    with pytest.raises(InexactJSON):
        _json_loads(json.dumps({"x": float("nan")}))
    with pytest.raises(InexactJSON):
        _json_loads(json.dumps([2**70 + 1]))
    with pytest.raises(InexactJSON):
        _json_loads("{not json")


@given(st.text(alphabet=st.sampled_from('0123456789٠١२ é,[]"') | st.characters(), max_size=80))
def test_long_digit_runs_are_found_as_the_regular_expression_finds_them(document: str) -> None:
    # Only ASCII digits count: other scripts' digits (Arabic-Indic, Devanagari) are text to orjson, never numbers.
    expected = re.search("[0-9]{19}", document) is not None
    assert _long_digits(document) == expected
    assert _long_digits(document.encode("utf-8", "surrogatepass")) == expected


@pytest.mark.parametrize(
    ("document", "long"),
    [
        ("1" * 19, True),
        ("x" + "9" * 18 + "0]", True),
        ("é" + "0" * 19, True),
        ("1" * 18, False),
        ("9" * 9 + "." + "9" * 10, False),
    ],
)
def test_a_run_of_nineteen_digits_is_found(document: str, long: bool) -> None:
    assert _long_digits(document) is long


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("2020-11-10 06:30:00.000123", datetime(2020, 11, 10, 6, 30, 0, 123, tzinfo=UTC)),
        ("2020-11-10 06:30:00", datetime(2020, 11, 10, 6, 30, tzinfo=UTC)),
        (None, None),
    ],
)
def test_sqlite_times_read_back_as_utc(stored: str | None, expected: datetime | None) -> None:
    parsed = _sqlite_utc(stored)
    assert parsed == expected
    assert parsed is None or parsed.utcoffset() is not None


@pytest.mark.skipif(not PG_URL, reason="needs TRUCE_TEST_DATABASE_URL, as every PostGIS test does")
def test_postgresql_plans_each_query_with_its_values() -> None:
    db = connect(PG_URL)
    try:
        with db.session(write=False) as session:
            assert session.execute(text("SHOW plan_cache_mode")).scalar_one() == "force_custom_plan"
    finally:
        db.dispose()


@pytest.mark.skipif(not PG_URL, reason="needs TRUCE_TEST_DATABASE_URL, as every PostGIS test does")
def test_a_pooled_postgresql_connection_is_pinged_only_after_sitting_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    """A ping per checkout was half of PostgreSQL's transactions under phones; an idle connection may be cut."""
    db = connect(PG_URL)
    pings: list[object] = []
    ping = db.engine.dialect.do_ping
    monkeypatch.setattr(db.engine.dialect, "do_ping", lambda connection: pings.append(connection) or ping(connection))
    try:
        monkeypatch.setattr(truce_db, "IDLE_PING_S", 3600.0)
        for _ in range(5):
            with db.engine.connect() as connection:
                backend = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert pings == [], "a connection in steady use goes out unchecked"
        with connect(PG_URL) as other, other.engine.connect() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend}).scalar_one()
        monkeypatch.setattr(truce_db, "IDLE_PING_S", 0.0)
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != backend
        assert len(pings) == 1, "the idle connection was checked, found cut and replaced before use"
    finally:
        db.dispose()


def test_a_sqlite_file_has_a_readers_engine_and_listeners_hear_both(tmp_path: Path) -> None:
    db = connect(f"sqlite:///{tmp_path / 'two.db'}")
    heard: list[str] = []

    def hear(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        heard.append(statement)

    try:
        assert len(db.engines) == 2
        with db.listening("before_cursor_execute", hear):
            with db.session(write=False) as session:
                session.execute(text("SELECT 'read'"))
            with db.session() as session:
                session.execute(text("SELECT 'write'"))
        with db.session(write=False) as session:
            session.execute(text("SELECT 'after'"))
    finally:
        db.dispose()
    assert "SELECT 'read'" in heard
    assert "SELECT 'write'" in heard
    assert "SELECT 'after'" not in heard


def test_an_in_memory_sqlite_database_keeps_one_engine() -> None:
    db = connect("sqlite://")
    try:
        assert db.engines == [db.engine]
    finally:
        db.dispose()


@pytest.mark.skipif(not PG_URL, reason="needs TRUCE_TEST_DATABASE_URL, as every PostGIS test does")
def test_a_long_statement_is_converted_once_for_psycopg() -> None:
    """A batch's INSERT of many rows repeats; converting it anew each time was 7% of a phone's submission."""
    from psycopg import _queries

    db = connect(PG_URL)
    names = [f"v{n}" for n in range(300)]  # more parameters than psycopg caches by default (50)
    statement = text("SELECT " + " + ".join(f":{name}" for name in names))
    try:
        with db.engine.connect() as connection:
            connection.execute(statement, dict.fromkeys(names, 1))
            before = _queries._query2pg.cache_info()
            for _ in range(3):
                assert connection.execute(statement, dict.fromkeys(names, 1)).scalar_one() == len(names)
            after = _queries._query2pg.cache_info()
        assert after.hits - before.hits == 3
        assert after.misses == before.misses
    finally:
        db.dispose()
