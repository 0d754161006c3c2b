"""How a track compares with its plan: where it left the buffer around the route, which places it reached.

Distances to the route are measured in an azimuthal equidistant projection centred on the route (pyproj), which
is exact from its centre and within 0.1% for a patrol's few hundred kilometres; the figures reported (how far,
how long a way) are then measured again on the ellipsoid with the mission's Geod, as derive.py measures incidents.
Everything is vectorised with numpy and Shapely: 100,000 points take a fraction of a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import shapely
import shapely.ops
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from truce.incidents.derive import geod
from truce.patrols.points import Floats, Points, at

if TYPE_CHECKING:
    from pyproj import Transformer


@dataclass(frozen=True)
class Segment:
    """One stretch of track outside the buffer: where and when it left and came back, how far and how long."""

    first_point: int  # index of the first point outside
    last_point: int  # index of the last point outside
    left_at: datetime | None
    back_at: datetime | None
    duration_min: float | None
    distance_km: float  # the farthest the track went from the route
    length_km: float  # the way travelled outside the buffer
    farthest: tuple[float, float]  # lon, lat of the farthest point
    left: tuple[float, float]
    back: tuple[float, float]


@dataclass(frozen=True)
class Place:
    """A place the patrol planned to reach, and whether and for how long it did."""

    site_id: int
    name: str
    lon: float
    lat: float
    reached: bool
    closest_km: float
    arrived_at: datetime | None
    left_at: datetime | None
    minutes: float | None  # time spent within the buffer of the place


@dataclass(frozen=True)
class Deviation:
    """A track against its plan."""

    buffer_m: float
    length_km: float
    timed: bool
    segments: list[Segment]
    places: list[Place]

    @property
    def outside_km(self) -> float:
        return sum(s.length_km for s in self.segments)

    @property
    def outside_min(self) -> float | None:
        if not self.timed:
            return None
        return sum(s.duration_min or 0.0 for s in self.segments)


def compare(route: BaseGeometry, buffer_m: float, points: Points,
            places: list[tuple[int, str, float, float]], length_m: float | None = None) -> Deviation:  # fmt: skip
    """The deviation of `points` from `route` (lon/lat) given a buffer in metres and the places to reach.

    `length_m`: the track's geodesic length when known (a stored track keeps it); otherwise it is measured. Only the
    steps of the segments outside the buffer are measured then: every step's geodesic cost a third of the time.
    """
    projection = _projection(route)
    x, y = projection.transform(points.lon, points.lat)
    flat_route = shapely.transform(route, lambda xy: np.column_stack(projection.transform(xy[:, 0], xy[:, 1])))
    offsets = _offsets(flat_route, buffer_m, x, y)
    segments = [_segment(points, offsets, buffer_m, first, last, flat_route, projection, x, y)
                for first, last in _runs(offsets > buffer_m)]  # fmt: skip
    reached = [_place(points, x, y, projection, buffer_m, *place) for place in places]
    length = float(step_lengths(points).sum()) if length_m is None else length_m
    return Deviation(buffer_m, length / 1000.0, points.timed, segments, reached)


def step_lengths(points: Points, first: int = 0, last: int | None = None) -> Floats:
    """The geodesic length in metres of each step between consecutive points (of points first to last)."""
    end = len(points) if last is None else last + 1
    if end - first < 2:
        return np.zeros(0)
    lon, lat = points.lon[first:end], points.lat[first:end]
    _, _, lengths = geod().inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    return np.asarray(lengths, dtype=np.float64)


def _offsets(flat_route: BaseGeometry, buffer_m: float, x: Floats, y: Floats) -> Floats:
    """Each point's distance from the route where it may exceed the buffer (and beside those); 0 elsewhere.

    The distance of every point to a long route cost 3 s for 100,000 points. The buffer as a polygon lies wholly
    inside the true buffer (its arcs are chords), so a point inside the polygon is inside the buffer and needs no
    distance: only the others, and their neighbours (where the track crossed the edge), are measured.
    """
    area = flat_route.buffer(buffer_m, quad_segs=16)
    shapely.prepare(area)
    outside = ~shapely.contains_xy(area, x, y)
    measured = outside.copy()
    measured[1:] |= outside[:-1]
    measured[:-1] |= outside[1:]
    offsets = np.zeros(len(x))
    chosen = np.flatnonzero(measured)
    if len(chosen):
        shapely.prepare(flat_route)
        offsets[chosen] = shapely.distance(shapely.points(x[chosen], y[chosen]), flat_route)
    return offsets


def _projection(route: BaseGeometry) -> Transformer:
    from pyproj import Transformer  # loaded when a track is measured, not in every process that starts the app

    centre = route.centroid
    aeqd = f"+proj=aeqd +lat_0={centre.y} +lon_0={centre.x} +datum=WGS84 +units=m +no_defs"
    return Transformer.from_crs("EPSG:4326", aeqd, always_xy=True)


def _runs(outside: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """(first, last) indices of each run of consecutive True values."""
    padded = np.concatenate(([False], outside, [False])).astype(np.int8)
    edges = np.diff(padded)
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


def _crossing(offsets: Floats, inside: int, outside: int, buffer_m: float) -> float:
    """Where, as a fraction of the step from point `inside` to point `outside`, the track crossed the buffer."""
    near, far = float(offsets[inside]), float(offsets[outside])
    return min(max((buffer_m - near) / (far - near), 0.0), 1.0) if far > near else 0.0


def _segment(points: Points, offsets: Floats, buffer_m: float, first: int, last: int,
             flat_route: BaseGeometry, projection: Transformer, x: Floats, y: Floats) -> Segment:  # fmt: skip
    n = len(points)
    # The steps wholly outside, and the parts of the steps that crossed the buffer on the way out and back:
    # steps[k] is the step from point lo + k to the next.
    lo = max(first - 1, 0)
    steps = step_lengths(points, lo, min(last + 1, n - 1))
    length = float(steps[first - lo : last - lo].sum())
    left_fraction = back_fraction = 0.0
    if first > 0:
        left_fraction = 1.0 - _crossing(offsets, first - 1, first, buffer_m)
        length += steps[first - 1 - lo] * left_fraction
    if last < n - 1:
        back_fraction = 1.0 - _crossing(offsets, last + 1, last, buffer_m)
        length += steps[last - lo] * back_fraction
    left_time = _interpolate(points.time, first, first - 1, left_fraction) if first > 0 else points.time[first]
    back_time = _interpolate(points.time, last, last + 1, back_fraction) if last < n - 1 else points.time[last]
    duration = (back_time - left_time) / 60.0 if points.timed else None
    farthest = first + int(np.argmax(offsets[first : last + 1]))
    distance = _distance_to_route(float(x[farthest]), float(y[farthest]), flat_route, projection, points, farthest)
    left = _position(points, first, first - 1, left_fraction) if first > 0 else _at(points, first)
    back = _position(points, last, last + 1, back_fraction) if last < n - 1 else _at(points, last)
    return Segment(
        first_point=first,
        last_point=last,
        left_at=at(float(left_time)),
        back_at=at(float(back_time)),
        duration_min=None if duration is None else float(duration),
        distance_km=distance / 1000.0,
        length_km=length / 1000.0,
        farthest=_at(points, farthest),
        left=left,
        back=back,
    )


def _interpolate(values: Floats, outside: int, inside: int, fraction: float) -> float:
    """The value `fraction` of the way back from point `outside` towards point `inside` (the buffer's edge)."""
    return float(values[outside] + (values[inside] - values[outside]) * fraction)


def _position(points: Points, outside: int, inside: int, fraction: float) -> tuple[float, float]:
    return (_interpolate(points.lon, outside, inside, fraction), _interpolate(points.lat, outside, inside, fraction))


def _at(points: Points, index: int) -> tuple[float, float]:
    return (float(points.lon[index]), float(points.lat[index]))


def _distance_to_route(px: float, py: float, flat_route: BaseGeometry, projection: Transformer, points: Points,
                       index: int) -> float:  # fmt: skip
    """The geodesic distance in metres from point `index` to the nearest point of the route."""
    nearest = shapely.ops.nearest_points(flat_route, shapely.Point(px, py))[0]
    lon, lat = projection.transform(nearest.x, nearest.y, direction="INVERSE")
    _, _, metres = geod().inv(float(points.lon[index]), float(points.lat[index]), lon, lat)
    return float(metres)


def _place(points: Points, x: Floats, y: Floats, projection: Transformer, buffer_m: float, site_id: int, name: str,
           lon: float, lat: float) -> Place:  # fmt: skip
    px, py = projection.transform(lon, lat)
    within = np.hypot(x - px, y - py) <= buffer_m
    closest = int(np.argmin(np.hypot(x - px, y - py)))
    _, _, metres = geod().inv(float(points.lon[closest]), float(points.lat[closest]), lon, lat)
    reached = bool(within.any())
    arrived = left = minutes = None
    if reached and points.timed:
        inside = np.flatnonzero(within)
        arrived, left = at(float(points.time[inside[0]])), at(float(points.time[inside[-1]]))
        # Time between consecutive points both within the place's buffer.
        both = within[:-1] & within[1:]
        minutes = float(np.diff(points.time)[both].sum()) / 60.0
    return Place(site_id, name, lon, lat, reached, float(metres) / 1000.0, arrived, left, minutes)
