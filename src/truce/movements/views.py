"""Movements and exchanges as readers see them (place names they may read, lists matched); shared by API and pages."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from truce.missions.models import Mission
from truce.movements import service
from truce.movements.models import Exchange, Movement
from truce.movements.schemas import MovementOut, PlaceRef
from truce.policy import Actor


def movement_view(movement: Movement, names: dict[int, str]) -> MovementOut:
    """A movement with its checkpoint, origin and destination named where the reader may see those sites."""

    def place(site_id: int | None, text: str) -> PlaceRef:
        if site_id is not None and site_id in names:
            return PlaceRef(id=site_id, name=names[site_id])
        return PlaceRef(id=None, name=text)

    fields = {k: getattr(movement, k) for k in MovementOut.model_fields if k not in ("site", "origin", "destination")}
    return MovementOut(
        **fields,
        site=PlaceRef(id=movement.site_id, name=names.get(movement.site_id, "")),
        origin=place(movement.origin_site_id, movement.origin),
        destination=place(movement.destination_site_id, movement.destination),
    )


def exchange_view(session: Session, mission: Mission, exchange: Exchange, *, actor: Actor) -> dict[str, Any]:
    """An exchange with both lists matched; identifiers appear only for the sides and the intermediary."""
    matched = service.comparison(session, mission, exchange.id, actor=actor)
    return {
        "id": exchange.id,
        "kind": exchange.kind,
        "side_a": exchange.side_a,
        "side_b": exchange.side_b,
        "intermediary": exchange.intermediary,
        "planned_on": exchange.planned_on.isoformat() if exchange.planned_on else None,
        "handed_over_on": exchange.handed_over_on.isoformat() if exchange.handed_over_on else None,
        "site_id": exchange.site_id,
        "place": exchange.place,
        "handed_over": exchange.handed_over,
        "status": exchange.status,
        "confirmations": exchange.confirmations,
        "note": exchange.note,
        "classification": exchange.classification,
        "author_delegation": exchange.author_delegation,
        "created_at": exchange.created_at.isoformat(),
        "matching": matched,
    }
