"""Incidents as the API and the exports show them: GeoJSON Features, naming only the sites the reader may see.

The names come from `places.presenters.site_names`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from truce.incidents import taxonomy
from truce.incidents.models import Incident, IncidentView
from truce.incidents.taxonomy import acled


def feature(
    incident: Incident | IncidentView, *, site_names: dict[int, str] | None = None, local: taxonomy.Local = ()
) -> dict[str, Any]:
    """An incident, or a row of `list_incidents`, as a GeoJSON Feature (`local`: its mission's own subtypes)."""
    mapping = acled(incident.type, incident.subtype, local)
    properties: dict[str, Any] = {
        "id": incident.id,
        "status": incident.status,
        "allegation": incident.source == "party",
        "type": incident.type,
        "subtype": incident.subtype,
        "acled_event_type": mapping.event_type,
        "acled_sub_event_type": mapping.sub_event_type,
        "start": incident.start.isoformat(),
        "end": incident.end.isoformat() if incident.end else None,
        "time_precision": incident.time_precision,
        "geo_precision": incident.geo_precision,
        "source": incident.source,
        "means": incident.means,
        "observer_site": incident.observer_site_id,
        "bearing_deg": incident.bearing_deg,
        "distance_km": incident.distance_km,
        "counts": incident.counts,
        "casualties": incident.casualties,
        "alleged_actors": incident.alleged_actors,
        "narrative": incident.narrative,
        "classification": incident.classification,
        "author_delegation": incident.author_delegation,
        "reported_at": incident.reported_at.isoformat(),
        "zone": incident.zone_id,
        "controlled_by": incident.controlled_by,
        "nearest_site": incident.nearest_site_id,
        "nearest_site_name": (site_names or {}).get(incident.nearest_site_id or 0),
        "nearest_site_km": incident.nearest_site_km,
        "line_of_contact_km": incident.line_of_contact_km,
        "in_corridor": incident.in_corridor,
        "merged_into": incident.merged_into_id,
        "external_id": incident.external_id,
    }
    if incident.classification == "restricted":
        properties["restricted_to"] = incident.restricted_to
    if isinstance(incident, Incident) and incident.device_time is not None:
        # Filed from a device's outbox: its own time for the record, and how far its clock was from ours.
        properties["device_time"] = incident.device_time.isoformat()
        properties["device_clock_offset_s"] = incident.device_clock_offset_s
        properties["device_clock_skewed"] = incident.clock_skewed
    if site_names is not None:
        _hide_unreadable_sites(properties, site_names)
    geometry = orjson.loads(incident.geometry)
    return {"type": "Feature", "id": incident.id, "geometry": geometry, "properties": properties}


def feature_collection(
    incidents: Iterable[Incident | IncidentView], site_names: dict[int, str], local: taxonomy.Local, **members: Any
) -> dict[str, Any]:
    """Incidents as a GeoJSON FeatureCollection, with any foreign members (`limit`, `offset`) given."""
    features = [feature(incident, site_names=site_names, local=local) for incident in incidents]
    return {"type": "FeatureCollection", "features": features, **members}


def _hide_unreadable_sites(properties: dict[str, Any], readable: dict[int, str]) -> None:
    # A post's id with a bearing and a distance would give away where a post the reader may not see stands.
    if properties["observer_site"] is not None and properties["observer_site"] not in readable:
        properties.update(observer_site=None, bearing_deg=None, distance_km=None)
    if properties["nearest_site"] is not None and properties["nearest_site"] not in readable:
        properties.update(nearest_site=None, nearest_site_name=None, nearest_site_km=None)
