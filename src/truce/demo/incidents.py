"""Illustrative incidents for the nk-2020 demo, 10 November - 31 December 2020, filed and verified
through the same services as everything else (so they are derived, logged and access-checked).

They are invented for demonstration: plausible in kind and place, but no real event is described.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from truce.incidents import service as incidents_service
from truce.incidents.models import Incident
from truce.incidents.schemas import IncidentIn, VerdictIn
from truce.missions.models import Mission
from truce.places.models import Site
from truce.policy import Actor
from truce.users import service as users_service
from truce.verification import service as verification_service

MISSION_TIME = timezone(timedelta(hours=4))
FIRST_DAY = datetime(2020, 11, 10, tzinfo=MISSION_TIME)
DAYS = 52
COUNT = 320
# (type, subtype, weight): exchanges of fire and shelling dominate a fresh ceasefire.
KINDS = [
    ("fire", "small_arms", 30), ("fire", "sniper", 8), ("fire", "heavy_machine_gun", 6),
    ("explosion", "mortar", 12), ("explosion", "artillery", 6), ("explosion", "undetermined", 8),
    ("air", "drone_overflight", 10), ("mine_uxo", "uxo_found", 8), ("mine_uxo", "mine_explosion", 3),
    ("movement", "fortification_works", 6), ("movement", "forces_in_restricted_area", 3),
    ("civilian_harm", "property_damage", 4), ("civilian_harm", "injured", 2), ("access", "monitors_restricted", 2),
    ("access", "convoy_blocked", 2), ("detention", "detention", 2), ("infrastructure", "repair_facilitated", 3),
]  # fmt: skip
OUTCOMES = [("confirmed", 40), ("disputed", 10), ("not_confirmed", 10), ("inconclusive", 5), ("open", 35)]
SIDE_NAMES = {"am": "Armenian forces", "az": "Azerbaijani armed forces"}


@dataclass(frozen=True)
class Filing:
    """One generated incident: who files it, what it says, and how verification goes."""

    external_id: str
    filer: str
    feature: dict[str, Any]
    outcome: str


def load(session: Session, mission: Mission, count: int = COUNT) -> int:
    """File whichever demo incidents are missing; returns how many were created."""
    posts = (
        session.execute(select(Site).where(Site.mission_id == mission.id, Site.kind == "post").order_by(Site.code))
        .scalars()
        .all()
    )
    have = set(
        session.execute(
            select(Incident.external_id).where(Incident.mission_id == mission.id, Incident.external_id.like("nk2020-%"))
        ).scalars()
    )
    actors = {name: _actor(session, mission, name) for name in
              ("monitor-ru", "liaison-am", "liaison-az", "verifier-ru", "verifier-tr")}  # fmt: skip
    created = 0
    for filing in filings([(p.id, p.min_lon, p.min_lat) for p in posts])[:count]:
        if filing.external_id in have:
            continue
        incident = incidents_service.create(
            session, mission, IncidentIn.model_validate(filing.feature), actor=actors[filing.filer]
        )
        _verify(session, mission, incident.id, filing, actors)
        created += 1
    return created


def _actor(session: Session, mission: Mission, username: str) -> Actor:
    return users_service.actor_for(session, users_service.get_by_name(session, username), mission)


def filings(posts: list[tuple[int, float, float]]) -> list[Filing]:
    """The demo's incidents, always the same ones (a fixed seed)."""
    rng = random.Random(20201110)
    return [_filing(rng, n, posts) for n in range(COUNT)]


def _filing(rng: random.Random, n: int, posts: list[tuple[int, float, float]]) -> Filing:
    kind, subtype = _pick(rng, [((t, s), w) for t, s, w in KINDS])
    # Most violations came in the first weeks; the tail thins out towards the new year.
    day = min(int(rng.expovariate(1 / 14)), DAYS - 1)
    start = FIRST_DAY + timedelta(days=day, minutes=rng.randrange(0, 24 * 60, 5))
    post_id, post_lon, post_lat = rng.choice(posts)
    filer = _pick(rng, [("monitor-ru", 62), ("liaison-am", 19), ("liaison-az", 19)])
    properties: dict[str, Any] = {
        "type": kind,
        "subtype": subtype,
        "start": start.isoformat(),
        "time_precision": "minute" if filer == "monitor-ru" else "hour",
        "external_id": f"nk2020-{n:04d}",
        "counts": _counts(rng, kind),
    }
    if filer == "monitor-ru":
        properties |= {
            "source": rng.choice(["post", "post", "patrol", "uav"]),
            "means": rng.choice(["seen", "heard", "seen_and_heard"]),
            "observer_site": post_id,
            "bearing_deg": float(rng.randrange(0, 360)),
            "distance_km": round(rng.uniform(0.5, 6.0), 1),
            "classification": rng.choice(["mission", "mission", "parties", "public"]),
            "narrative": f"{_words(kind, subtype).capitalize()} observed from OP near the line of contact.",
        }
        geometry = None
    else:
        accused = "az" if filer == "liaison-am" else "am"
        properties |= {
            "source": "party",
            "means": "party_report",
            "classification": "parties",
            "alleged_actors": [{"party": accused, "actor": f"{SIDE_NAMES[accused]} (alleged)"}],
            "narrative": f"The {filer[-2:].upper()} side reports {_words(kind, subtype)} by {SIDE_NAMES[accused]}.",
        }
        lon, lat = post_lon + rng.uniform(-0.05, 0.05), post_lat + rng.uniform(-0.05, 0.05)
        geometry = {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]}
    feature = {"type": "Feature", "geometry": geometry, "properties": properties}
    return Filing(f"nk2020-{n:04d}", filer, feature, _pick(rng, [(o, w) for o, w in OUTCOMES]))


def _pick(rng: random.Random, weighted: list[tuple[Any, int]]) -> Any:
    return rng.choices([value for value, _ in weighted], weights=[w for _, w in weighted])[0]


def _counts(rng: random.Random, kind: str) -> dict[str, int]:
    if kind == "explosion":
        return {"impacts": rng.randint(1, 8), "outgoing": rng.randint(0, 3), "undetermined": rng.randint(0, 2)}
    if kind == "fire":
        return {"events": rng.randint(1, 40)}
    return {"events": 1}


def _words(kind: str, subtype: str) -> str:
    return f"{subtype.replace('_', ' ')} ({kind.replace('_', ' ')})"


VERDICTS_FOR = {
    "confirmed": [("verifier-ru", "confirm"), ("verifier-tr", "confirm")],
    "disputed": [("verifier-ru", "confirm"), ("verifier-tr", "reject")],
    "not_confirmed": [("verifier-ru", "reject"), ("verifier-tr", "reject")],
    "inconclusive": [("verifier-ru", "inconclusive"), ("verifier-tr", "confirm")],
    "open": [],
}
NOTES = {
    "confirm": "Consistent with the post's log and the crater analysis.",
    "reject": "No corroboration from the nearest posts; the account does not match the terrain.",
    "inconclusive": "Heard but not seen; direction of fire could not be established.",
}


def _verify(session: Session, mission: Mission, incident_id: int, filing: Filing, actors: dict[str, Actor]) -> None:
    for verifier, verdict in VERDICTS_FOR[filing.outcome]:
        verification_service.verify(
            session, mission, incident_id, VerdictIn(verdict=verdict, note=NOTES[verdict]), actor=actors[verifier]
        )
