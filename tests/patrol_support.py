"""Bodies for the tests of freedom of movement: a route and tracks that follow or leave it, GPX files, restrictions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from truce.incidents.derive import GEOD

# The Goris - Stepanakert/Khankendi road's first stretch, illustrative: a straight route of 20 km heading east.
START_LON, START_LAT, HEADING = 46.40, 39.55, 80.0
ROUTE_KM = 20.0
STARTED = datetime(2020, 11, 20, 8, 0, tzinfo=UTC)


def route(km: float = ROUTE_KM) -> list[list[float]]:
    """The planned route's vertices, one every 500 m."""
    lons, lats = [START_LON], [START_LAT]
    lon, lat, heading = START_LON, START_LAT, HEADING
    for _ in range(int(km * 2)):
        lon, lat, back = GEOD.fwd(lon, lat, heading, 500.0)
        heading = (back + 180.0) % 360.0
        lons.append(lon)
        lats.append(lat)
    return [[round(x, 7), round(y, 7)] for x, y in zip(lons, lats, strict=True)]


def along(metres: float, offset_m: float = 0.0) -> tuple[float, float]:
    """The point `metres` along the route and `offset_m` to its right."""
    vertices = route()
    index = min(int(metres // 500.0), len(vertices) - 1)
    lon, lat = vertices[index]
    heading = HEADING
    if index + 1 < len(vertices):
        heading, _, _ = GEOD.inv(lon, lat, *vertices[index + 1])
    lon, lat, _ = GEOD.fwd(lon, lat, heading, metres - index * 500.0)
    if offset_m:
        lon, lat, _ = GEOD.fwd(lon, lat, heading + 90.0, offset_m)
    return lon, lat


def track_points(
    minutes: float = 40.0, offset: Callable[[float], float] = lambda _: 0.0, every_s: float = 10.0, speed: float = 8.0
) -> list[tuple[float, float, datetime]]:
    """Points along the route at `speed` m/s, `offset(seconds)` metres to its right."""
    points = []
    seconds = 0.0
    while seconds <= minutes * 60.0:
        lon, lat = along(seconds * speed, offset(seconds))
        points.append((lon, lat, STARTED + timedelta(seconds=seconds)))
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


def patrol_body(**properties: Any) -> dict[str, Any]:
    """A planned patrol along `route()`, on 20 November 2020 from 08:00 to 12:00 UTC."""
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": route()},
        "properties": {
            "name": "Corridor patrol 1",
            "team": "Team Alpha",
            "delegations": ["ru"],
            "vehicles": ["APC 101", "UAZ 12"],
            "planned_start": "2020-11-20T08:00:00+00:00",
            "planned_end": "2020-11-20T12:00:00+00:00",
            "notifications": [
                {
                    "party": "am",
                    "notified_at": "2020-11-19T18:00:00+00:00",
                    "acknowledged_at": "2020-11-19T19:30:00+00:00",
                },
                {"party": "az", "notified_at": "2020-11-19T18:00:00+00:00"},
            ],
            **properties,
        },
    }


def restriction_body(geometry: dict[str, Any] | None = None, **properties: Any) -> dict[str, Any]:
    return {
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


def flight_body(**properties: Any) -> dict[str, Any]:
    ring = [[46.55, 39.60], [46.70, 39.60], [46.70, 39.70], [46.55, 39.70], [46.55, 39.60]]
    return {
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
