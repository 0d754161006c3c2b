"""The patrol pages: the list with each patrol's deviation, and the planning form that takes the route drawn."""

from __future__ import annotations

import pytest

from support import ACCOUNTS, STAFF
from web.conftest import WebClient

BASE = "/m/nk-2020/patrols"
PLANNERS = {"admin", "monitor-ru", "verifier-ru", "verifier-tr"}
ROUTE = "46.41000 39.55600; 46.47000 39.60000; 46.54700 39.63900"


def plan(**values: str) -> dict[str, str]:
    return {"name": "Corridor patrol", "team": "Team 3", "date": "2020-11-23", "start": "08:00", "end": "12:00",
            "route": ROUTE, "buffer_m": "250", "classification": "mission", **values}  # fmt: skip


@pytest.mark.parametrize("account", ACCOUNTS)
def test_who_opens_the_pages(web: WebClient, account: str) -> None:
    web.login(account)
    listed = web.get(BASE)
    assert listed.status_code == 200
    # The demo's patrols are the mission staff's; the others see an empty list.
    assert ("Lachin corridor patrol" in listed.text) == (account in STAFF)
    form = web.get(f"{BASE}/new")
    expected = 200 if account in PLANNERS else 303 if account == "public" else 403
    assert form.status_code == expected


def test_plan_a_patrol_with_a_drawn_route(web: WebClient) -> None:
    web.login("monitor-ru")
    page = web.get(f"{BASE}/new")
    assert 'id="patrol-map"' in page.text
    assert "/static/js/patrol.js" in page.text
    answer = web.post_form(f"{BASE}/new", plan())
    assert answer.status_code == 303, answer.text[:500]
    listed = web.get(BASE).text
    assert "Corridor patrol" in listed
    assert "2020-11-23 08:00" in listed


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"route": "46.41 39.556"}, "route", "Click the map at least twice"),
        ({"route": "east then north"}, "route", "longitude and latitude pairs"),
        ({"route": "46.41 95; 46.47 39.6"}, "route", "latitude"),
        ({"end": "07:00"}, "end", "planned_end is before planned_start"),
        ({"name": ""}, "name", "This field is required."),
        ({"buffer_m": "wide"}, "buffer_m", "Enter a number."),
    ],
)
def test_a_bad_plan_is_shown_back_with_its_field(
    web: WebClient, values: dict[str, str], field: str, message: str
) -> None:
    web.login("monitor-ru")
    answer = web.post_form(f"{BASE}/new", plan(**values))
    assert answer.status_code == 422
    assert f'id="e-{field}"' in answer.text
    assert message in answer.text


def test_the_pages_in_russian(web: WebClient) -> None:
    web.login("monitor-ru")
    listed = web.get(BASE, headers={"Accept-Language": "ru"}).text
    assert "Запланировать патруль" in listed
    assert "Патрули" in listed
    form = web.get(f"{BASE}/new", headers={"Accept-Language": "ru"}).text
    assert "Точки маршрута" in form
