"""The map index is rebuilt exactly when a mission's places changed: a version the database keeps with them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from truce.incidents import derive
from truce.missions.models import Mission
from truce.places import service as places_service
from truce.places.models import PlaceVersion
from truce.places.schemas import SiteIn
from truce.policy import Actor

WHEN = datetime(2020, 11, 20, tzinfo=UTC)
# A field near Hadrut, more than a kilometre from every demo site.
FIELD = (46.99, 39.47)


def version(session: Session, mission: Mission) -> int:
    found = session.execute(select(PlaceVersion.version).where(PlaceVersion.mission_id == mission.id)).scalar()
    assert found is not None
    return found


def new_site(name: str, lon: float, lat: float) -> SiteIn:
    return SiteIn.model_validate(
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"name": name, "kind": "post"},
        }
    )


def test_a_new_site_changes_the_version_and_the_derived_facts(
    session: Session, mission: Mission, member: Callable[[str], Actor]
) -> None:
    before = version(session, mission)
    assert derive.map_index(session, mission).derive(*FIELD, WHEN).nearest_site_km > 1  # type: ignore[operator]
    places_service.create_site(session, mission, new_site("Post in the field", *FIELD), actor=member("admin"))
    session.flush()
    assert version(session, mission) != before
    assert derive.map_index(session, mission).derive(*FIELD, WHEN).nearest_site_km == 0


def test_a_change_by_hand_in_sql_changes_the_version(session: Session, mission: Mission) -> None:
    before = version(session, mission)
    session.execute(
        text("UPDATE sites SET name = name || ' (renamed)' WHERE mission_id = :m AND kind = 'post'"), {"m": mission.id}
    )
    assert version(session, mission) != before


def test_a_rolled_back_change_never_lends_its_version_to_another(
    session: Session, mission: Mission, member: Callable[[str], Actor]
) -> None:
    before = version(session, mission)
    admin = member("admin")
    discarded = session.begin_nested()
    places_service.create_site(session, mission, new_site("Discarded post", *FIELD), actor=admin)
    session.flush()
    seen_inside = version(session, mission)
    assert derive.map_index(session, mission).derive(*FIELD, WHEN).nearest_site_km == 0
    discarded.rollback()
    assert version(session, mission) == before
    # Without the discarded post, the index built inside the rolled-back savepoint is stale.
    assert derive.map_index(session, mission).derive(*FIELD, WHEN).nearest_site_km > 1  # type: ignore[operator]
    kept = (FIELD[0] + 0.02, FIELD[1])
    places_service.create_site(session, mission, new_site("Kept post", *kept), actor=admin)
    session.flush()
    assert version(session, mission) not in (before, seen_inside)
    assert derive.map_index(session, mission).derive(*FIELD, WHEN).nearest_site_km == derive.km_between(*FIELD, *kept)
