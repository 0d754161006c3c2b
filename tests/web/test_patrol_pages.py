"""The patrol pages: the list with each patrol's deviation, and the planning form that takes the route drawn."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from mission_examples import Scene
from support import ACCOUNTS, STAFF
from truce.missions.models import Mission
from truce.patrols.models import Track
from web.conftest import WebClient

PLANNERS = {"admin", "monitor-ru", "verifier-ru", "verifier-tr"}
DEMO_ROUTE = [(46.41, 39.556), (46.47, 39.60), (46.547, 39.639)]
DAY = date(2020, 11, 23)  # the patrols' day in the demo; Scene.shifted gives the mission's


def route(scene: Scene) -> str:
    """The drawn route as the form sends it, moved into the scene's mission."""
    return "; ".join("{:.5f} {:.5f}".format(*scene.at(lon, lat)) for lon, lat in DEMO_ROUTE)


def plan(scene: Scene, **values: str) -> dict[str, str]:
    return {"name": "Corridor patrol", "team": "Team 3", "date": str(scene.shifted(DAY)), "start": "08:00",
            "end": "12:00", "route": route(scene), "buffer_m": "250", "classification": "mission",
            **values}  # fmt: skip


@pytest.mark.parametrize("account", ACCOUNTS)
def test_who_opens_the_pages(web: WebClient, scene: Scene, mission: Mission, account: str) -> None:
    planned_patrol(web, scene)
    web.client.cookies.clear()
    web.login(account)
    listed = web.get(f"{scene.pages}/patrols")
    if account == "public" and not mission.public:  # the example is private: the public is sent to log in
        assert listed.status_code == 303
        assert listed.headers["location"].startswith("/login")
        return
    assert listed.status_code == 200
    # A patrol classified "mission" is the mission staff's; the others see an empty list.
    assert ("Recorded on the page" in listed.text) == (account in STAFF)
    form = web.get(f"{scene.pages}/patrols/new")
    expected = 200 if account in PLANNERS else 303 if account == "public" else 403
    assert form.status_code == expected


@pytest.mark.demo_content
@pytest.mark.parametrize("account", ACCOUNTS)
def test_the_demos_patrols_are_the_staffs(web: WebClient, account: str) -> None:
    web.login(account)
    assert ("Lachin corridor patrol" in web.get("/m/nk-2020/patrols").text) == (account in STAFF)


def test_plan_a_patrol_with_a_drawn_route(web: WebClient, scene: Scene) -> None:
    web.login("monitor-ru")
    page = web.get(f"{scene.pages}/patrols/new")
    assert 'id="patrol-map"' in page.text
    assert "/static/js/patrol.js" in page.text
    answer = web.post_form(f"{scene.pages}/patrols/new", plan(scene))
    assert answer.status_code == 303, answer.text[:500]
    listed = web.get(f"{scene.pages}/patrols").text
    assert "Corridor patrol" in listed
    assert f"{scene.shifted(DAY)} 08:00" in listed


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"route": "20.35 10.70"}, "route", "Click the map at least twice"),
        ({"route": "east then north"}, "route", "longitude and latitude pairs"),
        ({"route": "46.41 95; 46.47 39.6"}, "route", "latitude"),
        ({"end": "07:00"}, "end", "planned_end is before planned_start"),
        ({"name": ""}, "name", "This field is required."),
        ({"buffer_m": "wide"}, "buffer_m", "Enter a number."),
    ],
)
def test_a_bad_plan_is_shown_back_with_its_field(
    web: WebClient, scene: Scene, values: dict[str, str], field: str, message: str
) -> None:
    web.login("monitor-ru")
    answer = web.post_form(f"{scene.pages}/patrols/new", plan(scene, **values))
    assert answer.status_code == 422
    assert f'id="e-{field}"' in answer.text
    assert message in answer.text


def test_the_pages_in_russian(web: WebClient, scene: Scene) -> None:
    web.login("monitor-ru")
    listed = web.get(f"{scene.pages}/patrols", headers={"Accept-Language": "ru"}).text
    assert "Запланировать патруль" in listed
    assert "Патрули" in listed
    form = web.get(f"{scene.pages}/patrols/new", headers={"Accept-Language": "ru"}).text
    assert "Точки маршрута" in form


def planned_patrol(web: WebClient, scene: Scene) -> int:
    web.login("monitor-ru")
    answer = web.post_form(f"{scene.pages}/patrols/new", plan(scene, name="Recorded on the page"))
    assert answer.status_code == 303, answer.text[:500]
    found = re.search(rf'{scene.pages}/patrols/(\d+)/record">', web.get(f"{scene.pages}/patrols").text)
    assert found is not None
    return int(found.group(1))


def page_tracks(web: WebClient, patrol_id: int) -> list[Track]:
    with web.db.writer() as session:
        found = list(session.scalars(select(Track).where(Track.patrol_id == patrol_id)))
        session.expunge_all()
        return found


def batch(scene: Scene, first_s: int, count: int = 3) -> str:
    """Positions from 08:00 UTC on the patrols' day, along the start of the route, as the patrol screen sends."""
    day = scene.shifted(DAY)
    start = int(datetime(day.year, day.month, day.day, 8, tzinfo=UTC).timestamp() * 1000) + first_s * 1000
    lon, lat = scene.at(*DEMO_ROUTE[0])
    return json.dumps([[lon + i * 0.001, lat + i * 0.0005, start + i * 10_000, 8.5] for i in range(count)])


@pytest.mark.parametrize("account", ACCOUNTS)
def test_who_opens_the_patrol_screen_and_sends_positions(
    web: WebClient, scene: Scene, mission: Mission, account: str
) -> None:
    patrol_id = planned_patrol(web, scene)
    web.client.cookies.clear()
    web.login(account)
    screen = web.get(f"{scene.pages}/patrols/{patrol_id}/record")
    # Planners record; other staff read the patrol but may not; the rest, the public too, do not learn it exists
    # (in a private mission the public is sent to log in before anything).
    expected = 200 if account in PLANNERS else 403 if account in STAFF else 404
    assert screen.status_code == (303 if account == "public" and not mission.public else expected)
    sent = web.post_form(f"{scene.pages}/patrols/{patrol_id}/positions", {"points": batch(scene, 0), "track_id": ""})
    # A post without a session is sent to log in first.
    assert sent.status_code == (303 if account == "public" else expected)


def test_positions_sent_in_batches_make_one_timed_track(web: WebClient, scene: Scene) -> None:
    patrol_id = planned_patrol(web, scene)
    screen = web.get(f"{scene.pages}/patrols/{patrol_id}/record")
    assert "/static/js/patrol-record.js" in screen.text
    positions = f"{scene.pages}/patrols/{patrol_id}/positions"
    first = web.post_form(positions, {"points": batch(scene, 0), "track_id": ""})
    assert first.status_code == 200, first.text[:500]
    track_id = first.json()["track_id"]
    assert first.json()["point_count"] == 3
    second = web.post_form(positions, {"points": batch(scene, 30, 1), "track_id": str(track_id)})
    assert second.json() == {"track_id": track_id, "point_count": 5}  # one position alone stands twice
    tracks = page_tracks(web, patrol_id)
    assert [(t.source, t.timed, t.point_count, t.author_delegation) for t in tracks] == [
        ("page", True, 5, scene.delegation("ru"))
    ]
    assert "under way" in web.get(f"{scene.pages}/patrols").text


@pytest.mark.parametrize(
    ("points", "track_id", "message"),
    [
        ("not json", "", "the positions are not JSON"),
        ("[]", "", "send 1 to 1,000 positions"),
        ("[[46.4, 95.0, 1606118400000, 5]]", "", "latitude 95.0 is off the globe"),
        ('[["east", 39.5, 1606118400000, 5]]', "", "position 1 is not"),
        ("well formed", "987654", "has no track 987654"),
    ],
)
def test_a_bad_batch_is_refused_and_nothing_is_stored(
    web: WebClient, scene: Scene, points: str, track_id: str, message: str
) -> None:
    patrol_id = planned_patrol(web, scene)
    points = batch(scene, 0) if points == "well formed" else points
    answer = web.post_form(f"{scene.pages}/patrols/{patrol_id}/positions", {"points": points, "track_id": track_id})
    assert answer.status_code == 422
    assert message in answer.text
    assert page_tracks(web, patrol_id) == []


def test_a_batch_going_back_in_time_is_refused(web: WebClient, scene: Scene) -> None:
    patrol_id = planned_patrol(web, scene)
    positions = f"{scene.pages}/patrols/{patrol_id}/positions"
    first = web.post_form(positions, {"points": batch(scene, 100), "track_id": ""})
    track_id = str(first.json()["track_id"])
    answer = web.post_form(positions, {"points": batch(scene, 0), "track_id": track_id})
    assert answer.status_code == 422
    assert "none before the last one sent" in answer.text
