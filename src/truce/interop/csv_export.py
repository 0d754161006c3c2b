"""Incidents as a plain CSV table: one row per incident, one column per fact, in the mission's time zone.

Every incident the reader may read is here, retracted and merged ones included (with their status and
`merged_into`). A non-point incident is given by the point Truce places it at; the GeoJSON export has its
shape. The observer site, bearing and distance are not exported (they would locate the post), and the
nearest site and zone are named only when the reader may see them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from sqlalchemy import Row
from sqlalchemy.orm import Session

from truce.incidents.models import Incident
from truce.incidents.taxonomy import CASUALTY_GROUPS, CASUALTY_KINDS, COUNT_KEYS, of_mission
from truce.interop.export import Progress, View, actor_labels, safe, selection, stream, write_csv
from truce.reports import words

COLUMNS = (
    "id", "external_id", "type", "subtype", "acled_event_type", "acled_sub_event_type", "status", "allegation",
    "start", "end", "time_precision", "longitude", "latitude", "geo_precision", "source", "means",
    *(f"count_{name}" for name in COUNT_KEYS),
    *(f"{kind}_{group}" for kind in CASUALTY_KINDS for group in CASUALTY_GROUPS),
    "alleged_actors", "narrative", "classification", "zone", "controlled_by", "nearest_site", "nearest_site_km",
    "line_of_contact_km", "in_corridor", "merged_into", "reported_at",
    # The codes above are for machines; these name them for people, in the export's language.
    "type_name", "subtype_name", "status_name", "source_name", "controlled_by_name", "alleged_actors_name",
)  # fmt: skip
SELECTED = (
    Incident.id, Incident.external_id, Incident.type, Incident.subtype, Incident.status, Incident.source,
    Incident.start, Incident.end, Incident.time_precision, Incident.lon, Incident.lat, Incident.geo_precision,
    Incident.means, Incident.counts, Incident.casualties, Incident.alleged_actors, Incident.narrative,
    Incident.classification, Incident.zone_id, Incident.controlled_by, Incident.nearest_site_id,
    Incident.nearest_site_km, Incident.line_of_contact_km, Incident.in_corridor, Incident.merged_into_id,
    Incident.reported_at,
)  # fmt: skip


def write(session: Session, view: View, out: TextIO, progress: Progress) -> int:
    """Write the reader's incidents as plain CSV; how many rows were written."""
    stmt = selection(view, SELECTED, events_only=False)
    return write_csv(out, COLUMNS, rows(view, stream(session, stmt)), progress)


def rows(view: View, incidents: Iterable[Row[Any]]) -> Iterator[list[Any]]:
    """One CSV row per incident row (the columns of SELECTED)."""
    zone = view.time_zone
    kinds = of_mission(view.mission.taxonomy)
    for (
        incident_id, external_id, kind, subtype, status, source, start, end, precision, lon, lat, geo_precision,
        means, counts, casualties, alleged, narrative, classification, zone_id, controlled_by, site_id, site_km,
        line_km, in_corridor, merged_into, reported_at,
    ) in incidents:  # fmt: skip
        mapping = kinds.get(kind, {}).get(subtype)
        counts = counts or {}
        casualties = casualties or {}
        site_name = view.site_names.get(site_id) if site_id else None
        yield [
            incident_id, safe(external_id or ""), kind, subtype, mapping.event_type if mapping else "",
            mapping.sub_event_type if mapping else "", status, "yes" if source == "party" else "no",
            start.astimezone(zone).isoformat(), end.astimezone(zone).isoformat() if end else "", precision,
            f"{lon:.6f}", f"{lat:.6f}", geo_precision, source, means or "",
            *(counts.get(name, "") for name in COUNT_KEYS),
            *((casualties.get(kind_, {}) or {}).get(group, 0) for kind_ in CASUALTY_KINDS for group in CASUALTY_GROUPS),
            safe("; ".join(_actors(alleged))), safe(narrative), classification,
            safe(view.zone_names.get(zone_id, "")) if zone_id else "", controlled_by or "",
            safe(site_name or ""), _km(site_km) if site_name else "", _km(line_km),
            "yes" if in_corridor else "no", merged_into or "", reported_at.astimezone(zone).isoformat(),
            view.word(words.TYPE, kind), view.word(words.SUBTYPE, subtype), view.word(words.STATUS, status),
            view.word(words.SOURCE, source), safe(_party(view, controlled_by)),
            safe("; ".join(actor_labels(view, alleged))),
        ]  # fmt: skip


def _party(view: View, code: str | None) -> str:
    facts = view.parties.get(code or "")
    return facts.name if facts else (code or "")


def _actors(alleged: list[Any] | None) -> list[str]:
    return [f"{entry.get('party', '')}: {entry.get('actor', '')}".rstrip(": ") for entry in alleged or []]


def _km(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"
