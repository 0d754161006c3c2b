"""Restrictions of the freedom of movement, verified by the mission's quorum as incidents are; UAV flights."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import orjson
from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from truce import geo, policy
from truce.errors import Invalid, Message, NotFound
from truce.incidents import derive
from truce.incidents.schemas import VerdictIn
from truce.ledger import service as ledger
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.patrols import service as patrols_service
from truce.places.models import Site
from truce.policy import Actor
from truce.restrictions.models import Restriction, RestrictionVerdict, UavFlight
from truce.restrictions.schemas import RestrictionIn, UavFlightIn
from truce.verification import service as verification

MAX_PAGE = 10_000


def create(session: Session, mission: Mission, data: RestrictionIn, *, actor: Actor) -> Restriction:
    """Record a restriction met by a patrol or a UAV (monitors, verifiers, administrators); it awaits verification."""
    policy.require(actor, "restriction.create", mission.id)
    props = data.properties
    missions_service.check_restricted_to(session, mission, props.classification, props.restricted_to)
    site = _site(session, mission, props.site_id, actor) if props.site_id is not None else None
    if data.geometry is not None or site is None:
        point = geo.parse_geometry(data.geometry, geo.POINTS)
    else:
        point = shape(orjson.loads(site.geometry)).centroid
    if props.controlled_by is not None:
        _refer(lambda: missions_service.party_by_code(session, mission, props.controlled_by or ""), "controlled_by")
    if props.patrol_id is not None:
        _refer(lambda: patrols_service.get(session, mission, props.patrol_id or 0, actor=actor), "patrol_id")
    if props.uav_flight_id is not None:
        _refer(lambda: get_flight(session, mission, props.uav_flight_id or 0, actor=actor), "uav_flight_id")
    derived = derive.map_index(session, mission).derive(point.x, point.y, props.start)
    restriction = Restriction(
        mission_id=mission.id,
        geometry=geo.dumps(point),
        lon=point.x,
        lat=point.y,
        zone_id=derived.zone_id,
        author_id=actor.user_id,
        author_delegation=actor.delegation_code,
        **props.model_dump(exclude={"controlled_by"}),
        controlled_by=props.controlled_by or derived.controlled_by,
    )
    session.add(restriction)
    ledger.record(session, actor, "restriction.create", restriction)
    return restriction


def _site(session: Session, mission: Mission, site_id: int, actor: Actor) -> Site:
    found = session.get(Site, site_id)
    if found is None or found.mission_id != mission.id or not policy.can_read(actor, found):
        raise Invalid(
            Message("mission %(mission)s has no site %(id)s", mission=mission.slug, id=site_id), "properties.site_id"
        )
    return found


def _refer(load: Callable[[], object], field: str) -> None:
    """Check that a referred record exists for the actor; its NotFound becomes an Invalid naming the field."""
    try:
        load()
    except NotFound as exc:
        raise Invalid(exc.message, f"properties.{field}") from None


def list_restrictions(
    session: Session,
    mission: Mission,
    *,
    actor: Actor,
    since: datetime | None = None,
    until: datetime | None = None,
    category: str | None = None,
    party: str | None = None,
    status: str | None = None,
    limit: int = MAX_PAGE,
    offset: int = 0,
) -> list[Restriction]:
    """The restrictions the actor may read that began in [since, until), oldest first."""
    stmt = select(Restriction).where(Restriction.mission_id == mission.id, policy.readable(actor, Restriction))
    if since is not None:
        stmt = stmt.where(Restriction.start >= since)
    if until is not None:
        stmt = stmt.where(Restriction.start < until)
    if category is not None:
        stmt = stmt.where(Restriction.category == category)
    if party is not None:
        stmt = stmt.where(Restriction.controlled_by == party)
    if status is not None:
        stmt = stmt.where(Restriction.status == status)
    stmt = stmt.order_by(Restriction.start, Restriction.id).limit(min(limit, MAX_PAGE)).offset(offset)
    return list(session.execute(stmt).scalars())


def get(session: Session, mission: Mission, restriction_id: int, *, actor: Actor) -> Restriction:
    """One restriction, if the actor may read it."""
    return policy.get_readable(session, Restriction, mission, restriction_id, actor, "restriction")


def verify(
    session: Session, mission: Mission, restriction_id: int, data: VerdictIn, *, actor: Actor
) -> RestrictionVerdict:
    """Record one verifier's verdict and recompute the restriction's status by the mission's quorum."""
    restriction = get(session, mission, restriction_id, actor=actor)
    policy.require(actor, "restriction.verify", mission.id)
    verification.check_verdict(mission, restriction.status, restriction.author_delegation, actor, "restriction")
    verdict = RestrictionVerdict(
        mission_id=mission.id,
        restriction_id=restriction.id,
        verifier_id=actor.user_id,
        delegation=actor.delegation_code,
        verdict=data.verdict,
        note=data.note,
    )
    session.add(verdict)
    ledger.record(session, actor, "restriction.verdict", verdict)
    status = verification.quorum_status(mission, ((v.delegation, v.verdict) for v in verdicts(session, restriction)))
    if status != restriction.status:
        restriction.status = status
        ledger.record(session, actor, "restriction.status", restriction)
    return verdict


def verdicts(session: Session, restriction: Restriction) -> Sequence[RestrictionVerdict]:
    """Every verdict on the restriction, oldest first; dissent stays on the record."""
    stmt = select(RestrictionVerdict).where(RestrictionVerdict.restriction_id == restriction.id)
    return session.execute(stmt.order_by(RestrictionVerdict.id)).scalars().all()


def list_verdicts(
    session: Session, mission: Mission, restriction_id: int, *, actor: Actor
) -> Sequence[RestrictionVerdict]:
    """The verdicts on a restriction the actor may read."""
    return verdicts(session, get(session, mission, restriction_id, actor=actor))


# --- UAV flights ----------------------------------------------------------------------------------


def create_flight(session: Session, mission: Mission, data: UavFlightIn, *, actor: Actor) -> UavFlight:
    """Record a UAV flight and the interference it met (monitors, verifiers, administrators)."""
    policy.require(actor, "uav.write", mission.id)
    props = data.properties
    missions_service.check_restricted_to(session, mission, props.classification, props.restricted_to)
    area = geo.parse_geometry(data.geometry, geo.POLYGONS)
    if props.patrol_id is not None:
        _refer(lambda: patrols_service.get(session, mission, props.patrol_id or 0, actor=actor), "patrol_id")
    box = geo.bounds(area)
    values = props.model_dump(exclude={"episodes"})
    flight = UavFlight(
        mission_id=mission.id,
        area=geo.dumps(area),
        min_lon=box.min_lon,
        min_lat=box.min_lat,
        max_lon=box.max_lon,
        max_lat=box.max_lat,
        episodes=[e.model_dump(mode="json") for e in props.episodes],
        author_id=actor.user_id,
        author_delegation=actor.delegation_code,
        **values,
    )
    session.add(flight)
    ledger.record(session, actor, "uav_flight.create", flight)
    return flight


def list_flights(
    session: Session,
    mission: Mission,
    *,
    actor: Actor,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = MAX_PAGE,
    offset: int = 0,
) -> list[UavFlight]:
    """The UAV flights the actor may read that began in [since, until), oldest first."""
    stmt = select(UavFlight).where(UavFlight.mission_id == mission.id, policy.readable(actor, UavFlight))
    if since is not None:
        stmt = stmt.where(UavFlight.start >= since)
    if until is not None:
        stmt = stmt.where(UavFlight.start < until)
    stmt = stmt.order_by(UavFlight.start, UavFlight.id).limit(min(limit, MAX_PAGE)).offset(offset)
    return list(session.execute(stmt).scalars())


def get_flight(session: Session, mission: Mission, flight_id: int, *, actor: Actor) -> UavFlight:
    """One UAV flight, if the actor may read it."""
    return policy.get_readable(session, UavFlight, mission, flight_id, actor, "UAV flight")
