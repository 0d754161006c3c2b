"""The daily report's freedom-of-movement section: footnoted restrictions, patrols planned against conducted."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date

from sqlalchemy.orm import Session

from mission_examples import Scene
from patrol_support import flight_body, gpx, patrol_body, restriction_body, track_points
from truce.incidents.schemas import VerdictIn
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.patrols import gpx as gpx_reader
from truce.patrols import service as patrols_service
from truce.patrols.schemas import PatrolIn
from truce.policy import Actor
from truce.reports import build, service
from truce.restrictions import service as restrictions_service
from truce.restrictions.schemas import RestrictionIn, UavFlightIn

DAY = date(2020, 11, 20)  # the demo's day of patrols; in another mission, the matching day (Scene.shifted)


def test_the_section_footnotes_each_restriction(
    session: Session, mission: Mission, member: Callable[[str], Actor], scene: Scene
) -> None:
    monitor = member("monitor-ru")
    day = scene.shifted(DAY)
    # The demo has patrols and restrictions of its own that day: the test counts what it adds.
    before = build.daily(session, mission, day).freedom
    planned = patrols_service.create(session, mission, PatrolIn.model_validate(patrol_body(scene)), actor=monitor)
    second = PatrolIn.model_validate(patrol_body(scene, name="Second"))
    patrols_service.create(session, mission, second, actor=monitor)
    track = gpx_reader.read(io.BytesIO(gpx(track_points(10.0, scene=scene))))
    patrols_service.add_track(session, mission, planned.id, track, source="gpx", actor=monitor)
    side = missions_service.party_by_code(session, mission, scene.delegation("am"))
    point = {"type": "Point", "coordinates": list(scene.at(46.6, 39.62))}
    body = restriction_body(point, scene, controlled_by=side.code, patrol_id=planned.id)
    denial = restrictions_service.create(session, mission, RestrictionIn.model_validate(body), actor=monitor)
    quiet = {"answered_at": None, "liaison_informed_at": None, "centre_informed_at": None}
    times = {"start": "2020-11-20T11:00:00+04:00", "end": "2020-11-20T11:20:00+04:00"}
    delay_body = restriction_body(point, scene, category="delay", **times, **quiet)
    delay = RestrictionIn.model_validate(delay_body)
    restrictions_service.create(session, mission, delay, actor=monitor)
    for verifier in ("verifier-ru", "verifier-tr"):
        restrictions_service.verify(session, mission, denial.id, VerdictIn(verdict="confirm"), actor=member(verifier))
    restrictions_service.create_flight(session, mission, UavFlightIn.model_validate(flight_body(
        scene, start="2020-11-20T10:00:00+04:00", end="2020-11-20T11:00:00+04:00")), actor=monitor)  # fmt: skip

    section = build.daily(session, mission, day).freedom
    assert section.restricted == before.restricted + 2
    for category in ("denial", "delay"):
        assert section.by_category[category] == before.by_category.get(category, 0) + 1
    assert len(section.planned) == len(before.planned) + 2
    assert section.conducted == before.conducted + 1
    assert section.uav_flights == before.uav_flights + 1
    assert section.interference_episodes == before.interference_episodes + 2
    (footnote,) = [f for f in section.footnotes if f.id == denial.id]
    first = footnote.text
    assert first.startswith("At 09:10, ")
    assert "denial of access, at a checkpoint, for 45 minutes" in first
    assert f"controlled by {side.name}" in first
    assert "the joint centre informed at 09:20, answered at 09:50" in first
    assert first.endswith("confirmed by joint verification.")
    html = service.daily_document(session, mission, day, "html").decode()
    assert f"restricted <strong>{section.restricted}</strong> times" in html
    assert f'<li id="fom-{footnote.number}" value="{footnote.number}">(no. {denial.id})' in html
    assert f'href="#fom-{footnote.number}"' in html
    assert f"Patrols: {len(section.planned)} planned, {section.conducted} conducted" in html
    # The same log gives the same bytes.
    assert service.daily_document(session, mission, day, "html").decode() == html


def test_a_quiet_day_says_so(session: Session, mission: Mission, scene: Scene) -> None:
    # The demo's patrols and restrictions are of 20-22 November (the example has none of its own).
    html = service.daily_document(session, mission, scene.shifted(date(2020, 11, 12)), "html").decode()
    assert "No restriction of the mission's freedom of movement was recorded." in html
    assert "No patrol was planned for this day." in html
