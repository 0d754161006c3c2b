"""Changes to the mission's map and what they do to incidents: one flow above the places and incidents domains.

Adding, changing, retiring or removing an area, a line or a site can change what incidents say of where they
happened (their zone, their nearest site, their distance to the line of contact), and a site or zone that
incidents name must not vanish from under them. The places service only stores places; this module is the one
way the API, the pages, the importer, mission files and the demo change the map, so each change refuses what
would orphan records and derives again the incidents it touches, and says how many changed.

Many changes at once (a mission file, an import, the demo) go in one `batch`: the incidents are derived again
once, over everything the batch touched, when the batch ends.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from truce import geo
from truce.errors import Conflict, Message
from truce.incidents import service as incidents_service
from truce.incidents.models import Incident
from truce.missions.models import Mission
from truce.places import service as places_service
from truce.places.models import Area, Line, Site
from truce.places.schemas import AreaIn, LineIn, SiteIn
from truce.places.service import PlaceModel
from truce.policy import Actor

Place = Area | Line | Site
Feature = AreaIn | LineIn | SiteIn
# Why a place stays, by its table (a kind of place is a word of the sentence in Russian too).
STAYS = {
    "sites": Message(
        "%(count)s incidents refer to this site; it stays on the map (set its valid_until or status instead)"
    ).msgid,
    "areas": Message(
        "%(count)s incidents refer to this area; it stays on the map (set its valid_until or status instead)"
    ).msgid,
    "lines": Message(
        "%(count)s incidents refer to this line; it stays on the map (set its valid_until or status instead)"
    ).msgid,
}


@dataclass(frozen=True)
class Footprint:
    """Where a place was or is: the box whose incidents a change to it can alter."""

    box: geo.BBox
    site: bool
    everywhere: bool


@dataclass
class Batch:
    """Changes to one mission's map whose incidents are derived again once, when the batch ends."""

    session: Session
    mission: Mission
    actor: Actor
    footprints: list[Footprint] = field(default_factory=list)
    rederived: int = 0

    def touch(self, record: Place) -> None:
        """Note where a place is now (call before and after moving it)."""
        box = geo.BBox(record.min_lon, record.min_lat, record.max_lon, record.max_lat)
        self.footprints.append(Footprint(box, isinstance(record, Site), isinstance(record, Line)))

    def settle(self) -> int:
        """Derive again the incidents in the union of what was touched; how many changed (each change is logged)."""
        if not self.footprints:
            return 0
        within = _reach(self.session, self.mission, self.footprints)
        self.footprints.clear()
        changed = incidents_service.rederive(self.session, self.mission, actor=self.actor, within=within)
        self.rederived += changed
        return changed


@contextmanager
def batch(session: Session, mission: Mission, *, actor: Actor) -> Iterator[Batch]:
    """Make many changes to the map, and derive the incidents again once at the end (not if the block fails)."""
    changes = Batch(session, mission, actor)
    yield changes
    changes.settle()


@dataclass(frozen=True)
class Changed:
    """A place as it now is, and how many incidents' derived facts changed with it (0 within a batch)."""

    place: Place
    rederived: int


def create(
    session: Session, mission: Mission, feature: Feature, *, actor: Actor, within: Batch | None = None
) -> Changed:
    """Add an area, a line or a site; the incidents around it are derived again."""
    changes = within or Batch(session, mission, actor)
    record: Place
    if isinstance(feature, AreaIn):
        record = places_service.create_area(session, mission, feature, actor=actor)
    elif isinstance(feature, LineIn):
        record = places_service.create_line(session, mission, feature, actor=actor)
    else:
        record = places_service.create_site(session, mission, feature, actor=actor)
    return _done(changes, record, own=within is None)


def update(
    session: Session, mission: Mission, record: Place, feature: Feature, *, actor: Actor, within: Batch | None = None
) -> Changed:
    """Change a place in place (its id stays); the incidents where it was and where it is are derived again."""
    changes = within or Batch(session, mission, actor)
    changes.touch(record)
    places_service.update_place(session, mission, record, feature, actor=actor)
    return _done(changes, record, own=within is None)


def retire_site(session: Session, mission: Mission, site_id: int, *, on: date, actor: Actor) -> Changed:
    """Retire a site (valid until `on`, closed) instead of deleting it; the incidents that name it keep it."""
    site = places_service.retire_site(session, mission, site_id, on=on, actor=actor)
    return _done(Batch(session, mission, actor), site, own=True)


def remove(
    session: Session,
    model: PlaceModel,
    mission: Mission,
    place_id: int,
    *,
    actor: Actor,
    within: Batch | None = None,
) -> Changed:
    """Remove a place no incident names (Conflict otherwise: retire it instead); the log keeps what it was."""
    changes = within or Batch(session, mission, actor)
    record: Place = places_service.get_place(session, model, mission, place_id, actor=actor)
    used = incidents_naming(session, record)
    if used:
        raise Conflict(Message(STAYS[record.__tablename__], count=used))
    places_service.delete_place(session, model, mission, place_id, actor=actor)
    return _done(changes, record, own=within is None)


def incidents_naming(session: Session, record: Place) -> int:
    """How many incidents name the place: a site as where they were observed from or as their nearest, a zone."""
    stmt = select(func.count()).select_from(Incident)
    if isinstance(record, Site):
        stmt = stmt.where((Incident.observer_site_id == record.id) | (Incident.nearest_site_id == record.id))
    elif isinstance(record, Area):
        stmt = stmt.where(Incident.zone_id == record.id)
    else:
        return 0  # incidents keep their distance to a line, not the line
    return int(session.scalar(stmt) or 0)


def _done(changes: Batch, record: Place, *, own: bool) -> Changed:
    """Note where the place is now; settle at once unless the change belongs to a caller's batch."""
    changes.touch(record)
    return Changed(record, changes.settle() if own else 0)


def _reach(session: Session, mission: Mission, footprints: list[Footprint]) -> geo.BBox | None:
    """The box in which these changes can change incidents' derived facts; None for everywhere."""
    if any(f.everywhere for f in footprints):
        return None  # the distance to the line of contact is measured everywhere
    site_pad = 0.0
    if any(f.site for f in footprints):
        # A site becomes some incident's nearest only if it is closer than that incident's nearest now.
        site_pad = incidents_service.farthest_nearest_site_km(session, mission) / 111.0 * 1.01
    boxes = [_padded(f.box, site_pad if f.site else 0.0) for f in footprints]
    return geo.BBox(
        min(b.min_lon for b in boxes), min(b.min_lat for b in boxes),
        max(b.max_lon for b in boxes), max(b.max_lat for b in boxes),
    )  # fmt: skip


def _padded(box: geo.BBox, pad: float) -> geo.BBox:
    lon_pad = pad / max(math.cos(math.radians(box.max_lat)), 0.1)
    return geo.BBox(
        max(box.min_lon - lon_pad, -180), max(box.min_lat - pad, -90),
        min(box.max_lon + lon_pad, 180), min(box.max_lat + pad, 90),
    )  # fmt: skip
