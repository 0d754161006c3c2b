"""The complete incident form (issue 17, part 2): who is accused, who was hurt, counts, placement, and the
service's own refusals (a future start, a start before the mission, a far position, a restricted record
with no delegation), each shown on its field with the typing kept; then a confirmation with the link."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mission_examples import Scene, in_mission
from support import Login, point_feature
from truce.incidents.models import Incident
from web.conftest import WebClient


def entry(scene: Scene) -> dict[str, str]:
    """Rounds heard from a post, on a day and at a place of the scene's mission."""
    lon, lat = scene.point
    return {
        "type": "explosion", "subtype": "artillery", "date": str(scene.shifted(date(2020, 11, 25))), "time": "06:40",
        "source": "post", "means": "heard", "narrative": "Form test: rounds heard.", "classification": "mission",
        "placement": "map", "lat": str(lat), "lon": str(lon),
    }  # fmt: skip


def filed(answer: Any, session: Session) -> Incident:
    assert answer.status_code == 303, answer.text[:1500]
    location = answer.headers["location"]
    assert location.endswith("?filed=1")
    incident = session.get(Incident, int(location.split("?")[0].rsplit("/", 1)[1]))
    assert incident is not None
    return incident


def count(session: Session) -> int:
    return session.execute(select(func.count(Incident.id))).scalar_one()


def test_counts_casualties_and_the_accused_side_are_stored(web: WebClient, session: Session, scene: Scene) -> None:
    web.login("monitor-ru")
    base, side = scene.pages, scene.delegation("az")
    form = {
        **entry(scene), "count.impacts": "3", "count.airbursts": "1", "count.outgoing": "", "killed.civilian": "1",
        "injured.civilian": "2", "injured.combatant": "1", f"alleged.{side}": "1",
        f"alleged_actor.{side}": "a mortar crew",
    }  # fmt: skip
    incident = filed(web.post_form(f"{base}/incidents/new", form), session)
    assert incident.counts == {"impacts": 3, "airbursts": 1}
    assert incident.casualties["killed"] == {"civilian": 1, "combatant": 0, "unknown": 0}
    assert incident.casualties["injured"] == {"civilian": 2, "combatant": 1, "unknown": 0}
    assert incident.alleged_actors == [{"party": side, "actor": "a mortar crew"}]
    detail = web.get(f"{base}/incidents/{incident.id}?filed=1").text
    assert 'id="filed-notice"' in detail
    assert f"{base}/incidents/{incident.id}</a>" in detail  # the link, written out
    assert "Impacts: 3" in detail
    assert "a mortar crew" in detail


def test_the_form_offers_each_side_counts_casualties_three_placements_and_files(web: WebClient, scene: Scene) -> None:
    text = web.login("monitor-ru").get(f"{scene.pages}/incidents/new").text
    sides = (f"alleged.{scene.delegation('am')}", f"alleged.{scene.delegation('az')}")
    for name in (*sides, "count.impacts", "count.events", "killed.unknown", "injured.combatant"):
        assert f'name="{name}"' in text, name
    assert 'value="location"' in text
    assert 'id="locate"' in text
    assert 'enctype="multipart/form-data"' in text
    assert 'name="evidence" type="file" multiple' in text
    assert 'capture="environment"' in text
    assert "together at most 200 MB" in text


def test_a_blank_time_is_to_the_day(web: WebClient, session: Session, scene: Scene) -> None:
    web.login("monitor-ru")
    base, form = scene.pages, entry(scene)
    incident = filed(web.post_form(f"{base}/incidents/new", {**form, "time": ""}), session)
    assert incident.time_precision == "day"
    kept = filed(web.post_form(f"{base}/incidents/new", {**form, "time": "", "time_precision": "week"}), session)
    assert kept.time_precision == "week"  # a coarser precision chosen is kept


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"date": "2999-01-01"}, "date", "This is in the future"),
        ({"date": "2019-06-01"}, "date", "This is before the mission began"),  # a demo day: moved into the mission
        ({"lat": "55.75", "lon": "37.62"}, "lat", "far outside the mission"),
        ({"classification": "restricted"}, "restricted_to", "Name the delegations"),
        ({"killed.civilian": "-2"}, "killed.civilian", "whole number"),
        ({"count.impacts": "lots"}, "count.impacts", "whole number"),
    ],
)
def test_refusals_are_on_their_field_and_the_typing_is_kept(
    web: WebClient, session: Session, scene: Scene, change: dict[str, str], field: str, message: str
) -> None:
    before = count(session)
    web.login("monitor-ru")
    if change.get("date") == "2019-06-01":
        change = {"date": str(scene.shifted(date(2019, 6, 1)))}
    answer = web.post_form(f"{scene.pages}/incidents/new", {**entry(scene), **change})
    assert answer.status_code == 422
    assert message in answer.text
    assert f'href="#f-{field}"' in answer.text
    assert "Form test: rounds heard." in answer.text
    for value in change.values():
        assert f'value="{value}"' in answer.text or value == "restricted"
    assert count(session) == before


def test_a_far_position_goes_in_once_confirmed(web: WebClient, session: Session, scene: Scene) -> None:
    web.login("monitor-ru")
    base, form = scene.pages, entry(scene)
    far = {**form, "lat": "41.7", "lon": "44.8"}
    refused = web.post_form(f"{base}/incidents/new", far)
    assert refused.status_code == 422
    assert 'name="confirm_outside"' in refused.text
    incident = filed(web.post_form(f"{base}/incidents/new", {**far, "confirm_outside": "1"}), session)
    assert (incident.lat, incident.lon) == (41.7, 44.8)


def test_a_liaison_names_the_side_accused(web: WebClient, session: Session, scene: Scene) -> None:
    web.login("liaison-am")
    base, form, side = scene.pages, entry(scene), scene.delegation("az")
    allegation = {**form, "source": "party", "classification": "parties"}
    refused = web.post_form(f"{base}/incidents/new", allegation)
    assert refused.status_code == 422
    assert "An allegation names the side it accuses." in refused.text
    incident = filed(web.post_form(f"{base}/incidents/new", {**allegation, f"alleged.{side}": "1"}), session)
    assert incident.source == "party"
    assert incident.alleged_actors == [{"party": side, "actor": ""}]


def test_the_russian_form_says_its_refusals_in_russian(web: WebClient, scene: Scene) -> None:
    web.login("monitor-ru")
    base, form = scene.pages, entry(scene)
    web.client.cookies.set("truce_lang", "ru")
    answer = web.post_form(f"{base}/incidents/new", {**form, "date": "2999-01-01"})
    assert answer.status_code == 422
    assert "в будущем" in answer.text


@pytest.mark.parametrize(
    ("properties", "geometry", "field"),
    [
        ({"start": "2999-01-01T00:00:00+00:00"}, None, "properties.start"),
        ({"start": "2019-01-01T00:00:00+00:00"}, None, "properties.start"),  # before either mission
        ({}, (37.62, 55.75), "geometry"),  # far from either mission
        ({"classification": "restricted"}, None, "properties.restricted_to"),
    ],
)
def test_the_api_refuses_the_same(
    client: TestClient,
    login: Login,
    scene: Scene,
    properties: dict[str, Any],
    geometry: tuple[float, float] | None,
    field: str,
) -> None:
    body = point_feature(
        *(geometry or scene.point), type="fire", subtype="sniper", start=scene.moment(10), source="post"
    )
    body["properties"].update(properties)
    answer = client.post(f"{scene.api}/incidents", json=body, headers=login("monitor-ru"))
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"].startswith(field), answer.text


def test_the_api_takes_a_far_position_when_confirmed(client: TestClient, login: Login, scene: Scene) -> None:
    body = point_feature(37.62, 55.75, type="fire", subtype="sniper", start=scene.moment(10), source="post")
    body["properties"]["confirm_outside_area"] = True
    answer = client.post(f"{scene.api}/incidents", json=body, headers=login("monitor-ru"))
    assert answer.status_code == 201, answer.text
    assert "confirm_outside_area" not in answer.json()["properties"]


def error_on(text: str, field: str) -> str:
    """The message the error summary gives for `field`, whose link leads to that field."""
    found = re.search(rf'<a href="#f-{re.escape(field)}">([^<]*)</a>', text)
    assert found is not None, f"no error on {field}: {text[:1500]}"
    return html.unescape(found[1])


NEXT_YEAR = (datetime.now(UTC) + timedelta(days=400)).date().isoformat()
FUTURE = (
    "This is in the future: give the time the incident began.",
    "Это время в будущем: укажите, когда начался инцидент.",
)
SUBTYPE = ("Choose a subtype from the list.", "Выберите подтип из списка.")
FAR = (
    "This position is far outside the mission's area. Check it; if it is right, tick the box to confirm it.",
    "Это место далеко за пределами района миссии. Проверьте его; если оно верно, подтвердите отметкой.",
)


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"date": NEXT_YEAR}, "date", FUTURE),  # the service's clock
        ({"date": "2999-01-01"}, "date", FUTURE),  # beyond any moment the model takes
        ({"date": "2019-06-01"}, "date", ("This is before the mission began.", "Это раньше начала миссии.")),
        ({"lat": "55.75", "lon": "37.62"}, "lat", FAR),
        (
            {"restricted_to.ru": "ru"},
            "restricted_to",
            (
                "Only a restricted incident names delegations.",
                "Делегации указываются только для инцидента с ограниченным доступом.",
            ),
        ),
        (
            {"classification": "restricted", "restricted_to.zz": "zz"},
            "restricted_to",
            ("unknown delegation codes zz", "неизвестные коды делегаций: zz"),
        ),
        ({"type": "nonsense"}, "type", ("Choose a type from the list.", "Выберите тип из списка.")),
        ({"subtype": "Bad!"}, "subtype", SUBTYPE),  # not a subtype's form: the model refuses it
        ({"subtype": "made_up"}, "subtype", SUBTYPE),  # not one of the mission's: the service refuses it
        (
            {"placement": "post", "observer_site": "999999", "bearing_deg": "10", "distance_km": "1"},
            "observer_site",
            ("Choose a post.", "Выберите пост."),
        ),
    ],
    ids=[
        "in_future", "beyond_the_model", "before_mission", "far_outside_area", "delegations_unrestricted",
        "delegations_unknown", "type_unknown", "subtype_unknown", "local_subtype_unknown", "site_unknown",
    ],
)  # fmt: skip
def test_each_refusal_lands_on_its_field_in_each_language(
    web: WebClient, scene: Scene, change: dict[str, str], field: str, words: tuple[str, str], language: str
) -> None:
    web.login("monitor-ru")
    web.client.cookies.set("truce_lang", language)
    answer = web.post_form(f"{scene.pages}/incidents/new", {**entry(scene), **in_mission(change, scene)})
    assert answer.status_code == 422
    assert error_on(answer.text, field) == words[language == "ru"]
