"""`truce mission export`: a mission as its file, read from the records as they stand."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from truce.agreement.models import Provision
from truce.missionfile import canonical
from truce.missions.models import Delegation, Mission, Party
from truce.places.models import Area, Line, Site


def mission_file(session: Session, mission: Mission) -> dict[str, Any]:
    """The mission's file: its settings, parties, delegations, agreement and places, in the order created."""
    parties = _all(session, Party, mission)
    delegations = _all(session, Delegation, mission)
    party_codes = {p.id: p.code for p in parties}
    delegation_codes = {d.id: d.code for d in delegations}
    places: dict[str, list[dict[str, Any]]] = {}
    for kind, model in (("lines", Line), ("areas", Area), ("sites", Site)):
        features = []
        for record in _all(session, model, mission):
            properties = _columns(record)
            if isinstance(record, Area):
                properties["controlled_by"] = party_codes.get(record.controlled_by_id or 0)
            if isinstance(record, Site):
                properties["operated_by"] = delegation_codes.get(record.operated_by_id or 0)
            features.append(canonical.place(properties, json.loads(record.geometry)))
        places[kind] = features
    provisions = [
        canonical.provision({**_columns(p), "deadline": p.original_deadline}) for p in _all(session, Provision, mission)
    ]
    return canonical.assemble(
        canonical.mission_part(mission),
        [canonical.party(_columns(p)) for p in parties],
        [canonical.delegation({**_columns(d), "party": party_codes[d.party_id]}) for d in delegations],
        provisions,
        places,
    )


def header(mission: Mission) -> str:
    """The comment an exported YAML file begins with."""
    return (
        f"# The mission {mission.slug}, exported by `truce mission export`: a Truce mission file "
        "(format truce-mission/1, docs/mission-file.md).\n"
        f"# Change it and run `truce mission apply {mission.slug} FILE`, or create a mission from it.\n"
    )


def _all(session: Session, model: Any, mission: Mission) -> list[Any]:
    return list(session.execute(select(model).where(model.mission_id == mission.id).order_by(model.id)).scalars())


def _columns(record: Any) -> dict[str, Any]:
    return {column.key: getattr(record, column.key) for column in record.__table__.columns}
