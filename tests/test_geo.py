"""GeoJSON validation: every malformed geometry gets a precise message."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from truce import geo
from truce.errors import Invalid


def polygon(*ring: list[float]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [list(ring)]}


@pytest.mark.parametrize(
    ("geometry", "allowed", "message"),
    [
        ({"type": "Point", "coordinates": [46.7, 39.8]}, geo.POLYGONS, "a Point is not allowed here"),
        ({"type": "Circle", "coordinates": [1, 2]}, geo.POINTS, "type must be one of"),
        ("POINT(1 2)", geo.POINTS, "must be a GeoJSON geometry object"),
        ({"type": "Point", "coordinates": [200.0, 10.0]}, geo.POINTS, "longitude 200.0 is out of range"),
        ({"type": "Point", "coordinates": [39.8, 146.7]}, geo.POINTS, "look swapped"),
        ({"type": "Point", "coordinates": [1.0]}, geo.POINTS, "a position must be"),
        ({"type": "Point", "coordinates": ["46", "39"]}, geo.POINTS, "numbers only"),
        ({"type": "Point", "coordinates": [True, 1]}, geo.POINTS, "numbers only"),
        ({"type": "Point", "coordinates": [float("nan"), 1.0]}, geo.POINTS, "finite"),
        ({"type": "LineString", "coordinates": [[1.0, 1.0]]}, geo.LINES, "at least two positions"),
        ({"type": "LineString", "coordinates": []}, geo.LINES, "non-empty array"),
        (polygon([0, 0], [1, 0], [1, 1], [0, 1]), geo.POLYGONS, "not closed"),
        (polygon([0, 0], [1, 0], [0, 0]), geo.POLYGONS, "at least four positions"),
        (polygon([0, 0], [1, 1], [1, 0], [0, 1], [0, 0]), geo.POLYGONS, "Self-intersection"),
    ],
)
def test_bad_geometry_is_named_precisely(geometry: Any, allowed: tuple[str, ...], message: str) -> None:
    with pytest.raises(Invalid, match=message):
        geo.parse_geometry(geometry, allowed)


def test_error_names_the_position_that_is_wrong() -> None:
    line = {"type": "LineString", "coordinates": [[46.0, 39.0], [46.1, 39.1], [46.2, 95.0]]}
    with pytest.raises(Invalid) as caught:
        geo.parse_geometry(line, geo.LINES)
    assert caught.value.field == "geometry.coordinates[2]"


def test_valid_polygon_round_trips() -> None:
    geometry = polygon([46.0, 39.0], [47.0, 39.0], [47.0, 40.0], [46.0, 39.0])
    parsed = geo.parse_geometry(geometry, geo.POLYGONS)
    assert geo.to_geojson(parsed) == geometry
    assert geo.bounds(parsed).as_list() == [46.0, 39.0, 47.0, 40.0]


def test_swapped_hint_against_the_mission_area() -> None:
    area = geo.BBox(45.9, 39.3, 47.4, 40.5)
    swapped = geo.parse_geometry({"type": "Point", "coordinates": [39.8, 46.7]}, geo.POINTS)
    right = geo.parse_geometry({"type": "Point", "coordinates": [46.7, 39.8]}, geo.POINTS)
    assert geo.swapped_hint(swapped, area) is not None
    assert geo.swapped_hint(right, area) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,2,3", "four numbers"),
        ("a,b,c,d", "not all"),
        ("1,2,0,3", "minimum exceeds maximum"),
        ("-181,0,0,1", "longitude -181.0"),
        ("0,-91,1,1", "latitude -91.0"),
        ("0,0,inf,1", "finite"),
    ],
)
def test_bad_bbox(text: str, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        geo.parse_bbox(text)


@given(
    lon=st.floats(min_value=-180, max_value=180),
    lat=st.floats(min_value=-90, max_value=90),
)
def test_any_point_in_range_is_accepted(lon: float, lat: float) -> None:
    parsed = geo.parse_geometry({"type": "Point", "coordinates": [lon, lat]}, geo.POINTS)
    assert (parsed.x, parsed.y) == (lon, lat)


@given(st.recursive(st.none() | st.booleans() | st.floats() | st.text(), lambda c: st.lists(c, max_size=4)))
def test_arbitrary_coordinates_never_crash(coordinates: Any) -> None:
    messages = []
    for kind in geo.GEOMETRY_TYPES:
        try:
            geo.parse_geometry({"type": kind, "coordinates": coordinates}, geo.GEOMETRY_TYPES)
        except Invalid as exc:
            messages.append(exc.detail)
    assert all(messages)
