"""Imports: ACLED and UCDP GED rows as incidents, GeoJSON features as places, each through its service.

Every good row goes in through `incidents.service.create` (or `placeflow.create`), so it is validated,
derived and logged like any other write, inside a savepoint of its own: a bad row is rolled back alone and
reported with its line (or feature index) and reason while the others go in. A row whose key is already in
the mission (its external id; for files exported by Truce, `TRUCE-<slug>-<id>` also names the incident itself)
is left alone, so importing a file again changes nothing. A fault of the whole file (not UTF-8, missing
columns, not a FeatureCollection) stops the import before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from truce import placeflow, policy
from truce.errors import Forbidden, TruceError
from truce.incidents import service as incidents_service
from truce.incidents.models import Incident
from truce.incidents.schemas import IncidentIn
from truce.interop import acled, geojson, ucdp
from truce.interop.export import PartyFacts
from truce.interop.reading import Record, RowError, records
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.places.models import Area, Line, Site
from truce.places.schemas import AreaIn, LineIn, SiteIn
from truce.policy import Actor

FORMATS = ("acled", "ucdp", "geojson")
# How often (in rows) an import reports how far through the file it is.
PROGRESS_EVERY = 200

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Problem:
    """A row or feature that did not go in, and why."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass
class ImportReport:
    """What an import did: how many records it created, found already there, and could not take."""

    created: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class IncidentFormat:
    """A CSV format of incidents: its required columns, its key, how a row becomes an incident."""

    required: tuple[str, ...]
    key: Callable[[Record], str]
    incident: Callable[[Record, ZoneInfo, dict[str, PartyFacts]], IncidentIn]
    # The service's names for fields, in the file's words, for the messages.
    columns: dict[str, str]


INCIDENT_FORMATS = {
    "acled": IncidentFormat(
        acled.REQUIRED,
        acled.key,
        acled.incident,
        {"properties.start": "event_date", "geometry": "latitude/longitude", "properties.narrative": "notes"},
    ),
    "ucdp": IncidentFormat(
        ucdp.REQUIRED,
        ucdp.key,
        ucdp.incident,
        {"properties.start": "date_start", "properties.end": "date_end", "geometry": "latitude/longitude"},
    ),
}


def import_file(
    session: Session,
    mission: Mission,
    stream: BinaryIO,
    name: str,
    file_format: str,
    *,
    actor: Actor,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a file of the given format into the mission, reporting every record that did not go in."""
    if file_format == "geojson":
        return import_places(session, mission, stream, name, actor=actor)
    return import_incidents(session, mission, stream, name, INCIDENT_FORMATS[file_format], actor=actor,
                            progress=progress)  # fmt: skip


def import_incidents(
    session: Session,
    mission: Mission,
    stream: BinaryIO,
    name: str,
    file_format: IncidentFormat,
    *,
    actor: Actor,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a CSV of incidents, each good row through the incidents service in a savepoint of its own."""
    policy.require(actor, "incident.create", mission.id)
    if policy.files_allegations(actor):
        raise Forbidden("a liaison officer files allegations, not published events; import as a monitor or admin")
    known = set(
        session.execute(
            select(Incident.external_id).where(Incident.mission_id == mission.id, Incident.external_id.is_not(None))
        ).scalars()
    )
    own = re.compile(rf"TRUCE-{re.escape(mission.slug)}-([0-9]{{1,18}})")
    parties = {p.code: PartyFacts(p.name, p.kind) for p in missions_service.parties(session, mission)}
    time_zone = ZoneInfo(mission.time_zone)
    report = ImportReport()
    # The whole import in a savepoint too: a fault of the file found halfway (bad UTF-8) takes back every row.
    with session.begin_nested():
        for count, record in enumerate(records(stream, name, file_format.required), start=1):
            if progress is not None and count % PROGRESS_EVERY == 0:
                progress(stream.tell())
            try:
                if record.error:
                    raise RowError(record.error)
                key = file_format.key(record)
                if key in known or _is_own(session, mission, own, key):
                    report.unchanged += 1
                    continue
                data = file_format.incident(record, time_zone, parties)
                with session.begin_nested():
                    incidents_service.create(session, mission, data, actor=actor)
            except Exception as exc:  # `_reason` re-raises what is not a fault of the row
                report.problems.append(Problem(f"line {record.line}", _reason(exc, file_format.columns)))
            else:
                known.add(key)
                report.created += 1
    return report


def _is_own(session: Session, mission: Mission, own: re.Pattern[str], key: str) -> bool:
    """Whether the key is the one Truce's export gives an incident of this mission without an external id."""
    match = own.fullmatch(key)
    if match is None:
        return False
    incident = session.get(Incident, int(match[1]))
    return incident is not None and incident.mission_id == mission.id


def _reason(exc: Exception, columns: dict[str, str]) -> str:
    """Why a record was refused, in the file's terms; anything unexpected is not swallowed."""
    if isinstance(exc, RowError):
        return str(exc)
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        return _in_file_terms(f"{where}: {error['msg']}" if where else str(error["msg"]), columns)
    if isinstance(exc, TruceError):
        return _in_file_terms(exc.detail, columns)
    if isinstance(exc, IntegrityError | DataError):
        return f"refused by the database: {str(exc.orig).strip().splitlines()[0]}"
    raise exc


def _in_file_terms(message: str, columns: dict[str, str]) -> str:
    for service_name, column in columns.items():
        if message.startswith(service_name):
            return column + message[len(service_name) :]
    return message.removeprefix("properties.")


PLACES: dict[str, tuple[type[AreaIn] | type[LineIn] | type[SiteIn], type[Any]]] = {
    "area": (AreaIn, Area),
    "line": (LineIn, Line),
    "site": (SiteIn, Site),
}


def import_places(session: Session, mission: Mission, stream: BinaryIO, name: str, *, actor: Actor) -> ImportReport:
    """Import a GeoJSON FeatureCollection of areas, lines and sites through the map's flow (`truce.placeflow`).

    The incidents the new places touch are derived again once, after the last feature.
    """
    policy.require(actor, "place.write", mission.id)
    features = geojson.read_features(stream, name)
    names = {
        place: set(session.execute(select(model.name).where(model.mission_id == mission.id)).scalars())
        for place, (_, model) in PLACES.items()
    }
    report = ImportReport()
    with placeflow.batch(session, mission, actor=actor) as changes:
        for index, feature in enumerate(features):
            try:
                place, body = geojson.place_of(feature)
                schema, _ = PLACES[place]
                data = schema.model_validate(body)
                if data.properties.name in names[place]:
                    report.unchanged += 1
                    continue
                with session.begin_nested():
                    placeflow.create(session, mission, data, actor=actor, within=changes)
            except Exception as exc:  # `_reason` re-raises what is not a fault of the feature
                report.problems.append(Problem(f"features[{index}]", _reason(exc, {})))
            else:
                names[place].add(data.properties.name)
                report.created += 1
    return report
