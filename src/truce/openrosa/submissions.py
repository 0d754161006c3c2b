"""Turn a parsed instance into what the services take: incidents, movements, a patrol's route."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from pydantic import ValidationError

from truce.errors import Invalid
from truce.incidents.schemas import IncidentIn
from truce.incidents.taxonomy import COUNT_KEYS
from truce.movements.schemas import MovementIn
from truce.openrosa import tracks
from truce.openrosa.instance import Node
from truce.openrosa.xforms import CASUALTY_FIELDS
from truce.patrols.points import Points
from truce.restrictions.schemas import RestrictionIn

MOVEMENT_COUNTS = (
    "individuals", "families", "adults_male", "adults_female", "children_male", "children_female",
    "unaccompanied_children", "vehicles",
)  # fmt: skip
MEDIA_FIELDS = ("photo", "audio", "video")
MAX_ROUTE_POINTS = 10_000
_Model = TypeVar("_Model", IncidentIn, MovementIn, RestrictionIn)
RESTRICTION_TIMES = ("liaison_informed_at", "centre_informed_at", "answered_at", "resolved_at")


@dataclass
class Planned:
    """What one instance asks for: the records to create, the files each wants, and the phone's time."""

    incidents: list[tuple[IncidentIn, list[str]]] = field(default_factory=list)
    movements: list[MovementIn] = field(default_factory=list)
    route: dict[str, Any] | None = None
    observed_at: datetime | None = None
    # A patrol report: the planned patrol it is on, the restrictions met, the geotrace as an untimed track, and
    # the audit log's file name (its timed points are read from the file with the submission's other parts).
    patrol_id: int | None = None
    restrictions: list[RestrictionIn] = field(default_factory=list)
    trace: Points | None = None
    audit_name: str | None = None
    audit: Points | None = None

    def file_names(self) -> set[str]:
        names = {name for _, names in self.incidents for name in names}
        return names | {self.audit_name} if self.audit_name else names


def plan(kind: str, root: Node) -> Planned:
    """The records an instance of a form of this kind becomes; Invalid names the field that is wrong."""
    return {"incident": _incident, "checkpoint": _checkpoint, "patrol": _patrol}[kind](root)


def _incident(root: Node) -> Planned:
    observed = _datetime(root, "observed", required=True)
    properties: dict[str, Any] = {
        "type": root.value("incident_type"),
        "subtype": root.value("subtype"),
        "start": observed,
        "time_precision": root.value("time_precision") or "minute",
        "source": root.value("source"),
        "means": root.value("means"),
        "narrative": root.value("narrative") or "",
        "counts": {k: v for k in COUNT_KEYS if (v := _int(root, f"counts/{k}")) is not None},
        "casualties": _casualties(root),
    }
    geometry = None
    if root.value("placed_by") == "bearing":
        properties["observer_site"] = _int(root, "observer_site")
        properties["bearing_deg"] = _float(root, "bearing_deg")
        properties["distance_km"] = _float(root, "distance_km")
    else:
        geometry = _point(root, "location")
    if classification := root.value("classification"):
        properties["classification"] = classification  # else the mission's default, as for the API
    feature = {"type": "Feature", "geometry": geometry, "properties": properties}
    files = [name for f in MEDIA_FIELDS if (name := root.value(f))]
    return Planned(incidents=[(_validated_incident(feature), files)], observed_at=observed)


def _casualties(root: Node) -> dict[str, dict[str, int]]:
    result: dict[str, dict[str, int]] = {"killed": {}, "injured": {}}
    for name in CASUALTY_FIELDS:
        value = _int(root, f"casualties/{name}")
        if value is not None:
            kind, group = name.split("_", 1)
            result[kind][group] = value
    return result


def _checkpoint(root: Node) -> Planned:
    crossings = _filled(root.all("crossing"))
    if not crossings:
        raise Invalid("a checkpoint count needs at least one crossing", "crossing")
    day = _date(root, "on_date")
    planned = Planned(observed_at=_datetime(root, "end") or _datetime(root, "start"))
    for position, crossing in enumerate(crossings, start=1):
        data: dict[str, Any] = {
            "site_id": _int(root, "checkpoint"),
            "on_date": day,
            "direction": crossing.value("direction"),
            "kind": crossing.value("kind"),
            "transport_mode": crossing.value("transport_mode"),
            "origin": crossing.value("origin") or "",
            "destination": crossing.value("destination") or "",
            "note": crossing.value("note") or "",
            "classification": root.value("classification") or "parties",
        }
        for name in MOVEMENT_COUNTS:
            data[name] = _int(crossing, name, where=f"crossing[{position}]")
        planned.movements.append(_validated(MovementIn, data, f"crossing[{position}]"))
    return planned


def _patrol(root: Node) -> Planned:
    departed = _datetime(root, "departed", required=True)
    route = _trace(root, "route")
    patrol_id = _int(root, "patrol")
    planned = Planned(route=route, observed_at=departed, patrol_id=patrol_id)
    if patrol_id is not None:
        # The track goes to the patrol; without one, the route stays on the submission alone, as before.
        planned.trace = tracks.from_geotrace(root.value("route") or "", "route")
        planned.audit_name = root.value("meta/audit")
    # The form offers the mission's default classification as its answer; a blank one stays "mission".
    classification = root.value("classification") or "mission"
    for position, restriction in enumerate(_filled(root.all("restriction")), start=1):
        planned.restrictions.append(_restriction(restriction, f"restriction[{position}]", patrol_id, classification))
    return planned


def _restriction(node: Node, where: str, patrol_id: int | None, classification: str) -> RestrictionIn:
    """One restriction of a patrol report, as the API takes it; placed by position, or at a site."""
    properties: dict[str, Any] = {
        "category": node.value("category"),
        "kind": node.value("kind"),
        "start": _datetime(node, "met_at", required=True, where=where),
        "end": _datetime(node, "ended_at", where=where),
        "controlled_by": node.value("controlled_by"),
        "patrol_id": patrol_id,
        "reason_given": node.value("reason_given") or "",
        "answer": node.value("answer") or "",
        "narrative": node.value("narrative") or "",
        # A restriction's default is "parties"; the report's own classification is the monitors' choice.
        "classification": classification,
    }
    for name in RESTRICTION_TIMES:
        properties[name] = _datetime(node, name, where=where)
    geometry = None
    if node.value("placed_by") == "site":
        properties["site_id"] = _int(node, "site", where=where)
        if properties["site_id"] is None:
            raise Invalid("is required", _path(where, "site"))
    else:
        geometry = _point(node, "location", where)
    return _validated(RestrictionIn, {"type": "Feature", "geometry": geometry, "properties": properties}, where)


def _filled(entries: list[Node]) -> list[Node]:
    """Repeat entries with any answer; a blank one left on the form is not a record."""
    return [e for e in entries if any(c.text.strip() or c.children for c in e.children)]


def _validated_incident(feature: dict[str, Any], where: str = "") -> IncidentIn:
    return _validated(IncidentIn, feature, where)


def _validated(model: type[_Model], data: dict[str, Any], where: str) -> _Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        located: list[str] = [str(part) for part in error["loc"] if part != "properties"]
        field_name = "/".join(filter(None, [where, *located])) or None
        raise Invalid(str(error["msg"]), field_name) from None


def _path(where: str, name: str) -> str:
    return f"{where}/{name}" if where else name


def _int(node: Node, path: str, where: str = "") -> int | None:
    text = node.value(path)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise Invalid(f"{text[:40]!r} is not a whole number", _path(where, path)) from None


def _float(node: Node, path: str) -> float | None:
    text = node.value(path)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise Invalid(f"{text[:40]!r} is not a number", path) from None
    if not math.isfinite(value):
        raise Invalid("is not a finite number", path)
    return value


def _datetime(node: Node, path: str, *, required: bool = False, where: str = "") -> datetime | None:
    text = node.value(path)
    if text is None:
        if required:
            raise Invalid("is required", _path(where, path))
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{text[:40]!r} is not a date and time", _path(where, path)) from None
    if value.tzinfo is None:
        raise Invalid("the time has no UTC offset", _path(where, path))
    return value


def _date(node: Node, path: str) -> date:
    text = node.value(path)
    if text is None:
        raise Invalid("is required", path)
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise Invalid(f"{text[:40]!r} is not a date", path) from None


def parse_geopoint(text: str, path: str) -> tuple[float, float]:
    """ODK's "lat lon [altitude [accuracy]]" as (lon, lat), checked to be on Earth."""
    parts = text.split()
    if not 2 <= len(parts) <= 4:
        raise Invalid(f"{text[:60]!r} is not a geopoint ('lat lon altitude accuracy')", path)
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        raise Invalid(f"{text[:60]!r} is not a geopoint ('lat lon altitude accuracy')", path) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise Invalid(f"latitude {lat} or longitude {lon} is out of range", path)
    return lon, lat


def _point(node: Node, path: str, where: str = "") -> dict[str, Any]:
    text = node.value(path)
    if text is None:
        raise Invalid("is required", _path(where, path))
    lon, lat = parse_geopoint(text, _path(where, path))
    return {"type": "Point", "coordinates": [lon, lat]}


def _trace(node: Node, path: str) -> dict[str, Any]:
    text = node.value(path)
    if text is None:
        raise Invalid("is required", path)
    # Counted before splitting: a million points would otherwise be split and parsed first.
    if text.count(";") >= MAX_ROUTE_POINTS + 1:
        raise Invalid(f"a route needs 2 to {MAX_ROUTE_POINTS:,} points", path)
    points = [p.strip() for p in text.split(";") if p.strip()]
    if not 2 <= len(points) <= MAX_ROUTE_POINTS:
        raise Invalid(f"a route needs 2 to {MAX_ROUTE_POINTS:,} points", path)
    return {"type": "LineString", "coordinates": [list(parse_geopoint(p, path)) for p in points]}
