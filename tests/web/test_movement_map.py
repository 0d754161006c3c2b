"""The map's freedom-of-movement layers: what each account is shown, the filters, and the words in both languages."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from patrol_support import gpx, patrol_body, restriction_body, track_points
from support import ACCOUNTS, STAFF, Login
from web.conftest import WebClient

MAP = "/m/nk-2020/map"
API = "/api/v1/missions/nk-2020"


@pytest.fixture
def recorded(client: TestClient, login: Login) -> dict[str, int]:
    """A patrol of the staff with a deviating track; a restriction the parties see and one only the staff see."""
    patrol = client.post(f"{API}/patrols", json=patrol_body(), headers=login("monitor-ru")).json()["id"]
    points = track_points(40.0, lambda s: 2000.0 if 600 <= s < 1800 else 0.0)
    files = {"file": ("t.gpx", gpx(points), "application/gpx+xml")}
    assert client.post(f"{API}/patrols/{patrol}/track", files=files, headers=login("monitor-ru")).status_code == 201
    point = {"type": "Point", "coordinates": [46.6, 39.62]}
    ids = {"patrol": patrol}
    staff_only = {"classification": "mission", "category": "delay", "controlled_by": "az"}
    for name, extra in (("parties", {"controlled_by": "am"}), ("mission", staff_only)):
        answer = client.post(f"{API}/restrictions", json=restriction_body(point, **extra), headers=login("monitor-ru"))
        ids[name] = answer.json()["id"]
    return ids


@pytest.mark.parametrize("account", ACCOUNTS)
def test_each_account_sees_what_it_may(web: WebClient, recorded: dict[str, int], account: str) -> None:
    web.login(account)
    layers = web.get(f"{MAP}/movement.json").json()
    restrictions = {f["id"] for f in layers["restrictions"]["features"]}
    routes = {f["id"] for f in layers["routes"]["features"]}
    assert (recorded["patrol"] in routes) == (account in STAFF)
    assert bool(layers["deviations"]["features"]) == (account in STAFF)
    assert (recorded["mission"] in restrictions) == (account in STAFF)
    parties_readers = STAFF | {"liaison-am", "liaison-az", "humanitarian-unhcr"}
    assert (recorded["parties"] in restrictions) == (account in parties_readers)


def test_filters_by_party_and_category(web: WebClient, recorded: dict[str, int]) -> None:
    web.login("analyst-ru")
    by_party = web.get(f"{MAP}/movement.json", params={"party": "am"}).json()["restrictions"]["features"]
    assert recorded["parties"] in [f["id"] for f in by_party]
    assert {f["properties"]["controlled_by"] for f in by_party} == {"am"}
    delays = web.get(f"{MAP}/movement.json", params={"category": "delay"}).json()["restrictions"]["features"]
    assert recorded["mission"] in [f["id"] for f in delays]
    assert {f["properties"]["category"] for f in delays} == {"delay"}
    assert web.get(f"{MAP}/movement.json", params={"category": "roadblock"}).status_code == 422


def test_the_map_page_loads_the_layers_in_either_language(web: WebClient) -> None:
    web.login("analyst-ru")
    english = web.get(MAP).text
    assert "/static/js/movement.js" in english
    assert "Restrictions of movement" in english
    russian = web.get(MAP, headers={"Accept-Language": "ru"}).text
    # The words reach the script as JSON, non-ASCII letters escaped.
    assert json.dumps("Ограничения передвижения") in russian
    assert json.dumps("Отказ в доступе") in russian
