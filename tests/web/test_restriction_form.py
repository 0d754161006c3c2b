"""The restriction form: every field of the record, the service's own checks on the fields they name, in both
languages, and the record it files (the same as the API's, logged)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from mission_examples import Scene
from patrol_support import patrol_body
from support import Login
from truce.ledger import service as ledger
from truce.missions.models import Mission
from truce.places.models import Site
from truce.restrictions.models import Restriction
from web.conftest import WebClient

RU = {"Accept-Language": "ru"}
FIELDS = (
    "category", "kind", "start", "duration_min", "reason_given", "site_id", "lat", "lon", "controlled_by",
    "patrol_id", "uav_flight_id", "liaison_informed_at", "centre_informed_at", "answer", "answered_at",
    "resolved_at", "narrative", "classification",
)  # fmt: skip


def new(scene: Scene) -> str:
    return f"{scene.pages}/restrictions/new"


def at(scene: Scene, clock: str) -> str:
    """A time of the scene's day as the form's fields write it (the mission's clock): "2020-11-21T09:30"."""
    return f"{scene.day}T{clock}"


def utc(scene: Scene, clock: str) -> str:
    """That time of the scene's day on the mission's clock, in UTC ("HH:MM")."""
    moment = datetime.combine(scene.day, time.fromisoformat(clock), tzinfo=UTC) - scene.offset
    return moment.strftime("%H:%M")


def form(scene: Scene, **values: str) -> dict[str, str]:
    lon, lat = scene.point
    filled = {
        "category": "delay", "kind": "checkpoint", "start": at(scene, "09:30"), "duration_min": "45",
        "lat": str(lat), "lon": str(lon), "classification": "mission",
    }  # fmt: skip
    return {k: v for k, v in {**filled, **values}.items() if v is not None}


def stored(web: WebClient, restriction_id: int) -> Restriction:
    with web.db.writer() as session:
        found = session.get(Restriction, restriction_id)
        assert found is not None
        session.expunge(found)
        return found


def test_the_form_has_every_field_of_the_record(web: WebClient, scene: Scene) -> None:
    page = web.login("monitor-ru").get(new(scene)).text
    for name in FIELDS:
        assert f'name="{name}"' in page, name
    assert 'data-outbox="restriction"' in page
    assert "Record the restriction" in page
    russian = web.get(new(scene), headers=RU).text
    assert "Записать ограничение" in russian


def test_a_restriction_filed_with_every_field_is_the_record_and_its_log_entry(
    web: WebClient, client: TestClient, login: Login, scene: Scene, mission: Mission
) -> None:
    planned = client.post(f"{scene.api}/patrols", json=patrol_body(scene), headers=login("monitor-ru"))
    assert planned.status_code == 201, planned.text
    patrol_id = planned.json()["id"]
    web.login("monitor-ru")
    with web.db.writer() as session:
        where = (Site.mission_id == mission.id, Site.code == scene.checkpoint)
        checkpoint = session.scalars(select(Site).where(*where)).one()  # where people cross
        site_id = checkpoint.id
    side = scene.delegation("az")
    values = form(
        scene, lat="", lon="", site_id=str(site_id), controlled_by=side, patrol_id=str(patrol_id),
        reason_given="orders", liaison_informed_at=at(scene, "09:40"), centre_informed_at=at(scene, "09:50"),
        answer="passage granted", answered_at=at(scene, "10:05"), resolved_at=at(scene, "10:15"),
        narrative="held at the barrier",
    )  # fmt: skip
    answer = web.post_form(new(scene), values)
    assert answer.status_code == 303, answer.text[:800]
    found = re.search(r"recorded=(\d+)$", answer.headers["location"])
    assert found is not None
    made = stored(web, int(found.group(1)))
    # The times are on the mission's clock (nk-2020 keeps Baku time, UTC+4: 09:30 there is 05:30 UTC); 45 minutes
    # after the start it ended.
    assert (made.category, made.kind, made.site_id, made.patrol_id) == ("delay", "checkpoint", site_id, patrol_id)
    moments = (made.start, made.end, made.liaison_informed_at, made.answered_at, made.resolved_at)
    expected = [utc(scene, clock) for clock in ("09:30", "10:15", "09:40", "10:05", "10:15")]
    assert [m.strftime("%H:%M") if m else None for m in moments] == expected
    assert (made.controlled_by, made.reason_given, made.answer) == (side, "orders", "passage granted")
    assert (made.author_delegation, made.status) == (scene.delegation("ru"), "reported")
    with web.db.writer() as session:
        assert [e.action for e in ledger.history(session, "restrictions", str(made.id))] == ["restriction.create"]
    notice = web.get(answer.headers["location"]).text
    assert f"Restriction {made.id} recorded" in notice


@pytest.mark.parametrize(
    ("values", "field", "english", "russian"),
    [
        ({"category": ""}, "category", "This field is required.", "Это поле обязательно."),
        ({"lat": "", "lon": ""}, "site_id", "Choose the checkpoint, or give the position.", "Выберите"),
        ({"lat": "north"}, "lat", "Write a number.", "Введите число."),
        ({"kind": "teleport"}, "kind", "Choose one of the offered values.", "Выберите одно из предложенных значений."),
        (
            {"liaison_informed_at": "08:00"},
            "liaison_informed_at",
            "liaison_informed_at is before start",
            "раньше",
        ),
        ({"patrol_id": "999999"}, "patrol_id", "patrol not found", "Патруль не найден"),
        ({"uav_flight_id": "999999"}, "uav_flight_id", "UAV flight not found", "Полёт БПЛА не найден"),
        ({"site_id": "999999", "lat": "", "lon": ""}, "site_id", "has no site 999999", "нет объекта 999999"),
        ({"controlled_by": "zz"}, "controlled_by", "has no party &#39;zz&#39;", "нет стороны &#39;zz&#39;"),
        ({"duration_min": "-5"}, "duration_min", "Give at least 0.", "Не меньше 0."),
    ],
)
def test_a_bad_restriction_is_refused_on_its_field_in_either_language(
    web: WebClient, scene: Scene, values: dict[str, str], field: str, english: str, russian: str
) -> None:
    if "liaison_informed_at" in values:  # a time of the scene's day
        values = {"liaison_informed_at": at(scene, values["liaison_informed_at"])}
    web.login("monitor-ru")
    with web.db.writer() as session:
        before = len(session.scalars(select(Restriction.id)).all())
    for headers, message in (({}, english), (RU, russian)):
        answer = web.post_form(new(scene), form(scene, **values), headers=headers)
        assert answer.status_code == 422, answer.text[:500]
        error = re.search(rf'id="e-{re.escape(field)}">([^<]*)<', answer.text)
        assert error is not None, (field, answer.text[:3000])
        assert message in error.group(1), error.group(1)
        # What was typed stays in the form.
        assert f'value="{at(scene, "09:30")}"' in answer.text
    with web.db.writer() as session:
        assert len(session.scalars(select(Restriction.id)).all()) == before
