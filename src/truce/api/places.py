"""Areas, lines and sites as GeoJSON."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Response, status

from truce import geo, placeflow
from truce.api import paging
from truce.api.problems import CONFLICT
from truce.deps import ReadScope, WriteScope
from truce.numbers import Id, Position
from truce.places import presenters, service
from truce.places.models import Area, Line, Site
from truce.places.schemas import AreaIn, LineIn, PlaceCollectionOut, PlaceFeatureOut, SiteIn
from truce.routers import DeclaredRouter

# Answers leave out absent members (an area's `controlled_by`, a site's code), as the presenters do.
router = DeclaredRouter(tags=["places"])

BBoxQuery = Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat", max_length=200)]
KindQuery = Annotated[str | None, Query(max_length=32)]
Limit = Annotated[int, Query(ge=1, le=service.MAX_PAGE, description=paging.FEATURES)]
Offset = Position
GEOJSON = "application/geo+json"


def _collection(scope: ReadScope, model: Any, bbox: str | None, kind: str | None, limit: int, offset: int) -> Any:
    box = geo.parse_bbox(bbox) if bbox else None
    records = service.list_places(
        scope.session, model, scope.mission, actor=scope.actor, bbox=box, kind=kind, limit=limit, offset=offset
    )
    return presenters.feature_collection(scope.session, scope.mission, records)


def _one(scope: ReadScope | WriteScope, record: Any) -> dict[str, Any]:
    return presenters.feature_collection(scope.session, scope.mission, [record])["features"][0]  # type: ignore[no-any-return]


@router.get("/missions/{slug}/areas", response_model=PlaceCollectionOut, response_model_exclude_unset=True)
def list_areas(
    scope: ReadScope, bbox: BBoxQuery = None, kind: KindQuery = None, limit: Limit = 1000, offset: Offset = 0
) -> dict[str, Any]:
    """Zones, corridors and other areas, as a FeatureCollection."""
    return _collection(scope, Area, bbox, kind, limit, offset)  # type: ignore[no-any-return]


@router.post(
    "/missions/{slug}/areas",
    status_code=status.HTTP_201_CREATED,
    response_model=PlaceFeatureOut,
    response_model_exclude_unset=True,
)
def create_area(scope: WriteScope, body: AreaIn) -> dict[str, Any]:
    """Add an area (admin)."""
    return _one(scope, placeflow.create(scope.session, scope.mission, body, actor=scope.actor).place)


@router.get("/missions/{slug}/areas/{place_id}", response_model=PlaceFeatureOut, response_model_exclude_unset=True)
def get_area(scope: ReadScope, place_id: Id) -> dict[str, Any]:
    """One area."""
    return _one(scope, service.get_place(scope.session, Area, scope.mission, place_id, actor=scope.actor))


@router.get("/missions/{slug}/lines", response_model=PlaceCollectionOut, response_model_exclude_unset=True)
def list_lines(
    scope: ReadScope, bbox: BBoxQuery = None, kind: KindQuery = None, limit: Limit = 1000, offset: Offset = 0
) -> dict[str, Any]:
    """The line of contact, routes and roads, as a FeatureCollection."""
    return _collection(scope, Line, bbox, kind, limit, offset)  # type: ignore[no-any-return]


@router.post(
    "/missions/{slug}/lines",
    status_code=status.HTTP_201_CREATED,
    response_model=PlaceFeatureOut,
    response_model_exclude_unset=True,
)
def create_line(scope: WriteScope, body: LineIn) -> dict[str, Any]:
    """Add a line (admin)."""
    return _one(scope, placeflow.create(scope.session, scope.mission, body, actor=scope.actor).place)


@router.get("/missions/{slug}/lines/{place_id}", response_model=PlaceFeatureOut, response_model_exclude_unset=True)
def get_line(scope: ReadScope, place_id: Id) -> dict[str, Any]:
    """One line."""
    return _one(scope, service.get_place(scope.session, Line, scope.mission, place_id, actor=scope.actor))


@router.get("/missions/{slug}/sites", response_model=PlaceCollectionOut, response_model_exclude_unset=True)
def list_sites(
    scope: ReadScope, bbox: BBoxQuery = None, kind: KindQuery = None, limit: Limit = 1000, offset: Offset = 0
) -> dict[str, Any]:
    """Posts, checkpoints, settlements and other sites, as a FeatureCollection (`?kind=post`)."""
    return _collection(scope, Site, bbox, kind, limit, offset)  # type: ignore[no-any-return]


@router.post(
    "/missions/{slug}/sites",
    status_code=status.HTTP_201_CREATED,
    response_model=PlaceFeatureOut,
    response_model_exclude_unset=True,
)
def create_site(scope: WriteScope, body: SiteIn) -> dict[str, Any]:
    """Add a site (admin)."""
    return _one(scope, placeflow.create(scope.session, scope.mission, body, actor=scope.actor).place)


@router.get("/missions/{slug}/sites/{place_id}", response_model=PlaceFeatureOut, response_model_exclude_unset=True)
def get_site(scope: ReadScope, place_id: Id) -> dict[str, Any]:
    """One site."""
    return _one(scope, service.get_place(scope.session, Site, scope.mission, place_id, actor=scope.actor))


@router.delete("/missions/{slug}/sites/{place_id}", status_code=status.HTTP_204_NO_CONTENT, responses=CONFLICT)
def delete_site(scope: WriteScope, place_id: Id) -> Response:
    """Remove a site no incident names (admin; 409 otherwise: retire it); the log keeps its history."""
    placeflow.remove(scope.session, Site, scope.mission, place_id, actor=scope.actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
