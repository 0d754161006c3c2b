"""The mission files the tests start from: the package's illustrative example, and the nk-2020 demo; and each
mission as the mission-independent tests see it (a `Scene`: its accounts, a place inside it, a day of records)."""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from support import point_feature
from truce.demo import loader
from truce.incidents import service as incidents_service
from truce.incidents.schemas import IncidentIn
from truce.missionfile import create, spec
from truce.missionfile.reading import parse
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.missions.schemas import DelegationIn, PartyIn
from truce.policy import Actor
from truce.users import service as users_service

EXAMPLE = Path(str(files("truce.missionfile") / "examples" / "buffer_zone.yaml"))
DEMO = Path(str(files("truce.demo") / "nk_2020.yaml"))
DEMO_SLUG, EXAMPLE_SLUG = "nk-2020", "valley-buffer"
DEMO_DAY = date(2020, 11, 21)  # the demo's scene day: a day with records, inside its period


def example() -> dict[str, Any]:
    """A fresh copy of the example mission's content, to change."""
    return copy.deepcopy(_parsed())


_cache: list[Any] = []


def _parsed() -> Any:
    if not _cache:
        _cache.append(parse(EXAMPLE.read_text(encoding="utf-8")))
    return _cache[0]


@dataclass(frozen=True)
class Scene:
    """One mission as a mission-independent test sees it.

    Tests name the demo's accounts and delegations (`monitor-ru`, `tr`); `account` and `delegation` give this
    mission's counterparts (a monitor, a verifier of another delegation, a side's liaison...). `point` lies in a
    zone a side controls, `day` has records, `offset` is the mission's clock.
    """

    slug: str
    point: tuple[float, float]
    day: date
    offset: timedelta
    delegations: dict[str, str] = field(default_factory=dict)
    actors: dict[str, str] = field(default_factory=dict)
    checkpoint: str = "CHK-1"  # the code of a site where people cross (the phones' checkpoint count is made at it)

    def delegation(self, code: str) -> str:
        """This mission's counterpart of a demo delegation (or party) code."""
        return self.delegations.get(code, code)

    def account(self, username: str) -> str:
        """This mission's counterpart of a demo account (`verifier-tr` -> `verifier-east`); in the demo, itself."""
        if self.slug == DEMO_SLUG:
            return username  # `admin` too, which has no delegation in its name
        role, _, code = username.partition("-")
        return f"{role}-{self.delegation(code)}" if code else f"{role}-{self.delegation('ru')}"

    def actor(self, name: str) -> str:
        """This mission's counterpart of an outside source's name for a demo party ("Government of Armenia")."""
        return self.actors.get(name, name)

    @property
    def offset_text(self) -> str:
        """The mission's clock as reports write it after "UTC": "+04:00"."""
        return datetime(2000, 1, 1, tzinfo=timezone(self.offset)).isoformat()[-6:]

    def shifted(self, demo_day: date) -> date:
        """The day as far from the scene's day as `demo_day` is from the demo's (21 November 2020)."""
        return self.day + (demo_day - DEMO_DAY)

    def login(self, username: str) -> tuple[str, str]:
        """The name and password of a demo account's counterpart here (accounts made by `load_example`)."""
        return self.account(username), PASSWORD

    @property
    def api(self) -> str:
        """The mission's API root."""
        return f"/api/v1/missions/{self.slug}"

    @property
    def pages(self) -> str:
        """The root of the mission's pages."""
        return f"/m/{self.slug}"

    def at(self, lon: float, lat: float) -> tuple[float, float]:
        """A demo position (given near 46.80, 39.90) moved to the same place relative to this mission's point."""
        return round(lon - 46.80 + self.point[0], 6), round(lat - 39.90 + self.point[1], 6)

    def moment(self, hour: int, minute: int = 0, *, day: date | None = None) -> str:
        """An ISO time on `day` (the scene's day) at the mission's clock."""
        on = day or self.day
        return datetime(on.year, on.month, on.day, hour, minute, tzinfo=timezone(self.offset)).isoformat()


SCENES = {
    DEMO_SLUG: Scene(DEMO_SLUG, (46.80, 39.90), DEMO_DAY, timedelta(hours=4)),
    EXAMPLE_SLUG: Scene(
        EXAMPLE_SLUG, (20.35, 10.70), date(2024, 5, 21), timedelta(hours=2),
        {"ru": "force", "tr": "east", "am": "north", "az": "south", "unhcr": "relief"},
        {"Government of Armenia": "Northern authorities", "Government of Azerbaijan": "Southern authorities",
         "Military Forces of Armenia (2018-)": "Military Forces of the Northern authorities",
         "Military Forces of Azerbaijan (2003-)": "Military Forces of the Southern authorities"},
        checkpoint="X-1",
    ),
}  # fmt: skip

PASSWORD = loader.DEMO_PASSWORD  # the demo accounts' password: a test logs in the same way in either mission
# The example's accounts: each demo account's counterpart (Scene.account), by role and delegation.
EXAMPLE_ACCOUNTS = [
    ("admin-force", "admin", "force"), ("monitor-force", "monitor", "force"), ("verifier-force", "verifier", "force"),
    ("verifier-east", "verifier", "east"), ("liaison-north", "liaison", "north"), ("liaison-south", "liaison", "south"),
    ("humanitarian-relief", "humanitarian", "relief"), ("analyst-force", "analyst", "force"),
]  # fmt: skip
# Kinds of the example's records, Truce's and the mission's own subtypes alike.
EXAMPLE_KINDS = [
    ("fire", "small_arms"), ("explosion", "mortar"), ("movement", "construction_in_buffer_zone"),
    ("access", "crossing_closed"), ("other", "civilian_farming"), ("air", "drone_overflight"),
]  # fmt: skip
EXAMPLE_INCIDENTS = 150


def in_mission(change: dict[str, str], scene: Scene) -> dict[str, str]:
    """A refusal's fields written for nk-2020, moved into the scene's mission: its days and delegation codes."""
    moved: dict[str, str] = {}
    for key, value in change.items():
        if key == "date" and value == "2019-06-01":
            value = str(scene.shifted(date(2019, 6, 1)))  # a demo day before the mission, as far before this one
        if key.startswith("restricted_to.") and value != "zz":
            key, value = f"restricted_to.{scene.delegation(value)}", scene.delegation(value)
        moved[key] = value
    return moved


def with_intermediary(request: pytest.FixtureRequest) -> None:
    """The ICRC, the exchanges' intermediary: the demo has it; the example mission, whose relief agency stands for
    the demo's UNHCR (which is no intermediary there), is given it. Only for tests that ask for a mission."""
    if "mission_slug" not in request.fixturenames:
        return
    mission: Mission = request.getfixturevalue("mission")
    session: Session = request.getfixturevalue("session")
    if "icrc" in {party.code for party in missions_service.parties(session, mission)}:
        return
    system = Actor.system(mission.id)
    missions_service.create_party(session, mission, PartyIn(code="icrc", name="ICRC", kind="agency"), actor=system)
    missions_service.create_delegation(session, mission, DelegationIn(code="icrc", name="ICRC", party="icrc"),
                                       actor=system)  # fmt: skip
    session.commit()


def load_example(session: Session) -> Mission:
    """The example mission from its file, its accounts, and incidents over a month (some restricted, some
    alleged by a side), through the services as in any mission."""
    mission, _ = create.create(session, spec.read(EXAMPLE), actor=Actor.system())
    for name, role, delegation in EXAMPLE_ACCOUNTS:
        # As the demo's accounts: a phone may log them in with HTTP Digest too.
        users_service.create(
            session, name, PASSWORD, mission=mission, role=role, delegation_code=delegation,
            actor=Actor.system(mission.id), digest_login=True,
        )  # fmt: skip
    scene, rng = SCENES[EXAMPLE_SLUG], random.Random(19)
    classifications = ["public", "public", "parties", "mission", "restricted"]
    for number in range(EXAMPLE_INCIDENTS):
        kind, subtype = EXAMPLE_KINDS[number % len(EXAMPLE_KINDS)]
        day = scene.day + timedelta(days=rng.randint(-20, 9))
        classification = classifications[number % len(classifications)]
        filer = "liaison-north" if number % 7 == 3 else "monitor-force"
        properties: dict[str, Any] = {
            "type": kind, "subtype": subtype, "start": scene.moment(rng.randint(0, 23), rng.randint(0, 59), day=day),
            "source": "party" if filer.startswith("liaison") else "patrol", "classification": classification,
            "restricted_to": ["force"] if classification == "restricted" else [],
            "narrative": f"Example record {number + 1}.",
        }  # fmt: skip
        if filer.startswith("liaison"):
            properties["alleged_actors"] = [{"party": "south"}]  # an allegation names the side it accuses
        lon, lat = 20.05 + rng.random() * 0.7, 10.05 + rng.random() * 0.9
        actor = users_service.actor_for(session, users_service.get_by_name(session, filer), mission)
        incidents_service.create(session, mission, IncidentIn.model_validate(point_feature(lon, lat, **properties)),
                                 actor=actor)  # fmt: skip
    return mission
