"""Restrictions of the freedom of movement counted by party, category, area and period, for any span of time.

The table the OSCE SMM compiled by hand twice a year: per controlling party, category, zone and period, the number
of restrictions, the median duration (how long a delay or denial lasted) and the median response of the escalation
(from the joint centre, or else the liaison officers, being told to their answer). Written as CSV, HXL-tagged CSV
or GeoJSON (each group a MultiPoint of its restrictions). Rows are sorted and numbers formatted one way, so the same
log gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from truce import policy
from truce.errors import Invalid
from truce.interop.export import safe
from truce.missions.models import Mission
from truce.places.models import Area
from truce.policy import Actor
from truce.restrictions import service
from truce.restrictions.models import Restriction

PERIODS = ("day", "week", "month", "all")
FORMATS = ("json", "csv", "hxl", "geojson")
NO_PARTY = "unknown"
NO_AREA = "outside the mapped zones"
COLUMNS = (
    ("period", "#date+period"),
    ("party", "#group+code+controlling"),
    ("category", "#event+type+category"),
    ("area", "#loc+name"),
    ("restrictions", "#indicator+restrictions+num"),
    ("confirmed", "#indicator+confirmed+num"),
    ("median_duration_min", "#indicator+duration+median+minutes"),
    ("median_response_min", "#indicator+response+median+minutes"),
)


@dataclass(frozen=True)
class Group:
    """One cell of the table: the restrictions of one party, category, area and period."""

    period: str
    party: str
    category: str
    area: str
    restrictions: int
    confirmed: int
    median_duration_min: float | None
    median_response_min: float | None
    positions: tuple[tuple[float, float], ...]

    def row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name, _ in COLUMNS}


def table(
    session: Session,
    mission: Mission,
    *,
    actor: Actor,
    since: datetime,
    until: datetime,
    period: str = "month",
    category: str | None = None,
    party: str | None = None,
) -> list[Group]:
    """The restrictions the actor may read that began in [since, until) (of one category or party if given),
    grouped; retracted ones left out."""
    _check(period, since, until)
    rows = service.list_restrictions(
        session, mission, actor=actor, since=since, until=until, category=category, party=party
    )
    return grouped(session, mission, rows, actor=actor, since=since, until=until, period=period)


def grouped(
    session: Session,
    mission: Mission,
    rows: list[Restriction],
    *,
    actor: Actor,
    since: datetime,
    until: datetime,
    period: str = "month",
) -> list[Group]:
    """`rows` (restrictions that began in [since, until)) grouped by period, party, category and area."""
    _check(period, since, until)
    zone = _zone(mission)
    areas = {a.id: a.name for a in session.execute(
        select(Area).where(Area.mission_id == mission.id, policy.readable(actor, Area))).scalars()}  # fmt: skip
    by_key: dict[tuple[str, str, str, str], list[Restriction]] = defaultdict(list)
    for r in rows:
        if r.status == "retracted":
            continue
        area = areas.get(r.zone_id or 0, NO_AREA)
        key = (_period(r.start, zone, period, since, until), r.controlled_by or NO_PARTY, r.category, area)
        by_key[key].append(r)
    return [_group(key, members) for key, members in sorted(by_key.items())]


def _check(period: str, since: datetime, until: datetime) -> None:
    if period not in PERIODS:
        raise Invalid(f"must be one of {', '.join(PERIODS)}", "period")
    if until <= since:
        raise Invalid("must be after since", "until")


def _zone(mission: Mission) -> tzinfo:
    try:
        return ZoneInfo(mission.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"the mission's time zone {mission.time_zone!r} is unknown", "time_zone") from None


def _period(moment: datetime, zone: tzinfo, period: str, since: datetime, until: datetime) -> str:
    day = moment.astimezone(zone).date()
    if period == "day":
        return day.isoformat()
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{day.year}-{day.month:02d}"
    last: date = (until.astimezone(zone) - timedelta(microseconds=1)).date()
    return f"{since.astimezone(zone).date().isoformat()}/{last.isoformat()}"


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _group(key: tuple[str, str, str, str], members: list[Restriction]) -> Group:
    durations = [(r.end - r.start).total_seconds() / 60 for r in members if r.end is not None]
    responses = []
    for r in members:
        informed = r.centre_informed_at or r.liaison_informed_at
        if informed is not None and r.answered_at is not None:
            responses.append((r.answered_at - informed).total_seconds() / 60)
    return Group(
        *key,
        restrictions=len(members),
        confirmed=sum(1 for r in members if r.status == "confirmed"),
        median_duration_min=_median(durations),
        median_response_min=_median(responses),
        positions=tuple((round(r.lon, 6), round(r.lat, 6)) for r in members),
    )


def as_csv(groups: list[Group], *, hxl: bool = False) -> str:
    """The table as CSV; with `hxl`, the row of HXL hashtags right under the header."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([name for name, _ in COLUMNS])
    if hxl:
        writer.writerow([tag for _, tag in COLUMNS])
    for group in groups:
        writer.writerow([_cell(value) for value in group.row().values()])
    return out.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return safe(str(value))


def as_geojson(groups: list[Group]) -> bytes:
    """The table as a GeoJSON FeatureCollection: each group a MultiPoint of where its restrictions happened."""
    features = [
        {"type": "Feature", "geometry": {"type": "MultiPoint", "coordinates": [list(p) for p in g.positions]},
         "properties": g.row()}
        for g in groups
    ]  # fmt: skip
    return orjson.dumps({"type": "FeatureCollection", "features": features}, option=orjson.OPT_SORT_KEYS)
