"""The mission's overview: a day's numbers ("as of" the latest day with data unless asked), what needs the
reader's action, and the latest incidents, from what the reader may read."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi import Request, Response
from sqlalchemy import func
from sqlalchemy.orm import Session

from truce import limits
from truce.incidents import service as incidents_service
from truce.incidents.models import Incident
from truce.incidents.query import IncidentQuery
from truce.incidents.taxonomy import STATUSES
from truce.missions.models import Mission
from truce.movements import summaries
from truce.places import service as places_service
from truce.places.models import Site
from truce.policy import Actor
from truce.web import overview
from truce.web.context import ReadPage
from truce.web.pages import mapview
from truce.web.rendering import render
from truce.web.routing import page_router

router = page_router()


def _midnight(mission: Mission, now: datetime) -> datetime:
    zone = ZoneInfo(mission.time_zone or "UTC")
    local = now.astimezone(zone)
    return datetime.combine(local.date(), time(), tzinfo=zone).astimezone(UTC)


def _count(session: Session, mission: Mission, actor: Actor, where: IncidentQuery) -> int:
    dialect = session.get_bind().dialect.name
    stmt = incidents_service.query(mission, actor, where, dialect=dialect)
    return int(session.execute(stmt.order_by(None).with_only_columns(func.count(Incident.id))).scalar_one())


def by_status(session: Session, mission: Mission, actor: Actor) -> dict[str, int]:
    """How many incidents the actor may read are in each status."""
    dialect = session.get_bind().dialect.name
    stmt = incidents_service.query(mission, actor, dialect=dialect).order_by(None)
    rows = session.execute(stmt.with_only_columns(Incident.status, func.count(Incident.id)).group_by(Incident.status))
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: int(n) for status, n in rows})
    return counts


def _as_of(request: Request, session: Session, mission: Mission, actor: Actor, now: datetime) -> date:
    """The day the overview speaks of: the one asked for, else the latest with data, never after today."""
    today = now.astimezone(ZoneInfo(mission.time_zone or "UTC")).date()
    asked = request.query_params.get("as_of", "")
    try:
        chosen = date.fromisoformat(asked) if asked else None
    except ValueError:
        chosen = None
    if chosen is None or not limits.FIRST_DAY <= chosen <= limits.LAST_DAY:
        chosen = overview.latest_day(session, mission, actor) or today
    return min(chosen, today)


def _start_of(mission: Mission, day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=ZoneInfo(mission.time_zone or "UTC")).astimezone(UTC)


@router.get("/m/{slug}/", name="home")
def home(request: Request, page: ReadPage) -> Response:
    mission, actor, session = page.mission_or_404(), page.actor, page.session
    now = datetime.now(UTC)
    as_of = _as_of(request, session, mission, actor, now)
    day_start, day_end = _start_of(mission, as_of), _start_of(mission, as_of + timedelta(days=1))
    posts = places_service.list_places(session, Site, mission, actor=actor, kind="post")
    returns = summaries.returns(session, mission, actor=actor)
    statuses = by_status(session, mission, actor)
    on_day = next((d for d in returns["days"] if d["date"] == as_of.isoformat()), None)
    recent = incidents_service.list_incidents(session, mission, IncidentQuery(until=day_end), actor=actor, limit=8)
    return render(
        request,
        "home.html",
        {
            "statuses": statuses,
            "total": sum(statuses.values()),
            "as_of": as_of,
            "today": _count(session, mission, actor, IncidentQuery(since=day_start, until=day_end)),
            "week": _count(session, mission, actor, IncidentQuery(since=day_start - timedelta(days=6), until=day_end)),
            "posts": len(posts),
            "returns_total": returns["total"],
            "returns_last": returns["days"][-1] if returns["days"] else None,
            "returns_on_day": on_day["returned"] if on_day else 0,
            "recent": recent,
            "actions": overview.needs_action(session, mission, actor, as_of),
            "silent": overview.silent_phones(session, mission, actor, now),
            "silent_hours": overview.SILENT_HOURS,
            # The small map: the week to the "as of" day, as the map page's own filters say it.
            "map_query": f"since={as_of - timedelta(days=6)}&until={as_of}",
            "map_text": mapview.map_text(request),
        },
    )
