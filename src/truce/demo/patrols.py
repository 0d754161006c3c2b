"""Illustrative patrols, tracks, restrictions and a UAV flight for the nk-2020 demo (issue 20).

Invented for demonstration, plausible in kind and place: no real patrol, denial or flight is described.
Придумано для демонстрации: ни один настоящий патруль, отказ в проходе или полёт здесь не описан.
Everything goes through the same services as the API (derived, logged, access-checked).
"""

from __future__ import annotations

import itertools
import math
from datetime import datetime, timedelta, timezone

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from truce.incidents.derive import geod
from truce.incidents.schemas import VerdictIn
from truce.missions.models import Mission
from truce.patrols import service as patrols_service
from truce.patrols.models import Patrol
from truce.patrols.points import Points
from truce.patrols.schemas import PatrolIn
from truce.places.models import Site
from truce.policy import Actor
from truce.restrictions import service as restrictions_service
from truce.restrictions.schemas import RestrictionIn, UavFlightIn
from truce.users import service as users_service

MISSION_TIME = timezone(timedelta(hours=4))
INVENTED = "Invented for the demonstration. / Придумано для демонстрации."
# The Goris - Stepanakert/Khankendi road through the Lachin corridor, and a stretch of the line of contact east of
# Martuni/Khojavend (both as illustrative as the demo's map).
CORRIDOR = [
    [46.41, 39.556],
    [46.47, 39.60],
    [46.547, 39.639],
    [46.60, 39.70],
    [46.66, 39.75],
    [46.72, 39.785],
    [46.732, 39.795],
]
CONTACT = [[47.15, 39.83], [47.15, 39.75], [46.98, 39.71], [46.85, 39.74]]
SPEED_MS = 8.0  # about 30 km/h
EVERY_S = 15.0


def load(session: Session, mission: Mission) -> list[str]:
    """Create the demo's patrols, restrictions and UAV flight, unless the mission has patrols already."""
    if session.execute(select(Patrol.id).where(Patrol.mission_id == mission.id).limit(1)).first() is not None:
        return []
    monitor = _actor(session, mission, "monitor-ru")
    sites = {s.code: s.id for s in session.execute(select(Site).where(Site.mission_id == mission.id)).scalars()}
    checkpoints = [sites[c] for c in ("CHK-1", "CHK-2") if c in sites]
    corridor = _patrol(session, mission, monitor, "Lachin corridor patrol / Патруль Лачинского коридора",
                       CORRIDOR, _at(2020, 11, 20, 8), checkpoints)  # fmt: skip
    contact_name = ("Line of contact patrol, Martuni/Khojavend sector / "
                    "Патруль вдоль линии соприкосновения, сектор Мартуни/Ходжавенд")  # fmt: skip
    contact = _patrol(session, mission, monitor, contact_name, CONTACT, _at(2020, 11, 21, 9), [])
    denied = _patrol(session, mission, monitor, "Shusha/Shushi road patrol / Патруль на дороге к Шуше/Шуши",
                     CORRIDOR[3:], _at(2020, 11, 22, 8), [])  # fmt: skip
    patrols_service.add_track(session, mission, corridor.id, _track(CORRIDOR, _at(2020, 11, 20, 8, 10)),
                              source="gpx", actor=monitor)  # fmt: skip
    # The contact-line patrol left its route by 2 km for 20 minutes around a road said to be mined.
    patrols_service.add_track(session, mission, contact.id,
                              _track(CONTACT, _at(2020, 11, 21, 9, 5), detour=(1800.0, 3000.0, 2000.0)),
                              source="gpx", actor=monitor)  # fmt: skip
    flight = restrictions_service.create_flight(session, mission, UavFlightIn.model_validate(_flight()), actor=monitor)
    chk2 = sites.get("CHK-2")
    restrictions = [
        _restriction("delay", "checkpoint", _at(2020, 11, 20, 9, 40), 45, site_id=chk2, patrol_id=corridor.id,
                     reason="Awaiting instructions from the command / Ожидание указаний командования",
                     centre=_at(2020, 11, 20, 9, 50), answered=_at(2020, 11, 20, 10, 20),
                     answer="The centre asked for passage; granted / Центр запросил проход; разрешено"),
        _restriction("denial", "mines_uxo", _at(2020, 11, 21, 9, 55), None, point=[47.05, 39.72], controlled_by="az",
                     patrol_id=contact.id, reason="Road said to be mined / Дорога, по словам, заминирована",
                     liaison=_at(2020, 11, 21, 10, 0), answered=_at(2020, 11, 21, 11, 30),
                     answer="Demining planned for next week / Разминирование запланировано на следующую неделю"),
        _restriction("denial", "checkpoint", _at(2020, 11, 22, 8, 30), None, point=[46.75, 39.76],
                     controlled_by="am", patrol_id=denied.id,
                     reason="No permission for monitors / Нет разрешения для наблюдателей",
                     centre=_at(2020, 11, 22, 8, 45)),
        _restriction("other_impediment", "uav_signal_interference", _at(2020, 11, 21, 10, 12), 8,
                     point=[46.95, 39.95], uav_flight_id=flight.id,
                     reason="None given / Причина не названа"),
    ]  # fmt: skip
    created = [restrictions_service.create(session, mission, r, actor=monitor) for r in restrictions]
    for verifier in ("verifier-tr", "verifier-ru"):
        actor = _actor(session, mission, verifier)
        restrictions_service.verify(session, mission, created[1].id, VerdictIn(verdict="confirm"), actor=actor)
    restrictions_service.verify(session, mission, created[0].id, VerdictIn(verdict="confirm"),
                                actor=_actor(session, mission, "verifier-tr"))  # fmt: skip
    cancelled = PatrolIn.model_validate(_plan(denied.name, CORRIDOR[3:], _at(2020, 11, 22, 8), [], "cancelled"))
    patrols_service.update(session, mission, denied.id, cancelled, actor=monitor)
    return ["3 patrols with 2 tracks", f"{len(created)} restrictions", "1 UAV flight"]


def _actor(session: Session, mission: Mission, username: str) -> Actor:
    return users_service.actor_for(session, users_service.get_by_name(session, username), mission)


def _at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MISSION_TIME)


def _plan(name: str, route: list[list[float]], start: datetime, checkpoints: list[int],
          status: str = "planned") -> dict[str, object]:  # fmt: skip
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": route},
        "properties": {
            "name": name, "team": "Team 3 / Группа 3", "delegations": ["ru"], "vehicles": ["BTR-82A 101", "UAZ 12"],
            "planned_start": start.isoformat(), "planned_end": (start + timedelta(hours=4)).isoformat(),
            "checkpoints": checkpoints, "status": status, "note": INVENTED,
            "notifications": [
                {"party": "am", "notified_at": (start - timedelta(hours=14)).isoformat(),
                 "acknowledged_at": (start - timedelta(hours=12)).isoformat()},
                {"party": "az", "notified_at": (start - timedelta(hours=14)).isoformat()},
            ],
        },
    }  # fmt: skip


def _patrol(session: Session, mission: Mission, actor: Actor, name: str, route: list[list[float]],
            start: datetime, checkpoints: list[int]) -> Patrol:  # fmt: skip
    plan = PatrolIn.model_validate(_plan(name, route, start, checkpoints))
    return patrols_service.create(session, mission, plan, actor=actor)


def _track(route: list[list[float]], start: datetime, detour: tuple[float, float, float] | None = None) -> Points:
    """Points along `route` at SPEED_MS; `detour` = (from s, to s, metres to the right) leaves it for a while."""
    lons: list[float] = []
    lats: list[float] = []
    times: list[float] = []
    seconds = 0.0
    for (lon1, lat1), (lon2, lat2) in itertools.pairwise(route):
        azimuth, _, length = geod().inv(lon1, lat1, lon2, lat2)
        steps = max(1, math.ceil(length / (SPEED_MS * EVERY_S)))
        for i in range(steps):
            lon, lat, _ = geod().fwd(lon1, lat1, azimuth, length * i / steps)
            if detour and detour[0] <= seconds < detour[1]:
                lon, lat, _ = geod().fwd(lon, lat, azimuth + 90.0, detour[2])
            lons.append(lon)
            lats.append(lat)
            times.append(start.timestamp() + seconds)
            seconds += EVERY_S
    lons.append(route[-1][0])
    lats.append(route[-1][1])
    times.append(start.timestamp() + seconds)
    accuracy = np.full(len(lons), 8.0)
    return Points(np.array(lons), np.array(lats), np.array(times), accuracy)


def _flight() -> dict[str, object]:
    ring = [[46.90, 39.90], [47.00, 39.90], [47.00, 39.98], [46.90, 39.98], [46.90, 39.90]]
    start = _at(2020, 11, 21, 10)
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {
            "name": "Mini-UAV flight near Aghdam / Полёт мини-БПЛА у Агдама", "aircraft": "mini-UAV",
            "announced": True, "announced_at": (start - timedelta(hours=16)).isoformat(),
            "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat(), "note": INVENTED,
            "episodes": [
                {"start": _at(2020, 11, 21, 10, 12).isoformat(), "end": _at(2020, 11, 21, 10, 20).isoformat(),
                 "type": "probable_jamming", "note": "GPS signal lost / Потерян сигнал GPS"},
                {"start": _at(2020, 11, 21, 10, 41).isoformat(), "end": _at(2020, 11, 21, 10, 44).isoformat(),
                 "type": "jamming"},
            ],
        },
    }  # fmt: skip


def _restriction(category: str, kind: str, start: datetime, minutes: int | None, *, reason: str,
                 site_id: int | None = None, point: list[float] | None = None, controlled_by: str | None = None,
                 patrol_id: int | None = None, uav_flight_id: int | None = None, liaison: datetime | None = None,
                 centre: datetime | None = None, answered: datetime | None = None,
                 answer: str = "") -> RestrictionIn:  # fmt: skip
    end = start + timedelta(minutes=minutes) if minutes is not None else None
    return RestrictionIn.model_validate({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": point} if point else None,
        "properties": {
            "category": category, "kind": kind, "start": start.isoformat(), "end": end and end.isoformat(),
            "site_id": site_id, "controlled_by": controlled_by, "patrol_id": patrol_id, "uav_flight_id": uav_flight_id,
            "reason_given": reason, "liaison_informed_at": liaison and liaison.isoformat(),
            "centre_informed_at": centre and centre.isoformat(), "answered_at": answered and answered.isoformat(),
            "answer": answer, "narrative": INVENTED, "classification": "parties",
        },
    })  # fmt: skip
