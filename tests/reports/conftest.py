"""Fixtures for the report tests: the mission, its members, the report's day, and incidents filed on it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from mission_examples import DEMO_SLUG, EXAMPLE_SLUG, Scene
from support import point_feature
from truce.incidents import service as incidents_service
from truce.incidents.models import Incident
from truce.incidents.schemas import IncidentIn
from truce.missions.models import Mission
from truce.policy import Actor

DAY = date(2020, 11, 21)  # the demo's report day, for the modules that run against nk-2020 alone
SECRET = "Restricted sighting by the tr delegation, never to be published"


@dataclass(frozen=True)
class Towns:
    """The towns a report names for the demo positions the tests file at (moved into the mission by Scene.at),
    with every name they have."""

    near: str  # for (46.76, 39.74), file_incident's default
    far: str  # for (46.55, 39.64)


TOWNS = {
    DEMO_SLUG: Towns("Shusha / Shushi", "Lachin / Berdzor"),
    EXAMPLE_SLUG: Towns("Highbridge / Hautpont", "Lowford / Basgué"),
}


@pytest.fixture
def towns(mission: Mission) -> Towns:
    return TOWNS[mission.slug]


@pytest.fixture
def day(scene: Scene) -> date:
    """The report's day: a day of the mission with records (21 November 2020 in nk-2020)."""
    return scene.day


@pytest.fixture
def file_incident(
    session: Session, mission: Mission, member: Callable[[str], Actor], scene: Scene
) -> Callable[..., Incident]:
    """File an incident on the report's day near a town (Shusha/Shushi in nk-2020) through the service, as
    monitor-ru (or its counterpart) unless told otherwise; `lon` and `lat` are demo positions (Scene.at)."""

    def run(actor: Actor | None = None, lon: float = 46.76, lat: float = 39.74, **properties: Any) -> Incident:
        values: dict[str, Any] = {
            "type": "explosion", "subtype": "mortar", "start": scene.moment(14, 30), "source": "post",
            "classification": "public", **properties,
        }  # fmt: skip
        feature = IncidentIn.model_validate(point_feature(*scene.at(lon, lat), **values))
        return incidents_service.create(session, mission, feature, actor=actor or member("monitor-ru"))

    return run
