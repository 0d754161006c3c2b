"""What the map says about a position: zone, controller, nearest site, distance to the line, corridor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy.orm import Session

from mission_examples import DEMO_SLUG, EXAMPLE_SLUG, Scene
from truce.incidents import derive
from truce.missions.models import Mission


@dataclass(frozen=True)
class Place:
    """A position of a mission and what its map must say of it."""

    lon: float
    lat: float
    controlled_by: str | None
    line_km: tuple[float, float] = (0.0, 1000.0)  # the distance to the line of contact lies inside


# Per mission: a town of each side, and a point on its line of contact (read off the mission's file).
PLACES = {
    DEMO_SLUG: {
        "town": Place(46.7519, 39.8153, "am", (1, 10)),  # Stepanakert / Khankendi
        "other_town": Place(46.9297, 39.9911, "az"),  # Aghdam
        "on_the_line": Place(46.88, 39.98, None),
    },
    EXAMPLE_SLUG: {
        "town": Place(20.45, 10.25, "south", (20, 23)),  # Lowford / Basgué, 0.195 degrees south of the line
        "other_town": Place(20.35, 10.75, "north"),  # Highbridge / Hautpont
        "on_the_line": Place(20.4, 10.44, None),  # a vertex of the southern ceasefire line
    },
}


@pytest.fixture
def when(scene: Scene) -> datetime:
    return datetime.combine(scene.shifted(date(2020, 11, 20)), time(), tzinfo=UTC)


@pytest.fixture
def index(session: Session, mission: Mission) -> derive.MapIndex:
    return derive.map_index(session, mission)


@pytest.fixture
def places(mission: Mission) -> dict[str, Place]:
    return PLACES[mission.slug]


def test_a_town_is_in_its_sides_zone(index: derive.MapIndex, places: dict[str, Place], when: datetime) -> None:
    town = places["town"]
    facts = index.derive(town.lon, town.lat, when)
    assert facts.controlled_by == town.controlled_by
    assert facts.nearest_site_km is not None
    assert facts.nearest_site_km < 1.0
    assert facts.line_of_contact_km is not None
    assert town.line_km[0] < facts.line_of_contact_km < town.line_km[1]
    assert not facts.in_corridor


def test_a_town_of_the_other_side_is_in_its_zone(
    index: derive.MapIndex, places: dict[str, Place], when: datetime
) -> None:
    town = places["other_town"]
    facts = index.derive(town.lon, town.lat, when)
    assert facts.controlled_by == town.controlled_by
    assert not facts.in_corridor


@pytest.mark.demo_content  # the example mission has no corridor
def test_lachin_lies_in_the_corridor(index: derive.MapIndex, when: datetime) -> None:
    facts = index.derive(46.5469, 39.6394, when)
    assert facts.in_corridor
    assert facts.controlled_by is None  # the corridor is cut out of both zones of control


def test_a_point_on_the_line_is_at_distance_zero(
    index: derive.MapIndex, places: dict[str, Place], when: datetime
) -> None:
    point = places["on_the_line"]
    facts = index.derive(point.lon, point.lat, when)
    assert facts.line_of_contact_km == pytest.approx(0.0, abs=0.01)


def test_bearing_and_distance_from_an_observer() -> None:
    lon, lat = derive.from_observer(46.75, 39.80, 90.0, 10.0)
    assert lat == pytest.approx(39.80, abs=0.001)
    assert derive.km_between(46.75, 39.80, lon, lat) == pytest.approx(10.0, abs=0.001)
    north = derive.from_observer(46.75, 39.80, 0.0, 111.0)
    assert north[0] == pytest.approx(46.75, abs=1e-6)
    assert north[1] == pytest.approx(40.80, abs=0.01)
