"""Appends through savepoints and commits leave a log that `truce log verify` finds whole; the rows are Core's."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from conftest import demo_database, fresh_database
from mission_examples import DEMO_SLUG, EXAMPLE, Scene
from support import point_feature
from truce import driver
from truce.db import Database
from truce.incidents import service as incidents_service
from truce.incidents.models import Incident
from truce.incidents.schemas import IncidentIn
from truce.integrity.verify import verify
from truce.ledger import keys, note
from truce.ledger import service as ledger
from truce.ledger.models import LogEntry
from truce.missionfile import create, spec
from truce.missions import service as missions_service
from truce.missions.models import Party
from truce.models import LOGGED
from truce.policy import Actor


@pytest.fixture
def signer(tmp_path: Path) -> note.Signer:
    return keys.load_or_create(tmp_path, "truce.test/log")


@pytest.fixture
def demo(backend: str, mission_slug: str, tmp_path: Path) -> Iterator[Database]:
    """A committed database of its own with the mission (the demo, or the example from its file), without
    incidents."""
    if mission_slug == DEMO_SLUG:
        db = demo_database(backend, tmp_path, name="transactions", incidents=0)
    else:
        db = fresh_database(backend, tmp_path, "transactions")
        with db.session() as session:
            create.create(session, spec.read(EXAMPLE), actor=Actor.system())
    yield db
    db.dispose()


def file_incident(session: Session, scene: Scene, lon: float) -> Incident:
    mission = missions_service.get_by_slug(session, scene.slug)
    assert mission is not None
    return _filed_by(session, scene, lon, Actor.system(mission.id))


def test_appends_around_a_rolled_back_inner_savepoint_commit_a_whole_log(
    demo: Database, signer: note.Signer, scene: Scene
) -> None:
    with demo.session(write=False) as session:
        before = ledger.size(session)
    with demo.session() as session:
        first = file_incident(session, scene, 46.70)
        outer = session.begin_nested()
        second = file_incident(session, scene, 46.71)
        inner = session.begin_nested()
        file_incident(session, scene, 46.72)
        file_incident(session, scene, 46.73)
        inner.rollback()
        third = file_incident(session, scene, 46.74)
        outer.commit()
        fourth = file_incident(session, scene, 46.75)
        kept = [first, second, third, fourth]
        ids = [str(incident.id) for incident in kept]
    with demo.session() as session:
        checkpoint = ledger.checkpoint(session, signer)
    with demo.session(write=False) as session:
        logged = ledger.entries(session, before, before + 10)
        report = verify(session, signer.verifier(), LOGGED)
    assert [(e.idx, e.entity_id) for e in logged] == [(before + n, id_) for n, id_ in enumerate(ids)]
    assert checkpoint.size == before + 4
    assert report.intact, report.problems
    assert report.entries == before + 4


def failing_request(db: Database, scene: Scene) -> None:
    with db.session() as session:
        file_incident(session, scene, 46.70)
        raise RuntimeError("the request failed after the write")


def test_a_rolled_back_transaction_leaves_the_head_as_it_was(demo: Database, signer: note.Signer, scene: Scene) -> None:
    with demo.session(write=False) as session:
        before = ledger.current_root(session)
    with pytest.raises(RuntimeError, match="failed after the write"):
        failing_request(demo, scene)
    with demo.session() as session:
        assert ledger.current_root(session) == before
        file_incident(session, scene, 46.71)
    with demo.session(write=False) as session:
        report = verify(session, signer.verifier(), LOGGED)
        assert ledger.size(session) == before[0] + 1
    assert report.intact, report.problems


def test_appends_from_two_connections_in_turn_build_on_each_others_entries(
    demo: Database, signer: note.Signer, scene: Scene
) -> None:
    # Each connection remembers the head it wrote last; after the other one appended, that head is stale.
    with demo.session(write=False) as session:
        before = ledger.size(session)
    filed = []
    with demo.engine.connect() as first, demo.engine.connect() as second:
        for connection, lon in ((first, 46.70), (second, 46.71), (first, 46.72), (first, 46.73), (second, 46.74)):
            with Session(bind=connection) as session:
                filed.append(str(file_incident(session, scene, lon).id))
                session.commit()
    with demo.session(write=False) as session:
        logged = ledger.entries(session, before, before + 10)
        report = verify(session, signer.verifier(), LOGGED)
    assert [(e.idx, e.entity_id) for e in logged] == [(before + n, id_) for n, id_ in enumerate(filed)]
    assert report.intact, report.problems


def test_an_entry_is_stored_as_core_stores_it(session: Session, backend: str, scene: Scene) -> None:
    incident = file_incident(session, scene, 46.70)
    entry = ledger.history(session, "incidents", str(incident.id))[-1]
    session.expire_all()
    stored = session.execute(select(LogEntry).where(LogEntry.idx == entry.idx)).scalar_one()
    assert stored.time.isoformat() == json.loads(stored.data)["time"]
    assert stored.mission_id == incident.mission_id
    assert stored.leaf_hash == entry.leaf_hash
    assert len(stored.leaf_hash) == 32
    if backend == "sqlite":
        # The text SQLAlchemy writes for a DATETIME on SQLite, which its reader parses back.
        raw = session.execute(text("SELECT time FROM log_entries WHERE idx = :idx"), {"idx": entry.idx}).scalar_one()
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", raw)


def test_a_refused_driver_statement_raises_what_core_raises(session: Session) -> None:
    keys = [attribute.key for attribute in LogEntry.__mapper__.column_attrs]
    statements = driver.Statements(lambda dialect: {"insert": driver.Prepared(insert(LogEntry), dialect, keys)})
    entry = ledger.entries(session, 0, 1)[0]
    taken = [{key: getattr(entry, key) for key in keys}]
    nested = session.begin_nested()
    cursor = statements.on(session.connection())
    with pytest.raises(IntegrityError):
        cursor.execute("insert", taken)
    # PostgreSQL refuses every statement after the error until the savepoint is rolled back.
    nested.rollback()
    assert ledger.entries(session, 0, 1)[0].data == entry.data


def rename_a_party(session: Session, suffix: str) -> None:
    party = session.execute(select(Party).order_by(Party.id).limit(1)).scalar_one()
    party.name += suffix
    session.flush()


def test_an_unlogged_write_before_a_rolled_back_savepoint_is_still_refused(demo: Database) -> None:
    session = demo.writer()
    rename_a_party(session, " (unlogged)")
    session.begin_nested().rollback()
    with pytest.raises(ledger.UnloggedWriteError):
        session.commit()
    session.close()


def test_an_unlogged_write_undone_with_its_savepoint_needs_no_entry(demo: Database, scene: Scene) -> None:
    with demo.session() as session:
        file_incident(session, scene, 46.70)
        nested = session.begin_nested()
        rename_a_party(session, " (undone)")
        nested.rollback()
    with demo.session() as session:
        # A rolled-back transaction that held a savepoint leaves nothing behind for the next one.
        nested = session.begin_nested()
        rename_a_party(session, " (undone too)")
        session.rollback()
        file_incident(session, scene, 46.71)


def _filed_by(session: Session, scene: Scene, lon: float, actor: Actor) -> Incident:
    """Mortar fire at a demo longitude on 39.85 N, the day before the scene's day, moved into its mission."""
    mission = missions_service.get_by_slug(session, scene.slug)
    assert mission is not None
    start = scene.moment(10, day=scene.day - timedelta(days=1))
    properties = {"type": "explosion", "subtype": "mortar", "start": start, "source": "post"}
    data = IncidentIn.model_validate(point_feature(*scene.at(lon, 39.85), **properties))
    return incidents_service.create(session, mission, data, actor=actor)


def stored_entries(session: Session) -> int:
    """Entries in the table, read without storing what the transaction recorded (as `ledger.size` would)."""
    return int(session.scalar(select(func.count()).select_from(LogEntry)) or 0)


def test_without_autoflush_entries_wait_for_the_commit_and_keep_their_order_and_actors(
    demo: Database, signer: note.Signer, scene: Scene
) -> None:
    with demo.session(write=False) as session:
        before = ledger.size(session)
    ids_seen_inside: list[int | None] = []
    ids_once_settled: list[int] = []
    with demo.session() as session:
        mission = missions_service.get_by_slug(session, scene.slug)
        assert mission is not None
        first = Actor.system(mission.id)
        second = dataclasses.replace(first, username="second-caller")
        filed = []
        with session.no_autoflush:
            for lon, actor in ((46.70, first), (46.71, second)):
                incident = _filed_by(session, scene, lon, actor)
                ids_seen_inside.append(incident.id)
                ledger.after_ids(session, lambda incident=incident: ids_once_settled.append(incident.id))
                filed.append(incident)
            # Nothing written yet: no entries, and no flush gave the incidents their ids.
            assert stored_entries(session) == before
        assert ids_seen_inside == [None, None]
    assert ids_once_settled == [incident.id for incident in filed]
    with demo.session(write=False) as session:
        entries = session.scalars(select(LogEntry).where(LogEntry.idx >= before).order_by(LogEntry.idx)).all()
        assert [(e.entity_id, e.actor) for e in entries] == [
            (str(filed[0].id), first.username),
            (str(filed[1].id), second.username),
        ]
        assert verify(session, signer.verifier(), LOGGED).intact


def test_a_transaction_that_raises_stores_nothing(demo: Database, scene: Scene) -> None:
    with demo.session(write=False) as session:
        before = ledger.size(session)

    def file_then_fail() -> None:
        with demo.session() as session, session.no_autoflush:
            mission = missions_service.get_by_slug(session, scene.slug)
            assert mission is not None
            _filed_by(session, scene, 46.70, Actor.system(mission.id))
            raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        file_then_fail()
    with demo.session(write=False) as session:
        assert ledger.size(session) == before
        assert session.scalar(select(func.count()).select_from(Incident)) == 0


def test_a_journal_savepoint_that_fails_drops_its_entries_and_keeps_the_others(
    demo: Database, signer: note.Signer, scene: Scene
) -> None:
    with demo.session(write=False) as session:
        before = ledger.size(session)
    with demo.session() as session, session.no_autoflush:
        mission = missions_service.get_by_slug(session, scene.slug)
        assert mission is not None
        actor = Actor.system(mission.id)
        with ledger.savepoint(session):
            kept = _filed_by(session, scene, 46.70, actor)

        def file_then_fail() -> None:
            with ledger.savepoint(session):
                _filed_by(session, scene, 46.71, actor)
                raise ValueError("refused")

        with pytest.raises(ValueError, match="refused"):
            file_then_fail()
        # Settled when its savepoint was released: the kept incident has its id, its entry waits for the commit.
        assert kept.id is not None
        assert stored_entries(session) == before
    with demo.session(write=False) as session:
        entries = session.scalars(select(LogEntry).where(LogEntry.idx >= before)).all()
        assert [e.entity_id for e in entries] == [str(kept.id)]
        assert verify(session, signer.verifier(), LOGGED).intact
