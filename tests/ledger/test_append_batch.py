"""Appending many records in one go, and appending after a rolled-back savepoint, keep the log whole."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mission_examples import Scene
from support import point_feature
from truce.db import Base
from truce.incidents import service as incidents_service
from truce.incidents.schemas import IncidentIn
from truce.ledger import merkle, store
from truce.ledger import service as ledger
from truce.ledger.canonical import entity_id, entity_type
from truce.ledger.models import LogEntry
from truce.missions.models import Mission, Party
from truce.policy import Actor


def feature(scene: Scene, lon: float, **changes: Any) -> dict[str, Any]:
    """An incident at a demo longitude (on 39.85 N), moved into the scene's mission, the day before its day."""
    start = scene.moment(10, day=scene.day - timedelta(days=1))
    properties = {"type": "explosion", "subtype": "mortar", "start": start, "source": "post"}
    return point_feature(*scene.at(lon, 39.85), **{**properties, **changes})


def assert_tree_whole(session: Session) -> None:
    """The head's root equals the root rebuilt from the stored leaves and subtree hashes."""
    size, root = ledger.current_root(session)
    assert merkle.root(size, ledger.StoredNodes(session)) == root
    leaves = session.execute(select(LogEntry.data).order_by(LogEntry.idx)).scalars()
    compact = merkle.CompactRange()
    compact.extend(merkle.leaf_hash(data.encode("utf-8")) for data in leaves)
    assert compact.size == size
    assert compact.root() == root


def test_a_batch_logs_each_good_incident_in_order(session: Session, mission: Mission, scene: Scene) -> None:
    before = ledger.size(session)
    features = [
        feature(scene, 46.70),
        feature(scene, 46.71, type="no_such_type"),
        feature(scene, 46.72),
        feature(scene, 46.73),
    ]
    created, errors = incidents_service.create_many(session, mission, features, actor=Actor.system(mission.id))
    assert [e["index"] for e in errors] == [1]
    assert ledger.size(session) == before + 3
    entries = ledger.entries(session, before, before + 3)
    assert [(e.idx, e.entity_id, e.action) for e in entries] == [
        (before + n, str(incident.id), "incident.create") for n, incident in enumerate(created)
    ]
    assert [incident.lon for incident in created] == [scene.at(lon, 39.85)[0] for lon in (46.70, 46.72, 46.73)]
    assert_tree_whole(session)


def test_an_append_after_a_rolled_back_savepoint_takes_the_freed_index(
    session: Session, mission: Mission, scene: Scene
) -> None:
    actor = Actor.system(mission.id)
    before = ledger.size(session)
    incidents_service.create(session, mission, IncidentIn.model_validate(feature(scene, 46.70)), actor=actor)
    nested = session.begin_nested()
    incidents_service.create(session, mission, IncidentIn.model_validate(feature(scene, 46.71)), actor=actor)
    assert ledger.size(session) == before + 2
    nested.rollback()
    assert ledger.size(session) == before + 1
    kept = incidents_service.create(session, mission, IncidentIn.model_validate(feature(scene, 46.72)), actor=actor)
    assert ledger.size(session) == before + 2
    assert ledger.entries(session, before + 1, before + 2)[0].entity_id == str(kept.id)
    assert_tree_whole(session)


def log_items(session: Session, mission: Mission) -> list[tuple[str, Base, list[str]]]:
    parties = list(session.execute(select(Party).where(Party.mission_id == mission.id).order_by(Party.id)).scalars())
    assert len(parties) >= 2
    return [
        ("test.touch", mission, []),
        ("test.touch", parties[0], ["b" * 64, "a" * 64]),
        ("test.touch", parties[1], []),
        ("test.touch", mission, ["c" * 64]),
    ]


def test_a_transaction_stores_its_entries_in_one_batch_as_if_one_by_one(
    session: Session, mission: Mission, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One clock reading for every entry, so that both ways write the same bytes and so the same tree.
    monkeypatch.setattr(store, "utcnow", lambda: datetime(2020, 11, 20, 10, 0, tzinfo=UTC))
    actor = Actor.system(mission.id)
    items = log_items(session, mission)
    # What a batch's columns must carry as they are (on PostgreSQL they go as arrays): quotes, backslashes, braces,
    # commas, the word NULL and Cyrillic, and a column that is NULL in every row (the system has no delegation).
    party = items[1][1]
    assert isinstance(party, Party)
    party.name = 'Сторона "А" \\ {B}, NULL'
    before = ledger.size(session)

    one_by_one = session.begin_nested()
    for action, record, evidence in items:
        ledger.record(session, actor, action, record, evidence=evidence)
        assert ledger.size(session) == before + items.index((action, record, evidence)) + 1  # stored, one batch each
    single_rows = [columns(e) for e in ledger.entries(session, before, before + len(items))]
    single_root = ledger.current_root(session)
    one_by_one.rollback()
    assert ledger.size(session) == before

    for action, record, evidence in items:
        ledger.record(session, actor, action, record, evidence=evidence)
    batch = ledger.entries(session, before, before + len(items))  # a reader stores what the transaction recorded
    assert [(e.action, e.entity_type, e.entity_id) for e in batch] == [
        (action, entity_type(record), entity_id(record)) for action, record, _ in items
    ]
    assert [e.idx for e in batch] == list(range(before, before + len(items)))
    assert [columns(e) for e in batch] == single_rows
    assert json.loads(batch[1].data)["entity"]["name"] == party.name
    assert {e.delegation for e in batch} == {None}
    assert ledger.current_root(session) == single_root
    assert json.loads(batch[1].data)["evidence"] == ["a" * 64, "b" * 64]
    assert_tree_whole(session)


def columns(entry: LogEntry) -> tuple[Any, ...]:
    return tuple(getattr(entry, column.key) for column in LogEntry.__table__.columns)


def test_a_transaction_that_records_nothing_stores_nothing(session: Session) -> None:
    before = ledger.current_root(session)
    session.flush()
    assert ledger.current_root(session) == before
