"""Planned patrols, the tracks they leave, and how far each track kept to its plan."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import orjson
from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from truce import geo, limits, policy
from truce.errors import Forbidden, Invalid, Message
from truce.ledger import service as ledger
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.patrols import deviation, points
from truce.patrols.models import Patrol, Track
from truce.patrols.points import Points
from truce.patrols.schemas import PatrolIn
from truce.places.models import Site
from truce.policy import Actor

MAX_PAGE = 10_000
# Statuses a patrol moves to once a track arrives, from those before it.
DONE_WITH_TRACK = {"planned": "completed", "under_way": "completed"}
UNDER_WAY_WITH_PAGE = {"planned": "under_way"}


def create(session: Session, mission: Mission, data: PatrolIn, *, actor: Actor) -> Patrol:
    """Plan a patrol (monitors, verifiers, administrators)."""
    policy.require(actor, "patrol.write", mission.id)
    patrol = Patrol(mission_id=mission.id, author_id=actor.user_id, author_delegation=actor.delegation_code)
    _fill(session, mission, patrol, data, actor)
    session.add(patrol)
    ledger.record(session, actor, "patrol.create", patrol)
    return patrol


def update(session: Session, mission: Mission, patrol_id: int, data: PatrolIn, *, actor: Actor) -> Patrol:
    """Amend a plan or record how it went: its author's delegation or an administrator; the log keeps each version."""
    patrol = get(session, mission, patrol_id, actor=actor)
    policy.require(actor, "patrol.write", mission.id)
    if not policy.amends_patrol(actor, patrol.author_delegation):
        raise Forbidden(Message("only the delegation that planned a patrol, or an administrator, may amend it"))
    _fill(session, mission, patrol, data, actor)
    ledger.record(session, actor, "patrol.update", patrol)
    return patrol


def _fill(session: Session, mission: Mission, patrol: Patrol, data: PatrolIn, actor: Actor) -> None:
    route = geo.parse_geometry(data.geometry, geo.LINES)
    props = data.properties
    missions_service.check_restricted_to(session, mission, props.classification, props.restricted_to)
    codes = {d.code for d in missions_service.delegations(session, mission)}
    unknown = sorted(set(props.delegations) - codes)
    if unknown:
        raise Invalid(Message("unknown delegation codes %(codes)s", codes=", ".join(unknown)), "properties.delegations")
    parties = {p.code for p in missions_service.parties(session, mission)}
    for index, notice in enumerate(props.notifications):
        if notice.party not in parties:
            raise Invalid(
                Message("mission %(mission)s has no party %(party)r", mission=mission.slug, party=notice.party),
                f"properties.notifications.{index}",
            )
    for index, site_id in enumerate(props.checkpoints):
        site = session.get(Site, site_id)
        if site is None or site.mission_id != mission.id or not policy.can_read(actor, site):
            raise Invalid(
                Message("mission %(mission)s has no site %(id)s", mission=mission.slug, id=site_id),
                f"properties.checkpoints.{index}",
            )
    box = geo.bounds(route)
    patrol.route = geo.dumps(route)
    patrol.min_lon, patrol.min_lat, patrol.max_lon, patrol.max_lat = box.as_list()
    values = props.model_dump(mode="python")
    values["notifications"] = [n.model_dump(mode="json") for n in props.notifications]
    for name, value in values.items():
        setattr(patrol, name, value)


def list_patrols(
    session: Session,
    mission: Mission,
    *,
    actor: Actor,
    since: datetime | None = None,
    until: datetime | None = None,
    status: str | None = None,
    limit: int = MAX_PAGE,
    offset: int = 0,
) -> list[Patrol]:
    """The patrols the actor may read whose planned window meets [since, until), by planned start."""
    stmt = select(Patrol).where(Patrol.mission_id == mission.id, policy.readable(actor, Patrol))
    if since is not None:
        stmt = stmt.where(Patrol.planned_end >= since)
    if until is not None:
        stmt = stmt.where(Patrol.planned_start < until)
    if status is not None:
        stmt = stmt.where(Patrol.status == status)
    stmt = stmt.order_by(Patrol.planned_start, Patrol.id).limit(min(limit, MAX_PAGE)).offset(offset)
    return list(session.execute(stmt).scalars())


def get(session: Session, mission: Mission, patrol_id: int, *, actor: Actor) -> Patrol:
    """One patrol, if the actor may read it."""
    return policy.get_readable(session, Patrol, mission, patrol_id, actor, "patrol")


# --- tracks ---------------------------------------------------------------------------------------


def check_track_writer(session: Session, mission: Mission, patrol_id: int, *, actor: Actor) -> Patrol:
    """The patrol a track may be added to by the actor; refused before any file is read or stored."""
    patrol = get(session, mission, patrol_id, actor=actor)
    policy.require(actor, "patrol.write", mission.id)
    if patrol.status == "cancelled":
        raise Invalid(Message("the patrol was cancelled; it has no track"), "patrol")
    return patrol


def add_track(
    session: Session,
    mission: Mission,
    patrol_id: int,
    track_points: Points,
    *,
    source: str,
    actor: Actor,
    file_sha256: str | None = None,
    filename: str = "",
) -> Track:
    """Add a track to a patrol, read already (`gpx.read`, the phones' geotrace); the patrol's times follow it."""
    patrol = check_track_writer(session, mission, patrol_id, actor=actor)
    track = Track(
        mission_id=mission.id,
        patrol_id=patrol.id,
        source=source,
        file_sha256=file_sha256,
        filename=filename,
        classification=patrol.classification,
        restricted_to=list(patrol.restricted_to),
        author_id=actor.user_id,
        author_delegation=actor.delegation_code,
    )
    _describe(track, track_points)
    session.add(track)
    ledger.record(session, actor, "patrol.track", track, evidence=(file_sha256,) if file_sha256 else ())
    _follow(session, patrol, track, actor)
    return track


def add_positions(
    session: Session, mission: Mission, patrol_id: int, track_id: int | None, batch: Points, *, actor: Actor
) -> Track:
    """Positions the pages recorded while a patrol runs, sent in batches: the first starts a track (source `page`),
    the next ones extend it. Only its author extends it, with times that do not go back; each version is logged."""
    if track_id is None:
        return add_track(session, mission, patrol_id, batch, source="page", actor=actor)
    patrol = check_track_writer(session, mission, patrol_id, actor=actor)
    track = session.get(Track, track_id)
    if track is None or track.patrol_id != patrol.id or track.source != "page" or track.author_id != actor.user_id:
        raise Invalid(
            Message("patrol %(id)s has no track %(track)s recorded by you on this page", id=patrol.id, track=track_id),
            "track_id",
        )
    before = points.unpack(track.points)
    last_time = float(before.time[-1])
    if not batch.timed or float(batch.time[0]) < last_time:
        raise Invalid(Message("the positions must have times, none before the last one sent"), "points")
    joined = points.Points(
        *(np.concatenate([getattr(before, name), getattr(batch, name)]) for name in ("lon", "lat", "time", "accuracy"))
    )
    if len(joined) > limits.MAX_TRACK_POINTS:
        raise Invalid(
            Message("more than %(most)s points; start a new track", most=f"{limits.MAX_TRACK_POINTS:,}"), "points"
        )
    _describe(track, joined)
    ledger.record(session, actor, "patrol.track", track)
    _follow(session, patrol, track, actor)
    return track


def _describe(track: Track, track_points: Points) -> None:
    """A track's points and what is kept of them: count, times, length, bounding box, digest."""
    blob = points.pack(track_points)
    last = len(track_points) - 1
    track.point_count = len(track_points)
    track.timed = track_points.timed
    track.first_time, track.last_time = track_points.moment(0), track_points.moment(last)
    track.length_m = float(deviation.step_lengths(track_points).sum())
    track.min_lon, track.max_lon = float(np.min(track_points.lon)), float(np.max(track_points.lon))
    track.min_lat, track.max_lat = float(np.min(track_points.lat)), float(np.max(track_points.lat))
    track.points, track.points_sha256 = blob, points.digest(blob)


def _follow(session: Session, patrol: Patrol, track: Track, actor: Actor) -> None:
    """The patrol's start, end and status as its track shows them, where not recorded yet."""
    changed = False
    if patrol.started_at is None and track.first_time is not None:
        patrol.started_at, changed = track.first_time, True
    # A track the pages are still recording moves the end on with each batch.
    later = track.source == "page" and patrol.ended_at is not None and track.last_time is not None
    if track.last_time is not None and (patrol.ended_at is None or (later and track.last_time > patrol.ended_at)):
        patrol.ended_at, changed = track.last_time, True
    # A track still being recorded on the pages means the patrol is under way, not done.
    moves = UNDER_WAY_WITH_PAGE if track.source == "page" else DONE_WITH_TRACK
    if patrol.status in moves:
        patrol.status, changed = moves[patrol.status], True
    if changed:
        ledger.record(session, actor, "patrol.update", patrol)


def tracks(session: Session, mission: Mission, patrol_id: int, *, actor: Actor) -> Sequence[Track]:
    """The patrol's tracks the actor may read, oldest first."""
    patrol = get(session, mission, patrol_id, actor=actor)
    stmt = select(Track).where(Track.patrol_id == patrol.id, policy.readable(actor, Track)).order_by(Track.id)
    return session.execute(stmt).scalars().all()


def deviations(
    session: Session, mission: Mission, patrol_id: int, *, actor: Actor
) -> tuple[Patrol, list[tuple[Track, deviation.Deviation]]]:
    """Each of the patrol's tracks compared with its plan."""
    patrol = get(session, mission, patrol_id, actor=actor)
    route = shape(orjson.loads(patrol.route))
    places = _places(session, mission, patrol, actor)
    found = tracks(session, mission, patrol_id, actor=actor)
    return patrol, [
        (t, deviation.compare(route, patrol.buffer_m, points.unpack(t.points), places, t.length_m)) for t in found
    ]


def _places(session: Session, mission: Mission, patrol: Patrol, actor: Actor) -> list[tuple[int, str, float, float]]:
    """The planned sites the actor may read, in the plan's order, with their positions."""
    if not patrol.checkpoints:
        return []
    stmt = select(Site).where(Site.id.in_(patrol.checkpoints), policy.readable(actor, Site))
    sites = {s.id: s for s in session.execute(stmt).scalars()}
    placed = []
    for site_id in patrol.checkpoints:
        site = sites.get(site_id)
        if site is not None:
            centre = shape(orjson.loads(site.geometry)).centroid
            placed.append((site.id, site.name, float(centre.x), float(centre.y)))
    return placed
