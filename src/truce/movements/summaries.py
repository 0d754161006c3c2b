"""Returns day by day and per settlement, and counters per checkpoint and direction, from what the reader may see."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from truce import limits, policy
from truce.missions.models import Mission
from truce.movements.models import Movement
from truce.places import presenters as place_presenters
from truce.places.models import Site
from truce.policy import Actor


@dataclass(frozen=True)
class Return:
    """One counted return: a convoy is counted at its first crossing only."""

    on_date: date
    individuals: int
    settlement: tuple[int | None, str]


def counted_returns(session: Session, mission: Mission, *, actor: Actor) -> list[Return]:
    """Incoming returns the actor may read; a convoy's later crossings of other checkpoints are not counted again."""
    stmt = (
        select(
            Movement.on_date, Movement.individuals, Movement.convoy, Movement.destination_site_id, Movement.destination
        )
        .where(
            Movement.mission_id == mission.id,
            Movement.kind == "return",
            Movement.direction == "incoming",
            policy.readable(actor, Movement),
        )
        .order_by(Movement.on_date, Movement.id)
    )
    names = place_presenters.site_names(session, mission, actor)
    seen: set[str] = set()
    counted: list[Return] = []
    for on_date, individuals, convoy, site_id, text in session.execute(stmt):
        if convoy:
            if convoy in seen:
                continue
            seen.add(convoy)
        name = names.get(site_id, "") if site_id is not None else ""
        settlement = (site_id, name) if name else (None, text or "not recorded")
        counted.append(Return(on_date, individuals, settlement))
    return counted


def _series(daily: Counter[date], first: date, last: date, before: int) -> list[dict[str, Any]]:
    days: list[dict[str, Any]] = []
    cumulative = before
    day = first
    while day <= last:
        cumulative += daily.get(day, 0)
        days.append({"date": day.isoformat(), "returned": daily.get(day, 0), "cumulative": cumulative})
        day += timedelta(days=1)
    return days


def returns(
    session: Session, mission: Mission, *, actor: Actor, since: date | None = None, until: date | None = None
) -> dict[str, Any]:
    """Returns per day with the running total since the first, every day of the window, and per settlement."""
    limits.check_range(since, until)
    counted = counted_returns(session, mission, actor=actor)
    daily: Counter[date] = Counter()
    for item in counted:
        daily[item.on_date] += item.individuals
    if not daily and (since is None or until is None):
        return {"total": 0, "days": [], "settlements": []}
    first = since or min(daily)
    last = until or max(daily)
    # One entry per day: a range of year 1 to 9999 would be 3.65 million of them.
    limits.check_range(first, last)
    before = sum(n for day, n in daily.items() if day < first)
    window = [r for r in counted if first <= r.on_date <= last]
    return {
        "total": before + sum(r.individuals for r in window),
        "days": _series(daily, first, last, before),
        "settlements": _by_settlement(window),
    }


def _by_settlement(window: list[Return]) -> list[dict[str, Any]]:
    groups: dict[tuple[int | None, str], Counter[date]] = {}
    for item in window:
        groups.setdefault(item.settlement, Counter())[item.on_date] += item.individuals
    result = []
    for (site_id, name), daily in groups.items():
        cumulative = 0
        days = []
        for day in sorted(daily):
            cumulative += daily[day]
            days.append({"date": day.isoformat(), "returned": daily[day], "cumulative": cumulative})
        result.append({"site_id": site_id, "settlement": name, "returned": cumulative, "days": days})
    return sorted(result, key=lambda s: (-s["returned"], s["settlement"]))


def checkpoint_counters(
    session: Session, mission: Mission, *, actor: Actor, since: date | None = None, until: date | None = None
) -> list[dict[str, Any]]:
    """Every crossing counted at each checkpoint, per direction, with individuals by kind of movement."""
    limits.check_range(since, until)
    stmt = select(
        Movement.site_id,
        Movement.direction,
        Movement.kind,
        func.count(Movement.id),
        func.sum(Movement.individuals),
        func.sum(func.coalesce(Movement.vehicles, 0)),
    ).where(Movement.mission_id == mission.id, policy.readable(actor, Movement))
    if since is not None:
        stmt = stmt.where(Movement.on_date >= since)
    if until is not None:
        stmt = stmt.where(Movement.on_date <= until)
    stmt = stmt.group_by(Movement.site_id, Movement.direction, Movement.kind)
    sites = {s.id: s for s in session.execute(select(Site).where(Site.mission_id == mission.id)).scalars()}
    counters: dict[tuple[int, str], dict[str, Any]] = {}
    for site_id, direction, kind, crossings, individuals, vehicles in session.execute(stmt):
        site = sites[site_id]
        readable = policy.can_read(actor, site)
        counter = counters.setdefault(
            (site_id, direction),
            {
                "site_id": site_id,
                "code": site.code if readable else None,
                "name": site.name if readable else None,
                "direction": direction,
                "crossings": 0,
                "individuals": 0,
                "vehicles": 0,
                "by_kind": {},
            },
        )
        counter["crossings"] += int(crossings)
        counter["individuals"] += int(individuals or 0)
        counter["vehicles"] += int(vehicles or 0)
        counter["by_kind"][kind] = int(individuals or 0)
    return sorted(counters.values(), key=lambda c: (c["code"] or "", c["site_id"], c["direction"]))
