"""The patrol form: on a planned patrol, its geotrace and Collect's location audit become tracks, and each
restriction met becomes a restriction record, through the same services (logged, classified, access-checked)."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mission_examples import Scene
from openrosa.collect import Phone, fill
from patrol_support import along, moved, on_route, patrol_body, started
from support import Login
from truce.config import Settings
from truce.evidence import store
from truce.ledger.models import LogEntry
from truce.openrosa.models import Submission
from truce.patrols.models import Patrol, Track
from truce.patrols.points import unpack
from truce.places.models import Site
from truce.restrictions.models import Restriction

AUDIT = (Path(__file__).parent / "samples" / "patrol_audit.csv").read_bytes()
AUDIT_POINTS = 21  # the sample's distinct positions, in the order of its events
DAY_MS = 86_400_000


def audit_in(scene: Scene) -> bytes:
    """The sample audit log (Collect's, on the demo's route on 20 November 2020) as recorded on the scene's route
    on the matching day: its positions moved along the route (`on_route`), its times by whole days."""
    days = (started(scene) - started()).days
    lines = AUDIT.decode().split("\n")
    for number, line in enumerate(lines[1:], start=1):
        fields = line.split(",", 7)
        if len(fields) < 8:
            continue
        for at in (2, 3):
            fields[at] = str(int(fields[at]) + days * DAY_MS) if fields[at] else ""
        if fields[4]:
            lon, lat = on_route(scene, float(fields[5]), float(fields[4]))
            fields[4], fields[5] = f"{lat:.7f}", f"{lon:.7f}"
        lines[number] = ",".join(fields)
    return "\n".join(lines).encode()


def count(session: Session, model: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def counts(session: Session) -> tuple[int, ...]:
    return tuple(count(session, m) for m in (Track, Restriction, Submission, LogEntry))


def instance_id_of(xml: bytes) -> str:
    return str(etree.fromstring(xml).findtext(".//{*}instanceID"))


def plan(client: TestClient, login: Login, scene: Scene, account: str = "monitor-ru", **properties: Any) -> int:
    answer = client.post(f"{scene.api}/patrols", json=patrol_body(scene, **properties), headers=login(account))
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def geotrace(scene: Scene, metres: list[float]) -> str:
    """An ODK geotrace along the planned route: "lat lon altitude accuracy" per point."""
    return ";".join(f"{lat:.7f} {lon:.7f} 1200 5" for lon, lat in (along(m, scene=scene) for m in metres))


def report(
    scene: Scene, patrol_id: int | None, restrictions: list[dict[str, str]] | None = None, **values: str
) -> dict[str, Any]:
    """A patrol report on the demo's 20 November (or the matching day), its times and `values` moved there."""
    departed = "2020-11-20T08:00:00.000+00:00"
    filled = {"departed": departed, "route": geotrace(scene, [0, 5_000, 10_000, 19_000]), **values}
    if patrol_id is not None:
        filled["patrol"] = str(patrol_id)
    return {"values": moved(scene, filled), "repeats": {"restriction": restrictions or []}}


def denial(scene: Scene, **overrides: str) -> dict[str, str]:
    """A denial met 9 km along the route, at a checkpoint of the az side (or its counterpart)."""
    lon, lat = along(9_000, scene=scene)
    row = {
        "category": "denial", "kind": "checkpoint", "met_at": "2020-11-20T09:10:00.000+00:00",
        "ended_at": "2020-11-20T09:55:00.000+00:00", "placed_by": "gps", "location": f"{lat:.6f} {lon:.6f} 1200 8",
        "controlled_by": scene.delegation("az"), "reason_given": "No order from the commander.",
        "liaison_informed_at": "2020-11-20T09:15:00.000+00:00", "centre_informed_at": "2020-11-20T09:20:00.000+00:00",
        "answer": "Passage granted after the centre's call.", "answered_at": "2020-11-20T09:50:00.000+00:00",
        "resolved_at": "2020-11-20T09:55:00.000+00:00", "narrative": "Stopped at the barrier for 45 minutes.",
    }  # fmt: skip
    return dict(moved(scene, {**row, **overrides}))


def submit(phone: Phone, body: dict[str, Any], files: dict[str, bytes] | None = None, **kwargs: Any) -> Any:
    xml = fill(phone.form("patrol"), body["values"], body["repeats"], **kwargs)
    return xml, phone.submit(xml, files or {})


def with_audit(body: dict[str, Any]) -> dict[str, Any]:
    # As Collect fills it: meta/audit names the attachment sent with the instance.
    return {**body, "values": {**body["values"], "meta/audit": "audit.csv"}}


def test_the_form_offers_the_planned_patrols_and_parties_and_asks_for_the_location_audit(
    phone: Phone, client: TestClient, login: Login, scene: Scene
) -> None:
    patrol_id = plan(client, login, scene)
    form = phone.form("patrol").decode()
    assert 'odk:location-priority="high-accuracy"' in form
    assert 'nodeset="/data/meta/audit"' in form
    files = {}
    for name in ("patrols.csv", "parties.csv", "restriction_sites.csv"):
        answer = phone.get(f"{phone.base}/forms/{phone.form_id('patrol')}/media/{name}")
        assert answer.status_code == 200, answer.text
        files[name] = answer.text
    assert f"\n{patrol_id},Corridor patrol 1 ({started(scene):%Y-%m-%d %H:%M})\n" in files["patrols.csv"]
    sides = {scene.delegation("am"), scene.delegation("az")}
    assert sides <= {line.split(",")[0] for line in files["parties.csv"].splitlines()[1:]}
    assert len(files["restriction_sites.csv"].splitlines()) > 1


def test_a_report_with_the_location_audit_stores_a_timed_and_an_untimed_track_and_the_restrictions(
    phone: Phone, client: TestClient, login: Login, session: Session, settings: Settings, scene: Scene
) -> None:
    patrol_id = plan(client, login, scene)
    patrols = f"{scene.api}/patrols"
    checkpoint = session.scalars(select(Site).where(Site.code == scene.checkpoint)).one()
    at_site = denial(scene, category="delay", placed_by="site", site=str(checkpoint.id), controlled_by="",
                     met_at="2020-11-20T10:00:00.000+00:00", ended_at="2020-11-20T10:20:00.000+00:00")  # fmt: skip
    for name in ("location", "liaison_informed_at", "centre_informed_at", "answered_at", "resolved_at"):
        del at_site[name]
    audit = audit_in(scene)
    body = with_audit(report(scene, patrol_id, [denial(scene), at_site]))
    xml, answer = submit(phone, body, {"audit.csv": audit})
    assert answer.status_code == 201, answer.text

    found = client.get(f"{patrols}/{patrol_id}/track", headers=login("monitor-ru")).json()
    assert len(found["features"]) == 2
    geotrace_track, audit_track = session.scalars(select(Track).where(Track.patrol_id == patrol_id).order_by(Track.id))
    assert (geotrace_track.source, geotrace_track.timed, geotrace_track.point_count) == ("odk_geotrace", False, 4)
    assert (audit_track.source, audit_track.timed, audit_track.point_count) == ("odk_audit", True, AUDIT_POINTS)
    assert audit_track.first_time is not None
    assert audit_track.first_time.isoformat().startswith((started(scene) + timedelta(seconds=0.5)).isoformat()[:21])
    points = unpack(audit_track.points)
    assert list(points.accuracy[:3]) == [4.0, 5.0, 6.0]
    assert audit_track.filename == "audit.csv"
    assert audit_track.file_sha256 is not None
    assert audit_track.file_sha256 == hashlib.sha256(audit).hexdigest()
    assert audit_track.file_sha256 in set(store.iter_hashes(settings.data_dir))

    # The timed track gives durations; the deviation is computed as for a GPX track.
    deviations = client.get(f"{patrols}/{patrol_id}/deviations", headers=login("monitor-ru"))
    assert deviations.status_code == 200, deviations.text
    compared = deviations.json()["tracks"]
    assert [(t["timed"], t["segments"]) for t in compared] == [(False, []), (True, [])]
    assert compared[1]["outside_min"] == 0.0

    row = session.execute(select(Submission).where(Submission.instance_id == instance_id_of(xml))).scalar_one()
    assert row.record_kind == "patrol"
    assert row.attachments == [{"name": "audit.csv", "sha256": audit_track.file_sha256}]
    first, second = (session.get(Restriction, i) for i in row.record_ids)
    assert first is not None
    assert second is not None
    assert (first.category, first.kind, first.controlled_by, first.patrol_id) == (
        "denial", "checkpoint", scene.delegation("az"), patrol_id)  # fmt: skip
    assert first.reason_given == "No order from the commander."
    assert first.answer == "Passage granted after the centre's call."
    assert first.centre_informed_at is not None
    assert first.resolved_at is not None
    assert (second.category, second.site_id, second.status) == ("delay", checkpoint.id, "reported")
    assert (second.lon, second.lat) != (first.lon, first.lat)  # placed at the checkpoint
    api = client.get(f"{scene.api}/restrictions/{first.id}", headers=login("verifier-tr")).json()
    assert api["properties"]["duration_min"] == 45.0
    assert api["properties"]["response_min"] == 30.0

    actions = session.scalars(select(LogEntry.action).order_by(LogEntry.idx.desc()).limit(8)).all()
    # Each track updates the patrol: the geotrace completes it, the audit's times give its start and end.
    assert sorted(actions[:7]) == sorted(
        ["submission.receive", "restriction.create", "restriction.create", "patrol.track", "patrol.track",
         "patrol.update", "patrol.update"]
    )  # fmt: skip
    patrol = session.get(Patrol, patrol_id)
    assert patrol is not None
    session.refresh(patrol)
    assert (patrol.status, patrol.started_at, patrol.ended_at) == (
        "completed",
        audit_track.first_time,
        audit_track.last_time,
    )


def test_a_geotrace_alone_is_stored_untimed(
    phone: Phone, client: TestClient, login: Login, session: Session, scene: Scene
) -> None:
    patrol_id = plan(client, login, scene)
    _, answer = submit(phone, report(scene, patrol_id))
    assert answer.status_code == 201, answer.text
    tracks = session.scalars(select(Track).where(Track.patrol_id == patrol_id)).all()
    assert [(t.source, t.timed, t.first_time) for t in tracks] == [("odk_geotrace", False, None)]


def test_an_audit_log_sent_with_a_retry_is_added_once(
    phone: Phone, client: TestClient, login: Login, session: Session, scene: Scene
) -> None:
    patrol_id = plan(client, login, scene)
    xml = fill(phone.form("patrol"), *with_audit(report(scene, patrol_id)).values())
    audit = audit_in(scene)
    assert phone.submit(xml).status_code == 201  # Collect sent the instance first, the large file after
    assert phone.submit(xml, {"audit.csv": audit}).status_code == 201
    assert phone.submit(xml, {"audit.csv": audit}).status_code == 201
    sources = session.scalars(select(Track.source).where(Track.patrol_id == patrol_id).order_by(Track.id)).all()
    assert sources == ["odk_geotrace", "odk_audit"]


def test_a_report_on_no_planned_patrol_keeps_its_route_and_files_its_restrictions(
    phone: Phone, session: Session, scene: Scene
) -> None:
    before = count(session, Track)
    xml, answer = submit(phone, report(scene, None, [denial(scene)]))
    assert answer.status_code == 201, answer.text
    row = session.execute(select(Submission).where(Submission.instance_id == instance_id_of(xml))).scalar_one()
    assert row.route is not None
    assert len(row.route["coordinates"]) == 4
    restriction = session.get(Restriction, row.record_ids[0])
    assert restriction is not None
    assert restriction.patrol_id is None
    assert count(session, Track) == before


BAD_AUDITS = {
    "not UTF-8": (b"event,node,start,end,latitude,longitude,accuracy\n\xff\xfe,,1,,39,46,5\n", "not UTF-8"),
    "no location columns": (b"event,node,start,end\nform start,,1605859200000,\n", "no column latitude"),
    "start not in milliseconds": (
        b"event,node,start,end,latitude,longitude,accuracy\nquestion,/data/a,soon,,39.55,46.40,5\n"
        b"question,/data/b,1605859300000,,39.56,46.41,5\n",
        "line 2: start 'soon' is not a whole number of milliseconds",
    ),
    "off the globe": (
        b"event,node,start,end,latitude,longitude,accuracy\nquestion,/data/a,1605859200000,,39.55,46.40,5\n"
        b"question,/data/b,1605859300000,,95.0,46.41,5\n",
        "point 2: latitude 95.0 is off the globe",
    ),
    "time going backwards": (
        b"event,node,start,end,latitude,longitude,accuracy\nquestion,/data/a,1605859300000,,39.55,46.40,5\n"
        b"question,/data/b,1605859200000,,39.56,46.41,5\n",
        "times must not go backwards",
    ),
    "a broken line": (
        b'event,node,start,end,latitude,longitude,accuracy\nquestion,"/data/a,1605859200000,,39.55,46.40,5\n',
        "meta/audit",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_AUDITS))
def test_a_bad_audit_log_is_refused_with_its_line_and_nothing_is_stored(
    name: str, phone: Phone, client: TestClient, login: Login, session: Session, scene: Scene
) -> None:
    content, message = BAD_AUDITS[name]
    patrol_id = plan(client, login, scene)
    before = counts(session)
    _, answer = submit(phone, with_audit(report(scene, patrol_id, [denial(scene)])), {"audit.csv": content})
    assert answer.status_code == 422, answer.text
    assert "meta/audit" in answer.text
    assert message in answer.text
    assert counts(session) == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (lambda s, pid: report(s, pid, route="39.55 46.40 0 0"), "route: a route needs 2 to"),
        (lambda s, pid: report(s, pid, route="39.55 46.40;95 46.5"), "route: latitude 95.0 or longitude 46.5 is out"),
        (lambda s, pid: report(s, 987654), "patrol: patrol not found"),
        (lambda s, pid: report(s, pid, [denial(s, ended_at="2020-11-20T08:00:00.000+00:00")]), "end is before start"),
        (lambda s, pid: report(s, pid, [denial(s, category="blocked")]), "restriction[1]/category"),
        (lambda s, pid: report(s, pid, [denial(s, controlled_by="nobody")]), "no party 'nobody'"),
        (lambda s, pid: report(s, pid, [denial(s, placed_by="site", location="")]), "restriction[1]/site: is required"),
    ],
)
def test_a_bad_report_is_a_clear_error_and_nothing_is_stored(
    body: Any, message: str, phone: Phone, client: TestClient, login: Login, session: Session, scene: Scene
) -> None:
    patrol_id = plan(client, login, scene)
    before = counts(session)
    _, answer = submit(phone, body(scene, patrol_id))
    assert answer.status_code == 422, answer.text
    assert message in answer.text
    assert counts(session) == before


def test_a_patrol_the_phone_may_not_see_is_refused(
    phone: Phone, client: TestClient, login: Login, session: Session, scene: Scene
) -> None:
    # Restricted to the Turkish delegation (or its counterpart): the phone of the Russian delegation (or of its
    # counterpart) neither sees it nor reports on it.
    other = [scene.delegation("tr")]
    hidden = plan(client, login, scene, "verifier-tr", classification="restricted", restricted_to=other,
                  delegations=other)  # fmt: skip
    assert f"\n{hidden}," not in phone.get(f"{phone.base}/forms/{phone.form_id('patrol')}/media/patrols.csv").text
    before = counts(session)
    _, answer = submit(phone, report(scene, hidden))
    assert answer.status_code == 422, answer.text
    assert "patrol: patrol not found" in answer.text
    assert counts(session) == before


def test_an_edited_patrol_report_is_refused(
    phone: Phone, client: TestClient, login: Login, session: Session, scene: Scene
) -> None:
    patrol_id = plan(client, login, scene)
    first, answer = submit(phone, report(scene, patrol_id, [denial(scene)]))
    assert answer.status_code == 201
    before = counts(session)
    _, edit = submit(phone, report(scene, patrol_id, [denial(scene, kind="threat")]),
                     deprecated_id=instance_id_of(first))  # fmt: skip
    assert edit.status_code == 409
    assert "cannot be edited" in edit.text
    assert counts(session) == before
