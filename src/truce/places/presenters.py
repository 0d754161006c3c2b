"""Places as the API and the map show them: GeoJSON Features naming parties and delegations by code."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from truce import policy
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.places.models import Area, Placed, Site
from truce.policy import Actor


def feature(record: Placed, *, party_codes: dict[int, str], delegation_codes: dict[int, str]) -> dict[str, Any]:
    """A place as a GeoJSON Feature."""
    properties: dict[str, Any] = {
        "id": record.id,
        "name": record.name,
        "kind": getattr(record, "kind", None),
        "classification": record.classification,
        "valid_from": record.valid_from.isoformat() if record.valid_from else None,
        "valid_until": record.valid_until.isoformat() if record.valid_until else None,
        "note": record.note,
    }
    if record.classification == "restricted":
        properties["restricted_to"] = record.restricted_to
    if isinstance(record, Area):
        properties["controlled_by"] = party_codes.get(record.controlled_by_id or 0)
    if isinstance(record, Site):
        properties.update(
            code=record.code,
            alt_names=record.alt_names,
            status=record.status,
            operated_by=delegation_codes.get(record.operated_by_id or 0),
        )
    return {"type": "Feature", "id": record.id, "geometry": json.loads(record.geometry), "properties": properties}


def feature_collection(session: Session, mission: Mission, records: list[Any]) -> dict[str, Any]:
    """Places as a GeoJSON FeatureCollection."""
    party_codes = {p.id: p.code for p in missions_service.parties(session, mission)}
    delegation_codes = {d.id: d.code for d in missions_service.delegations(session, mission)}
    features = [feature(r, party_codes=party_codes, delegation_codes=delegation_codes) for r in records]
    return {"type": "FeatureCollection", "features": features}


def site_names(session: Session, mission: Mission, actor: Actor) -> dict[int, str]:
    """Names of the mission's sites the actor may read, by id."""
    stmt = select(Site.id, Site.name).where(Site.mission_id == mission.id, policy.readable(actor, Site))
    return {site_id: name for site_id, name in session.execute(stmt)}
