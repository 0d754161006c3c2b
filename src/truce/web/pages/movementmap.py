"""The map's freedom-of-movement layers: planned routes, tracks, deviations, restrictions and UAV flights.

One JSON document, read with the visitor's rights; `party` and `category` narrow the restrictions, as the map's
own selects do in the browser.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from truce.errors import Invalid, Message
from truce.missions.models import Mission
from truce.patrols import service as patrols_service
from truce.patrols import views as patrol_views
from truce.policy import Actor
from truce.restrictions import service as restrictions_service
from truce.restrictions import views as restriction_views
from truce.restrictions.models import CATEGORIES, KINDS
from truce.web.context import ReadPage
from truce.web.i18n import N_
from truce.web.routing import page_router

router = page_router()
# The map draws recent patrols; the API and the reports have them all.
MAX_PATROLS = 200

CATEGORY_LABELS = {
    "denial": N_("Denial of access"),
    "delay": N_("Delay"),
    "conditional_access": N_("Conditional access"),
    "other_impediment": N_("Other impediment"),
}
KIND_LABELS = {
    "checkpoint": N_("At a checkpoint"),
    "mines_uxo": N_("Mines or unexploded ordnance"),
    "threat": N_("Threat"),
    "gunfire": N_("Gunfire near a patrol"),
    "information_refused": N_("Information refused"),
    "camera_obstructed": N_("Camera obstructed"),
    "uav_signal_interference": N_("UAV signal interference"),
    "uav_fired_upon": N_("UAV fired upon"),
    "uav_lost": N_("UAV lost"),
}
LAYER_LABELS = {
    "routes": N_("Planned patrol routes"),
    "tracks": N_("Patrol tracks"),
    "deviations": N_("Deviations from the route"),
    "restrictions": N_("Restrictions of movement"),
    "uav": N_("UAV flights"),
    "all_parties": N_("All parties"),
    "all_categories": N_("All categories"),
    "off_route": N_("%s km off the route for %s min"),
    "filter": N_("Restrictions: filter"),
    "record": N_("Record a restriction"),
}


def movement(
    session: Session, mission: Mission, actor: Actor, party: str | None, category: str | None
) -> dict[str, Any]:
    """The layers as GeoJSON FeatureCollections."""
    patrols = patrols_service.list_patrols(session, mission, actor=actor)[-MAX_PATROLS:]
    tracks: list[dict[str, Any]] = []
    deviations: list[dict[str, Any]] = []
    for patrol in patrols:
        if patrol.status not in ("completed", "under_way"):
            continue
        _, compared = patrols_service.deviations(session, mission, patrol.id, actor=actor)
        for track, _found in compared:
            feature = patrol_views.track_feature(track, max_points=500)
            feature["properties"] = {"patrol_id": patrol.id, "name": patrol.name, "timed": track.timed}
            tracks.append(feature)
        deviations.extend(patrol_views.segments_feature_collection(compared)["features"])
    restrictions = restrictions_service.list_restrictions(session, mission, actor=actor, party=party, category=category)
    flights = restrictions_service.list_flights(session, mission, actor=actor)
    return {
        "routes": {"type": "FeatureCollection", "features": [patrol_views.patrol_feature(p) for p in patrols]},
        "tracks": {"type": "FeatureCollection", "features": tracks},
        "deviations": {"type": "FeatureCollection", "features": deviations},
        "restrictions": {
            "type": "FeatureCollection",
            "features": [restriction_views.restriction_feature(r) for r in restrictions],
        },
        "uav": {"type": "FeatureCollection", "features": [restriction_views.flight_feature(f) for f in flights]},
    }


@router.get("/m/{slug}/map/movement.json", name="map_movement")
def map_movement(request: Request, page: ReadPage) -> Response:
    """Routes, tracks, deviations, restrictions and UAV flights; `?party=` and `?category=` narrow restrictions."""
    party = request.query_params.get("party") or None
    category = request.query_params.get("category") or None
    if category is not None and category not in CATEGORIES:
        raise Invalid(Message("must be one of %(values)s", values=", ".join(CATEGORIES)), "category")
    if party is not None and len(party) > 32:
        raise Invalid(Message("is not a party code"), "party")
    return JSONResponse(movement(page.session, page.mission_or_404(), page.actor, party, category))


def movement_text(_: Callable[[str], str]) -> dict[str, Any]:
    """The layer, category and kind names the map's script shows, translated with `_`."""
    return {
        "layers": {key: _(label) for key, label in LAYER_LABELS.items()},
        "categories": {key: _(label) for key, label in CATEGORY_LABELS.items()},
        "kinds": {key: _(KIND_LABELS[key]) for key in KINDS},
    }
