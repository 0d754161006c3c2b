"""Bodies for the tests of freedom of movement: a route and tracks that follow or leave it, GPX files, restrictions.

Each takes the `Scene` of the mission the test runs against (the demo's by default): its positions are moved into
that mission (`Scene.at`), and its times, the demo's given or overridden, to the same hour of the matching day on
the mission's clock (`moved`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from mission_examples import DEMO_SLUG, SCENES, Scene
from truce.incidents.derive import geod

DEMO = SCENES[DEMO_SLUG]
# The Goris - Stepanakert/Khankendi road's first stretch, illustrative: a straight route of 20 km heading east.
START_LON, START_LAT, HEADING = 46.40, 39.55, 80.0
ROUTE_KM = 20.0
STARTED = datetime(2020, 11, 20, 8, 0, tzinfo=UTC)
_TIME = re.compile(r"^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d:\d\d)$")


def moved(scene: Scene, value: Any) -> Any:
    """A demo time (ISO text) in the scene's mission: its day moved as `Scene.shifted` does, its clock time kept,
    the demo's offset (+04:00) replaced by the mission's; lists and mappings are moved item by item."""
    if isinstance(value, list):
        return [moved(scene, item) for item in value]
    if isinstance(value, dict):
        return {key: moved(scene, item) for key, item in value.items()}
    found = _TIME.match(value) if isinstance(value, str) else None
    if found is None:
        return value
    offset = scene.offset_text if found[3] == DEMO.offset_text else found[3]
    return f"{scene.shifted(date.fromisoformat(found[1]))}T{found[2]}{offset}"


def started(scene: Scene = DEMO) -> datetime:
    """When the tracks begin: 08:00 UTC on the demo's 20 November, or the matching day."""
    return STARTED + timedelta(days=(scene.shifted(STARTED.date()) - STARTED.date()).days)


def route(km: float = ROUTE_KM, scene: Scene = DEMO) -> list[list[float]]:
    """The planned route's vertices, one every 500 m."""
    start_lon, start_lat = scene.at(START_LON, START_LAT)
    lons, lats = [start_lon], [start_lat]
    lon, lat, heading = start_lon, start_lat, HEADING
    for _ in range(int(km * 2)):
        lon, lat, back = geod().fwd(lon, lat, heading, 500.0)
        heading = (back + 180.0) % 360.0
        lons.append(lon)
        lats.append(lat)
    return [[round(x, 7), round(y, 7)] for x, y in zip(lons, lats, strict=True)]


def on_route(scene: Scene, lon: float, lat: float) -> tuple[float, float]:
    """A demo position near the route moved to the scene's route: the same distance and bearing from its start."""
    start = scene.at(START_LON, START_LAT)
    if start == (START_LON, START_LAT):
        return lon, lat
    bearing, _, metres = geod().inv(START_LON, START_LAT, lon, lat)
    moved_lon, moved_lat, _ = geod().fwd(*start, bearing, metres)
    return moved_lon, moved_lat


def along(metres: float, offset_m: float = 0.0, scene: Scene = DEMO) -> tuple[float, float]:
    """The point `metres` along the route and `offset_m` to its right."""
    vertices = route(scene=scene)
    index = min(int(metres // 500.0), len(vertices) - 1)
    lon, lat = vertices[index]
    heading = HEADING
    if index + 1 < len(vertices):
        heading, _, _ = geod().inv(lon, lat, *vertices[index + 1])
    lon, lat, _ = geod().fwd(lon, lat, heading, metres - index * 500.0)
    if offset_m:
        lon, lat, _ = geod().fwd(lon, lat, heading + 90.0, offset_m)
    return lon, lat


def track_points(
    minutes: float = 40.0, offset: Callable[[float], float] = lambda _: 0.0, every_s: float = 10.0, speed: float = 8.0,
    scene: Scene = DEMO,
) -> list[tuple[float, float, datetime]]:  # fmt: skip
    """Points along the route at `speed` m/s, `offset(seconds)` metres to its right."""
    points = []
    seconds = 0.0
    first = started(scene)
    while seconds <= minutes * 60.0:
        lon, lat = along(seconds * speed, offset(seconds), scene)
        points.append((lon, lat, first + timedelta(seconds=seconds)))
        seconds += every_s
    return points


def gpx(points: list[tuple[float, float, datetime | None]], *, version: str = "1.1") -> bytes:
    """A GPX file of one track segment."""
    rows = []
    for lon, lat, moment in points:
        time = f"<time>{moment.strftime('%Y-%m-%dT%H:%M:%SZ')}</time>" if moment else ""
        rows.append(f'<trkpt lat="{lat:.7f}" lon="{lon:.7f}"><ele>1200</ele>{time}</trkpt>')
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="{version}" creator="tests" '
        f'xmlns="http://www.topografix.com/GPX/{version.replace(".", "/")}"><trk><name>t</name><trkseg>\n'
        + "\n".join(rows)
        + "\n</trkseg></trk></gpx>\n"
    ).encode()


def patrol_body(scene: Scene = DEMO, **properties: Any) -> dict[str, Any]:
    """A planned patrol along `route()`, on 20 November 2020 (or the matching day) from 08:00 to 12:00 UTC, by the
    ru delegation (or its counterpart), notified to the two sides am and az (or theirs)."""
    body = {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": route(scene=scene)},
        "properties": {
            "name": "Corridor patrol 1",
            "team": "Team Alpha",
            "delegations": [scene.delegation("ru")],
            "vehicles": ["APC 101", "UAZ 12"],
            "planned_start": "2020-11-20T08:00:00+00:00",
            "planned_end": "2020-11-20T12:00:00+00:00",
            "notifications": [
                {
                    "party": scene.delegation("am"),
                    "notified_at": "2020-11-19T18:00:00+00:00",
                    "acknowledged_at": "2020-11-19T19:30:00+00:00",
                },
                {"party": scene.delegation("az"), "notified_at": "2020-11-19T18:00:00+00:00"},
            ],
            **properties,
        },
    }
    return {**body, "properties": moved(scene, body["properties"])}


def restriction_body(geometry: dict[str, Any] | None = None, scene: Scene = DEMO, **properties: Any) -> dict[str, Any]:
    """A denial at a checkpoint on 20 November 2020 (or the matching day), 09:10 to 09:55 on the mission's clock."""
    body = {
        "type": "Feature",
        "geometry": geometry,
        "properties": {
            "category": "denial",
            "kind": "checkpoint",
            "start": "2020-11-20T09:10:00+04:00",
            "end": "2020-11-20T09:55:00+04:00",
            "reason_given": "No order from the commander.",
            "liaison_informed_at": "2020-11-20T09:15:00+04:00",
            "centre_informed_at": "2020-11-20T09:20:00+04:00",
            "answer": "Passage granted after the centre's call.",
            "answered_at": "2020-11-20T09:50:00+04:00",
            **properties,
        },
    }
    return {**body, "properties": moved(scene, body["properties"])}


def flight_body(scene: Scene = DEMO, **properties: Any) -> dict[str, Any]:
    """An announced flight on 20 November 2020 (or the matching day), with two episodes of interference."""
    ring = [list(scene.at(lon, lat)) for lon, lat in
            [(46.55, 39.60), (46.70, 39.60), (46.70, 39.70), (46.55, 39.70), (46.55, 39.60)]]  # fmt: skip
    body = {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {
            "name": "Mini-UAV flight near Lachin/Berdzor",
            "aircraft": "mini-UAV",
            "announced": True,
            "announced_at": "2020-11-19T18:00:00+04:00",
            "start": "2020-11-20T10:00:00+04:00",
            "end": "2020-11-20T11:00:00+04:00",
            "episodes": [
                {"start": "2020-11-20T10:12:00+04:00", "end": "2020-11-20T10:20:00+04:00", "type": "probable_jamming"},
                {"start": "2020-11-20T10:40:00+04:00", "end": "2020-11-20T10:42:00+04:00", "type": "spoofing"},
            ],
            **properties,
        },
    }
    return {**body, "properties": moved(scene, body["properties"])}
