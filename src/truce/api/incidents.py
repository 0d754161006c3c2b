"""Incidents as GeoJSON, their verdicts, duplicates and merges."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, status

from truce import geo, limits
from truce.api import paging
from truce.api.paging import Page
from truce.api.problems import CONFLICT
from truce.deps import MissionScope, ReadScope, WriteScope
from truce.incidents import presenters, service
from truce.incidents.models import Incident, Verification
from truce.incidents.query import SOURCE_CHOICES, IncidentQuery
from truce.incidents.schemas import (
    BatchOut,
    IncidentBatchIn,
    IncidentCollectionOut,
    IncidentDetailOut,
    IncidentFeatureOut,
    IncidentIn,
    MergeIn,
    VerdictGivenOut,
    VerdictIn,
    VerdictOut,
)
from truce.incidents.taxonomy import STATUSES, TAXONOMY
from truce.numbers import Id, Position
from truce.places.presenters import site_names
from truce.routers import DeclaredRouter
from truce.verification import service as verification

# Answers leave out absent members (`restricted_to` is only on restricted incidents), as the presenters do.
router = DeclaredRouter(tags=["incidents"])
PATH = "/missions/{slug}/incidents"


def _feature(scope: MissionScope, incident: Incident) -> dict[str, Any]:
    names = site_names(scope.session, scope.mission, scope.actor)
    return presenters.feature(incident, site_names=names, local=scope.mission.taxonomy)


def _verdict(v: Verification) -> VerdictOut:
    return VerdictOut(
        id=v.id, delegation=v.delegation, verdict=v.verdict, note=v.note, created_at=v.created_at.isoformat()
    )


def incident_query(
    bbox: Annotated[str | None, Query(max_length=200, description="minlon,minlat,maxlon,maxlat")] = None,
    since: limits.Moment | None = None,
    until: limits.Moment | None = None,
    status_: Annotated[str | None, Query(alias="status", pattern="^(" + "|".join(STATUSES) + ")$")] = None,
    type_: Annotated[str | None, Query(alias="type", pattern="^(" + "|".join(TAXONOMY) + ")$")] = None,
    source: Annotated[
        str | None,
        Query(
            pattern="^(" + "|".join(SOURCE_CHOICES) + ")$",
            description="a source, or `monitor` for any of the mission's own (all but `party`, the allegations)",
        ),
    ] = None,
    party: Annotated[str | None, Query(max_length=32, description="an alleged party's code")] = None,
    zone: Annotated[int | None, Query(ge=1, le=2**63 - 1, description="a zone's id (an area)")] = None,
    subtype: Annotated[str | None, Query(max_length=48, description="a subtype, the mission's own included")] = None,
) -> IncidentQuery:
    """The incident filters of a query string, as the one query object the service takes."""
    return IncidentQuery(
        bbox=geo.parse_bbox(bbox) if bbox else None,
        since=since,
        until=until,
        status=status_,
        incident_type=type_,
        source=source,
        party=party,
        zone=zone,
        subtype=subtype,
    )


@router.get(PATH, response_model=IncidentCollectionOut, response_model_exclude_unset=True)
def list_incidents(
    scope: ReadScope,
    where: Annotated[IncidentQuery, Depends(incident_query)],
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE, description=paging.FEATURES)] = 1000,
    offset: Position = 0,
) -> dict[str, Any]:
    """Incidents the caller may read, newest first, as a FeatureCollection."""
    incidents = service.list_incidents(
        scope.session, scope.mission, where, actor=scope.actor, limit=limit, offset=offset
    )
    names = site_names(scope.session, scope.mission, scope.actor)
    return presenters.feature_collection(incidents, names, scope.mission.taxonomy, limit=limit, offset=offset)


@router.post(
    PATH, status_code=status.HTTP_201_CREATED, response_model=IncidentFeatureOut, response_model_exclude_unset=True
)
def create_incident(scope: WriteScope, body: IncidentIn) -> dict[str, Any]:
    """File an incident (monitors, verifiers, administrators) or an allegation (liaison officers)."""
    return _feature(scope, service.create(scope.session, scope.mission, body, actor=scope.actor))


@router.post(f"{PATH}/batch", status_code=status.HTTP_201_CREATED)
def create_batch(scope: WriteScope, body: IncidentBatchIn) -> BatchOut:
    """File many incidents at once; bad features are reported by position while the good ones go in."""
    created, errors = service.create_many(scope.session, scope.mission, body.features, actor=scope.actor)
    return BatchOut.model_validate({"created": [i.id for i in created], "errors": errors})


@router.get(PATH + "/{incident_id}", response_model=IncidentDetailOut, response_model_exclude_unset=True)
def get_incident(scope: ReadScope, incident_id: Id) -> dict[str, Any]:
    """One incident, with every verdict and note."""
    incident = service.get(scope.session, scope.mission, incident_id, actor=scope.actor)
    result = _feature(scope, incident)
    verdicts = verification.verdicts(scope.session, incident)
    result["properties"]["verifications"] = [_verdict(v).model_dump() for v in verdicts]
    return result


@router.put(
    PATH + "/{incident_id}", responses=CONFLICT, response_model=IncidentFeatureOut, response_model_exclude_unset=True
)
def update_incident(scope: WriteScope, incident_id: Id, body: IncidentIn) -> dict[str, Any]:
    """Amend an incident (its author, before verification)."""
    return _feature(scope, service.update(scope.session, scope.mission, incident_id, body, actor=scope.actor))


@router.post(
    PATH + "/{incident_id}/retract",
    responses=CONFLICT,
    response_model=IncidentFeatureOut,
    response_model_exclude_unset=True,
)
def retract_incident(scope: WriteScope, incident_id: Id) -> dict[str, Any]:
    """Withdraw an incident (its author, before verification)."""
    return _feature(scope, service.retract(scope.session, scope.mission, incident_id, actor=scope.actor))


@router.get(PATH + "/{incident_id}/verifications")
def list_verifications(scope: ReadScope, incident_id: Id, paging: Page) -> list[VerdictOut]:
    """Every verdict on the incident, oldest first."""
    rows = verification.list_verdicts(scope.session, scope.mission, incident_id, actor=scope.actor)
    return [_verdict(v) for v in paging.page(rows)]


@router.post(PATH + "/{incident_id}/verifications", status_code=status.HTTP_201_CREATED, responses=CONFLICT)
def verify_incident(scope: WriteScope, incident_id: Id, body: VerdictIn) -> VerdictGivenOut:
    """Give a verdict (verifiers); the incident's status follows the mission's quorum rule."""
    verdict = verification.verify(scope.session, scope.mission, incident_id, body, actor=scope.actor)
    incident = service.get(scope.session, scope.mission, incident_id, actor=scope.actor)
    return VerdictGivenOut(**_verdict(verdict).model_dump(), incident_status=incident.status)


@router.get(PATH + "/{incident_id}/duplicates", response_model=IncidentCollectionOut, response_model_exclude_unset=True)
def likely_duplicates(scope: ReadScope, incident_id: Id) -> dict[str, Any]:
    """Incidents of the same type close in space and time, for verifiers to merge or keep apart."""
    found = service.duplicates(scope.session, scope.mission, incident_id, actor=scope.actor)
    names = site_names(scope.session, scope.mission, scope.actor)
    return presenters.feature_collection(found, names, scope.mission.taxonomy)


@router.post(
    PATH + "/{incident_id}/merge",
    responses=CONFLICT,
    response_model=IncidentFeatureOut,
    response_model_exclude_unset=True,
)
def merge_incident(scope: WriteScope, incident_id: Id, body: MergeIn) -> dict[str, Any]:
    """Mark the incident a duplicate of another; both keep their evidence, verdicts and history."""
    merged = service.merge(scope.session, scope.mission, incident_id, body.into, actor=scope.actor)
    return _feature(scope, merged)
