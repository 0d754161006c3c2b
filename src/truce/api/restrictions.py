"""Restrictions of the freedom of movement (verified by quorum) and UAV flights with their interference."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, status
from fastapi.responses import Response

from truce import limits
from truce.api import paging
from truce.deps import ReadScope, WriteScope
from truce.disposition import attachment
from truce.incidents.schemas import VerdictIn
from truce.incidents.taxonomy import STATUSES
from truce.interop import restriction_stats
from truce.numbers import Id, Position
from truce.restrictions import service, views
from truce.restrictions.models import CATEGORIES
from truce.restrictions.schemas import (
    RestrictionCollectionOut,
    RestrictionFeatureOut,
    RestrictionIn,
    RestrictionVerdictGivenOut,
    RestrictionVerdictOut,
    StatisticsRowOut,
    UavFlightCollectionOut,
    UavFlightFeatureOut,
    UavFlightIn,
)
from truce.routers import DeclaredRouter

router = DeclaredRouter(tags=["freedom of movement"])
PATH = "/missions/{slug}/restrictions"
FLIGHTS = "/missions/{slug}/uav-flights"
Limit = Annotated[int, Query(ge=1, le=service.MAX_PAGE, description=paging.FEATURES)]


@router.get(PATH, response_model=RestrictionCollectionOut)
def list_restrictions(
    scope: ReadScope,
    since: limits.Moment | None = None,
    until: limits.Moment | None = None,
    category: Annotated[str | None, Query(pattern="^(" + "|".join(CATEGORIES) + ")$")] = None,
    party: Annotated[str | None, Query(max_length=32, description="the controlling party's code")] = None,
    status_: Annotated[str | None, Query(alias="status", pattern="^(" + "|".join(STATUSES) + ")$")] = None,
    limit: Limit = 1000,
    offset: Position = 0,
) -> dict[str, Any]:
    """Restrictions the caller may read that began in [since, until), as a FeatureCollection."""
    rows = service.list_restrictions(
        scope.session, scope.mission, actor=scope.actor, since=since, until=until, category=category, party=party,
        status=status_, limit=limit, offset=offset,
    )  # fmt: skip
    return {"type": "FeatureCollection", "features": [views.restriction_feature(r) for r in rows]}


@router.post(PATH, status_code=status.HTTP_201_CREATED, response_model=RestrictionFeatureOut)
def create_restriction(scope: WriteScope, body: RestrictionIn) -> dict[str, Any]:
    """Record a restriction (monitors, verifiers, administrators): a Point, or a site's position by `site_id`."""
    return views.restriction_feature(service.create(scope.session, scope.mission, body, actor=scope.actor))


@router.get(
    PATH + "/statistics",
    response_model=list[StatisticsRowOut],
    responses={200: {"content": {"text/csv": {}, "application/geo+json": {}}}},
)
def statistics(
    scope: ReadScope,
    since: limits.Moment,
    until: limits.Moment,
    period: Annotated[str, Query(pattern="^(" + "|".join(restriction_stats.PERIODS) + ")$")] = "month",
    format_: Annotated[str, Query(alias="format", pattern="^(" + "|".join(restriction_stats.FORMATS) + ")$")] = "json",
) -> Response | list[dict[str, Any]]:
    """Restrictions by controlling party, category, area and period, with median duration and escalation response.

    `format`: json (rows), csv, hxl (CSV with HXL hashtags) or geojson (each group a MultiPoint). Only what the
    caller may read is counted; the same records give the same bytes.
    """
    groups = restriction_stats.table(
        scope.session, scope.mission, actor=scope.actor, since=since, until=until, period=period
    )
    name = f"{scope.mission.slug}-restrictions-{since.date()}-{until.date()}"
    if format_ in ("csv", "hxl"):
        text = restriction_stats.as_csv(groups, hxl=format_ == "hxl")
        return Response(text, media_type="text/csv; charset=utf-8", headers=attachment(f"{name}.{format_}.csv"))
    if format_ == "geojson":
        body = restriction_stats.as_geojson(groups)
        return Response(body, media_type="application/geo+json", headers=attachment(f"{name}.geojson"))
    return [g.row() for g in groups]


@router.get(PATH + "/{restriction_id}", response_model=RestrictionFeatureOut)
def get_restriction(scope: ReadScope, restriction_id: Id) -> dict[str, Any]:
    """One restriction."""
    return views.restriction_feature(service.get(scope.session, scope.mission, restriction_id, actor=scope.actor))


@router.get(PATH + "/{restriction_id}/verifications", response_model=list[RestrictionVerdictOut])
def list_verdicts(scope: ReadScope, restriction_id: Id) -> list[dict[str, Any]]:
    """The verdicts on a restriction, oldest first."""
    rows = service.list_verdicts(scope.session, scope.mission, restriction_id, actor=scope.actor)
    return [views.verdict_view(v) for v in rows]


@router.post(
    PATH + "/{restriction_id}/verifications",
    status_code=status.HTTP_201_CREATED,
    response_model=RestrictionVerdictGivenOut,
)
def verify(scope: WriteScope, restriction_id: Id, body: VerdictIn) -> dict[str, Any]:
    """A verifier's verdict; the restriction's status follows the mission's quorum, as an incident's does."""
    verdict = service.verify(scope.session, scope.mission, restriction_id, body, actor=scope.actor)
    restriction = service.get(scope.session, scope.mission, restriction_id, actor=scope.actor)
    return {**views.verdict_view(verdict), "status": restriction.status}


@router.get(FLIGHTS, response_model=UavFlightCollectionOut)
def list_flights(
    scope: ReadScope,
    since: limits.Moment | None = None,
    until: limits.Moment | None = None,
    limit: Limit = 1000,
    offset: Position = 0,
) -> dict[str, Any]:
    """UAV flights the caller may read that began in [since, until), as a FeatureCollection of areas."""
    rows = service.list_flights(
        scope.session, scope.mission, actor=scope.actor, since=since, until=until, limit=limit, offset=offset
    )
    return {"type": "FeatureCollection", "features": [views.flight_feature(f) for f in rows]}


@router.post(FLIGHTS, status_code=status.HTTP_201_CREATED, response_model=UavFlightFeatureOut)
def create_flight(scope: WriteScope, body: UavFlightIn) -> dict[str, Any]:
    """Record a UAV flight with its interference episodes (monitors, verifiers, administrators)."""
    return views.flight_feature(service.create_flight(scope.session, scope.mission, body, actor=scope.actor))


@router.get(FLIGHTS + "/{flight_id}", response_model=UavFlightFeatureOut)
def get_flight(scope: ReadScope, flight_id: Id) -> dict[str, Any]:
    """One UAV flight."""
    return views.flight_feature(service.get_flight(scope.session, scope.mission, flight_id, actor=scope.actor))
