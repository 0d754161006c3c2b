"""What every export shares: who is looking, the incidents they may see streamed in batches, and safe cells."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import Label, Row, Select, Text, cast, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from truce import policy, translation
from truce.incidents import service as incidents_service
from truce.incidents.models import Incident
from truce.incidents.query import EVERYTHING, IncidentQuery
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.places.models import Area, Site
from truce.policy import Actor
from truce.reports import words

# Rows fetched from the database per round trip; memory stays flat whatever the size of the mission.
YIELD_PER = 2000
# Rows handed to the CSV writer at once, and how often the progress bar moves.
CHUNK = 1000
# A cell starting with one of these is run as a formula by spreadsheets (OWASP "CSV injection"). A leading
# quote is also escaped, so that `unescape` restores exactly what was exported.
FORMULA_STARTS = frozenset("=+-@\t\r")
QUOTE = "'"

Progress = Callable[[int], None]


@dataclass(frozen=True)
class PartyFacts:
    """What an export says about a party named in `alleged_actors`."""

    name: str
    kind: str


@dataclass(frozen=True)
class View:
    """One reader's view of one mission: what an export may show them."""

    mission: Mission
    actor: Actor
    dialect: str
    time_zone: ZoneInfo
    # Only the sites and areas the reader may read: an export never names or points at a hidden place.
    site_names: dict[int, str]
    zone_names: dict[int, str]
    parties: dict[str, PartyFacts]
    # ACLED's country columns: Truce does not know them (a mission may span borders); the operator may say.
    iso: str = ""
    country: str = ""
    region: str = ""
    # Which incidents: the same query object as the list, the map and the API.
    where: IncidentQuery = EVERYTHING
    # The language of the human-readable columns (names of kinds, statuses, sources, parties, places).
    locale: str = translation.DEFAULT

    def word(self, table: dict[str, str], code: str | None) -> str:
        """A code's word in the view's language (an unknown code as words, never snake_case)."""
        return words.word(table, self.locale)(code) if code else ""


def view_for(
    session: Session,
    mission: Mission,
    actor: Actor,
    *,
    iso: str = "",
    country: str = "",
    region: str = "",
    where: IncidentQuery = EVERYTHING,
    locale: str = translation.DEFAULT,
) -> View:
    """What `actor` may see of the mission, ready for an export; names in `locale` where the records give them."""
    sites = select(Site).where(Site.mission_id == mission.id, policy.readable(actor, Site))
    areas = select(Area).where(Area.mission_id == mission.id, policy.readable(actor, Area))
    parties = {
        p.code: PartyFacts(translation.localized(p, locale), p.kind) for p in missions_service.parties(session, mission)
    }
    return View(
        mission=mission,
        actor=actor,
        dialect=session.get_bind().dialect.name,
        time_zone=ZoneInfo(mission.time_zone),
        site_names={site.id: translation.localized(site, locale) for site in session.execute(sites).scalars()},
        zone_names={area.id: translation.localized(area, locale) for area in session.execute(areas).scalars()},
        parties=parties,
        iso=iso,
        country=country,
        region=region,
        where=where,
        locale=locale,
    )


def selection(view: View, columns: Sequence[Any] = (), *, events_only: bool) -> Select[Any]:
    """The incidents the view's reader may read (only the given columns, if any), newest first.

    `events_only` leaves out retracted incidents and duplicates merged into another: event datasets
    (ACLED, HXL) count events, and these are not events of their own.
    """
    stmt: Select[Any] = incidents_service.query(view.mission, view.actor, view.where, dialect=view.dialect)
    if columns:
        stmt = stmt.with_only_columns(*columns)
    if events_only:
        stmt = stmt.where(Incident.status != "retracted", Incident.merged_into_id.is_(None))
    return stmt


def count(session: Session, stmt: Select[Any]) -> int:
    """How many rows `stmt` yields."""
    return int(session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)


def stream(session: Session, stmt: Select[Any]) -> Iterator[Row[Any]]:
    """The rows of a statement of columns, fetched YIELD_PER at a time.

    It runs on the session's connection as plain Core: rows of columns need nothing of the ORM, whose
    per-row bookkeeping halved the export's throughput (benchmarks/export_acled.py).
    """
    return iter(session.connection().execute(stmt.execution_options(yield_per=YIELD_PER)))


def as_text(column: InstrumentedAttribute[Any]) -> Label[Any]:
    """A JSON column as its text: each distinct value is then parsed once per export (see `parsed`)."""
    return cast(column, Text).label(column.key)


def parsed(text: str | None) -> Any:
    """A JSON column's value from its text."""
    return json.loads(text) if text else None


def safe(text: str) -> str:
    """`text` as a CSV cell no spreadsheet will run as a formula."""
    if text and (text[0] in FORMULA_STARTS or text[0] == QUOTE):
        return QUOTE + text
    return text


def unescape(text: str) -> str:
    """The text `safe` was given: its added leading quote taken off."""
    if len(text) > 1 and text[0] == QUOTE and (text[1] in FORMULA_STARTS or text[1] == QUOTE):
        return text[1:]
    return text


def chunks(items: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    """`items` in lists of `size` (the last may be shorter)."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def write_csv(
    out: TextIO,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    progress: Progress,
    *,
    preamble: Sequence[Sequence[str]] = (),
) -> int:
    """Write a header, any preamble rows, then `rows` as they come; how many rows were written."""
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(preamble)
    written = 0
    for chunk in chunks(rows):
        writer.writerows(chunk)
        written += len(chunk)
        progress(written)
    return written


def killed_and_injured(casualties: dict[str, Any] | None) -> tuple[int, int]:
    """Total killed and total injured, whatever groups the record gives."""
    casualties = casualties or {}
    return _total(casualties.get("killed")), _total(casualties.get("injured"))


def _total(groups: Any) -> int:
    if not isinstance(groups, dict):
        return 0
    return sum(v for v in groups.values() if isinstance(v, int) and not isinstance(v, bool))


def actor_names(view: View, alleged_actors: list[Any] | None) -> list[str]:
    """Each alleged actor as text: what was said of it, or else its party's name."""
    names = []
    for entry in alleged_actors or []:
        party = view.parties.get(entry.get("party", ""))
        names.append(entry.get("actor") or (party.name if party else entry.get("party", "")))
    return names


def actor_labels(view: View, alleged_actors: list[Any] | None) -> list[str]:
    """Each alleged actor for people: its party's name in the view's language, then what was said of it."""
    labels = []
    for entry in alleged_actors or []:
        code = entry.get("party", "")
        party = view.parties.get(code)
        name = party.name if party else code
        labels.append(f"{name}: {entry['actor']}" if entry.get("actor") else name)
    return labels
