"""UCDP Georeferenced Event Dataset (GED) CSV rows as Truce incidents.

Mapping (STANDARDS.md, UCDP GED): `type_of_violence` 1 (state-based) and 2 (non-state) -> fire/small_arms,
3 (one-sided) -> civilian_harm/killed; `date_start` is the start, at midnight in the mission's time zone,
and `date_end`, when later, the end (time precision: a day; a week or less: week; longer: month);
`where_prec` 1 -> geo_precision 1, 2-3 (within 25 km, ADM2) -> 2, 4-7 (ADM1 or wider) -> 3; deaths `best`
-> killed, group unknown; `side_a`/`side_b` become alleged actors when they name a party of the mission
(as for ACLED), otherwise they stay in the narrative with the place and the headline. The key is
`ucdp-<id>`, stored as the external id. Source `media`, classification `public`.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from truce.incidents.schemas import IncidentIn
from truce.interop.acled import parse_date, party_for
from truce.interop.export import PartyFacts
from truce.interop.reading import Record, RowError, coordinate, integer
from truce.numbers import MAX_CASUALTIES

REQUIRED = ("id", "date_start", "latitude", "longitude", "where_prec", "type_of_violence", "best")
VIOLENCE = {1: ("fire", "small_arms"), 2: ("fire", "small_arms"), 3: ("civilian_harm", "killed")}
GEO_PRECISION = {1: 1, 2: 2, 3: 2, 4: 3, 5: 3, 6: 3, 7: 3}
ID_LIMIT = 120


def key(record: Record) -> str:
    """The record's key: `ucdp-<id>`."""
    event_id = record.text("id")
    if not event_id:
        raise RowError("id is empty")
    if len(event_id) > ID_LIMIT:
        raise RowError(f"id is longer than {ID_LIMIT} characters")
    return f"ucdp-{event_id}"


def _day(record: Record, column: str) -> datetime:
    # GED files write dates as `2020-11-10` or `2020-11-10 00:00:00.000`.
    text = record.text(column).replace("T", " ").split(" ")[0]
    try:
        return datetime.combine(parse_date(text), time(0, 0))
    except ValueError as exc:
        raise RowError(f"{column} {exc}") from None


def incident(record: Record, time_zone: ZoneInfo, parties: dict[str, PartyFacts]) -> IncidentIn:
    """The Truce incident a GED row describes."""
    start = _day(record, "date_start").replace(tzinfo=time_zone)
    end = _day(record, "date_end").replace(tzinfo=time_zone) if record.text("date_end") else start
    if end < start:
        raise RowError("date_end is before date_start")
    span = (end - start).days
    precision = "day" if span == 0 else "week" if span <= 7 else "month"
    violence = integer(record, "type_of_violence", low=1, high=3)
    kind, subtype = VIOLENCE[violence]
    alleged, strangers = [], []
    for column in ("side_a", "side_b"):
        name = record.text(column)
        code = party_for(name, parties) if name else None
        if code is not None:
            alleged.append({"party": code, "actor": name[:200]})
        elif name:
            strangers.append(name)
    lat, lon = coordinate(record, "latitude", 90), coordinate(record, "longitude", 180)
    properties = {
        "type": kind,
        "subtype": subtype,
        "start": start,
        "end": end if span else None,
        "time_precision": precision,
        "geo_precision": GEO_PRECISION[integer(record, "where_prec", low=1, high=7)],
        "source": "media",
        "means": "media",
        "classification": "public",
        "casualties": {"killed": {"unknown": integer(record, "best", high=MAX_CASUALTIES)}},
        "alleged_actors": alleged,
        "narrative": _narrative(record, strangers),
        "external_id": key(record),
    }
    geometry = {"type": "Point", "coordinates": [lon, lat]}
    return IncidentIn.model_validate({"type": "Feature", "geometry": geometry, "properties": properties})


def _narrative(record: Record, strangers: list[str]) -> str:
    lines = [f"UCDP GED event {record.text('id')}."]
    if strangers:
        lines.append(f"Sides (UCDP): {' v. '.join(strangers)}")
    where = ", ".join(p for p in (record.text(c) for c in ("where_coordinates", "adm_1", "country")) if p)
    if where:
        lines.append(f"Location (UCDP): {where}")
    if record.text("source_headline"):
        lines.append(f"Headline (UCDP): {record.text('source_headline')}")
    return "\n".join(lines)
