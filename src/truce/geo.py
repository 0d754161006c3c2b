"""GeoJSON in and out, validation with precise messages, and the spatial index on each backend.

This is the only live module that knows how SQLite (R*Tree) and PostGIS (GiST) index geometry; the migrations
that built those indexes carry their own frozen copy of the DDL.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shapely import validation
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    UnaryExpression,
    and_,
    column,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators, visitors
from sqlalchemy.sql.expression import ColumnClause

from truce import limits
from truce.errors import Invalid, Message

GEOMETRY_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")
POINTS = ("Point",)
LINES = ("LineString", "MultiLineString")
POLYGONS = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class BBox:
    """A bounding box in WGS84 degrees; it never crosses the antimeridian."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def as_list(self) -> list[float]:
        return [self.min_lon, self.min_lat, self.max_lon, self.max_lat]


def parse_bbox(text: str) -> BBox:
    """Read `minlon,minlat,maxlon,maxlat` as a query gives it."""
    parts = text.split(",")
    if len(parts) != 4:
        raise Invalid(Message("expected four numbers: minlon,minlat,maxlon,maxlat"), "bbox")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise Invalid(Message("not all of %(text)r are numbers", text=text), "bbox") from None
    if not all(math.isfinite(v) for v in values):
        raise Invalid(Message("numbers must be finite"), "bbox")
    box = BBox(*values)
    for lon in (box.min_lon, box.max_lon):
        _check_range(lon, -180, 180, "longitude", "bbox")
    for lat in (box.min_lat, box.max_lat):
        _check_range(lat, -90, 90, "latitude", "bbox")
    if box.min_lon > box.max_lon or box.min_lat > box.max_lat:
        raise Invalid(Message("minimum exceeds maximum (boxes across the antimeridian are not supported)"), "bbox")
    return box


def parse_geometry(value: Any, allowed: Sequence[str], field: str = "geometry") -> BaseGeometry:
    """Validate a GeoJSON geometry object (RFC 7946) and return it as a Shapely geometry."""
    if not isinstance(value, dict):
        raise Invalid(Message("must be a GeoJSON geometry object"), field)
    kind = value.get("type")
    if kind not in GEOMETRY_TYPES:
        raise Invalid(
            Message("type must be one of %(choices)s, not %(kind)r", choices=", ".join(GEOMETRY_TYPES), kind=kind),
            f"{field}.type",
        )
    if kind not in allowed:
        raise Invalid(
            Message("a %(kind)s is not allowed here; expected %(allowed)s", kind=kind, allowed=" or ".join(allowed)),
            f"{field}.type",
        )
    coordinates = value.get("coordinates")
    if not isinstance(coordinates, list):
        raise Invalid(Message("must be an array"), f"{field}.coordinates")
    _check_size(kind, coordinates, f"{field}.coordinates")
    _check_coordinates(kind, coordinates, f"{field}.coordinates")
    geometry = shape({"type": kind, "coordinates": coordinates})
    if not geometry.is_valid:
        raise Invalid(Message("invalid geometry: %(why)s", why=validation.explain_validity(geometry)), field)
    return geometry


def _check_size(kind: str, coordinates: list[Any], where: str) -> None:
    """Refuse a geometry over the bounds of limits.py from list lengths alone, before walking its positions."""
    if kind.startswith("Multi") and len(coordinates) > limits.MAX_PARTS:
        raise Invalid(
            Message(
                "%(count)s parts; at most %(most)s are accepted",
                count=f"{len(coordinates):,}",
                most=f"{limits.MAX_PARTS:,}",
            ),
            where,
        )
    if kind in ("Point", "MultiPoint", "LineString"):
        vertices = len(coordinates) if kind != "Point" else 1
    else:
        polygons = coordinates if kind == "MultiPolygon" else [coordinates] if kind == "Polygon" else []
        for polygon in polygons:
            if isinstance(polygon, list) and len(polygon) > limits.MAX_RINGS:
                raise Invalid(
                    Message(
                        "a polygon of %(count)s rings; at most %(most)s are accepted",
                        count=f"{len(polygon):,}",
                        most=f"{limits.MAX_RINGS:,}",
                    ),
                    where,
                )
        lines = coordinates if kind == "MultiLineString" else [r for p in polygons if isinstance(p, list) for r in p]
        vertices = sum(len(line) for line in lines if isinstance(line, list))
    if vertices > limits.MAX_VERTICES:
        raise Invalid(
            Message(
                "%(count)s positions; at most %(most)s are accepted (simplify the geometry)",
                count=f"{vertices:,}",
                most=f"{limits.MAX_VERTICES:,}",
            ),
            where,
        )


def _check_coordinates(kind: str, coordinates: list[Any], where: str) -> None:
    depth = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}
    _walk(coordinates, depth[kind], where, kind)


def _walk(node: Any, depth: int, where: str, kind: str) -> None:
    if depth == 0:
        _check_position(node, where)
        return
    if not isinstance(node, list) or not node:
        raise Invalid(Message("must be a non-empty array"), where)
    for i, child in enumerate(node):
        _walk(child, depth - 1, f"{where}[{i}]", kind)
    if depth == 1 and kind in LINES and len(node) < 2:
        raise Invalid(Message("a line needs at least two positions"), where)
    if depth == 1 and kind in POLYGONS:
        _check_ring(node, where)


def _check_ring(ring: list[list[float]], where: str) -> None:
    if len(ring) < 4:
        raise Invalid(Message("a polygon ring needs at least four positions, the last equal to the first"), where)
    if ring[0][:2] != ring[-1][:2]:
        raise Invalid(
            Message(
                "the ring is not closed: it starts at %(first)s and ends at %(last)s",
                first=str(ring[0]),
                last=str(ring[-1]),
            ),
            where,
        )


def _check_position(position: Any, where: str) -> None:
    if not isinstance(position, list) or len(position) not in (2, 3):
        raise Invalid(Message("a position must be [longitude, latitude] or [longitude, latitude, altitude]"), where)
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in position):
        raise Invalid(Message("a position must hold numbers only"), where)
    if not all(math.isfinite(v) for v in position):
        raise Invalid(Message("a position must hold finite numbers"), where)
    lon, lat = position[0], position[1]
    if abs(lat) > 90 and abs(lon) <= 90:
        raise Invalid(
            Message(
                "latitude %(lat)s is out of range [-90, 90]; longitude and latitude look swapped "
                "(GeoJSON gives [longitude, latitude])",
                lat=lat,
            ),
            where,
        )
    _check_range(lon, -180, 180, "longitude", where)
    _check_range(lat, -90, 90, "latitude", where)


OUT_OF_RANGE = {
    "longitude": Message("longitude %(value)s is out of range [%(low)s, %(high)s]").msgid,
    "latitude": Message("latitude %(value)s is out of range [%(low)s, %(high)s]").msgid,
}


def _check_range(value: float, low: float, high: float, name: str, where: str) -> None:
    if not low <= value <= high:
        raise Invalid(Message(OUT_OF_RANGE[name], value=value, low=low, high=high), where)


def swapped_hint(geometry: BaseGeometry, expected: BBox) -> str | None:
    """A hint when a geometry lies outside the mission's area but would lie inside it swapped."""
    x, y = geometry.centroid.x, geometry.centroid.y
    inside = expected.min_lon <= x <= expected.max_lon and expected.min_lat <= y <= expected.max_lat
    swapped = expected.min_lon <= y <= expected.max_lon and expected.min_lat <= x <= expected.max_lat
    if not inside and swapped:
        return "longitude and latitude look swapped (GeoJSON gives [longitude, latitude])"
    return None


def to_geojson(geometry: BaseGeometry) -> dict[str, Any]:
    """A Shapely geometry as a GeoJSON geometry object with plain lists."""
    result: dict[str, Any] = json.loads(json.dumps(geometry.__geo_interface__))
    return result


def dumps(geometry: BaseGeometry) -> str:
    """The GeoJSON text stored for a geometry."""
    return json.dumps(to_geojson(geometry), separators=(",", ":"))


def bounds(geometry: BaseGeometry) -> BBox:
    """The geometry's bounding box."""
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    return BBox(min_lon, min_lat, max_lon, max_lat)


# --- the spatial index -------------------------------------------------------------------------


def rtree_name(table_name: str) -> str:
    return f"{table_name}_rtree"


def is_index_object(name: str | None) -> bool:
    """Whether a table or column name belongs to the spatial index rather than to the models."""
    if name is None:
        return False
    # spatial_ref_sys is PostGIS's own table; ix_<table>_geom and ix_<table>_start_geom its GiST indexes.
    return name in ("geom", "spatial_ref_sys") or "_rtree" in name or name.endswith("_geom")


def _rtree_candidates(table_name: str, box: BBox) -> Select[tuple[int]]:
    rtree = table(
        rtree_name(table_name),
        column("id", Integer),
        column("min_lon", Float),
        column("max_lon", Float),
        column("min_lat", Float),
        column("max_lat", Float),
    )
    # The R*Tree keeps 32-bit floats rounded outwards, so the exact test on the row still runs.
    return select(rtree.c.id).where(
        rtree.c.max_lon >= box.min_lon,
        rtree.c.min_lon <= box.max_lon,
        rtree.c.max_lat >= box.min_lat,
        rtree.c.min_lat <= box.max_lat,
    )


def box_test(model: Any, box: BBox) -> ColumnElement[bool]:
    """Rows of `model` whose bounding box meets `box`, tested on each row's own columns (no index)."""
    return and_(
        model.max_lon >= box.min_lon,
        model.min_lon <= box.max_lon,
        model.max_lat >= box.min_lat,
        model.min_lat <= box.max_lat,
    )


def bbox_clause(dialect: str, model: Any, box: BBox) -> ColumnElement[bool]:
    """Rows of `model` whose bounding box meets `box`, found through the spatial index."""
    exact = box_test(model, box)
    table_name = model.__tablename__
    if dialect == "sqlite":
        candidates = _rtree_candidates(table_name, box)
        return and_(model.id.in_(candidates), exact)
    envelope = func.ST_MakeEnvelope(box.min_lon, box.min_lat, box.max_lon, box.max_lat, 4326)
    return and_(literal_column(f"{table_name}.geom").op("&&")(envelope), exact)


def unindexed(dialect: str, clause: ColumnElement[bool], columns: Sequence[Any]) -> ColumnElement[bool]:
    """`clause` with each of `columns` written `+column`, which SQLite's planner cannot answer from an index.

    For a query that also has a `bbox_clause`: without statistics, SQLite takes `mission_id = ?` for a
    rare value and walks `ix_<table>_mission_start` newest first, testing every row against the R*Tree's
    id list (43 ms for a box and a month out of a million incidents). With every indexed column the clause
    compares wrapped, the R*Tree's candidates are the only way in (20 ms). Unary `+` changes no value here:
    it only drops the column's affinity, and the parameters are bound with the column's own type.
    PostgreSQL plans by statistics, so there the clause is returned as it is.
    """
    if dialect != "sqlite":
        return clause
    # ORM attributes put annotated copies of their columns into a clause; compare the plain columns.
    wanted = {id(c.expression._deannotate()) for c in columns}

    def replace(element: Any, **_: Any) -> Any:
        if not isinstance(element, ColumnClause) or id(element._deannotate()) not in wanted:
            return None
        return UnaryExpression(element, operator=operators.custom_op("+"), type_=element.type)

    return visitors.replacement_traverse(clause, {}, replace)


def box_holds_more(session: Session, model: Any, box: BBox, count: int) -> bool:
    """Whether SQLite's R*Tree for `model` has `count` or more entries meeting `box` (False elsewhere).

    It reads at most `count` index entries, and no rows.
    """
    if session.get_bind().dialect.name != "sqlite":
        return False
    hits = _rtree_candidates(model.__tablename__, box).limit(count).subquery()
    return (session.scalar(select(func.count()).select_from(hits)) or 0) >= count
