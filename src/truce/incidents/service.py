"""Incidents: file, list, read, amend, retract, re-derive and merge."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from truce import geo, policy
from truce.errors import Conflict, Forbidden, Invalid, Message, TruceError
from truce.incidents import derive, taxonomy
from truce.incidents.models import Incident, IncidentView
from truce.incidents.query import EVERYTHING, IncidentQuery
from truce.incidents.schemas import IncidentIn
from truce.incidents.taxonomy import TAXONOMY
from truce.ledger import service as ledger
from truce.missions import service as missions_service
from truce.missions.models import Delegation, Mission, Party
from truce.places.models import Area, Line, Site
from truce.policy import Actor
from truce.reports import words

MAX_PAGE = 10_000
# A start later than now by more than a clock's usual error is a mistake (the API took year 2999).
CLOCK_SKEW = timedelta(minutes=5)
# A position this far outside the box of the mission's area is refused unless the filer confirms it.
FAR_OUTSIDE_KM = 30.0
OPEN_STATUSES = ("reported",)
# What the author is told, by what they tried (the verb is a word of the sentence in Russian too).
ONLY_AUTHOR = {
    "amend": Message("only the author may amend an incident"),
    "retract": Message("only the author may retract an incident"),
}
NO_LONGER = {
    "amend": Message("the incident is %(status)s; it can no longer be amended by its author").msgid,
    "retract": Message("the incident is %(status)s; it can no longer be retracted by its author").msgid,
}
# Columns of incidents with a B-tree index that `query` compares.
_INDEXED = (Incident.mission_id, Incident.start, Incident.status)
_VIEW_COLUMNS = [Incident.__table__.c[name] for name in IncidentView._fields]


def create(
    session: Session,
    mission: Mission,
    data: IncidentIn,
    *,
    actor: Actor,
    reported_at: datetime | None = None,
    accused_asked: bool = True,
) -> Incident:
    """File an incident; a party's accusation enters as an allegation (source `party`).

    `reported_at` back-dates the filing for a trusted loader of past records (the demo); the API never passes it.
    `accused_asked=False` lets a liaison's allegation name nobody: only for the phones' form, which does not ask.
    """
    policy.require(actor, "incident.create", mission.id)
    incident = _new(session, mission, data, actor, checks(session, mission), accused_asked=accused_asked)
    if reported_at is not None:
        incident.reported_at = reported_at
    session.add(incident)
    ledger.record(session, actor, "incident.create", incident)
    return incident


def checks(session: Session, mission: Mission) -> Checks:
    """What filings in this transaction are checked against: read once, until the transaction changes it."""
    return ledger.cached(
        session,
        (Checks, mission.id),
        lambda: Checks(session, mission),
        depends_on=(Mission, Party, Delegation, Site, Area, Line),
    )


def _new(
    session: Session, mission: Mission, data: IncidentIn, actor: Actor, checks: Checks, *, accused_asked: bool = True
) -> Incident:
    """A checked, placed and derived incident, not yet in the session: a bad one leaves nothing behind."""
    props = data.properties
    if policy.files_allegations(actor) and props.source != "party":
        raise Invalid(Message("a liaison officer files allegations: source must be 'party'"), "properties.source")
    if "classification" not in props.model_fields_set:
        # A filing that names no classification takes the mission's default (its file's `classification.default`).
        props = props.model_copy(update={"classification": mission.default_classification})
        data = data.model_copy(update={"properties": props})
    incident = Incident(mission_id=mission.id, author_id=actor.user_id, author_delegation=actor.delegation_code)
    _apply(session, mission, incident, data, checks)
    if accused_asked:
        _require_accused(actor, data)
    return incident


def _require_accused(actor: Actor, data: IncidentIn) -> None:
    """A side's allegation names whom it accuses: without it, the other side has nothing to answer."""
    if policy.files_allegations(actor) and not data.properties.alleged_actors:
        raise Invalid(
            Message("an allegation names the alleged actor (the party it accuses)"), "properties.alleged_actors"
        )


class Checks:
    """What a filing is checked and placed against: the mission's parties, delegations and map.

    Filing incidents changes none of it, so a transaction filing many reads it once (`checks`).
    """

    def __init__(self, session: Session, mission: Mission) -> None:
        self.session, self.mission = session, mission
        self._parties: frozenset[str] | None = None
        self._restricted: dict[tuple[str, tuple[str, ...]], Invalid | None] = {}
        self._map: derive.MapIndex | None = None

    def restricted_to(self, classification: str, codes: list[str]) -> None:
        key = (classification, tuple(codes))
        if key not in self._restricted:
            try:
                missions_service.check_restricted_to(
                    self.session, self.mission, classification, codes, "properties.restricted_to"
                )
                self._restricted[key] = None
            except Invalid as exc:
                self._restricted[key] = exc
        error = self._restricted[key]
        if error is not None:
            raise error.with_traceback(None)

    def parties(self) -> frozenset[str]:
        if self._parties is None:
            self._parties = frozenset(p.code for p in missions_service.parties(self.session, self.mission))
        return self._parties

    def map(self) -> derive.MapIndex:
        if self._map is None:
            self._map = derive.map_index(self.session, self.mission)
        return self._map


def _apply(session: Session, mission: Mission, incident: Incident, data: IncidentIn, checks: Checks) -> None:
    props = data.properties
    if props.subtype not in TAXONOMY[props.type]:
        taxonomy.check_subtype(mission.taxonomy, props.type, props.subtype)
    if props.classification == "restricted" and not props.restricted_to:
        raise Invalid(
            Message("a restricted incident names the delegations that may read it"),
            "properties.restricted_to",
            code="delegations_missing",
        )
    checks.restricted_to(props.classification, props.restricted_to)
    named = {a.party for a in props.alleged_actors}
    strangers = sorted(named - checks.parties()) if named else []
    if strangers:
        raise Invalid(
            Message("unknown party codes %(codes)s", codes=", ".join(strangers)),
            "properties.alleged_actors",
            code="parties_unknown",
        )
    if mission.starts_on is not None and props.start.date() < mission.starts_on - timedelta(days=1):
        raise Invalid(
            Message("is before the mission began on %(day)s", day=mission.starts_on.isoformat()),
            "properties.start",
            code="before_mission",
        )
    if props.start > datetime.now(UTC) + CLOCK_SKEW:
        raise Invalid(
            Message("is in the future; give the time the incident began"), "properties.start", code="in_future"
        )
    excluded = {"observer_site", "casualties", "alleged_actors", "counts", "confirm_outside_area"}
    fields = props.model_dump(exclude=excluded)
    for name, value in fields.items():
        setattr(incident, name, value)
    incident.counts = dict(props.counts)
    incident.casualties = props.casualties.model_dump()
    incident.alleged_actors = [a.model_dump() for a in props.alleged_actors]
    incident.observer_site_id = props.observer_site
    geometry = _geometry(session, mission, data)
    _place(incident, geometry)
    index = checks.map()
    outside = index.km_outside(incident.lon, incident.lat)
    if outside > FAR_OUTSIDE_KM and not props.confirm_outside_area:
        raise Invalid(
            Message(
                "is %(km)s km outside the mission's area; check it, or confirm it (confirm_outside_area)",
                km=f"{outside:.0f}",
            ),
            "geometry",
            code="far_outside_area",
        )
    _derive(incident, index)


def _geometry(session: Session, mission: Mission, data: IncidentIn) -> Any:
    props = data.properties
    if data.geometry is not None:
        return geo.parse_geometry(data.geometry, geo.GEOMETRY_TYPES)
    site = session.get(Site, props.observer_site)
    if site is None or site.mission_id != mission.id:
        raise Invalid(
            Message("mission %(mission)s has no site %(id)s", mission=mission.slug, id=props.observer_site),
            "properties.observer_site",
            code="site_unknown",
        )
    if props.bearing_deg is None or props.distance_km is None:
        raise Invalid(
            Message("give bearing_deg and distance_km with observer_site"), "properties", code="geometry_missing"
        )
    lon, lat = derive.from_observer(site.min_lon, site.min_lat, props.bearing_deg, props.distance_km)
    return geo.parse_geometry({"type": "Point", "coordinates": [lon, lat]}, geo.POINTS)


def _place(incident: Incident, geometry: Any) -> None:
    box = geo.bounds(geometry)
    point = geometry if geometry.geom_type == "Point" else geometry.representative_point()
    incident.geometry = geo.dumps(geometry)
    incident.lon, incident.lat = round(point.x, 7), round(point.y, 7)
    incident.min_lon, incident.min_lat, incident.max_lon, incident.max_lat = box.as_list()


def _derive(incident: Incident, index: derive.MapIndex) -> bool:
    """Set the derived fields; whether any of them changed."""
    facts = index.derive(incident.lon, incident.lat, incident.start)
    changed = False
    for name, value in vars(facts).items():
        if getattr(incident, name) != value:
            setattr(incident, name, value)
            changed = True
    return changed


def create_many(
    session: Session, mission: Mission, features: list[dict[str, Any]], *, actor: Actor
) -> tuple[list[Incident], list[dict[str, Any]]]:
    """File many incidents; each bad one is reported by position while the good ones go in."""
    policy.require(actor, "incident.create", mission.id)
    created: list[Incident] = []
    errors: list[dict[str, Any]] = []
    shared = checks(session, mission)
    for position, feature in enumerate(features):
        try:
            created.append(_new(session, mission, IncidentIn.model_validate(feature), actor, shared))
        except ValidationError as exc:
            errors.append({"index": position, "detail": _first_error(exc)})
        except TruceError as exc:
            errors.append({"index": position, "detail": exc.detail})
    # Every check has run, so the good ones go in together: one INSERT each for incidents and entries.
    session.add_all(created)
    for incident in created:
        ledger.record(session, actor, "incident.create", incident)
    return created, errors


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else str(error["msg"])


def query(
    mission: Mission, actor: Actor, where: IncidentQuery = EVERYTHING, *, dialect: str
) -> Select[tuple[Incident]]:
    """The incidents the actor may read, filtered by `where`, newest first."""
    return _query(mission, actor, dialect, where, box_drives=True)


def _query(
    mission: Mission, actor: Actor, dialect: str, where: IncidentQuery, *, box_drives: bool
) -> Select[tuple[Incident]]:
    clause = and_(Incident.mission_id == mission.id, policy.readable(actor, Incident), *where.terms())
    bbox = where.bbox
    if bbox is not None and box_drives:
        # A map's box usually holds few of the mission's rows; its spatial index should find them first.
        clause = and_(geo.unindexed(dialect, clause, _INDEXED), geo.bbox_clause(dialect, Incident, bbox))
    elif bbox is not None:
        # Most rows meet the box: walk the time index newest first and test the box on each row, which
        # stops at the page's end. Asking the R*Tree would list every row first (8 s at a million).
        clause = and_(clause, geo.box_test(Incident, bbox))
    stmt = select(Incident).where(clause)
    return stmt.order_by(Incident.start.desc(), Incident.id.desc())


def list_incidents(
    session: Session,
    mission: Mission,
    where: IncidentQuery = EVERYTHING,
    *,
    actor: Actor,
    limit: int = 1000,
    offset: int = 0,
) -> list[IncidentView]:
    """A page of the incidents the actor may read, as the columns their Features show."""
    dialect = session.get_bind().dialect.name
    limit = min(limit, MAX_PAGE)
    # Only SQLite needs to know whether the box is wide (PostgreSQL plans by its statistics and the values).
    bbox = where.bbox
    wide = dialect == "sqlite" and bbox is not None and _box_is_wide(session, bbox, limit + offset)
    stmt = _query(mission, actor, dialect, where, box_drives=not wide)
    # Through the connection, all rows at once: the session would hand each row through its ORM loading, and
    # iterating the result would fetch the rows one driver call at a time.
    rows = session.connection().execute(stmt.with_only_columns(*_VIEW_COLUMNS).limit(limit).offset(offset)).all()
    return [IncidentView._make(row) for row in rows]


def _box_is_wide(session: Session, bbox: geo.BBox, rows: int) -> bool:
    return geo.box_holds_more(session, Incident, bbox, _box_drives_below(session, rows))


def _box_drives_below(session: Session, rows: int) -> int:
    """How many rows a box may hold before walking the time index is cheaper than sorting the box's rows.

    Sorting costs about as many row reads as the box holds (b); walking the time index newest first
    reads about rows * n / b rows to fill the page, n being the rows in the table. They cross at
    b = sqrt(rows * n): about 32,000 for a page of 1,000 out of a million.
    """
    highest = session.scalar(select(func.max(Incident.id))) or 0
    return max(1000, math.isqrt(rows * highest))


def latest_start(session: Session, mission: Mission, *, actor: Actor) -> datetime | None:
    """When the latest incident the actor may read began; None when they may read none."""
    clause = and_(Incident.mission_id == mission.id, policy.readable(actor, Incident))
    return session.execute(select(func.max(Incident.start)).where(clause)).scalar_one_or_none()


def get(session: Session, mission: Mission, incident_id: int, *, actor: Actor) -> Incident:
    """One incident, if the actor may read it."""
    return policy.get_readable(session, Incident, mission, incident_id, actor, "incident")


def update(
    session: Session, mission: Mission, incident_id: int, data: IncidentIn, *, actor: Actor, accused_asked: bool = True
) -> Incident:
    """Amend an incident: only its author, and only before anyone has verified it (`accused_asked`: see `create`)."""
    incident = get(session, mission, incident_id, actor=actor)
    _require_author(incident, actor, "amend")
    if accused_asked:
        _require_accused(actor, data)
    _apply(session, mission, incident, data, Checks(session, mission))
    ledger.record(session, actor, "incident.update", incident)
    return incident


def retract(session: Session, mission: Mission, incident_id: int, *, actor: Actor) -> Incident:
    """Withdraw an incident: only its author, and only before anyone has verified it."""
    incident = get(session, mission, incident_id, actor=actor)
    _require_author(incident, actor, "retract")
    incident.status = "retracted"
    ledger.record(session, actor, "incident.retract", incident)
    return incident


def amendable_by(incident: Incident, actor: Actor) -> bool:
    """Whether the actor may still amend or retract the incident: its author, before anyone verified it."""
    return incident.author_id is not None and incident.author_id == actor.user_id and incident.status in OPEN_STATUSES


def require_amendable(incident: Incident, actor: Actor, verb: str) -> None:
    """Refuse unless the actor is the incident's author and nobody has verified it yet."""
    _require_author(incident, actor, verb)


def _require_author(incident: Incident, actor: Actor, verb: str) -> None:
    if incident.author_id is None or incident.author_id != actor.user_id:
        raise Forbidden(ONLY_AUTHOR.get(verb, ONLY_AUTHOR["amend"]))
    if incident.status not in OPEN_STATUSES:
        closed = NO_LONGER.get(verb, NO_LONGER["amend"])
        raise Conflict(Message(closed, status=Message(words.STATUS.get(incident.status, incident.status))))


def rederive(session: Session, mission: Mission, *, actor: Actor, within: geo.BBox | None = None) -> int:
    """Recompute derived fields after the map changed (only `within` a box, if given); log each that moved."""
    changed = 0
    stmt = select(Incident).where(Incident.mission_id == mission.id)
    if within is not None:
        stmt = stmt.where(geo.bbox_clause(session.get_bind().dialect.name, Incident, within))
    stmt = stmt.execution_options(yield_per=1000)
    # Logging the changes below touches no place, so the map read once stays current.
    index = derive.map_index(session, mission)
    for incident in session.execute(stmt).scalars():
        if _derive(incident, index):
            ledger.record(session, actor, "incident.rederive", incident)
            changed += 1
    return changed


def farthest_nearest_site_km(session: Session, mission: Mission) -> float:
    """The largest distance from any incident to its nearest site: how far a new site can matter."""
    stmt = select(func.max(Incident.nearest_site_km)).where(Incident.mission_id == mission.id)
    return float(session.scalar(stmt) or 0.0)


def duplicates(session: Session, mission: Mission, incident_id: int, *, actor: Actor) -> list[Incident]:
    """Incidents of the same type close in space and time, by the mission's thresholds."""
    incident = get(session, mission, incident_id, actor=actor)
    window = timedelta(minutes=mission.duplicate_minutes)
    # A degree of latitude is about 111 km; the box is cut down to the real distance below.
    pad = mission.duplicate_km / 111.0 * 1.5
    box = geo.BBox(incident.lon - pad * 2, incident.lat - pad, incident.lon + pad * 2, incident.lat + pad)
    near = IncidentQuery(
        bbox=box, since=incident.start - window, until=incident.start + window, incident_type=incident.type
    )
    stmt = query(mission, actor, near, dialect=session.get_bind().dialect.name)
    candidates = session.execute(stmt.where(Incident.id != incident.id)).scalars()
    return [
        c
        for c in candidates
        if c.merged_into_id is None
        and derive.km_between(incident.lon, incident.lat, c.lon, c.lat) <= mission.duplicate_km
    ]


def merge(session: Session, mission: Mission, incident_id: int, into_id: int, *, actor: Actor) -> Incident:
    """Mark an incident as a duplicate of another; both keep their evidence, verdicts and history."""
    policy.require(actor, "incident.merge", mission.id)
    duplicate = get(session, mission, incident_id, actor=actor)
    target = get(session, mission, into_id, actor=actor)
    if duplicate.id == target.id or target.merged_into_id == duplicate.id:
        raise Invalid(Message("an incident cannot be merged into itself"), "into")
    if target.merged_into_id is not None:
        raise Conflict(
            Message(
                "incident %(id)s was itself merged into %(into)s; merge into that",
                id=target.id,
                into=target.merged_into_id,
            )
        )
    duplicate.merged_into_id = target.id
    ledger.record(session, actor, "incident.merge", duplicate)
    return duplicate
