"""The daily situation report's context, from the tables, with aggregate SQL that stays fast at a million incidents."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from truce import policy, translation
from truce.agreement import service as agreement_service
from truce.incidents.models import Incident, Verification
from truce.missions.models import Mission, Party
from truce.movements import summaries
from truce.places.models import Area, Line, Site
from truce.policy import Actor
from truce.reports import freedom
from truce.reports.context import (
    NOT_COUNTED,
    Day,
    DaySummary,
    IncidentRow,
    MapLayers,
    ProvisionDue,
    Returns,
    Settlement,
    Shape,
    TrendDay,
    ZoneCount,
    as_json,
    incident_row,
    local_kinds,
    mission_zone,
)

TREND_DAYS = 7
# Provisions whose deadline falls within this many days after the report's are listed as due.
DUE_WITHIN = timedelta(days=7)
OUTSIDE = "outside the mapped zones"
ROW_COLUMNS = (
    Incident.id, Incident.start, Incident.type, Incident.subtype, Incident.status, Incident.zone_id, Incident.lon,
    Incident.lat, Incident.source, Incident.narrative, Incident.casualties,
)  # fmt: skip


@dataclass(frozen=True)
class DailyContext(DaySummary):
    """Everything the daily situation report shows, already computed."""

    mission_name: str
    slug: str
    day: Day
    zones: list[ZoneCount]
    by_status: dict[str, int]
    by_type: dict[str, int]
    trend: list[TrendDay]
    incidents: list[IncidentRow]
    newly_confirmed: list[IncidentRow]
    returns: Returns
    provisions: list[ProvisionDue]
    layers: MapLayers
    parties: dict[str, str]
    freedom: freedom.FreedomOfMovement

    @property
    def total_today(self) -> int:
        return sum(z.today for z in self.zones)


def staff_view(mission: Mission) -> Actor:
    """What every member of the mission staff may read: no delegation's restricted records."""
    return Actor(username=None, role="analyst", mission_id=mission.id)


def daily(session: Session, mission: Mission, on: date, locale: str = translation.DEFAULT) -> DailyContext:
    """The context of the daily report of `on` (a day in the mission's time zone), in the staff view, with the
    names of the mission, its parties, zones and settlements in `locale`."""
    reader = staff_view(mission)
    day = Day.of(on, mission_zone(mission.time_zone))
    parties = {p.id: p for p in session.execute(select(Party).where(Party.mission_id == mission.id)).scalars()}
    layers, zone_names, zone_parties = _layers(session, mission, reader, on, parties, locale)
    party_names = {p.code: translation.localized(p, locale) for p in parties.values()}
    days = [day.shifted(offset) for offset in range(1 - TREND_DAYS, 1)]
    counts = _counts(session, mission, reader, days)
    day_rows = _day_rows(session, mission, reader, day)
    # The report is written in the mission's first language; a local subtype is named by its label there.
    kinds = local_kinds(mission.taxonomy, (mission.languages or ["en"])[0])
    rows = [incident_row(r._mapping, day.zone, zone_names, layers.settlements, kinds) for r in day_rows]
    confirmed = _newly_confirmed(session, mission, reader, day)
    return DailyContext(
        mission_name=translation.localized(mission, locale),
        slug=mission.slug,
        day=day,
        zones=_zone_counts(counts, len(days), zone_names, zone_parties),
        by_status=dict(sorted(Counter(r.status for r in rows).items())),
        by_type=dict(sorted(Counter(r.type for r in rows).items())),
        trend=_trend(counts, days),
        incidents=rows,
        newly_confirmed=[incident_row(r._mapping, day.zone, zone_names, layers.settlements, kinds) for r in confirmed],
        returns=_returns(session, mission, reader, on),
        provisions=_provisions(session, mission, reader, on),
        layers=layers,
        parties=dict(sorted(party_names.items())),
        freedom=freedom.section(session, mission, reader, day, layers.settlements, party_names, locale),
    )


def counted(stmt: Select[Any], mission: Mission, reader: Actor) -> Select[Any]:
    """Only the mission's incidents the reader may see that still count (not retracted, not merged)."""
    return stmt.where(
        Incident.mission_id == mission.id,
        Incident.status.not_in(NOT_COUNTED),
        Incident.merged_into_id.is_(None),
        policy.readable(reader, Incident),
    )


Counts = dict[tuple[int, int | None, str], int]


def _counts(session: Session, mission: Mission, reader: Actor, days: list[Day]) -> Counts:
    """Incidents per (day index, zone id, type) over the trend's days: one range scan of the time index."""
    bucket = case(*((Incident.start < d.end, i) for i, d in enumerate(days[:-1])), else_=len(days) - 1)
    stmt = select(bucket.label("bucket"), Incident.zone_id, Incident.type, func.count())
    stmt = counted(stmt, mission, reader).where(Incident.start >= days[0].start, Incident.start < days[-1].end)
    # Grouping by the label, not the expression: PostgreSQL sees two CASEs with different parameters as different.
    stmt = stmt.group_by("bucket", Incident.zone_id, Incident.type)
    return {(int(b), zone_id, kind): int(n) for b, zone_id, kind, n in session.execute(stmt)}


def _zone_counts(counts: Counts, n_days: int, names: dict[int, str], parties: dict[int, str]) -> list[ZoneCount]:
    today: Counter[int | None] = Counter()
    previous: Counter[int | None] = Counter()
    for (bucket, zone_id, _kind), n in counts.items():
        if bucket == n_days - 1:
            today[zone_id] += n
        elif bucket == n_days - 2:
            previous[zone_id] += n
    shown = set(parties) | set(today) | set(previous)
    rows = [
        ZoneCount(
            zone=names.get(z, OUTSIDE) if z is not None else OUTSIDE,
            controlled_by=parties.get(z, "") if z is not None else "",
            today=today[z],
            previous=previous[z],
        )
        for z in shown
    ]
    return sorted(rows, key=lambda r: (r.zone == OUTSIDE, r.zone))


def _trend(counts: Counts, days: list[Day]) -> list[TrendDay]:
    by_day: list[Counter[str]] = [Counter() for _ in days]
    for (bucket, _zone, kind), n in counts.items():
        by_day[bucket][kind] += n
    return [TrendDay(on=d.on, by_type=dict(sorted(c.items()))) for d, c in zip(days, by_day, strict=True)]


def _day_rows(session: Session, mission: Mission, reader: Actor, day: Day) -> list[Any]:
    stmt = counted(select(*ROW_COLUMNS), mission, reader)
    stmt = stmt.where(Incident.start >= day.start, Incident.start < day.end).order_by(Incident.start, Incident.id)
    return list(session.execute(stmt))


def _newly_confirmed(session: Session, mission: Mission, reader: Actor, day: Day) -> list[Any]:
    """Incidents confirmed now whose confirming verdicts include one given on the day."""
    verdicts = select(Verification.incident_id).where(
        Verification.mission_id == mission.id,
        Verification.verdict == "confirm",
        Verification.created_at >= day.start,
        Verification.created_at < day.end,
    )
    stmt = counted(select(*ROW_COLUMNS), mission, reader)
    stmt = stmt.where(Incident.status == "confirmed", Incident.id.in_(verdicts)).order_by(Incident.start, Incident.id)
    return list(session.execute(stmt))


def _valid_on(model: type[Area] | type[Line] | type[Site], on: date) -> Any:
    return ((model.valid_from.is_(None)) | (model.valid_from <= on)) & (
        (model.valid_until.is_(None)) | (model.valid_until >= on)
    )


def _layers(
    session: Session, mission: Mission, reader: Actor, on: date, parties: dict[int, Party], locale: str
) -> tuple[MapLayers, dict[int, str], dict[int, str]]:
    """The map's shapes valid on the day, the names of every area, and who controls each zone."""

    def name(record: Any) -> str:
        return translation.localized(record, locale)

    def visible(model: type[Area] | type[Line] | type[Site]) -> Any:
        return select(model).where(model.mission_id == mission.id, policy.readable(reader, model)).order_by(model.id)

    areas = list(session.execute(visible(Area)).scalars())
    lines = list(session.execute(visible(Line).where(_valid_on(Line, on))).scalars())
    sites = list(session.execute(visible(Site).where(_valid_on(Site, on))).scalars())
    code = {pid: p.code for pid, p in parties.items()}
    shown = [a for a in areas if a.kind in ("zone_of_control", "corridor", "separation_zone", "buffer_zone")]
    layers = MapLayers(
        areas=[
            Shape(a.kind, name(a), as_json(a.geometry), code.get(a.controlled_by_id or -1, ""))
            for a in shown
            if (a.valid_from is None or a.valid_from <= on) and (a.valid_until is None or a.valid_until >= on)
        ],
        lines=[
            Shape(ln.kind, name(ln), as_json(ln.geometry)) for ln in lines if ln.kind in ("line_of_contact", "road")
        ],
        posts=[(s.code or name(s), s.min_lon, s.min_lat) for s in sites if s.kind == "post"],
        settlements=[Settlement(name(s), s.min_lon, s.min_lat) for s in sites if s.kind == "settlement"],
    )
    zone_parties = {
        a.id: name(parties[a.controlled_by_id]) for a in areas if a.kind == "zone_of_control" and a.controlled_by_id
    }
    return layers, {a.id: name(a) for a in areas}, zone_parties


def _returns(session: Session, mission: Mission, reader: Actor, on: date) -> Returns:
    series = summaries.returns(session, mission, actor=reader, since=on, until=on)
    days = series["days"]
    return Returns(on_day=days[0]["returned"] if days else 0, cumulative=int(series["total"]))


def _provisions(session: Session, mission: Mission, reader: Actor, on: date) -> list[ProvisionDue]:
    histories = agreement_service.histories(session, mission)
    due: list[ProvisionDue] = []
    for provision in agreement_service.list_provisions(session, mission, actor=reader):
        if provision.deadline is None:
            continue
        history = histories.get(provision.id, [])
        level = agreement_service.level_on(history, on)
        overdue = agreement_service.is_overdue(provision, history, on)
        soon = on <= provision.deadline <= on + DUE_WITHIN and (level is None or level < 3)
        if overdue or soon:
            label = agreement_service.level_label(level) if level is not None else "not assessed"
            due.append(ProvisionDue(provision.number, provision.summary, provision.deadline, level, label, overdue))
    return due
