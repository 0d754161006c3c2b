"""Patrols: the plan, the track (GPX upload) and the deviation of one from the other."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import File, Query, Request, UploadFile, status

from truce import limits
from truce.api import paging
from truce.deps import ReadScope, WriteScope
from truce.numbers import Id, Position
from truce.patrols import service, uploads, views
from truce.patrols.models import PATROL_STATUSES
from truce.patrols.schemas import (
    DeviationsOut,
    PatrolCollectionOut,
    PatrolFeatureOut,
    PatrolIn,
    TrackCollectionOut,
    TrackOut,
)
from truce.routers import DeclaredRouter

router = DeclaredRouter(tags=["patrols"])
PATH = "/missions/{slug}/patrols"


@router.get(PATH, response_model=PatrolCollectionOut)
def list_patrols(
    scope: ReadScope,
    since: limits.Moment | None = None,
    until: limits.Moment | None = None,
    status_: Annotated[str | None, Query(alias="status", pattern="^(" + "|".join(PATROL_STATUSES) + ")$")] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE, description=paging.FEATURES)] = 1000,
    offset: Position = 0,
) -> dict[str, Any]:
    """Patrols the caller may read whose planned window meets [since, until), as a FeatureCollection of routes."""
    rows = service.list_patrols(
        scope.session, scope.mission, actor=scope.actor, since=since, until=until, status=status_, limit=limit,
        offset=offset,
    )  # fmt: skip
    return {"type": "FeatureCollection", "features": [views.patrol_feature(p) for p in rows]}


@router.post(PATH, status_code=status.HTTP_201_CREATED, response_model=PatrolFeatureOut)
def create_patrol(scope: WriteScope, body: PatrolIn) -> dict[str, Any]:
    """Plan a patrol: a Feature whose geometry is the route (monitors, verifiers, administrators)."""
    return views.patrol_feature(service.create(scope.session, scope.mission, body, actor=scope.actor))


@router.get(PATH + "/{patrol_id}", response_model=PatrolFeatureOut)
def get_patrol(scope: ReadScope, patrol_id: Id) -> dict[str, Any]:
    """One patrol."""
    return views.patrol_feature(service.get(scope.session, scope.mission, patrol_id, actor=scope.actor))


@router.put(PATH + "/{patrol_id}", response_model=PatrolFeatureOut)
def update_patrol(scope: WriteScope, patrol_id: Id, body: PatrolIn) -> dict[str, Any]:
    """Amend the plan or record how the patrol went (its delegation or an administrator)."""
    return views.patrol_feature(service.update(scope.session, scope.mission, patrol_id, body, actor=scope.actor))


@router.post(PATH + "/{patrol_id}/track", status_code=status.HTTP_201_CREATED, response_model=TrackOut)
def upload_track(
    request: Request, scope: WriteScope, patrol_id: Id, file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    """Add a track from a GPX file (`trk/trkseg/trkpt`, with times or without); a bad file stores nothing."""
    settings = request.app.state.settings
    track = uploads.import_gpx(
        scope.session, scope.mission, patrol_id, file.file, file.filename,
        evidence=request.app.state.evidence_store, limit=settings.max_upload_mb * limits.MB, actor=scope.actor,
    )  # fmt: skip
    return views.track_summary(track)


@router.get(PATH + "/{patrol_id}/track", response_model=TrackCollectionOut)
def get_tracks(scope: ReadScope, patrol_id: Id) -> dict[str, Any]:
    """The patrol's tracks as LineString Features, each with the times of its points (at most 5,000 drawn)."""
    rows = service.tracks(scope.session, scope.mission, patrol_id, actor=scope.actor)
    return {"type": "FeatureCollection", "features": [views.track_feature(t) for t in rows]}


@router.get(PATH + "/{patrol_id}/deviations", response_model=DeviationsOut)
def get_deviations(scope: ReadScope, patrol_id: Id) -> dict[str, Any]:
    """Each track against the plan: where it left the buffer (how far, how long), places reached and missed."""
    patrol, compared = service.deviations(scope.session, scope.mission, patrol_id, actor=scope.actor)
    return views.deviation_view(patrol, compared)
