"""Patrols through the API: the plan, a GPX track, its deviation, and bad files refused with nothing stored."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mission_examples import Scene
from patrol_support import gpx, patrol_body, started, track_points
from support import Login
from truce.config import Settings
from truce.evidence import store
from truce.ledger.models import LogEntry
from truce.patrols.models import Track


def plan(
    client: TestClient, login: Login, scene: Scene, account: str = "monitor-ru", **properties: Any
) -> dict[str, Any]:
    answer = client.post(f"{scene.api}/patrols", json=patrol_body(scene, **properties), headers=login(account))
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def upload(client: TestClient, login: Login, scene: Scene, patrol_id: int, content: bytes) -> Any:
    files = {"file": ("patrol.gpx", content, "application/gpx+xml")}
    return client.post(f"{scene.api}/patrols/{patrol_id}/track", files=files, headers=login("monitor-ru"))


def stored_files(settings: Settings) -> list[str]:
    return list(store.iter_hashes(settings.data_dir)) if settings.data_dir.exists() else []


def test_plan_a_patrol(client: TestClient, login: Login, scene: Scene) -> None:
    created = plan(client, login, scene)
    assert created["geometry"]["type"] == "LineString"
    props = created["properties"]
    assert props["status"] == "planned"
    assert props["buffer_m"] == 200.0
    assert props["notifications"][0]["party"] == scene.delegation("am")
    listed = client.get(f"{scene.api}/patrols", headers=login("analyst-ru")).json()
    assert created["id"] in [f["id"] for f in listed["features"]]
    one = client.get(f"{scene.api}/patrols/{created['id']}", headers=login("verifier-tr"))
    assert one.status_code == 200
    assert one.json()["properties"]["name"] == "Corridor patrol 1"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"planned_end": "2020-11-20T07:00:00+00:00"}, "planned_end"),
        ({"delegations": ["zz"]}, "delegations"),
        ({"checkpoints": [987654]}, "checkpoints"),
        ({"notifications": [{"party": "nobody", "notified_at": "2020-11-19T18:00:00+00:00"}]}, "notifications"),
    ],
)
def test_a_bad_plan_is_refused_with_its_field(
    client: TestClient, login: Login, scene: Scene, change: dict[str, Any], field: str
) -> None:
    answer = client.post(f"{scene.api}/patrols", json=patrol_body(scene, **change), headers=login("monitor-ru"))
    assert answer.status_code == 422
    assert field in answer.text


def test_a_route_must_be_a_line(client: TestClient, login: Login, scene: Scene) -> None:
    body = patrol_body(scene)
    body["geometry"] = {"type": "Point", "coordinates": list(scene.at(46.4, 39.5))}
    answer = client.post(f"{scene.api}/patrols", json=body, headers=login("monitor-ru"))
    assert answer.status_code == 422
    assert "geometry.type" in answer.text


def test_track_and_deviation(
    client: TestClient, login: Login, session: Session, settings: Settings, scene: Scene
) -> None:
    patrol = plan(client, login, scene)
    patrols = f"{scene.api}/patrols"
    # 2 km off the route from minute 10 to minute 30.
    points = track_points(40.0, lambda s: 2000.0 if 600 <= s < 1800 else 0.0, scene=scene)
    answer = upload(client, login, scene, patrol["id"], gpx(points))
    assert answer.status_code == 201, answer.text
    track = answer.json()
    assert track["point_count"] == len(points)
    assert track["timed"] is True
    assert track["first_time"] == started(scene).isoformat()
    assert track["file_sha256"] in stored_files(settings)
    # The patrol took its times and status from the track.
    props = client.get(f"{patrols}/{patrol['id']}", headers=login("monitor-ru")).json()["properties"]
    assert props["status"] == "completed"
    assert props["started_at"] == started(scene).isoformat()
    found = client.get(f"{patrols}/{patrol['id']}/deviations", headers=login("analyst-ru")).json()
    (compared,) = found["tracks"]
    (segment,) = compared["segments"]
    assert segment["distance_km"] == pytest.approx(2.0, rel=0.05)
    assert segment["duration_min"] == pytest.approx(20.0, abs=1.0)
    drawn = client.get(f"{patrols}/{patrol['id']}/track", headers=login("analyst-ru")).json()
    assert drawn["features"][0]["geometry"]["type"] == "LineString"
    assert drawn["features"][0]["properties"]["times"][0] == started(scene).isoformat()
    # The log holds the track with its points' digest and the file's hash.
    entry = session.execute(
        select(LogEntry).where(LogEntry.entity_type == "patrol_tracks", LogEntry.entity_id == str(track["id"]))
    ).scalar_one()
    assert track["file_sha256"] in entry.data
    assert "sha256:" in entry.data


def test_an_untimed_track_is_accepted_and_marked(client: TestClient, login: Login, scene: Scene) -> None:
    patrol = plan(client, login, scene)
    points = [(lon, lat, None) for lon, lat, _ in track_points(10.0, scene=scene)]
    answer = upload(client, login, scene, patrol["id"], gpx(points, version="1.0"))
    assert answer.status_code == 201, answer.text
    assert answer.json()["timed"] is False
    assert answer.json()["first_time"] is None
    deviations = client.get(f"{scene.api}/patrols/{patrol['id']}/deviations", headers=login("monitor-ru"))
    (compared,) = deviations.json()["tracks"]
    assert compared["timed"] is False
    assert compared["segments"] == []


def _points(n: int) -> str:
    return "".join(f'<trkpt lat="39.5" lon="46.{i:04d}"><time>2020-11-20T08:{i // 60:02d}:{i % 60:02d}Z</time></trkpt>'
                   for i in range(n))  # fmt: skip


BAD_FILES = {
    "broken XML": (b'<gpx version="1.1"><trk><trkseg><trkpt lat="1" lon="2"></trkseg>', "not well-formed XML"),
    "not XML": (b"\x89PNG\r\n\x1a\n not a track", "not XML"),
    "empty": (b"", "empty"),
    "not GPX": (b'<kml xmlns="http://www.opengis.net/kml/2.2"></kml>', "not a GPX file"),
    "entity bomb": (
        b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]><gpx>&b;</gpx>',
        "DTD",
    ),
    "latitude off the globe": (
        b'<gpx><trk><trkseg><trkpt lat="39.5" lon="46.1"/><trkpt lat="95.0" lon="46.2"/></trkseg></trk></gpx>',
        "point 2: latitude 95.0 is off the globe",
    ),
    "longitude off the globe": (
        b'<gpx><trk><trkseg><trkpt lat="39.5" lon="46.1"/><trkpt lat="39.5" lon="-200"/></trkseg></trk></gpx>',
        "point 2: longitude -200.0 is off the globe",
    ),
    "times out of order": (
        b'<gpx><trk><trkseg><trkpt lat="39.5" lon="46.1"><time>2020-11-20T08:05:00Z</time></trkpt>'
        b'<trkpt lat="39.5" lon="46.2"><time>2020-11-20T08:00:00Z</time></trkpt></trkseg></trk></gpx>',
        "point 2: its time 2020-11-20T08:00:00Z is before that of point 1",
    ),
    "one point": (b'<gpx><trk><trkseg><trkpt lat="39.5" lon="46.1"/></trkseg></trk></gpx>', "at least two points"),
    "mixed times": (
        b'<gpx><trk><trkseg><trkpt lat="39.5" lon="46.1"><time>2020-11-20T08:05:00Z</time></trkpt>'
        b'<trkpt lat="39.5" lon="46.2"/></trkseg></trk></gpx>',
        "point 2: has no time, unlike the points before it",
    ),
    "bad time": (
        b'<gpx><trk><trkseg><trkpt lat="39.5" lon="46.1"><time>yesterday</time></trkpt></trkseg></trk></gpx>',
        "point 1: time 'yesterday'",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_files_are_refused_and_nothing_is_stored(
    client: TestClient, login: Login, session: Session, settings: Settings, scene: Scene, name: str
) -> None:
    patrol = plan(client, login, scene)
    content, message = BAD_FILES[name]
    entries = session.scalar(select(func.count()).select_from(LogEntry))
    tracks = session.scalar(select(func.count()).select_from(Track))
    answer = upload(client, login, scene, patrol["id"], content)
    assert answer.status_code == 422, answer.text
    assert message in answer.json()["detail"]
    assert stored_files(settings) == []
    assert session.scalar(select(func.count()).select_from(Track)) == tracks
    assert session.scalar(select(func.count()).select_from(LogEntry)) == entries


def test_too_many_points_are_refused_early(
    client: TestClient, login: Login, settings: Settings, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The bound, lowered so the test stays small; the reader stops within a batch of it.
    monkeypatch.setattr("truce.limits.MAX_TRACK_POINTS", 1_000)
    patrol = plan(client, login, scene)
    content = f"<gpx><trk><trkseg>{_points(3_000)}</trkseg></trk></gpx>".encode()
    answer = upload(client, login, scene, patrol["id"], content)
    assert answer.status_code == 422
    assert "more than 1,000 points" in answer.json()["detail"]
    assert stored_files(settings) == []


def test_an_upload_past_the_limit_is_413(client: TestClient, login: Login, app: Any, scene: Scene) -> None:
    app.state.settings = app.state.settings.model_copy(update={"max_upload_mb": 1})
    patrol = plan(client, login, scene)
    big = b"<gpx>" + b" " * (2 * 1024 * 1024) + b"</gpx>"
    assert upload(client, login, scene, patrol["id"], big).status_code == 413


def test_only_its_delegation_or_an_administrator_amends_a_plan(client: TestClient, login: Login, scene: Scene) -> None:
    patrol = plan(client, login, scene)
    changed = patrol_body(scene, status="cancelled")
    one = f"{scene.api}/patrols/{patrol['id']}"
    assert client.put(one, json=changed, headers=login("verifier-tr")).status_code == 403
    answer = client.put(one, json=changed, headers=login("verifier-ru"))
    assert answer.status_code == 200
    assert answer.json()["properties"]["status"] == "cancelled"
    # A cancelled patrol takes no track.
    assert upload(client, login, scene, patrol["id"], gpx(track_points(5.0, scene=scene))).status_code == 422
