"""Areas, lines and sites: create, list with a bounding box, read, change, retire, delete.

This service stores places only. What a change does to incidents (deriving them again, refusing to remove a
place they name) is the flow above both domains, `truce.placeflow`, which every entry point calls.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from truce import geo, policy
from truce.errors import Invalid, Message, NotFound
from truce.ledger import service as ledger
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.places.models import Area, Line, Site
from truce.places.schemas import AreaIn, FeatureIn, LineIn, SiteIn
from truce.policy import Actor

PlaceModel = type[Area] | type[Line] | type[Site]
ALLOWED_GEOMETRY: dict[str, tuple[str, ...]] = {"areas": geo.POLYGONS, "lines": geo.LINES, "sites": geo.POINTS}
MAX_PAGE = 10_000


def create_area(session: Session, mission: Mission, feature: AreaIn, *, actor: Actor) -> Area:
    """Add an area (zone, corridor, buffer) to the mission's map."""
    props = feature.properties
    controlled_by_id = None
    if props.controlled_by is not None:
        controlled_by_id = missions_service.party_by_code(session, mission, props.controlled_by).id
    fields = props.model_dump(exclude={"controlled_by"})
    area = Area(mission_id=mission.id, controlled_by_id=controlled_by_id, **fields)
    _add(session, mission, area, feature, actor)
    return area


def create_line(session: Session, mission: Mission, feature: LineIn, *, actor: Actor) -> Line:
    """Add a line (line of contact, route, road) to the mission's map."""
    line = Line(mission_id=mission.id, **feature.properties.model_dump())
    _add(session, mission, line, feature, actor)
    return line


def create_site(session: Session, mission: Mission, feature: SiteIn, *, actor: Actor) -> Site:
    """Add a site (post, checkpoint, settlement) to the mission's map."""
    props = feature.properties
    operated_by_id = None
    if props.operated_by is not None:
        try:
            operated_by_id = missions_service.delegation_by_code(session, mission, props.operated_by).id
        except NotFound as exc:
            raise Invalid(exc.message, "properties.operated_by") from None
    site = Site(mission_id=mission.id, operated_by_id=operated_by_id, **props.model_dump(exclude={"operated_by"}))
    _add(session, mission, site, feature, actor)
    return site


def _add(session: Session, mission: Mission, record: Area | Line | Site, feature: FeatureIn, actor: Actor) -> None:
    policy.require(actor, "place.write", mission.id)
    missions_service.check_restricted_to(
        session, mission, record.classification, record.restricted_to, "properties.restricted_to"
    )
    geometry = geo.parse_geometry(feature.geometry, ALLOWED_GEOMETRY[record.__tablename__])
    box = geo.bounds(geometry)
    record.geometry = geo.dumps(geometry)
    record.min_lon, record.min_lat, record.max_lon, record.max_lat = box.as_list()
    session.add(record)
    ledger.record(session, actor, f"{record.__tablename__[:-1]}.create", record)


def update_place(
    session: Session, mission: Mission, record: Area | Line | Site, feature: AreaIn | LineIn | SiteIn, *, actor: Actor
) -> None:
    """Change a place in place (its id, and so what incidents say of it, stays)."""
    policy.require(actor, "place.write", mission.id)
    props = feature.properties
    fields = props.model_dump(exclude={"controlled_by", "operated_by"})
    if isinstance(record, Area):
        controlled_by = getattr(props, "controlled_by", None)
        record.controlled_by_id = (
            missions_service.party_by_code(session, mission, controlled_by).id if controlled_by else None
        )
    if isinstance(record, Site):
        operated_by = getattr(props, "operated_by", None)
        record.operated_by_id = (
            missions_service.delegation_by_code(session, mission, operated_by).id if operated_by else None
        )
    for name, value in fields.items():
        setattr(record, name, value)
    missions_service.check_restricted_to(
        session, mission, record.classification, record.restricted_to, "properties.restricted_to"
    )
    geometry = geo.parse_geometry(feature.geometry, ALLOWED_GEOMETRY[record.__tablename__])
    record.geometry = geo.dumps(geometry)
    record.min_lon, record.min_lat, record.max_lon, record.max_lat = geo.bounds(geometry).as_list()
    ledger.record(session, actor, f"{record.__tablename__[:-1]}.update", record)


def list_places(
    session: Session,
    model: PlaceModel,
    mission: Mission,
    *,
    actor: Actor,
    bbox: geo.BBox | None = None,
    kind: str | None = None,
    limit: int = MAX_PAGE,
    offset: int = 0,
) -> list[Any]:
    """The places of one type that the actor may read, optionally within a box or of one kind."""
    query: Select[Any] = select(model).where(model.mission_id == mission.id, policy.readable(actor, model))
    if bbox is not None:
        query = query.where(geo.bbox_clause(_dialect(session), model, bbox))
    if kind is not None:
        query = query.where(model.kind == kind)
    query = query.order_by(model.id).limit(min(limit, MAX_PAGE)).offset(offset)
    return list(session.execute(query).scalars())


def get_place(session: Session, model: PlaceModel, mission: Mission, place_id: int, *, actor: Actor) -> Any:
    """One place, if the actor may read it."""
    return policy.get_readable(session, model, mission, place_id, actor, model.__tablename__[:-1])


def delete_place(session: Session, model: PlaceModel, mission: Mission, place_id: int, *, actor: Actor) -> None:
    """Remove a place from the map; the log keeps what it was (`placeflow.remove` refuses a place in use)."""
    record = get_place(session, model, mission, place_id, actor=actor)
    policy.require(actor, "place.write", mission.id)
    session.delete(record)
    ledger.record(session, actor, f"{model.__tablename__[:-1]}.delete", record, deleted=True)


def retire_site(session: Session, mission: Mission, site_id: int, *, on: date, actor: Actor) -> Site:
    """Retire a site instead of deleting it: valid until `on` and closed; the incidents that name it keep it."""
    site: Site = get_place(session, Site, mission, site_id, actor=actor)
    policy.require(actor, "place.write", mission.id)
    if site.valid_from is not None and on < site.valid_from:
        raise Invalid(Message("a site cannot end before it began"), "valid_until")
    site.valid_until, site.status = on, "closed"
    ledger.record(session, actor, "site.retire", site)
    return site


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name
