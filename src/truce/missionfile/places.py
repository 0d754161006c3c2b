"""The places of a mission file: GeoJSON inline or in files beside it, and the checks only geometry can make."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shapely import STRtree
from shapely.geometry.base import BaseGeometry

from truce import geo
from truce.errors import Invalid, Message
from truce.missionfile.problems import MissionFileInvalid, Problem, joined, undeclared, undeclared_one
from truce.missionfile.reading import check_places_file, parse, read_text

if TYPE_CHECKING:
    from truce.missionfile.spec import PlaceSpec

ALLOWED = {"areas": geo.POLYGONS, "lines": geo.LINES, "sites": geo.POINTS}
# Two zones of control that share more than this part of the smaller one overlap; less is the rounding of a
# shared border.
OVERLAP_SHARE = 0.001


@dataclass
class Collection:
    """One kind of place of the file: its features, and where they are (`places.areas` or the file it names)."""

    where: str
    features: list[dict[str, Any]]
    source: str | None = None


def resolve(places: dict[str, Any], base: Path | None) -> tuple[dict[str, Collection], list[Problem]]:
    """Each kind's FeatureCollection, read from its file when the mission file names one."""
    found: dict[str, Collection] = {}
    problems: list[Problem] = []
    for kind, value in places.items():
        where = f"places.{kind}"
        if not isinstance(value, str):
            found[kind] = Collection(where, value["features"])
            continue
        if base is None:
            problems.append(Problem(where, Message("a file name is not accepted here; give the GeoJSON inline")))
            continue
        target = base / value
        try:
            content = parse(read_text(target), value)
        except MissionFileInvalid as exc:
            problems += [Problem(where, p.message) for p in exc.problems]
            continue
        where = f"{where} ({value})"
        trouble = check_places_file(kind, content, where)
        problems += trouble
        if not trouble:
            found[kind] = Collection(where, content["features"], source=value)
    return found, problems


def check(places: dict[str, list[PlaceSpec]], parties: set[str], delegations: set[str]) -> list[Problem]:
    """References, names, codes, geometry (self-intersections), and zones of control that overlap."""
    problems: list[Problem] = []
    shapes: dict[str, BaseGeometry] = {}
    for kind, items in places.items():
        names: dict[str, str] = {}
        codes: dict[str, str] = {}
        for item in items:
            props = item.feature.properties
            _unique(problems, names, props.name, joined(item.path, "properties", "name"), "name")
            code = getattr(props, "code", None)
            if code:
                _unique(problems, codes, code, joined(item.path, "properties", "code"), "code")
            controlled_by = getattr(props, "controlled_by", None)
            if controlled_by:
                undeclared_one(
                    problems, joined(item.path, "properties", "controlled_by"), controlled_by, parties, "party"
                )
            operated_by = getattr(props, "operated_by", None)
            if operated_by:
                where = joined(item.path, "properties", "operated_by")
                undeclared_one(problems, where, operated_by, delegations, "delegation")
            restricted = joined(item.path, "properties", "restricted_to")
            undeclared(problems, restricted, list(props.restricted_to), delegations, "delegation")
            if props.restricted_to and props.classification != "restricted":
                problems.append(Problem(restricted, Message("only a restricted place names delegations")))
            where = joined(item.path, "geometry")
            try:
                shapes[item.path] = geo.parse_geometry(item.feature.geometry, ALLOWED[kind], where)
            except Invalid as exc:
                problems.append(Problem(exc.field or where, exc.message))
    problems += _overlapping_zones(places.get("areas", []), shapes)
    return problems


def _unique(problems: list[Problem], seen: dict[str, str], value: str, path: str, what: str) -> None:
    if value in seen:
        problems.append(Problem(path, f"the {what} {value!r} is used twice (also {seen[value]})"))
    seen.setdefault(value, path.rsplit(".properties", 1)[0])


def _overlapping_zones(areas: list[PlaceSpec], shapes: dict[str, BaseGeometry]) -> list[Problem]:
    """Zones of control in force at the same time may not overlap: a point would have two controllers."""
    zones = [a for a in areas if a.feature.properties.kind == "zone_of_control" and a.path in shapes]
    if len(zones) < 2:
        return []
    geometries = [shapes[z.path] for z in zones]
    tree = STRtree(geometries)
    problems: list[Problem] = []
    pairs = {tuple(sorted(pair)) for pair in zip(*tree.query(geometries, predicate="intersects"), strict=True)}
    for first, second in sorted(p for p in pairs if p[0] != p[1]):
        a, b = zones[first], zones[second]
        if not _same_time(a, b):
            continue
        shared = geometries[first].intersection(geometries[second]).area
        if shared > OVERLAP_SHARE * min(geometries[first].area, geometries[second].area):
            km2 = shared * 111.32**2 * math.cos(math.radians(geometries[first].centroid.y))
            problems.append(
                Problem(
                    b.path,
                    Message(
                        "zone of control %(name)r overlaps %(other)r (%(path)s) over about %(km2)s km²; zones of "
                        "control in force at the same time may not overlap",
                        name=b.feature.properties.name,
                        other=a.feature.properties.name,
                        path=a.path,
                        km2=f"{km2:,.0f}",
                    ),
                )
            )
    return problems


def _same_time(a: PlaceSpec, b: PlaceSpec) -> bool:
    """Whether two places' periods of validity share a day (an open end is forever)."""
    pa, pb = a.feature.properties, b.feature.properties
    return (pa.valid_until is None or pb.valid_from is None or pb.valid_from <= pa.valid_until) and (
        pb.valid_until is None or pa.valid_from is None or pa.valid_from <= pb.valid_until
    )
