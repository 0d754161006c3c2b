"""The mission's home: today's numbers, from what the visitor may read."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request, Response
from sqlalchemy import func
from sqlalchemy.orm import Session

from truce.incidents import service as incidents_service
from truce.incidents.models import Incident
from truce.incidents.taxonomy import STATUSES
from truce.missions.models import Mission
from truce.movements import summaries
from truce.places import service as places_service
from truce.places.models import Site
from truce.policy import Actor
from truce.web.context import ReadPage
from truce.web.rendering import render
from truce.web.routing import page_router

router = page_router()


def _midnight(mission: Mission, now: datetime) -> datetime:
    zone = ZoneInfo(mission.time_zone or "UTC")
    local = now.astimezone(zone)
    return datetime.combine(local.date(), time(), tzinfo=zone).astimezone(UTC)


def _count(session: Session, mission: Mission, actor: Actor, **filters: Any) -> int:
    dialect = session.get_bind().dialect.name
    stmt = incidents_service.query(mission, actor, dialect=dialect, **filters)
    return int(session.execute(stmt.order_by(None).with_only_columns(func.count(Incident.id))).scalar_one())


def by_status(session: Session, mission: Mission, actor: Actor) -> dict[str, int]:
    """How many incidents the actor may read are in each status."""
    dialect = session.get_bind().dialect.name
    stmt = incidents_service.query(mission, actor, dialect=dialect).order_by(None)
    rows = session.execute(stmt.with_only_columns(Incident.status, func.count(Incident.id)).group_by(Incident.status))
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: int(n) for status, n in rows})
    return counts


@router.get("/m/{slug}/", name="home")
def home(request: Request, page: ReadPage) -> Response:
    mission, actor, session = page.mission_or_404(), page.actor, page.session
    now = datetime.now(UTC)
    today = _midnight(mission, now)
    posts = places_service.list_places(session, Site, mission, actor=actor, kind="post")
    returns = summaries.returns(session, mission, actor=actor)
    statuses = by_status(session, mission, actor)
    return render(
        request,
        "home.html",
        {
            "statuses": statuses,
            "total": sum(statuses.values()),
            "today": _count(session, mission, actor, since=today),
            "week": _count(session, mission, actor, since=today - timedelta(days=6)),
            "posts": len(posts),
            "returns_total": returns["total"],
            "returns_last": returns["days"][-1] if returns["days"] else None,
        },
    )
