"""What the map says about a position: zone, controller, nearest site, distance to the line, corridor."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from truce.incidents import derive
from truce.missions import service as missions_service

WHEN = datetime(2020, 11, 20, tzinfo=UTC)


@pytest.fixture
def index(session: Session) -> derive.MapIndex:
    mission = missions_service.get_by_slug(session, "nk-2020")
    assert mission is not None
    return derive.map_index(session, mission)


def test_stepanakert_is_in_the_armenian_controlled_zone(index: derive.MapIndex) -> None:
    facts = index.derive(46.7519, 39.8153, WHEN)
    assert facts.controlled_by == "am"
    assert facts.nearest_site_km is not None
    assert facts.nearest_site_km < 1.0
    assert facts.line_of_contact_km is not None
    assert 1 < facts.line_of_contact_km < 10
    assert not facts.in_corridor


def test_aghdam_is_in_the_azerbaijani_controlled_zone(index: derive.MapIndex) -> None:
    facts = index.derive(46.9297, 39.9911, WHEN)
    assert facts.controlled_by == "az"
    assert not facts.in_corridor


def test_lachin_lies_in_the_corridor(index: derive.MapIndex) -> None:
    facts = index.derive(46.5469, 39.6394, WHEN)
    assert facts.in_corridor
    assert facts.controlled_by is None  # the corridor is cut out of both zones of control


def test_a_point_on_the_line_is_at_distance_zero(index: derive.MapIndex) -> None:
    facts = index.derive(46.88, 39.98, WHEN)
    assert facts.line_of_contact_km == pytest.approx(0.0, abs=0.01)


def test_bearing_and_distance_from_an_observer() -> None:
    lon, lat = derive.from_observer(46.75, 39.80, 90.0, 10.0)
    assert lat == pytest.approx(39.80, abs=0.001)
    assert derive.km_between(46.75, 39.80, lon, lat) == pytest.approx(10.0, abs=0.001)
    north = derive.from_observer(46.75, 39.80, 0.0, 111.0)
    assert north[0] == pytest.approx(46.75, abs=1e-6)
    assert north[1] == pytest.approx(40.80, abs=0.01)
