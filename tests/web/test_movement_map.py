"""The map's freedom-of-movement layers: what each account is shown, the filters, and the words in both languages."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from mission_examples import Scene
from patrol_support import gpx, patrol_body, restriction_body, track_points
from support import ACCOUNTS, STAFF, Login
from truce.missions.models import Mission
from web.conftest import WebClient


@pytest.fixture
def recorded(client: TestClient, login: Login, scene: Scene) -> dict[str, int]:
    """A patrol of the staff with a deviating track; a restriction the parties see and one only the staff see."""
    api, monitor = scene.api, login("monitor-ru")
    patrol = client.post(f"{api}/patrols", json=patrol_body(scene), headers=monitor).json()["id"]
    points = track_points(40.0, lambda s: 2000.0 if 600 <= s < 1800 else 0.0, scene=scene)
    files = {"file": ("t.gpx", gpx(points), "application/gpx+xml")}
    assert client.post(f"{api}/patrols/{patrol}/track", files=files, headers=monitor).status_code == 201
    point = {"type": "Point", "coordinates": list(scene.at(46.6, 39.62))}
    ids = {"patrol": patrol}
    staff_only = {"classification": "mission", "category": "delay", "controlled_by": scene.delegation("az")}
    for name, extra in (("parties", {"controlled_by": scene.delegation("am")}), ("mission", staff_only)):
        answer = client.post(f"{api}/restrictions", json=restriction_body(point, scene, **extra), headers=monitor)
        assert answer.status_code == 201, answer.text
        ids[name] = answer.json()["id"]
    return ids


@pytest.mark.parametrize("account", ACCOUNTS)
def test_each_account_sees_what_it_may(
    web: WebClient, recorded: dict[str, int], scene: Scene, mission: Mission, account: str
) -> None:
    web.login(account)
    answer = web.get(f"{scene.pages}/map/movement.json")
    if account == "public" and not mission.public:  # the example is private: the public is sent to log in
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login")
        return
    layers = answer.json()
    restrictions = {f["id"] for f in layers["restrictions"]["features"]}
    routes = {f["id"] for f in layers["routes"]["features"]}
    assert (recorded["patrol"] in routes) == (account in STAFF)
    assert bool(layers["deviations"]["features"]) == (account in STAFF)
    assert (recorded["mission"] in restrictions) == (account in STAFF)
    parties_readers = STAFF | {"liaison-am", "liaison-az", "humanitarian-unhcr"}
    assert (recorded["parties"] in restrictions) == (account in parties_readers)


def test_filters_by_party_and_category(web: WebClient, recorded: dict[str, int], scene: Scene) -> None:
    web.login("analyst-ru")
    layers, side = f"{scene.pages}/map/movement.json", scene.delegation("am")
    by_party = web.get(layers, params={"party": side}).json()["restrictions"]["features"]
    assert recorded["parties"] in [f["id"] for f in by_party]
    assert {f["properties"]["controlled_by"] for f in by_party} == {side}
    delays = web.get(layers, params={"category": "delay"}).json()["restrictions"]["features"]
    assert recorded["mission"] in [f["id"] for f in delays]
    assert {f["properties"]["category"] for f in delays} == {"delay"}
    assert web.get(layers, params={"category": "roadblock"}).status_code == 422


def test_the_map_page_loads_the_layers_in_either_language(web: WebClient, scene: Scene) -> None:
    web.login("analyst-ru")
    english = web.get(f"{scene.pages}/map").text
    assert "/static/js/movement.js" in english
    assert "Restrictions of movement" in english
    russian = web.get(f"{scene.pages}/map", headers={"Accept-Language": "ru"}).text
    # The words reach the script as JSON, non-ASCII letters escaped.
    assert json.dumps("Ограничения передвижения") in russian
    assert json.dumps("Отказ в доступе") in russian
