"""Incidents as GeoJSON, their verdicts, duplicates and merges."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from truce import geo, limits
from truce.api import paging
from truce.api.paging import Page
from truce.api.problems import CONFLICT
from truce.deps import MissionScope, ReadScope, WriteScope
from truce.incidents import service
from truce.incidents.models import Incident, Verification
from truce.incidents.schemas import IncidentBatchIn, IncidentIn, MergeIn, VerdictIn
from truce.incidents.taxonomy import STATUSES, TAXONOMY
from truce.numbers import Id, Position
from truce.verification import service as verification

router = APIRouter(tags=["incidents"])
PATH = "/missions/{slug}/incidents"


def _feature(scope: MissionScope, incident: Incident) -> dict[str, Any]:
    names = service.site_names(scope.session, scope.mission, scope.actor)
    return service.feature(incident, site_names=names, local=scope.mission.taxonomy)


def _verdict(v: Verification) -> dict[str, Any]:
    return {
        "id": v.id,
        "delegation": v.delegation,
        "verdict": v.verdict,
        "note": v.note,
        "created_at": v.created_at.isoformat(),
    }


@router.get(PATH)
def list_incidents(
    scope: ReadScope,
    bbox: Annotated[str | None, Query(max_length=200, description="minlon,minlat,maxlon,maxlat")] = None,
    since: limits.Moment | None = None,
    until: limits.Moment | None = None,
    status_: Annotated[str | None, Query(alias="status", pattern="^(" + "|".join(STATUSES) + ")$")] = None,
    type_: Annotated[str | None, Query(alias="type", pattern="^(" + "|".join(TAXONOMY) + ")$")] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE, description=paging.FEATURES)] = 1000,
    offset: Position = 0,
) -> dict[str, Any]:
    """Incidents the caller may read, newest first, as a FeatureCollection."""
    incidents = service.list_incidents(
        scope.session,
        scope.mission,
        actor=scope.actor,
        limit=limit,
        offset=offset,
        bbox=geo.parse_bbox(bbox) if bbox else None,
        since=since,
        until=until,
        status=status_,
        incident_type=type_,
    )
    names = service.site_names(scope.session, scope.mission, scope.actor)
    return {
        "type": "FeatureCollection",
        "features": [service.feature(i, site_names=names, local=scope.mission.taxonomy) for i in incidents],
        "limit": limit,
        "offset": offset,
    }


@router.post(PATH, status_code=status.HTTP_201_CREATED)
def create_incident(scope: WriteScope, body: IncidentIn) -> dict[str, Any]:
    """File an incident (monitors, verifiers, administrators) or an allegation (liaison officers)."""
    return _feature(scope, service.create(scope.session, scope.mission, body, actor=scope.actor))


@router.post(f"{PATH}/batch", status_code=status.HTTP_201_CREATED)
def create_batch(scope: WriteScope, body: IncidentBatchIn) -> dict[str, Any]:
    """File many incidents at once; bad features are reported by position while the good ones go in."""
    created, errors = service.create_many(scope.session, scope.mission, body.features, actor=scope.actor)
    return {"created": [i.id for i in created], "errors": errors}


@router.get(PATH + "/{incident_id}")
def get_incident(scope: ReadScope, incident_id: Id) -> dict[str, Any]:
    """One incident, with every verdict and note."""
    incident = service.get(scope.session, scope.mission, incident_id, actor=scope.actor)
    result = _feature(scope, incident)
    verdicts = verification.verdicts(scope.session, incident)
    result["properties"]["verifications"] = [_verdict(v) for v in verdicts]
    return result


@router.put(PATH + "/{incident_id}", responses=CONFLICT)
def update_incident(scope: WriteScope, incident_id: Id, body: IncidentIn) -> dict[str, Any]:
    """Amend an incident (its author, before verification)."""
    return _feature(scope, service.update(scope.session, scope.mission, incident_id, body, actor=scope.actor))


@router.post(PATH + "/{incident_id}/retract", responses=CONFLICT)
def retract_incident(scope: WriteScope, incident_id: Id) -> dict[str, Any]:
    """Withdraw an incident (its author, before verification)."""
    return _feature(scope, service.retract(scope.session, scope.mission, incident_id, actor=scope.actor))


@router.get(PATH + "/{incident_id}/verifications")
def list_verifications(scope: ReadScope, incident_id: Id, paging: Page) -> list[dict[str, Any]]:
    """Every verdict on the incident, oldest first."""
    rows = verification.list_verdicts(scope.session, scope.mission, incident_id, actor=scope.actor)
    return [_verdict(v) for v in paging.page(rows)]


@router.post(PATH + "/{incident_id}/verifications", status_code=status.HTTP_201_CREATED, responses=CONFLICT)
def verify_incident(scope: WriteScope, incident_id: Id, body: VerdictIn) -> dict[str, Any]:
    """Give a verdict (verifiers); the incident's status follows the mission's quorum rule."""
    verdict = verification.verify(scope.session, scope.mission, incident_id, body, actor=scope.actor)
    incident = service.get(scope.session, scope.mission, incident_id, actor=scope.actor)
    return {**_verdict(verdict), "incident_status": incident.status}


@router.get(PATH + "/{incident_id}/duplicates")
def likely_duplicates(scope: ReadScope, incident_id: Id) -> dict[str, Any]:
    """Incidents of the same type close in space and time, for verifiers to merge or keep apart."""
    found = service.duplicates(scope.session, scope.mission, incident_id, actor=scope.actor)
    names = service.site_names(scope.session, scope.mission, scope.actor)
    local = scope.mission.taxonomy
    return {"type": "FeatureCollection", "features": [service.feature(i, site_names=names, local=local) for i in found]}


@router.post(PATH + "/{incident_id}/merge", responses=CONFLICT)
def merge_incident(scope: WriteScope, incident_id: Id, body: MergeIn) -> dict[str, Any]:
    """Mark the incident a duplicate of another; both keep their evidence, verdicts and history."""
    merged = service.merge(scope.session, scope.mission, incident_id, body.into, actor=scope.actor)
    return _feature(scope, merged)
