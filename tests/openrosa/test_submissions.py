"""Submissions shaped as ODK Collect sends them become the records the API would make, through the same services."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conftest import fresh_database
from mission_examples import SCENES, Scene
from openrosa.collect import PHOTO_JPEG, Phone, fill, incident_values
from support import Login, point_feature
from truce.evidence.models import Evidence
from truce.incidents.models import Incident
from truce.ledger.models import LogEntry
from truce.movements.models import Movement
from truce.openrosa.intake import RELATED_IDS
from truce.openrosa.models import Submission
from truce.places.models import Site

RESPONSE = "{http://openrosa.org/http/response}"


def count(session: Session, model: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def submission(session: Session, instance_id: str) -> Submission:
    return session.execute(select(Submission).where(Submission.instance_id == instance_id)).scalar_one()


def instance_id_of(xml: bytes) -> str:
    return str(etree.fromstring(xml).findtext(".//{*}instanceID"))


def values(phone: Phone, **overrides: str) -> dict[str, str]:
    """The phones' mortar impact, in the phone's mission."""
    return incident_values(SCENES[phone.slug], **overrides)


def test_an_incident_report_becomes_the_incident_the_api_would_make(
    phone: Phone, client: TestClient, login: Login, session: Session, scene: Scene
) -> None:
    incidents = f"{scene.api}/incidents"
    xml = fill(phone.form("incident"), values(phone, photo="crater.jpg"))
    answer = phone.submit(xml, {"crater.jpg": PHOTO_JPEG})
    assert answer.status_code == 201, answer.text
    assert answer.headers["X-OpenRosa-Version"] == "1.0"
    message = etree.fromstring(answer.content).find(f"{RESPONSE}message")
    assert message is not None
    assert message.get("nature") == "submit_success"

    row = submission(session, instance_id_of(xml))
    [incident_id] = row.record_ids
    by_phone = client.get(f"{incidents}/{incident_id}", headers=login("verifier-ru")).json()
    # The same report through the API: the phone's fields, its classification included (the mission's default
    # applies to neither, so the two agree whatever that default is).
    start = scene.moment(10, 15, day=scene.shifted(date(2020, 11, 20)))
    same = point_feature(*scene.at(46.75, 39.85), type="explosion", subtype="mortar", start=start,
                         source="post", means="heard", counts={"impacts": 3}, classification="mission",
                         narrative="Three impacts north of the post.",
                         casualties={"injured": {"civilian": 1}})  # fmt: skip
    created = client.post(incidents, json=same, headers=login("monitor-ru")).json()
    by_api = client.get(f"{incidents}/{created['id']}", headers=login("verifier-ru")).json()
    differing = {"id", "reported_at", "author_delegation"}
    assert {k: v for k, v in by_phone["properties"].items() if k not in differing} == {
        k: v for k, v in by_api["properties"].items() if k not in differing
    }
    assert by_phone["geometry"] == by_api["geometry"]
    # The phone's time is kept, not the upload time.
    utc = datetime.fromisoformat(start).astimezone(UTC).isoformat()
    assert by_phone["properties"]["start"] == utc
    assert row.observed_at is not None
    assert row.observed_at.isoformat() == utc

    evidence = client.get(f"{incidents}/{incident_id}/evidence", headers=login("verifier-ru")).json()
    assert [(e["filename"], e["media_type"], e["uploaded_by"]) for e in evidence] == [
        ("crater.jpg", "image/jpeg", phone.username)
    ]
    assert [c["action"] for c in evidence[0]["custody"]] == ["upload"]
    mine = select(LogEntry.action).where(LogEntry.actor == phone.username).order_by(LogEntry.idx)
    actions = session.execute(mine).scalars()
    assert list(actions) == ["incident.create", "evidence.add", "custody.upload", "submission.receive"]


def test_an_incident_placed_by_bearing_from_a_post(phone: Phone, session: Session) -> None:
    post = session.execute(select(Site).where(Site.kind == "post").order_by(Site.id).limit(1)).scalar_one()
    bearing = values(phone, placed_by="bearing", observer_site=str(post.id), bearing_deg="90", distance_km="2.5")
    bearing.pop("location")
    xml = fill(phone.form("incident"), bearing)
    assert phone.submit(xml).status_code == 201
    incident = session.get(Incident, submission(session, instance_id_of(xml)).record_ids[0])
    assert incident is not None
    assert (incident.observer_site_id, incident.bearing_deg, incident.distance_km) == (post.id, 90.0, 2.5)
    assert incident.lon > post.min_lon


def test_a_retry_is_one_record_and_adds_only_new_files(phone: Phone, session: Session) -> None:
    xml = fill(phone.form("incident"), values(phone, photo="a.jpg", audio="b.amr"))
    assert phone.submit(xml).status_code == 201
    row = submission(session, instance_id_of(xml))
    assert row.attachments == []
    again = phone.submit(xml, {"a.jpg": PHOTO_JPEG, "b.amr": b"#!AMR\n" + b"\x01" * 50})
    assert again.status_code == 201
    assert "Already received" in again.text
    third = phone.submit(xml, {"a.jpg": PHOTO_JPEG})
    assert third.status_code == 201
    session.refresh(row)
    assert [a["name"] for a in row.attachments] == ["a.jpg", "b.amr"]
    assert (
        count(session, Evidence)
        == session.scalar(select(func.count()).select_from(Evidence).where(Evidence.incident_id != row.record_ids[0]))
        + 2
    )
    assert session.scalar(select(func.count()).select_from(Submission)) == 1


def test_the_same_instance_id_with_other_content_is_409(phone: Phone, session: Session) -> None:
    form = phone.form("incident")
    xml = fill(form, values(phone), instance_id="uuid:11111111-1111-4111-8111-111111111111")
    assert phone.submit(xml).status_code == 201
    incidents = count(session, Incident)
    changed = fill(form, values(phone, narrative="Different."), instance_id="uuid:11111111-1111-4111-8111-111111111111")
    answer = phone.submit(changed)
    assert answer.status_code == 409
    assert "different content" in answer.text
    assert count(session, Incident) == incidents


def test_an_edit_is_a_new_version_of_the_same_incident(phone: Phone, session: Session) -> None:
    form = phone.form("incident")
    first = fill(form, values(phone))
    assert phone.submit(first).status_code == 201
    [incident_id] = submission(session, instance_id_of(first)).record_ids
    edit = fill(form, values(phone, subtype="artillery", **{"counts/impacts": "5"}),
                deprecated_id=instance_id_of(first))  # fmt: skip
    assert phone.submit(edit).status_code == 201
    assert submission(session, instance_id_of(edit)).record_ids == [incident_id]
    incident = session.get(Incident, incident_id)
    assert incident is not None
    session.refresh(incident)
    assert (incident.subtype, incident.counts) == ("artillery", {"impacts": 5})
    history = session.execute(
        select(LogEntry.action)
        .where(LogEntry.entity_type == "incidents", LogEntry.entity_id == str(incident_id))
        .order_by(LogEntry.idx)
    ).scalars()
    assert list(history) == ["incident.create", "incident.update"]


def test_submissions_are_accepted_in_any_order(phone: Phone, session: Session) -> None:
    form = phone.form("incident")
    original = fill(form, values(phone))
    edit = fill(form, values(phone, subtype="rocket"), deprecated_id=instance_id_of(original))
    assert phone.submit(edit).status_code == 201
    assert phone.submit(original).status_code == 201
    late = submission(session, instance_id_of(original))
    assert late.superseded
    assert late.record_ids == submission(session, instance_id_of(edit)).record_ids
    incident = session.get(Incident, late.record_ids[0])
    assert incident is not None
    assert incident.subtype == "rocket"


def test_a_checkpoint_count_becomes_movements(phone: Phone, session: Session, scene: Scene) -> None:
    checkpoint = session.execute(select(Site).where(Site.code == scene.checkpoint)).scalar_one()
    crossings = [
        {"direction": "incoming", "kind": "return", "individuals": "120", "families": "30", "transport_mode": "bus"},
        {"direction": "outgoing", "kind": "humanitarian", "individuals": "4", "vehicles": "2"},
    ]
    xml = fill(phone.form("checkpoint"), {"checkpoint": str(checkpoint.id), "on_date": str(scene.day)},
               {"crossing": crossings})  # fmt: skip
    answer = phone.submit(xml)
    assert answer.status_code == 201, answer.text
    ids = submission(session, instance_id_of(xml)).record_ids
    movements = [session.get(Movement, i) for i in ids]
    assert [(m.direction, m.kind, m.individuals, m.site_id) for m in movements if m] == [
        ("incoming", "return", 120, checkpoint.id), ("outgoing", "humanitarian", 4, checkpoint.id)
    ]  # fmt: skip


def checkpoint_count(phone: Phone, session: Session, crossings: list[dict[str, str]], **meta: str) -> bytes:
    scene = SCENES[phone.slug]
    checkpoint = session.execute(select(Site).where(Site.code == scene.checkpoint)).scalar_one()
    return fill(phone.form("checkpoint"), {"checkpoint": str(checkpoint.id), "on_date": str(scene.day)},
                {"crossing": crossings}, **meta)  # fmt: skip


def test_an_edited_checkpoint_count_corrects_its_movements_and_adds_new_crossings(
    phone: Phone, session: Session
) -> None:
    first = {"direction": "incoming", "kind": "return", "individuals": "120"}
    xml = checkpoint_count(phone, session, [first, {"direction": "outgoing", "kind": "other", "individuals": "4"}])
    assert phone.submit(xml).status_code == 201
    ids = submission(session, instance_id_of(xml)).record_ids
    crossings = [{**first, "individuals": "125"}, {"direction": "outgoing", "kind": "humanitarian", "individuals": "4"},
                 {"direction": "incoming", "kind": "commercial", "individuals": "2", "vehicles": "3"}]  # fmt: skip
    edit = checkpoint_count(phone, session, crossings, deprecated_id=instance_id_of(xml))
    answer = phone.submit(edit)
    assert answer.status_code == 201, answer.text
    edited = submission(session, instance_id_of(edit)).record_ids
    assert edited[:2] == ids
    assert len(edited) == 3
    movements = [session.get(Movement, i) for i in edited]
    for movement in movements:
        assert movement is not None
        session.refresh(movement)
    assert [(m.kind, m.individuals, m.vehicles) for m in movements if m] == [
        ("return", 125, None), ("humanitarian", 4, None), ("commercial", 2, 3)
    ]  # fmt: skip
    history = session.execute(
        select(LogEntry.action).where(LogEntry.entity_type == "movements", LogEntry.entity_id == str(ids[0]))
        .order_by(LogEntry.idx)
    ).scalars()  # fmt: skip
    assert list(history) == ["movement.create", "movement.update"]


def test_an_edit_that_drops_a_crossing_is_refused_and_changes_nothing(phone: Phone, session: Session) -> None:
    crossings = [{"direction": "incoming", "kind": "return", "individuals": "120"},
                 {"direction": "outgoing", "kind": "other", "individuals": "4"}]  # fmt: skip
    xml = checkpoint_count(phone, session, crossings)
    assert phone.submit(xml).status_code == 201
    before = (count(session, Movement), count(session, Submission), count(session, LogEntry))
    edit = checkpoint_count(phone, session, [{**crossings[0], "individuals": "99"}], deprecated_id=instance_id_of(xml))
    refused = phone.submit(edit)
    assert refused.status_code == 409
    assert "keep every crossing" in refused.text
    assert (count(session, Movement), count(session, Submission), count(session, LogEntry)) == before
    movement = session.get(Movement, submission(session, instance_id_of(xml)).record_ids[0])
    assert movement is not None
    session.refresh(movement)
    assert movement.individuals == 120


def test_a_field_the_services_refuse_is_a_clear_error_and_nothing_is_stored(phone: Phone, session: Session) -> None:
    before = (count(session, Incident), count(session, Submission), count(session, LogEntry))
    xml = fill(phone.form("incident"), values(phone, subtype="sniper"))
    answer = phone.submit(xml)
    assert answer.status_code == 422
    assert "subtype of explosion must be one of" in answer.text
    bad_point = fill(phone.form("incident"), values(phone, location="99 46.7"))
    assert "out of range" in phone.submit(bad_point).text
    assert (count(session, Incident), count(session, Submission), count(session, LogEntry)) == before


def test_on_sqlite_earlier_versions_are_found_through_indexes(tmp_path: Path) -> None:
    """Each submission looks up its instance and any edit of it; neither may walk the form's submissions.

    SQLite's planner only: with an OR it walked every submission of the form (PostgreSQL plans by statistics).
    """
    db = fresh_database("sqlite", tmp_path)
    try:
        with db.session(write=False) as session:
            compiled = RELATED_IDS.compile(dialect=db.engine.dialect)
            values = {"mission": 1, "form": "truce-nk-2020-incident", "instance": "uuid:1"}
            arguments = tuple(values[name] for name in compiled.positiontup or ())
            plan = session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + compiled.string, arguments).all()
    finally:
        db.dispose()
    assert [row[3] for row in plan if row[3].startswith(("SEARCH", "SCAN"))] == [
        "SEARCH submissions USING COVERING INDEX sqlite_autoindex_submissions_1 (mission_id=? AND form_id=? AND "
        "instance_id=?)",
        "SEARCH submissions USING INDEX ix_submissions_deprecated_id (deprecated_id=?)",
    ]
