"""Where an incident lies on the mission's map: its zone, nearest site, distance to the line of contact."""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import shapely
import shapely.ops
from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Integer, bindparam, select
from sqlalchemy.orm import Session

from truce import driver
from truce.missions.models import Mission, Party
from truce.places.models import Area, Line, PlaceVersion, Site

if TYPE_CHECKING:
    from pyproj import Geod


@functools.cache
def geod() -> Geod:
    """Distances and bearings on WGS84. pyproj loads on first use, not in every process that starts the app."""
    from pyproj import Geod

    return Geod(ellps="WGS84")


# Per process: each one compares the version in the database, so a change made by another process shows too.
_cache: dict[int, tuple[int, MapIndex]] = {}


@dataclass(frozen=True)
class Derived:
    """What the map says about one position."""

    zone_id: int | None
    controlled_by: str | None
    nearest_site_id: int | None
    nearest_site_km: float | None
    line_of_contact_km: float | None
    in_corridor: bool


@dataclass(frozen=True)
class Zone:
    area_id: int
    controlled_by: str | None
    shape: BaseGeometry
    valid_from: date | None
    valid_until: date | None

    def holds(self, point: Point, on: date) -> bool:
        if (self.valid_from and on < self.valid_from) or (self.valid_until and on > self.valid_until):
            return False
        return bool(self.shape.contains(point))


class MapIndex:
    """The mission's zones, corridors, line of contact and sites, indexed for repeated look-ups."""

    def __init__(self, zones: list[Zone], corridors: list[BaseGeometry], lines: list[BaseGeometry],
                 sites: list[tuple[int, float, float]], latitude: float) -> None:  # fmt: skip
        self.zones = zones
        self.corridors = corridors
        # Distances are searched in a plane scaled so that a degree of longitude is as long as one of latitude.
        self.scale = math.cos(math.radians(latitude))
        self.lines = [self._flat(line) for line in lines]
        # The mission's area: the box around its zones, corridors and line of contact (not its far settlements).
        outline = [z.shape for z in zones] + corridors + lines
        self.extent = shapely.GeometryCollection(outline).bounds if outline else None
        self.site_ids = [site_id for site_id, _, _ in sites]
        self.site_points = [(lon, lat) for _, lon, lat in sites]
        flat_sites = [Point(lon * self.scale, lat) for _, lon, lat in sites]
        self.site_tree = STRtree(flat_sites) if flat_sites else None
        for geometry in [z.shape for z in zones] + corridors:
            shapely.prepare(geometry)

    def _flat(self, geometry: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geometry, lambda xy: xy * [self.scale, 1.0])

    def derive(self, lon: float, lat: float, when: datetime) -> Derived:
        """The derived facts of a position at a time."""
        point = Point(lon, lat)
        zone = next((z for z in self.zones if z.holds(point, when.date())), None)
        site_id, site_km = self._nearest_site(lon, lat)
        return Derived(
            zone_id=zone.area_id if zone else None,
            controlled_by=zone.controlled_by if zone else None,
            nearest_site_id=site_id,
            nearest_site_km=site_km,
            line_of_contact_km=self._line_km(lon, lat),
            in_corridor=any(c.contains(point) for c in self.corridors),
        )

    def km_outside(self, lon: float, lat: float) -> float:
        """How far a position lies outside the box of the mission's area; 0 inside it, or with no area at all."""
        if self.extent is None:
            return 0.0
        min_lon, min_lat, max_lon, max_lat = self.extent
        near_lon, near_lat = min(max(lon, min_lon), max_lon), min(max(lat, min_lat), max_lat)
        return 0.0 if (near_lon, near_lat) == (lon, lat) else km_between(lon, lat, near_lon, near_lat)

    def _nearest_site(self, lon: float, lat: float) -> tuple[int | None, float | None]:
        if self.site_tree is None:
            return None, None
        index = int(self.site_tree.nearest(Point(lon * self.scale, lat)))
        site_lon, site_lat = self.site_points[index]
        return self.site_ids[index], km_between(lon, lat, site_lon, site_lat)

    def _line_km(self, lon: float, lat: float) -> float | None:
        if not self.lines:
            return None
        flat = Point(lon * self.scale, lat)
        nearest = min((shapely.ops.nearest_points(line, flat)[0] for line in self.lines), key=flat.distance)
        return km_between(lon, lat, nearest.x / self.scale, nearest.y)


def km_between(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """The geodesic distance in kilometres, rounded to metres."""
    _, _, metres = geod().inv(lon1, lat1, lon2, lat2)
    return round(float(metres) / 1000, 3)


def from_observer(lon: float, lat: float, bearing_deg: float, distance_km: float) -> tuple[float, float]:
    """The point `distance_km` from an observer along `bearing_deg` (degrees from true north)."""
    end_lon, end_lat, _ = geod().fwd(lon, lat, bearing_deg, distance_km * 1000)
    return round(float(end_lon), 6), round(float(end_lat), 6)


def map_index(session: Session, mission: Mission) -> MapIndex:
    """The mission's map index, rebuilt only when its places changed."""
    version = _place_version(session, mission)
    cached = _cache.get(mission.id)
    if cached is not None and cached[0] == version:
        return cached[1]
    index = _build(session, mission)
    _cache[mission.id] = (version, index)
    return index


def _place_version(session: Session, mission: Mission) -> int:
    # Read before every filing transaction: on the DB-API cursor, as Core's execute cost more than the query.
    row = _STATEMENTS.fetchone(session.connection(), "version", {"version_mission_id": mission.id})
    return 0 if row is None else int(row[0])


_STATEMENTS = driver.Statements(
    lambda dialect: {
        "version": driver.Prepared(
            select(PlaceVersion.version).where(
                PlaceVersion.mission_id == bindparam("version_mission_id", type_=Integer)
            ),
            dialect,
            raw_results=True,
        )
    }
)


def _build(session: Session, mission: Mission) -> MapIndex:
    rows = session.execute(select(Party.id, Party.code).where(Party.mission_id == mission.id))
    parties = {party_id: code for party_id, code in rows}
    areas = session.execute(select(Area).where(Area.mission_id == mission.id)).scalars().all()
    zones = [
        Zone(a.id, parties.get(a.controlled_by_id or 0), shape(json.loads(a.geometry)), a.valid_from, a.valid_until)
        for a in areas
        if a.kind == "zone_of_control"
    ]
    corridors = [shape(json.loads(a.geometry)) for a in areas if a.kind == "corridor"]
    lines = [
        shape(json.loads(g))
        for g in session.execute(
            select(Line.geometry).where(Line.mission_id == mission.id, Line.kind == "line_of_contact")
        ).scalars()
    ]
    # Restricted sites stay out, so that a derived "nearest site" never reveals one.
    sites = list(
        session.execute(
            select(Site.id, Site.min_lon, Site.min_lat).where(
                Site.mission_id == mission.id, Site.classification != "restricted"
            )
        ).tuples()
    )
    latitude = sum(lat for _, _, lat in sites) / len(sites) if sites else 0.0
    return MapIndex(zones, corridors, lines, sites, latitude)
