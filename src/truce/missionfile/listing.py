"""`truce mission list`: the missions of an installation, with their size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from truce.missions.models import Delegation, Mission, Party
from truce.users.models import Membership


@dataclass(frozen=True)
class MissionRow:
    """One mission as the list shows it."""

    slug: str
    name: str
    time_zone: str
    starts_on: date | None
    illustrative: bool
    parties: int
    delegations: int
    users: int


def missions(session: Session) -> list[MissionRow]:
    """Every mission of the installation, by slug (for the operator: the command line, the set-up page)."""
    counts = {
        model: dict(session.execute(select(model.mission_id, func.count()).group_by(model.mission_id)).tuples().all())
        for model in (Party, Delegation, Membership)
    }
    return [
        MissionRow(
            m.slug,
            m.name,
            m.time_zone,
            m.starts_on,
            m.illustrative,
            counts[Party].get(m.id, 0),
            counts[Delegation].get(m.id, 0),
            counts[Membership].get(m.id, 0),
        )
        for m in session.execute(select(Mission).order_by(Mission.slug)).scalars()
    ]
