"""The daily report's freedom-of-movement section, in the manner of the OSCE SMM's: patrols and restrictions.

Each restriction of the day is a numbered footnote (when, where, who controls the place, what was said, how it was
escalated and answered, and how far joint verification has got), and the day's planned patrols stand against
those conducted. Read in the report's staff view, like the rest of the report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from truce import policy, translation
from truce.missions.models import Mission
from truce.patrols.models import Patrol
from truce.places.models import Site
from truce.policy import Actor
from truce.reports import words
from truce.reports.context import Day, Settlement, describe_place, nearest
from truce.reports.words import N_
from truce.restrictions.models import CATEGORIES, Restriction, UavFlight

_Record = TypeVar("_Record", Patrol, Restriction, UavFlight)

CATEGORY_LABELS = {
    "denial": N_("denial of access"),
    "delay": N_("delay"),
    "conditional_access": N_("conditional access"),
    "other_impediment": N_("other impediment"),
}
KIND_LABELS = {
    "checkpoint": N_("at a checkpoint"),
    "mines_uxo": N_("because of mines or unexploded ordnance"),
    "threat": N_("after a threat"),
    "gunfire": N_("by gunfire near the patrol"),
    "information_refused": N_("information refused"),
    "camera_obstructed": N_("camera obstructed"),
    "uav_signal_interference": N_("UAV signal interference"),
    "uav_fired_upon": N_("UAV fired upon"),
    "uav_lost": N_("UAV lost"),
}
STATUS_LABELS = {
    "reported": N_("not yet verified"),
    "under_verification": N_("under joint verification"),
    "confirmed": N_("confirmed by joint verification"),
    "not_confirmed": N_("not confirmed by joint verification"),
    "disputed": N_("disputed between the verifying delegations"),
    "inconclusive": N_("joint verification inconclusive"),
    "retracted": N_("retracted by its author"),
}


@dataclass(frozen=True)
class Footnote:
    """One restriction of the day, as its footnote reads."""

    number: int
    id: int
    category: str
    text: str


@dataclass(frozen=True)
class PatrolLine:
    name: str
    team: str
    status: str
    window: str


@dataclass(frozen=True)
class FreedomOfMovement:
    """What the section shows."""

    planned: list[PatrolLine]
    conducted: int
    cancelled: int
    footnotes: list[Footnote]
    by_category: dict[str, int]
    uav_flights: int
    interference_episodes: int

    @property
    def restricted(self) -> int:
        return len(self.footnotes)


def _of_day(session: Session, mission: Mission, reader: Actor, day: Day, model: type[_Record],
            start: InstrumentedAttribute[datetime], key: InstrumentedAttribute[int]) -> list[_Record]:  # fmt: skip
    """The records of `model` the reader may read that begin on `day`, in order of their start."""
    stmt = (
        select(model)
        .where(model.mission_id == mission.id, policy.readable(reader, model), start >= day.start, start < day.end)
        .order_by(start, key)
    )
    return list(session.execute(stmt).scalars())


def section(session: Session, mission: Mission, reader: Actor, day: Day, settlements: Sequence[Settlement],
            parties: dict[str, str], locale: str = translation.DEFAULT) -> FreedomOfMovement:  # fmt: skip
    """The freedom-of-movement section of the daily report of `day`, its footnotes in `locale`."""
    patrols = _of_day(session, mission, reader, day, Patrol, Patrol.planned_start, Patrol.id)
    restrictions = _of_day(session, mission, reader, day, Restriction, Restriction.start, Restriction.id)
    flights = _of_day(session, mission, reader, day, UavFlight, UavFlight.start, UavFlight.id)
    site_ids = {r.site_id for r in restrictions if r.site_id is not None}
    visible_sites = select(Site).where(Site.id.in_(site_ids), policy.readable(reader, Site))
    sites = (
        {s.id: translation.localized(s, locale) for s in session.execute(visible_sites).scalars()} if site_ids else {}
    )
    say = translation.gettext_for(locale)
    footnotes = [
        Footnote(n, r.id, r.category, _footnote(r, day, settlements, sites, parties, say))
        for n, r in enumerate(restrictions, start=1)
    ]
    counted = Counter(r.category for r in restrictions)
    return FreedomOfMovement(
        planned=[_patrol_line(p, day) for p in patrols],
        conducted=sum(1 for p in patrols if p.status in ("completed", "under_way")),
        cancelled=sum(1 for p in patrols if p.status == "cancelled"),
        footnotes=footnotes,
        by_category={c: counted[c] for c in CATEGORIES if counted[c]},
        uav_flights=len(flights),
        interference_episodes=sum(len(f.episodes) for f in flights),
    )


def _local(moment: datetime, day: Day) -> str:
    return moment.astimezone(day.zone).strftime("%H:%M")


def _patrol_line(patrol: Patrol, day: Day) -> PatrolLine:
    window = f"{_local(patrol.planned_start, day)}-{_local(patrol.planned_end, day)}"
    return PatrolLine(patrol.name, patrol.team, patrol.status.replace("_", " "), window)


def _place(lon: float, lat: float, settlements: Sequence[Settlement], say: Callable[[str], str]) -> str:
    found = nearest(lon, lat, settlements)
    if found is None:
        return describe_place(lon, lat, settlements)
    name, km, direction = found
    if km < 1:
        return say(N_("in %(place)s")) % {"place": name}
    return say(words.PLACE[direction]) % {"km": f"{km:.0f}", "place": name}


def _footnote(r: Restriction, day: Day, settlements: Sequence[Settlement], sites: dict[int, str],
              parties: dict[str, str], say: Callable[[str], str]) -> str:  # fmt: skip
    """The restriction in one sentence; `say` translates (the English msgids are the English report's words)."""
    place = sites.get(r.site_id or 0) or _place(r.lon, r.lat, settlements, say)
    what = {"category": say(CATEGORY_LABELS[r.category]), "kind": say(KIND_LABELS[r.kind])}
    parts = [
        say(N_("At %(time)s, %(place)s: %(category)s, %(kind)s"))
        % {"time": _local(r.start, day), "place": place, **what}
    ]
    if r.end is not None:
        minutes = round((r.end - r.start).total_seconds() / 60)
        parts[0] += say(N_(", for %(minutes)s minutes")) % {"minutes": minutes}
    if r.controlled_by:
        party = parties.get(r.controlled_by, r.controlled_by)
        parts.append(say(N_("the area is controlled by %(party)s")) % {"party": party})
    if r.reason_given:
        parts.append(say(N_("the reason given: \u201c%(reason)s\u201d")) % {"reason": r.reason_given})
    informed = r.centre_informed_at or r.liaison_informed_at
    if informed is not None:
        who = (
            N_("the joint centre informed at %(time)s")
            if r.centre_informed_at
            else N_("the parties' liaison officers informed at %(time)s")
        )
        escalation = say(who) % {"time": _local(informed, day)}
        if r.answered_at is not None:
            escalation += say(N_(", answered at %(time)s")) % {"time": _local(r.answered_at, day)}
        if r.answer:
            escalation += f" (\u201c{r.answer}\u201d)"
        parts.append(escalation)
    if r.resolved_at is not None:
        parts.append(say(N_("resolved at %(time)s")) % {"time": _local(r.resolved_at, day)})
    parts.append(say(STATUS_LABELS[r.status]))
    return "; ".join(parts) + "."
