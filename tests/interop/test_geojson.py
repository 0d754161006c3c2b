"""GeoJSON: incidents out as a FeatureCollection that parses, hiding places the reader may not see;
areas, lines and sites in through the places service, bad features reported by index."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mission_examples import Scene
from support import point_feature
from truce.errors import Invalid, Unauthorized
from truce.incidents.models import Incident
from truce.interop.importer import ImportReport, import_file
from truce.ledger import service as ledger
from truce.missions.models import Mission
from truce.places import presenters as place_presenters
from truce.places import service as places_service
from truce.places.models import Area, Line, Site
from truce.places.schemas import SiteIn
from truce.policy import Actor

Export = Callable[[str, Actor], str]
FileIncident = Callable[..., Incident]


def features(text: str) -> dict[int, dict[str, Any]]:
    collection = json.loads(text)
    assert collection["type"] == "FeatureCollection"
    return {feature["id"]: feature for feature in collection["features"]}


def test_the_export_parses_and_holds_the_public_incidents(
    session: Session, mission: Mission, export: Export, restricted: Incident
) -> None:
    exported = features(export("geojson", Actor.anonymous(mission.id)))
    public = session.execute(
        select(Incident.id).where(Incident.mission_id == mission.id, Incident.classification == "public")
    ).scalars()
    assert set(exported) == set(public)
    for feature in exported.values():
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "Point"
        assert feature["properties"]["classification"] == "public"
        assert "restricted_to" not in feature["properties"]
    assert restricted.id not in exported


def test_a_member_sees_more(session: Session, mission: Mission, export: Export, member: Callable[[str], Actor]) -> None:
    public = features(export("geojson", Actor.anonymous(mission.id)))
    analyst = features(export("geojson", member("analyst-ru")))
    total = session.scalar(select(func.count()).where(Incident.mission_id == mission.id))
    assert len(analyst) == total > len(public)


def test_a_hidden_post_is_never_pointed_at(
    session: Session,
    mission: Mission,
    export: Export,
    member: Callable[[str], Actor],
    file_incident: FileIncident,
    scene: Scene,
) -> None:
    post = places_service.create_site(
        session, mission,
        SiteIn.model_validate(
            point_feature(*scene.at(46.801, 39.901), name="Hidden post", kind="post", classification="mission")
        ),
        actor=Actor.system(mission.id),
    )  # fmt: skip
    seen = file_incident(member("monitor-ru"), observer_site=post.id, bearing_deg=10.0, distance_km=0.2)
    assert seen.nearest_site_id == post.id
    public = features(export("geojson", Actor.anonymous(mission.id)))[seen.id]["properties"]
    assert (public["observer_site"], public["bearing_deg"], public["distance_km"]) == (None, None, None)
    assert (public["nearest_site"], public["nearest_site_name"], public["nearest_site_km"]) == (None, None, None)
    staff = features(export("geojson", member("analyst-ru")))[seen.id]["properties"]
    assert (staff["observer_site"], staff["nearest_site_name"]) == (post.id, "Hidden post")
    assert staff["bearing_deg"] == 10.0


# --- importing places --------------------------------------------------------------------------


def collection(*items: Any) -> io.BytesIO:
    return io.BytesIO(json.dumps({"type": "FeatureCollection", "features": list(items)}).encode())


def polygon(name: str, **properties: Any) -> dict[str, Any]:
    ring = [[46.60, 39.70], [46.65, 39.70], [46.65, 39.75], [46.60, 39.70]]
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
            "properties": {"name": name, "kind": "buffer_zone", **properties}}  # fmt: skip


def run_import(session: Session, mission: Mission, data: io.BytesIO, actor: Actor | None = None) -> ImportReport:
    return import_file(session, mission, data, "map.geojson", "geojson", actor=actor or Actor.system(mission.id))


def moved(scene: Scene, value: Any) -> Any:
    """`value` with each [lon, lat] of the demo's region moved to the scene's mission (Scene.at)."""
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, float) for v in value):
        return list(scene.at(*value))
    if isinstance(value, list):
        return [moved(scene, item) for item in value]
    if isinstance(value, dict):
        return {key: moved(scene, item) for key, item in value.items()}
    return value


def test_areas_lines_and_sites_go_in_and_bad_features_are_reported_by_index(
    session: Session, mission: Mission, scene: Scene
) -> None:
    bow_tie = [[46.6, 39.7], [46.7, 39.8], [46.7, 39.7], [46.6, 39.8], [46.6, 39.7]]
    items = moved(scene, [
        polygon("Imported buffer", controlled_by=scene.delegation("ru")),
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[46.6, 39.8], [46.7, 39.9]]},
         "properties": {"name": "Imported road", "kind": "road"}},
        point_feature(46.72, 39.81, name="Imported checkpoint", kind="checkpoint", place="site", id=99),
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [bow_tie]},
         "properties": {"name": "Bow tie", "kind": "buffer_zone"}},
        point_feature(46.72, 139.81, name="Off the globe", kind="post"),
        point_feature(46.72, 39.81, name="A well", kind="well"),
        polygon("Unknown party", controlled_by="xx"),
        point_feature(46.72, 39.81, name="Odd", place="volcano"),
        "not even a feature",
        {"type": "Feature", "geometry": {"type": "MultiPoint", "coordinates": [[46.7, 39.8]]}, "properties": {}},
    ])  # fmt: skip
    report = run_import(session, mission, collection(*items))
    assert report.created == 3
    reasons = {problem.where: problem.reason for problem in report.problems}
    assert list(reasons) == [f"features[{n}]" for n in range(3, 10)]
    assert reasons["features[3]"].startswith("geometry: invalid geometry: Self-intersection")
    assert f"latitude {items[4]['geometry']['coordinates'][1]} is out of range" in reasons["features[4]"]
    assert reasons["features[5]"].startswith("kind: Input should be")
    assert "xx" in reasons["features[6]"]
    assert "volcano" in reasons["features[7]"]
    assert "not a GeoJSON Feature" in reasons["features[8]"]
    assert "MultiPoint" in reasons["features[9]"]
    for model, name in ((Area, "Imported buffer"), (Line, "Imported road"), (Site, "Imported checkpoint")):
        assert session.execute(select(model).where(model.name == name)).scalar_one().mission_id == mission.id


def test_importing_places_twice_changes_nothing(session: Session, mission: Mission) -> None:
    first = run_import(session, mission, collection(polygon("Twice")))
    assert first.created == 1
    log_size = ledger.size(session)
    again = run_import(session, mission, collection(polygon("Twice")))
    assert (again.created, again.unchanged) == (0, 1)
    assert ledger.size(session) == log_size


def test_the_api_s_own_collections_import_as_they_are(session: Session, mission: Mission) -> None:
    sites = places_service.list_places(session, Site, mission, actor=Actor.system(mission.id), kind="settlement")
    exported = place_presenters.feature_collection(session, mission, sites)
    report = run_import(session, mission, io.BytesIO(json.dumps(exported).encode()))
    assert (report.created, report.unchanged, report.problems) == (0, len(sites), [])


def test_only_administrators_import_places(session: Session, mission: Mission, member: Callable[[str], Actor]) -> None:
    with pytest.raises(Unauthorized):
        run_import(session, mission, collection(polygon("Nope")), Actor.anonymous(mission.id))
    report = run_import(session, mission, collection(polygon("By the admin")), member("admin"))
    assert report.created == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"type": "FeatureCollection", "features": [', "line 1 column 44: Expecting value"),
        (b'{"type": "Feature"}', "not a GeoJSON FeatureCollection"),
        (b'{"type": "FeatureCollection", "features": {}}', "is not a list"),
        (b'{"type": "FeatureCollection",\n "features": ["caf\xe9"]}', "line 2 is not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_a_file_that_is_not_a_feature_collection(session: Session, mission: Mission, data: bytes, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        run_import(session, mission, io.BytesIO(data))
