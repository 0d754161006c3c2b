"""The verification queue of one delegation: open incidents it still owes a verdict on, and those waiting for
the others, filtered and sorted, with the true totals however long the page is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import ColumnElement, and_, exists, func, not_, or_, select
from sqlalchemy.orm import Session

from truce import policy
from truce.evidence.models import Evidence
from truce.incidents.models import Incident, Verification
from truce.missions.models import Mission
from truce.policy import Actor

OPEN = ("reported", "under_verification", "disputed")
Side = Literal["mine", "other"]
Sort = Literal["filed", "event"]


@dataclass(frozen=True)
class Filters:
    """What the verifier narrows the queue to; None means any."""

    incident_type: str | None = None
    allegation: bool | None = None
    status: str | None = None
    zone_id: int | None = None
    sort: Sort = "filed"


@dataclass(frozen=True)
class Row:
    incident: Incident
    evidence: int


@dataclass(frozen=True)
class Queue:
    side: Side
    rows: list[Row]
    total: int


def _owed(mission: Mission, actor: Actor) -> ColumnElement[bool]:
    """The incidents the actor's delegation still owes a verdict on."""
    given = exists().where(Verification.incident_id == Incident.id, Verification.delegation == actor.delegation_code)
    owed = not_(given)
    if not mission.allow_self_verification and actor.delegation_code is not None:
        others = or_(Incident.author_delegation.is_(None), Incident.author_delegation != actor.delegation_code)
        owed = and_(owed, others)
    return owed


def _terms(mission: Mission, actor: Actor, filters: Filters) -> list[ColumnElement[bool]]:
    terms = [
        Incident.mission_id == mission.id,
        policy.readable(actor, Incident),
        Incident.status.in_(OPEN if filters.status is None else [filters.status]),
        Incident.merged_into_id.is_(None),
    ]
    if filters.incident_type is not None:
        terms.append(Incident.type == filters.incident_type)
    if filters.allegation is not None:
        terms.append((Incident.source == "party") if filters.allegation else (Incident.source != "party"))
    if filters.zone_id is not None:
        terms.append(Incident.zone_id == filters.zone_id)
    return terms


def queues(session: Session, mission: Mission, filters: Filters, *, actor: Actor, limit: int = 100) -> list[Queue]:
    """The two queues, "waiting for my delegation" first; each a page of at most `limit` rows and its true total."""
    policy.require(actor, "incident.verify", mission.id)
    terms = _terms(mission, actor, filters)
    owed = _owed(mission, actor)
    evidence = (
        select(func.count(Evidence.id)).where(Evidence.incident_id == Incident.id).correlate(Incident).scalar_subquery()
    )
    order = Incident.reported_at if filters.sort == "filed" else Incident.start
    found = []
    side: Side
    for side, which in (("mine", owed), ("other", not_(owed))):
        where = and_(*terms, which)
        total = session.scalar(select(func.count(Incident.id)).where(where)) or 0
        # Oldest first: what has waited longest comes first.
        stmt = select(Incident, evidence).where(where).order_by(order, Incident.id).limit(limit)
        rows = [Row(incident, int(count)) for incident, count in session.execute(stmt).tuples()]
        found.append(Queue(side, rows, int(total)))
    return found


def next_owed(session: Session, mission: Mission, after: int, *, actor: Actor) -> int | None:
    """The oldest incident the actor's delegation still owes a verdict on, other than `after`."""
    terms = _terms(mission, actor, Filters())
    stmt = (
        select(Incident.id)
        .where(*terms, _owed(mission, actor), Incident.id != after)
        .order_by(Incident.reported_at, Incident.id)
        .limit(1)
    )
    found = session.scalar(stmt)
    return None if found is None else int(found)
