"""The typed context a report is rendered from, and the helpers both report kinds share."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from truce.errors import Invalid
from truce.incidents import taxonomy

STATUS_LABELS = {
    "reported": "reported",
    "under_verification": "under verification",
    "confirmed": "confirmed",
    "not_confirmed": "not confirmed",
    "disputed": "disputed",
    "inconclusive": "inconclusive",
}
# Incidents that no longer count: withdrawn by their author, or merged into another.
NOT_COUNTED = ("retracted",)
COMPASS = ("north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west")


@dataclass(frozen=True)
class Day:
    """A calendar day in the mission's time zone and the UTC instants that bound it."""

    on: date
    zone: tzinfo
    start: datetime
    end: datetime

    @classmethod
    def of(cls, on: date, zone: tzinfo) -> Day:
        start = datetime.combine(on, time(0), zone).astimezone(UTC)
        end = datetime.combine(on + timedelta(days=1), time(0), zone).astimezone(UTC)
        return cls(on=on, zone=zone, start=start, end=end)

    def shifted(self, days: int) -> Day:
        return Day.of(self.on + timedelta(days=days), self.zone)

    @property
    def offset_label(self) -> str:
        """`UTC+04:00`: the zone as readers of a printed report know it."""
        offset = datetime.combine(self.on, time(12), self.zone).utcoffset() or timedelta(0)
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def mission_zone(name: str) -> tzinfo:
    """The mission's time zone, refused clearly when the name is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"the mission's time zone {name!r} is unknown", "time_zone") from None


@dataclass(frozen=True)
class Settlement:
    """A named place to describe positions by: 'Stepanakert / Khankendi'."""

    name: str
    lon: float
    lat: float


@dataclass(frozen=True)
class IncidentRow:
    """One incident as the annex and the map show it."""

    id: int
    local_time: str
    type: str
    subtype: str
    status: str
    zone: str
    place: str
    source: str
    narrative: str
    killed: int
    injured: int
    civilian_killed: int
    civilian_injured: int
    lon: float
    lat: float
    # A mission's own subtype: its label and ACLED mapping (Truce's own subtypes are named by their code).
    subtype_label: str = ""
    # The place in parts, for a report in another language: the nearest settlement, how far and which way from it
    # (km < 1: in it; no settlement: an empty `near`).
    near: str = ""
    km: float = 0.0
    direction: str = ""

    @property
    def kind(self) -> str:
        return f"{self.type.replace('_', ' ')}: {self.subtype_label or self.subtype.replace('_', ' ')}"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status.replace("_", " "))


@dataclass(frozen=True)
class ZoneCount:
    """Incidents in one zone on the day and on the day before."""

    zone: str
    controlled_by: str
    today: int
    previous: int

    @property
    def change(self) -> str:
        delta = self.today - self.previous
        return f"{delta:+d}" if delta else "no change"


@dataclass(frozen=True)
class TrendDay:
    """Incidents per type on one of the seven days up to the report's."""

    on: date
    by_type: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_type.values())


@dataclass(frozen=True)
class Shape:
    """A geometry on the map, with what to call and colour it by."""

    kind: str
    name: str
    geometry: dict[str, Any]
    party: str = ""


@dataclass(frozen=True)
class MapLayers:
    """Everything the static map draws besides the incidents."""

    areas: list[Shape] = field(default_factory=list)
    lines: list[Shape] = field(default_factory=list)
    posts: list[tuple[str, float, float]] = field(default_factory=list)
    settlements: list[Settlement] = field(default_factory=list)


@dataclass(frozen=True)
class ProvisionDue:
    """A provision of the agreement whose deadline is near or past without full implementation."""

    number: str
    summary: str
    deadline: date
    level: int | None
    level_label: str
    overdue: bool

    @property
    def when(self) -> str:
        return f"{'overdue since' if self.overdue else 'due'} {long_date(self.deadline)}"


@dataclass(frozen=True)
class Returns:
    """Returns counted on the day and in all up to it."""

    on_day: int
    cumulative: int


def long_date(on: date) -> str:
    """`21 November 2020`, the same on every machine whatever its locale."""
    return f"{on.day} {on.strftime('%B')} {on.year}"


def local_time(start: datetime, zone: tzinfo) -> str:
    return start.astimezone(zone).strftime("%H:%M")


def as_json(value: Any) -> Any:
    """A JSON column's value, whether the backend gave it parsed or as text."""
    return json.loads(value) if isinstance(value, str) else (value or {})


def casualties(value: Any) -> tuple[int, int, int, int]:
    """(killed, injured, civilians killed, civilians injured) from the casualties column."""
    data = as_json(value)
    killed = data.get("killed") or {}
    injured = data.get("injured") or {}
    return (
        sum(int(n or 0) for n in killed.values()),
        sum(int(n or 0) for n in injured.values()),
        int(killed.get("civilian") or 0),
        int(injured.get("civilian") or 0),
    )


def nearest(lon: float, lat: float, settlements: Sequence[Settlement]) -> tuple[str, float, str] | None:
    """The nearest settlement the reader may see, its distance in km and the compass point from it."""
    if not settlements:
        return None
    (km, bearing), name = min((_distance_bearing(lon, lat, s), s.name) for s in settlements)
    return name, km, COMPASS[round(bearing / 45) % 8]


def describe_place(lon: float, lat: float, settlements: Sequence[Settlement]) -> str:
    """`4 km south-east of Shusha / Shushi`, from the nearest settlement the reader may see."""
    found = nearest(lon, lat, settlements)
    if found is None:
        return f"{lat:.3f}° N, {lon:.3f}° E"
    name, km, direction = found
    if km < 1:
        return f"in {name}"
    return f"{km:.0f} km {direction} of {name}"


def _distance_bearing(lon: float, lat: float, place: Settlement) -> tuple[float, float]:
    """Kilometres from the place to the point, and the bearing from the place (equirectangular: a few km)."""
    dx = (lon - place.lon) * math.cos(math.radians((lat + place.lat) / 2)) * 111.32
    dy = (lat - place.lat) * 110.57
    return math.hypot(dx, dy), math.degrees(math.atan2(dx, dy)) % 360


def local_kinds(local: taxonomy.Local, language: str) -> dict[tuple[str, str], str]:
    """A mission's own subtypes as a report names them: the label in `language`, then the ACLED mapping."""
    return {
        (e["type"], e["subtype"]): f"{taxonomy.label(local, e['type'], e['subtype'], language)} "
        f"(ACLED: {e['acled']['event_type']}, {e['acled']['sub_event_type']})"
        for e in local
    }


def incident_row(
    values: Mapping[str, Any],
    zone: tzinfo,
    zones: Mapping[int, str],
    settlements: Sequence[Settlement],
    kinds: Mapping[tuple[str, str], str] | None = None,
) -> IncidentRow:
    """An annex row from an incident's columns (a table row or a logged snapshot: same names)."""
    start = values["start"]
    if isinstance(start, str):
        start = datetime.fromisoformat(start)
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    killed, injured, civilian_killed, civilian_injured = casualties(values.get("casualties"))
    zone_id = values.get("zone_id")
    near, km, direction = nearest(float(values["lon"]), float(values["lat"]), settlements) or ("", 0.0, "")
    return IncidentRow(
        id=int(values["id"]),
        local_time=local_time(start, zone),
        type=str(values["type"]),
        subtype=str(values["subtype"]),
        status=str(values["status"]),
        zone=zones.get(zone_id, "outside the mapped zones") if zone_id is not None else "outside the mapped zones",
        place=describe_place(float(values["lon"]), float(values["lat"]), settlements),
        source=str(values["source"]),
        narrative=str(values.get("narrative") or ""),
        killed=killed,
        injured=injured,
        civilian_killed=civilian_killed,
        civilian_injured=civilian_injured,
        lon=float(values["lon"]),
        lat=float(values["lat"]),
        subtype_label=(kinds or {}).get((str(values["type"]), str(values["subtype"])), ""),
        near=near,
        km=km,
        direction=direction,
    )


class DaySummary:
    """The figures that the daily report and the bulletin count alike among the day's incidents."""

    zones: list[ZoneCount]
    incidents: list[IncidentRow]

    @property
    def total_previous(self) -> int:
        return sum(z.previous for z in self.zones)

    @property
    def civilian_harm(self) -> list[IncidentRow]:
        return [i for i in self.incidents if i.type == "civilian_harm" or i.civilian_killed or i.civilian_injured]

    @property
    def access(self) -> list[IncidentRow]:
        return [i for i in self.incidents if i.type == "access"]
