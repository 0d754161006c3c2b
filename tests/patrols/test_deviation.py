"""The deviation of a track from its planned route, as property-based tests (issue 20, part 3)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString

from truce.incidents.derive import geod
from truce.patrols import deviation
from truce.patrols.points import Points

STEP_S = 10.0  # a point every ten seconds
SPEED_MS = 8.0  # about 30 km/h
START = 1_605_859_200.0  # 2020-11-20T08:00:00Z


def route_from(
    lon: float, lat: float, azimuth: float, km: float
) -> tuple[LineString, list[tuple[float, float, float]]]:
    """A route along a geodesic, with a vertex every 500 m, and each vertex's forward azimuth."""
    vertices: list[tuple[float, float, float]] = []
    here_lon, here_lat, heading = lon, lat, azimuth
    for _ in range(int(km * 2) + 1):
        vertices.append((here_lon, here_lat, heading))
        here_lon, here_lat, back = geod().fwd(here_lon, here_lat, heading, 500.0)
        heading = (back + 180.0) % 360.0
    return LineString([(v[0], v[1]) for v in vertices]), vertices


def along(vertices: list[tuple[float, float, float]], metres: float, offset_m: float) -> tuple[float, float]:
    """The point `metres` along the route, `offset_m` to its right."""
    index = min(int(metres // 500.0), len(vertices) - 1)
    lon, lat, heading = vertices[index]
    lon, lat, _ = geod().fwd(lon, lat, heading, metres - index * 500.0)
    if offset_m:
        lon, lat, _ = geod().fwd(lon, lat, heading + 90.0, offset_m)
    return lon, lat


def track(vertices: list[tuple[float, float, float]], offset: callable, seconds: float) -> Points:  # type: ignore[valid-type]
    """A track along the route at SPEED_MS for `seconds`, `offset(t)` metres to the right at time t."""
    times = np.arange(0.0, seconds + STEP_S, STEP_S)
    positions = [along(vertices, t * SPEED_MS, offset(t)) for t in times]
    lon = np.array([p[0] for p in positions])
    lat = np.array([p[1] for p in positions])
    return Points(lon=lon, lat=lat, time=times + START, accuracy=np.full(len(times), np.nan))


places = st.tuples(
    st.floats(min_value=-179.0, max_value=179.0),
    st.floats(min_value=-60.0, max_value=60.0),
    st.floats(min_value=0.0, max_value=359.9),
)


@settings(max_examples=40, deadline=None)
@given(place=places, leave_after_min=st.floats(min_value=5.0, max_value=30.0))
def test_two_kilometres_for_twenty_minutes_is_one_segment(
    place: tuple[float, float, float], leave_after_min: float
) -> None:
    lon, lat, azimuth = place
    route, vertices = route_from(lon, lat, azimuth, 40.0)
    leave, back = leave_after_min * 60.0, (leave_after_min + 20.0) * 60.0
    points = track(vertices, lambda t: 2000.0 if leave <= t < back else 0.0, 70 * 60.0)
    found = deviation.compare(route, 200.0, points, [])
    assert len(found.segments) == 1
    segment = found.segments[0]
    assert segment.distance_km == pytest.approx(2.0, rel=0.05)
    assert segment.duration_min == pytest.approx(20.0, abs=1.0)
    # Out (1.8 km beyond the buffer), 20 minutes alongside the route, back.
    assert segment.length_km == pytest.approx(2 * 1.8 + 20 * 60 * SPEED_MS / 1000.0, rel=0.05)


@settings(max_examples=40, deadline=None)
@given(
    place=places,
    wobble_m=st.floats(min_value=0.0, max_value=190.0),
    period_min=st.floats(min_value=1.0, max_value=30.0),
)
def test_a_track_inside_the_buffer_has_no_segment(
    place: tuple[float, float, float], wobble_m: float, period_min: float
) -> None:
    lon, lat, azimuth = place
    route, vertices = route_from(lon, lat, azimuth, 30.0)
    points = track(vertices, lambda t: wobble_m * math.sin(2 * math.pi * t / (period_min * 60.0)), 60 * 60.0)
    found = deviation.compare(route, 200.0, points, [])
    assert found.segments == []
    assert found.length_km >= 60 * 60 * SPEED_MS / 1000.0 * 0.99  # a wobbling track is only longer


def test_places_reached_and_time_spent_there() -> None:
    route, vertices = route_from(46.75, 39.82, 30.0, 20.0)
    # The patrol stops for ten minutes 5 km along the route.
    stop_start, stop_end = 5000.0 / SPEED_MS, 5000.0 / SPEED_MS + 600.0

    def metres(t: float) -> float:
        return t * SPEED_MS if t < stop_start else 5000.0 if t < stop_end else (t - 600.0) * SPEED_MS

    times = np.arange(0.0, 1800.0 + STEP_S, STEP_S)
    positions = [along(vertices, metres(t), 0.0) for t in times]
    points = Points(np.array([p[0] for p in positions]), np.array([p[1] for p in positions]), times + START,
                    np.full(len(times), np.nan))  # fmt: skip
    checkpoint = along(vertices, 5000.0, 0.0)
    far_away = along(vertices, 5000.0, 5000.0)
    found = deviation.compare(route, 200.0, points, [(1, "Checkpoint", *checkpoint), (2, "Village", *far_away)])
    stop, missed = found.places
    assert stop.reached
    assert stop.closest_km < 0.01
    # Ten minutes stopped, plus the 400 m driven within 200 m of it on the way in and out.
    assert stop.minutes == pytest.approx(10.0 + 400.0 / SPEED_MS / 60.0, abs=0.5)
    assert not missed.reached
    assert missed.closest_km == pytest.approx(5.0, rel=0.02)
    assert missed.minutes is None


def test_an_untimed_track_has_distances_but_no_durations() -> None:
    route, vertices = route_from(46.75, 39.82, 30.0, 20.0)
    points = track(vertices, lambda t: 1000.0 if 300 <= t < 600 else 0.0, 1800.0)
    untimed = Points(points.lon, points.lat, np.full(len(points), np.nan), points.accuracy)
    found = deviation.compare(route, 200.0, untimed, [])
    assert len(found.segments) == 1
    assert found.segments[0].duration_min is None
    assert found.segments[0].left_at is None
    assert found.segments[0].distance_km == pytest.approx(1.0, rel=0.05)
    assert found.outside_min is None


def test_a_track_starting_outside_counts_from_its_first_point() -> None:
    route, vertices = route_from(46.75, 39.82, 30.0, 20.0)
    points = track(vertices, lambda t: 1500.0 if t < 300 else 0.0, 1200.0)
    (segment,) = deviation.compare(route, 200.0, points, []).segments
    assert segment.first_point == 0
    assert segment.duration_min == pytest.approx(5.0, abs=0.5)
