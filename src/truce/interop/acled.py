"""ACLED-compatible CSV: the 31 standard columns out, and ACLED rows back into Truce incidents.

Export choices (STANDARDS.md, ACLED):
* `event_id_cnty`: the incident's external id when it has one, else `TRUCE-<mission slug>-<incident id>`.
* `event_date`/`year`: the start's date in the mission's time zone. `time_precision`: minute, hour and
  day give 1, week 2, month 3. `geo_precision` is the incident's own (1-3, the same scale as ACLED's).
* `event_type`/`sub_event_type`: from `truce.incidents.taxonomy`; `disorder_type` follows the event type.
* `actor1`/`actor2`: the first two alleged actors (what was said of them, else their party's name);
  `inter1`/`inter2` in ACLED's text form: a `side` party's forces are "State forces", any other party's
  "External/Other forces"; `interaction` joins them ("State forces-State forces", or "State forces only").
  The associated-actor columns stay empty.
* `iso`, `region`, `country`: empty unless the operator gives them (`truce export --iso/--country/--region`);
  a mission may span a disputed border, so Truce does not guess. `admin1`-`admin3` stay empty.
* `location`: the name of the incident's nearest site, if the reader may see that site; else empty.
* `latitude`/`longitude`: the incident's point, 4 decimals. `fatalities`: everyone killed (civilian,
  combatant, unknown). `source`: the kind of source, in words ("Monitoring post", "Party allegation").
  `source_scale` is empty. `notes`: the narrative. `tags`: the verification status (and "allegation" for a
  party's accusation). `timestamp`: when the incident was reported, Unix seconds.
* Only incidents the reader may read; retracted ones and merged duplicates are not events and are left out.
  Text cells are escaped against formula injection (`export.safe`).

Import choices (the reverse mapping, `FROM_ACLED`): each ACLED sub-event type goes to the closest Truce type:
Armed clash -> fire/small_arms; territory changing hands by force -> movement/incursion; shelling ->
explosion/artillery; grenade, suicide bomb, chemical weapon -> explosion/undetermined; air/drone strike ->
air/drone_strike; remote explosive/landmine/IED -> mine_uxo/mine_explosion; attack on civilians ->
civilian_harm/killed (injured when there are no fatalities); sexual violence -> civilian_harm/injured;
abduction -> civilian_harm/abduction; every protest and riot -> other/demonstration; agreement ->
other/statement; arrests -> detention/detention; disrupted weapons use -> mine_uxo/uxo_found; headquarters
or base established -> movement/fortification_works; looting/property destruction ->
civilian_harm/property_damage; change to group/activity, non-violent transfer of territory, other ->
other/other. An actor becomes an alleged actor when it names one of the mission's parties (its code, its
name, or the first six letters of its name, so "Military Forces of Azerbaijan" finds "Republic of
Azerbaijan"); actors that name no party, the location and ACLED's sources are kept in the narrative.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import Row
from sqlalchemy.orm import Session

from truce.incidents.models import Incident
from truce.incidents.schemas import IncidentIn
from truce.incidents.taxonomy import AcledType, of_mission
from truce.interop.export import (
    PartyFacts,
    Progress,
    View,
    actor_names,
    as_text,
    killed_and_injured,
    parsed,
    safe,
    selection,
    stream,
    write_csv,
)
from truce.interop.reading import Record, RowError, coordinate, integer
from truce.numbers import MAX_CASUALTIES

COLUMNS = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type", "sub_event_type",
    "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction",
    "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3", "location", "latitude",
    "longitude", "geo_precision", "source", "source_scale", "notes", "fatalities", "tags", "timestamp",
)  # fmt: skip
REQUIRED = ("event_id_cnty", "event_date", "event_type", "sub_event_type", "latitude", "longitude")
TIME_PRECISION = {"minute": 1, "hour": 1, "day": 1, "week": 2, "month": 3}
PRECISION_FROM_ACLED = {1: "day", 2: "week", 3: "month"}
DISORDER = {
    "Battles": "Political violence",
    "Explosions/Remote violence": "Political violence",
    "Violence against civilians": "Political violence",
    "Riots": "Political violence; Demonstrations",
    "Protests": "Demonstrations",
    "Strategic developments": "Strategic developments",
}
# ACLED's actor types; files before 2023 give the number, later ones the text.
INTER = {
    1: "State forces", 2: "Rebel group", 3: "Political militia", 4: "Identity militia", 5: "Rioters",
    6: "Protesters", 7: "Civilians", 8: "External/Other forces",
}  # fmt: skip
SOURCE_LABELS = {
    "post": "Monitoring post", "patrol": "Monitoring patrol", "uav": "Monitoring UAV", "camera": "Monitoring camera",
    "party": "Party allegation", "civilian": "Civilian report", "media": "Media",
}  # fmt: skip
SELECTED = (
    Incident.id, Incident.external_id, Incident.type, Incident.subtype, Incident.start, Incident.time_precision,
    Incident.lat, Incident.lon, Incident.geo_precision, Incident.source, as_text(Incident.casualties),
    as_text(Incident.alleged_actors), Incident.narrative, Incident.nearest_site_id, Incident.status,
    Incident.reported_at,
)  # fmt: skip
# Distinct casualty and actor values are few in a mission; each is parsed and formatted once per export.
MEMO = 4096
FALLBACK = AcledType("Strategic developments", "Other")
ID_LIMIT = 128

FROM_ACLED: dict[tuple[str, str], tuple[str, str]] = {
    ("battles", "armed clash"): ("fire", "small_arms"),
    ("battles", "government regains territory"): ("movement", "incursion"),
    ("battles", "non-state actor overtakes territory"): ("movement", "incursion"),
    ("explosions/remote violence", "shelling/artillery/missile attack"): ("explosion", "artillery"),
    ("explosions/remote violence", "air/drone strike"): ("air", "drone_strike"),
    ("explosions/remote violence", "remote explosive/landmine/ied"): ("mine_uxo", "mine_explosion"),
    ("explosions/remote violence", "grenade"): ("explosion", "undetermined"),
    ("explosions/remote violence", "suicide bomb"): ("explosion", "undetermined"),
    ("explosions/remote violence", "chemical weapon"): ("explosion", "undetermined"),
    ("violence against civilians", "attack"): ("civilian_harm", "killed"),
    ("violence against civilians", "sexual violence"): ("civilian_harm", "injured"),
    ("violence against civilians", "abduction/forced disappearance"): ("civilian_harm", "abduction"),
    ("protests", "peaceful protest"): ("other", "demonstration"),
    ("protests", "protest with intervention"): ("other", "demonstration"),
    ("protests", "excessive force against protesters"): ("other", "demonstration"),
    ("riots", "violent demonstration"): ("other", "demonstration"),
    ("riots", "mob violence"): ("other", "demonstration"),
    ("strategic developments", "agreement"): ("other", "statement"),
    ("strategic developments", "arrests"): ("detention", "detention"),
    ("strategic developments", "change to group/activity"): ("other", "other"),
    ("strategic developments", "disrupted weapons use"): ("mine_uxo", "uxo_found"),
    ("strategic developments", "headquarters or base established"): ("movement", "fortification_works"),
    ("strategic developments", "looting/property destruction"): ("civilian_harm", "property_damage"),
    ("strategic developments", "non-violent transfer of territory"): ("other", "other"),
    ("strategic developments", "other"): ("other", "other"),
}
EVENT_TYPES = sorted({event_type for event_type, _ in FROM_ACLED})

# --- export ------------------------------------------------------------------------------------


def write(session: Session, view: View, out: TextIO, progress: Progress) -> int:
    """Write the reader's incidents as ACLED-compatible CSV; how many rows were written."""
    stmt = selection(view, SELECTED, events_only=True)
    return write_csv(out, COLUMNS, rows(view, stream(session, stmt)), progress)


def rows(view: View, incidents: Iterable[Row[Any]]) -> Iterator[tuple[Any, ...]]:
    """One ACLED row per incident row (the columns of SELECTED)."""
    taxonomy = of_mission(view.mission.taxonomy)
    kinds = {(t, s): mapping for t, subtypes in taxonomy.items() for s, mapping in subtypes.items()}

    @lru_cache(maxsize=MEMO)
    def fatalities(casualties: str | None) -> int:
        return killed_and_injured(parsed(casualties))[0]

    @lru_cache(maxsize=MEMO)
    def actors(alleged: str | None) -> tuple[str, str, str, str, str]:
        return _actors(view, parsed(alleged))

    place = (safe(view.iso), safe(view.region), safe(view.country), "", "", "")
    prefix = f"TRUCE-{view.mission.slug}-"
    zone, sites = view.time_zone, view.site_names
    for (
        incident_id, external_id, kind, subtype, start, precision, lat, lon, geo_precision, source, casualties,
        alleged, narrative, site_id, status, reported_at,
    ) in incidents:  # fmt: skip
        mapping = kinds.get((kind, subtype), FALLBACK)
        day = start.astimezone(zone).date()
        actor1, inter1, actor2, inter2, interaction = actors(alleged)
        tags = f"status={status}; allegation" if source == "party" else f"status={status}"
        yield (
            safe(external_id) if external_id else f"{prefix}{incident_id}",
            day.isoformat(), day.year, TIME_PRECISION.get(precision, 1), DISORDER[mapping.event_type],
            mapping.event_type, mapping.sub_event_type, actor1, "", inter1, actor2, "", inter2, interaction,
            "Civilian targeting" if mapping.event_type == "Violence against civilians" else "", *place,
            safe(sites.get(site_id, "")) if site_id else "", f"{lat:.4f}", f"{lon:.4f}", geo_precision,
            SOURCE_LABELS.get(source, source), "", safe(narrative), fatalities(casualties), tags,
            int(reported_at.timestamp()),
        )  # fmt: skip


def _actors(view: View, alleged: list[Any] | None) -> tuple[str, str, str, str, str]:
    if not alleged:
        return "", "", "", "", ""
    names = actor_names(view, alleged)
    inters = [_inter(view.parties.get(entry.get("party", ""))) for entry in alleged]
    if len(names) == 1:
        return safe(names[0]), inters[0], "", "", f"{inters[0]} only"
    return safe(names[0]), inters[0], safe(names[1]), inters[1], f"{inters[0]}-{inters[1]}"


def _inter(party: PartyFacts | None) -> str:
    return INTER[1] if party is not None and party.kind == "side" else INTER[8]


# --- import ------------------------------------------------------------------------------------

ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
WORDY_DATE = re.compile(r"([0-9]{1,2})[ -]([A-Za-z]+)\.?[ -]([0-9]{4})")
MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december",
)  # fmt: skip
# Full English names and three-letter abbreviations, and "sept"; never the locale's, which varies by machine.
MONTHS = {name: n for n, name in enumerate(MONTH_NAMES, start=1)} | {
    name[:3]: n for n, name in enumerate(MONTH_NAMES, start=1)
}
MONTHS["sept"] = 9


def parse_date(text: str) -> date:
    """An ACLED `event_date`: `2025-05-16` or `16 May 2025` (also `16-May-2025`); ValueError otherwise."""
    value = text.strip()
    if match := ISO_DATE.fullmatch(value):
        year, month, day = int(match[1]), int(match[2]), int(match[3])
    elif match := WORDY_DATE.fullmatch(value):
        day, year = int(match[1]), int(match[3])
        month_number = MONTHS.get(match[2].lower())
        if month_number is None:
            raise ValueError(f"{value[:40]!r}: {match[2][:20]!r} is not an English month name")
        month = month_number
    else:
        raise ValueError(f"{value[:40]!r} is not a date like 2020-11-16 or 16 November 2020")
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"{value[:40]!r} is not a day of the calendar") from None


def parse_inter(text: str) -> str:
    """An ACLED inter code as text: `7` and `Civilians` both give `Civilians`; empty stays empty."""
    value = text.strip()
    if not value:
        return ""
    if value.isdigit():
        number = int(value)
        if number == 0:
            return ""
        if number not in INTER:
            raise RowError(f"inter code {value[:10]} is not one of ACLED's 1-8")
        return INTER[number]
    return value[:60]


def key(record: Record) -> str:
    """The record's key: its `event_id_cnty`."""
    event_id = record.text("event_id_cnty")
    if not event_id:
        raise RowError("event_id_cnty is empty")
    if len(event_id) > ID_LIMIT:
        raise RowError(f"event_id_cnty is longer than {ID_LIMIT} characters")
    return event_id


def incident(record: Record, time_zone: ZoneInfo, parties: dict[str, PartyFacts]) -> IncidentIn:
    """The Truce incident an ACLED row describes (a public media report)."""
    try:
        day = parse_date(record.text("event_date"))
    except ValueError as exc:
        raise RowError(f"event_date {exc}") from None
    event_type, sub_event_type = record.text("event_type"), record.text("sub_event_type")
    mapped = FROM_ACLED.get((event_type.lower(), sub_event_type.lower()))
    if mapped is None:
        if event_type.lower() not in EVENT_TYPES:
            raise RowError(f"event_type {event_type[:60]!r} is not one of ACLED's")
        raise RowError(f"sub_event_type {sub_event_type[:60]!r} is not one of ACLED's for {event_type}")
    kind, subtype = mapped
    fatalities = integer(record, "fatalities", default=0, high=MAX_CASUALTIES)
    if (kind, subtype) == ("civilian_harm", "killed") and fatalities == 0:
        subtype = "injured"
    precision = integer(record, "time_precision", default=1, low=1, high=3)
    inters = (parse_inter(record.text("inter1")), parse_inter(record.text("inter2")))
    civilians = kind == "civilian_harm" or "Civilians" in inters
    alleged, strangers = _alleged(record, parties)
    lat, lon = coordinate(record, "latitude", 90), coordinate(record, "longitude", 180)
    properties = {
        "type": kind,
        "subtype": subtype,
        "start": datetime.combine(day, time(0, 0), tzinfo=time_zone),
        "time_precision": PRECISION_FROM_ACLED[precision],
        "geo_precision": integer(record, "geo_precision", default=1, low=1, high=3),
        "source": "media",
        "means": "media",
        "classification": "public",
        "casualties": {"killed": {"civilian" if civilians else "unknown": fatalities}},
        "alleged_actors": alleged,
        "narrative": _narrative(record, strangers),
        "external_id": key(record),
    }
    geometry = {"type": "Point", "coordinates": [lon, lat]}
    return IncidentIn.model_validate({"type": "Feature", "geometry": geometry, "properties": properties})


def _alleged(record: Record, parties: dict[str, PartyFacts]) -> tuple[list[dict[str, str]], list[str]]:
    alleged: list[dict[str, str]] = []
    strangers: list[str] = []
    for column in ("actor1", "actor2"):
        name = record.text(column)
        if not name:
            continue
        code = party_for(name, parties)
        if code is None:
            strangers.append(name)
        else:
            alleged.append({"party": code, "actor": name[:200]})
    return alleged, strangers


def party_for(name: str, parties: dict[str, PartyFacts]) -> str | None:
    """The code of the mission's party an ACLED actor name points at, if any."""
    text = name.lower()
    for code in parties:
        if text == code.lower():
            return code
    for code, party in parties.items():
        full = party.name.lower()
        core = re.sub(r"^(the |republic of |kingdom of |state of )+", "", full)
        whole = re.search(rf"\b{re.escape(core)}\b", text) or full in text
        # "Armenian forces" and "Military Forces of Russia" name "Republic of Armenia" and "Russian Federation".
        stem = len(core) >= 6 and re.search(rf"\b{re.escape(core[:6])}", text)
        if whole or stem:
            return code
    return None


def _narrative(record: Record, strangers: list[str]) -> str:
    lines = [record.text("notes")]
    where = ", ".join(p for p in (record.text(c) for c in ("location", "admin1", "country")) if p)
    if where:
        lines.append(f"Location (ACLED): {where}")
    if strangers:
        lines.append(f"Actors (ACLED): {'; '.join(strangers)}")
    if record.text("source"):
        lines.append(f"Source (ACLED): {record.text('source')}")
    return "\n".join(line for line in lines if line)
