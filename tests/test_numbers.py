"""JSON columns hold only what they give back exactly, so a record always matches its log entry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from conftest import fresh_database
from truce.db import Database, InexactJSON, _json_dumps, _json_loads
from truce.demo import loader
from truce.incidents.models import Incident
from truce.integrity.verify import verify
from truce.ledger import keys
from truce.models import LOGGED
from truce.numbers import INT64_MAX


@pytest.mark.parametrize("value", [10**30, 2**63, -(2**63) - 1, 2**64])
def test_an_integer_beyond_64_bits_is_neither_written_nor_read(value: int) -> None:
    with pytest.raises(InexactJSON, match="beyond the 64 bits"):
        _json_dumps({"events": value})
    # Written by something else (an older Truce, SQL by hand): refused, never read back as a float.
    with pytest.raises(InexactJSON, match="beyond the 64 bits"):
        _json_loads(f'{{"events": {value}}}')


@pytest.mark.parametrize("value", [0, 12, 10**18, INT64_MAX, -(2**63)])
def test_integers_within_64_bits_come_back_exactly(value: int) -> None:
    document = _json_dumps({"events": value, "note": "12345678901234567890"})
    assert _json_loads(document) == {"events": value, "note": "12345678901234567890"}
    assert type(_json_loads(document)["events"]) is int


@pytest.mark.parametrize("document", ["NaN", '{"a": Infinity}', "[1e999]"])
def test_what_json_cannot_hold_is_refused(document: str) -> None:
    with pytest.raises(InexactJSON):
        _json_loads(document)


def test_nan_is_not_stored() -> None:
    with pytest.raises(InexactJSON):
        _json_dumps({"km": float("nan")})


def test_a_big_count_cannot_be_stored_through_the_orm(db: Database) -> None:
    with db.writer() as session:
        incident = session.execute(select(Incident).limit(1)).scalar_one()
        incident.counts = {"events": 10**30}
        # SQLite's driver binds through SQLAlchemy (which wraps the error); psycopg calls the serializer itself.
        with pytest.raises((StatementError, InexactJSON)) as raised:
            session.flush()
        assert isinstance(getattr(raised.value, "orig", raised.value), InexactJSON)
        session.rollback()


@pytest.fixture
def committed(backend: str, tmp_path: Path) -> Iterator[Database]:
    db = fresh_database(backend, tmp_path, name="numbers")
    with db.session() as session:
        loader.load(session, incidents=6)
    yield db
    db.dispose()


def test_verify_reports_a_big_integer_written_with_sql_instead_of_failing(committed: Database, tmp_path: Path) -> None:
    signer = keys.load_or_create(tmp_path, "truce.test/log")
    with committed.session(write=False) as session:
        assert verify(session, signer.verifier(), LOGGED).problems == []
    cast = "CAST(:counts AS jsonb)" if committed.engine.dialect.name == "postgresql" else ":counts"
    with committed.engine.begin() as connection:
        first = connection.execute(text("SELECT min(id) FROM incidents")).scalar_one()
        statement = text(f"UPDATE incidents SET counts = {cast} WHERE id = :id")  # noqa: S608 - our own constant
        connection.execute(statement, {"counts": f'{{"events": {10**30}}}', "id": first})
    with committed.session(write=False) as session:
        problems = verify(session, signer.verifier(), LOGGED).problems
    assert any("incidents" in p and "beyond the 64 bits" in p for p in problems), problems
