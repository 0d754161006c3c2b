"""Illustrative incidents for the nk-2020 demo, 10 November - 31 December 2020, filed and verified
through the same services as everything else (so they are derived, logged and access-checked).

They are invented for demonstration: plausible in kind and place, but no real event is described. Filing times,
verdicts and uploads are dated in November and December 2020 too, so that "today", "newly confirmed" and the
daily report have content; a few are filed twice (by a monitor and by a side) to show duplicates, and some of the
sides' allegations count casualties.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from truce.incidents import derive
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
LAST_MOMENT = datetime(2020, 12, 31, 23, 0, tzinfo=MISSION_TIME)
# Monitor reports that a side reports again, as an allegation close in place and time: duplicates to merge.
DUPLICATED = (3, 11, 27, 45)
TOTAL = COUNT + len(DUPLICATED)


@dataclass(frozen=True)
class Filing:
    """One generated incident: who files it, what it says, and how verification goes."""

    external_id: str
    filer: str
    feature: dict[str, Any]
    outcome: str
    reported_at: datetime


def filed_at(start: datetime, n: int) -> datetime:
    """When a report reached the centre: 15 minutes to 6 hours after the event (never past the demo's end)."""
    delay = timedelta(minutes=random.Random(n * 7919).randrange(15, 360, 5))
    return min(start + delay, LAST_MOMENT)


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
    made = filings([(p.id, p.min_lon, p.min_lat) for p in posts])
    # The first `count`, and the duplicates of those among them.
    chosen = made[:count] + [f for f in made[COUNT:] if int(f.external_id[7:11]) < count]
    for filing in chosen:
        if filing.external_id in have:
            continue
        incident = incidents_service.create(
            session,
            mission,
            IncidentIn.model_validate(filing.feature),
            actor=actors[filing.filer],
            reported_at=filing.reported_at,
        )
        _verify(session, mission, incident.id, filing, actors)
        created += 1
    return created


def _actor(session: Session, mission: Mission, username: str) -> Actor:
    return users_service.actor_for(session, users_service.get_by_name(session, username), mission)


def filings(posts: list[tuple[int, float, float]]) -> list[Filing]:
    """The demo's incidents, always the same ones (a fixed seed), then the duplicates filed by a side."""
    rng = random.Random(20201110)
    made = [_filing(rng, n, posts) for n in range(COUNT)]
    return made + [_duplicate(made[n], posts) for n in _duplicated(made)]


def _duplicated(made: list[Filing]) -> list[int]:
    """The first monitor reports left open from DUPLICATED's positions on: each is reported again by a side."""
    chosen: list[int] = []
    for n in DUPLICATED:
        found = next(
            (m for m in range(n, len(made)) if made[m].filer == "monitor-ru" and made[m].outcome == "open"
             and m not in chosen),
            None,
        )  # fmt: skip
        if found is not None:
            chosen.append(found)
    return chosen


def _duplicate(original: Filing, posts: list[tuple[int, float, float]]) -> Filing:
    """The same event as a side reports it: 20 minutes later, a few hundred metres off, as an allegation."""
    props = original.feature["properties"]
    site = next(p for p in posts if p[0] == props["observer_site"])
    lon, lat = derive.from_observer(site[1], site[2], props["bearing_deg"], props["distance_km"])
    start = datetime.fromisoformat(props["start"]) + timedelta(minutes=20)
    filer = "liaison-am" if int(original.external_id[-4:]) % 2 else "liaison-az"
    accused = "az" if filer == "liaison-am" else "am"
    properties = {
        "type": props["type"], "subtype": props["subtype"], "start": start.isoformat(), "time_precision": "hour",
        "external_id": f"{original.external_id}-dup", "counts": props["counts"], "source": "party",
        "means": "party_report", "classification": "parties",
        "alleged_actors": [{"party": accused, "actor": f"{SIDE_NAMES[accused]} (alleged)"}],
        "narrative": f"The {filer[-2:].upper()} side reports {_words(props['type'], props['subtype'])} "
                     f"by {SIDE_NAMES[accused]} (the same event as the mission's report, filed separately).",
    }  # fmt: skip
    geometry = {"type": "Point", "coordinates": [round(lon + 0.004, 5), round(lat + 0.002, 5)]}
    feature = {"type": "Feature", "geometry": geometry, "properties": properties}
    reported_at = filed_at(start, 99_000 + int(original.external_id[-4:]))
    return Filing(properties["external_id"], filer, feature, "open", reported_at)


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
        properties["casualties"] = _casualties(n, kind)
        lon, lat = post_lon + rng.uniform(-0.05, 0.05), post_lat + rng.uniform(-0.05, 0.05)
        geometry = {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]}
    feature = {"type": "Feature", "geometry": geometry, "properties": properties}
    outcome = _pick(rng, [(o, w) for o, w in OUTCOMES])
    return Filing(f"nk2020-{n:04d}", filer, feature, outcome, filed_at(start, n))


def _casualties(n: int, kind: str) -> dict[str, dict[str, int]]:
    """What a side's allegation says of the hurt: some shelling and harm to civilians counts casualties.

    Drawn from a generator of its own, so that the demo's other draws (and so its incidents) stay as they were.
    """
    rng = random.Random(n * 104729)
    if kind not in ("explosion", "civilian_harm", "fire") or rng.random() > 0.35:
        return {}
    return {
        "killed": {"civilian": rng.choice([0, 0, 0, 1]), "combatant": rng.choice([0, 0, 1])},
        "injured": {"civilian": rng.randint(0, 3), "combatant": rng.randint(0, 2), "unknown": rng.choice([0, 1])},
    }


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
    # The joint centre decides within a few days of the filing; the second delegation a little after the first.
    rng = random.Random(filing.external_id)
    at = filing.reported_at
    for verifier, verdict in VERDICTS_FOR[filing.outcome]:
        at = min(at + timedelta(hours=rng.randint(4, 60)), LAST_MOMENT)
        verdict_in = VerdictIn(verdict=verdict, note=NOTES[verdict])
        verification_service.verify(session, mission, incident_id, verdict_in, actor=actors[verifier], at=at)
