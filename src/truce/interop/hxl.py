"""Incidents as HXL-tagged CSV: a header row, the row of HXL hashtags, then one row per event.

Tags from STANDARDS.md (HXL). Dates are the day in the mission's time zone (`#date` values must be dates);
counts are whole numbers (`#affected` values must be numbers); several actors share one `#group+name`
cell, separated by semicolons. Like the ACLED export, it holds events: retracted incidents and merged
duplicates are left out. `#loc+name` is the nearest site, when the reader may see it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any, TextIO

from sqlalchemy import Row
from sqlalchemy.orm import Session

from truce.incidents.models import Incident
from truce.incidents.taxonomy import of_mission
from truce.interop.acled import FALLBACK, MEMO, SOURCE_LABELS
from truce.interop.export import (
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
from truce.reports import words

TAGGED = (
    ("event_id", "#event+id"),
    ("date", "#date+occurred"),
    ("reported", "#date+reported"),
    ("type", "#event+type"),
    ("subtype", "#event+type+sub"),
    ("acled_event_type", "#event+type+acled"),
    ("acled_sub_event_type", "#event+type+acled+sub"),
    ("status", "#status"),
    ("location", "#loc+name"),
    ("latitude", "#geo+lat"),
    ("longitude", "#geo+lon"),
    ("killed", "#affected+killed"),
    ("injured", "#affected+injured"),
    ("actors", "#group+name"),
    ("source", "#meta+source"),
    ("description", "#description"),
    # The codes of type, subtype and status named for people, in the export's language.
    ("type_name", "#event+type+name"),
    ("subtype_name", "#event+type+sub+name"),
    ("status_name", "#status+name"),
)
COLUMNS = tuple(column for column, _ in TAGGED)
HASHTAGS = tuple(tag for _, tag in TAGGED)
SELECTED = (
    Incident.id, Incident.external_id, Incident.start, Incident.reported_at, Incident.type, Incident.subtype,
    Incident.status, Incident.nearest_site_id, Incident.lat, Incident.lon, as_text(Incident.casualties),
    as_text(Incident.alleged_actors), Incident.source, Incident.narrative,
)  # fmt: skip


def write(session: Session, view: View, out: TextIO, progress: Progress) -> int:
    """Write the reader's incidents as HXL-tagged CSV; how many rows were written (the hashtag row aside)."""
    stmt = selection(view, SELECTED, events_only=True)
    return write_csv(out, COLUMNS, rows(view, stream(session, stmt)), progress, preamble=[HASHTAGS])


def rows(view: View, incidents: Iterable[Row[Any]]) -> Iterator[tuple[Any, ...]]:
    """One HXL row per incident row (the columns of SELECTED)."""
    zone, slug = view.time_zone, view.mission.slug

    @lru_cache(maxsize=MEMO)
    def counts(casualties: str | None) -> tuple[int, int]:
        return killed_and_injured(parsed(casualties))

    @lru_cache(maxsize=MEMO)
    def actors(alleged: str | None) -> str:
        return safe("; ".join(actor_names(view, parsed(alleged))))

    kinds = of_mission(view.mission.taxonomy)
    for (
        incident_id, external_id, start, reported_at, kind, subtype, status, site_id, lat, lon, casualties,
        alleged, source, narrative,
    ) in incidents:  # fmt: skip
        mapping = kinds.get(kind, {}).get(subtype, FALLBACK)
        killed, injured = counts(casualties)
        yield (
            safe(external_id) if external_id else f"TRUCE-{slug}-{incident_id}",
            start.astimezone(zone).date().isoformat(), reported_at.astimezone(zone).date().isoformat(),
            kind, subtype, mapping.event_type, mapping.sub_event_type, status,
            safe(view.site_names.get(site_id, "")) if site_id else "", f"{lat:.5f}", f"{lon:.5f}", killed, injured,
            actors(alleged), SOURCE_LABELS.get(source, source), safe(narrative),
            view.word(words.TYPE, kind), view.word(words.SUBTYPE, subtype), view.word(words.STATUS, status),
        )  # fmt: skip
