"""Movements: the demo's return series, cumulative returns per day and settlement, checkpoint counters, bad input."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mission_examples import DEMO_SLUG, EXAMPLE_SLUG, Scene
from support import Login
from truce.ledger import service as ledger
from truce.missions.models import Mission
from truce.movements.models import Movement

BASE = "/api/v1/missions/nk-2020"
MOVEMENTS = f"{BASE}/movements"  # the demo's returns, read by the tests of its own content
# Each mission's places a return passes (by code, or by the first of a settlement's names): two checkpoints, where
# the returnees come from and go, an observation post and a settlement (neither of which is a checkpoint), and the
# first checkpoint's name.
PLACES = {
    DEMO_SLUG: {"checkpoint": "CHK-1", "second": "CHK-2", "origin": "Yerevan", "destination": "Martuni",
                "post": "OP-01", "settlement": "Stepanakert", "checkpoint_name": "Corridor checkpoint, Kornidzor side"},
    EXAMPLE_SLUG: {"checkpoint": "X-1", "second": "X-2", "origin": "Eastgate", "destination": "Lowford",
                   "post": "OP-W", "settlement": "Highbridge", "checkpoint_name": "Mill crossing"},
}  # fmt: skip


def movements_url(scene: Scene) -> str:
    return f"{scene.api}/movements"


def day(scene: Scene) -> str:
    """The returns' day: the demo's 2 December 2020, moved into the scene's mission."""
    return scene.shifted(date(2020, 12, 2)).isoformat()


def public(client: TestClient, login: Login, scene: Scene) -> None:
    """The public reads only a public mission's records: the demo is one; the example mission is made one here."""
    assert client.patch(scene.api, json={"public": True}, headers=login("admin")).status_code == 200


def site_ids(client: TestClient, login: Login, scene: Scene) -> dict[str, int]:
    """The mission's sites by code or first name, and by their role in PLACES."""
    features = client.get(f"{scene.api}/sites", headers=login("admin")).json()["features"]
    found: dict[str, int] = {}
    for feature in features:
        props = feature["properties"]
        found[props.get("code") or props["name"].split(" / ")[0]] = feature["id"]
    for role, name in PLACES[scene.slug].items():
        if name in found:
            found[role] = found[name]
    return found


def a_return(sites: dict[str, int], scene: Scene, **extra: Any) -> dict[str, Any]:
    return {"site_id": sites["checkpoint"], "direction": "incoming", "kind": "return", "on_date": day(scene),
            "individuals": 120, "adults_male": 30, "adults_female": 50, "children_male": 20, "children_female": 20,
            "unaccompanied_children": 1, "origin_site_id": sites["origin"],
            "destination_site_id": sites["destination"], "convoy": "T1202-1", "escort": "peacekeepers",
            "classification": "public", **extra}  # fmt: skip


def returns(client: TestClient, login: Login, scene: Scene, account: str = "public", **params: str) -> dict[str, Any]:
    answer = client.get(f"{movements_url(scene)}/returns", params=params, headers=login(account))
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def state(session: Session) -> tuple[int, int]:
    return session.scalar(select(func.count()).select_from(Movement)) or 0, ledger.size(session)


@pytest.mark.demo_content  # the demo's returns of November 2020
def test_the_return_series_of_the_demo(client: TestClient, login: Login, scene: Scene) -> None:
    series = returns(client, login, scene)
    days = {d["date"]: d for d in series["days"]}
    assert min(days) == "2020-11-14"  # returns began on 14 November
    assert days["2020-11-21"]["returned"] == 1100
    assert days["2020-11-22"]["returned"] == 1400
    assert 8_500 <= days["2020-11-23"]["cumulative"] <= 9_500  # about 9,000 by 23 November
    assert days["2020-11-25"]["cumulative"] > 11_000
    assert days["2020-12-01"]["cumulative"] > 26_000
    assert series["total"] == days["2020-12-01"]["cumulative"] == sum(d["returned"] for d in days.values())
    cumulative = [d["cumulative"] for d in series["days"]]
    assert cumulative == sorted(cumulative)


@pytest.mark.demo_content  # the demo's returns, Stepanakert's the largest
def test_returns_per_settlement_add_up(client: TestClient, login: Login, scene: Scene) -> None:
    series = returns(client, login, scene)
    settlements = {s["settlement"]: s for s in series["settlements"]}
    assert sum(s["returned"] for s in settlements.values()) == series["total"]
    assert next(iter(settlements)).startswith("Stepanakert")  # the largest first
    for settlement in settlements.values():
        assert settlement["days"][-1]["cumulative"] == settlement["returned"]


@pytest.mark.demo_content  # the demo's returns before and in the window
def test_a_window_keeps_the_running_total_from_the_start(client: TestClient, login: Login, scene: Scene) -> None:
    series = returns(client, login, scene, since="2020-11-21", until="2020-11-22")
    assert [d["date"] for d in series["days"]] == ["2020-11-21", "2020-11-22"]
    assert series["days"][0]["cumulative"] == 5_800 + 1_100
    assert series["total"] == 5_800 + 1_100 + 1_400


@pytest.mark.demo_content  # the demo's convoys through its two checkpoints
def test_checkpoint_counters_count_each_crossing(client: TestClient, login: Login, scene: Scene) -> None:
    counters = client.get(f"{MOVEMENTS}/checkpoints", headers=login("analyst-ru")).json()
    by = {(c["code"], c["direction"]): c for c in counters}
    total = returns(client, login, scene)["total"]
    # Every convoy crossed both checkpoints: both counted it, the returns counted it once.
    assert by[("CHK-1", "incoming")]["by_kind"]["return"] == total
    assert by[("CHK-2", "incoming")]["by_kind"]["return"] == total
    assert by[("CHK-1", "incoming")]["by_kind"]["humanitarian"] > 0
    assert by[("CHK-1", "outgoing")]["by_kind"] == {"departure": by[("CHK-1", "outgoing")]["individuals"]}
    window = client.get(f"{MOVEMENTS}/checkpoints", params={"since": "2020-11-21", "until": "2020-11-21"}).json()
    assert {(c["code"], c["direction"]): c["individuals"] for c in window} == {
        ("CHK-1", "incoming"): 1_100,
        ("CHK-2", "incoming"): 1_100,
    }


def test_a_convoy_through_both_checkpoints_returns_once(client: TestClient, login: Login, scene: Scene) -> None:
    public(client, login, scene)
    sites = site_ids(client, login, scene)
    before = returns(client, login, scene)["total"]
    for checkpoint in ("checkpoint", "second"):
        body = a_return(sites, scene, site_id=sites[checkpoint])
        answer = client.post(movements_url(scene), json=body, headers=login("humanitarian-unhcr"))
        assert answer.status_code == 201, answer.text
    after = returns(client, login, scene)
    assert after["total"] == before + 120
    assert after["days"][-1] == {"date": day(scene), "returned": 120, "cumulative": before + 120}
    destination = PLACES[scene.slug]["destination"]
    martuni = next(s for s in after["settlements"] if s["settlement"].startswith(destination))
    assert martuni["days"][-1]["date"] == day(scene)


def test_a_recorded_movement_reads_back(client: TestClient, login: Login, scene: Scene) -> None:
    public(client, login, scene)
    sites = site_ids(client, login, scene)
    body = a_return(sites, scene, convoy=None)
    created = client.post(movements_url(scene), json=body, headers=login("monitor-ru")).json()
    assert created["site"] == {"id": sites["checkpoint"], "name": PLACES[scene.slug]["checkpoint_name"]}
    assert created["destination"]["name"].startswith(PLACES[scene.slug]["destination"])
    assert created["author_delegation"] == scene.delegation("ru")
    again = client.get(f"{movements_url(scene)}/{created['id']}", headers=login("public")).json()
    assert again == created
    since = {"since": day(scene), "kind": "return"}
    listed = client.get(movements_url(scene), params=since, headers=login("public")).json()
    assert [m["id"] for m in listed] == [created["id"]]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"individuals": -5}, "negative count"),
        ({"children_male": -1}, "negative group"),
        ({"vehicles": -2}, "negative vehicles"),
        ({"on_date": "before the mission"}, "before the mission"),
        ({"on_date": "2999-01-01"}, "in the future"),
        ({"site": "post"}, "an observation post is not a checkpoint"),
        ({"site": "settlement"}, "a settlement is not a checkpoint"),
        ({"site_id": 987654}, "no such site"),
        ({"origin_site_id": "second"}, "an origin that is not a settlement"),
        ({"adults_male": 200}, "groups larger than the count"),
        ({"unaccompanied_children": 50}, "more unaccompanied children than children"),
        ({"direction": "sideways"}, "unknown direction"),
        ({"kind": "tourism"}, "unknown kind"),
        ({"classification": "public", "restricted_to": ["am"]}, "delegations named on an unrestricted record"),
    ],
)
def test_bad_movements_are_refused_and_nothing_stored(
    client: TestClient, login: Login, session: Session, change: dict[str, Any], why: str, scene: Scene, mission: Mission
) -> None:
    sites = site_ids(client, login, scene)
    # Places' roles (PLACES) stand for the ids this database gave them; the parameters themselves stay as written.
    change = {
        ("site_id" if key == "site" else key): sites[value] if key in ("site", "origin_site_id") else value
        for key, value in change.items()
    }
    if change.get("on_date") == "before the mission":
        assert mission.starts_on is not None
        change["on_date"] = (mission.starts_on - timedelta(days=1)).isoformat()
    if "restricted_to" in change:
        change["restricted_to"] = [scene.delegation(code) for code in change["restricted_to"]]
    before = state(session)
    body = a_return(sites, scene, **change)
    answer = client.post(movements_url(scene), json=body, headers=login("humanitarian-unhcr"))
    assert answer.status_code == 422, (why, answer.text)
    assert "detail" in answer.json()
    assert state(session) == before


def test_a_crossing_point_counts_as_a_checkpoint(client: TestClient, login: Login, scene: Scene) -> None:
    crossing = {"type": "Feature", "geometry": {"type": "Point", "coordinates": list(scene.at(46.5, 39.6))},
                "properties": {"name": "Footbridge", "kind": "crossing_point", "classification": "public"}}  # fmt: skip
    site = client.post(f"{scene.api}/sites", json=crossing, headers=login("admin")).json()
    body = a_return(site_ids(client, login, scene), scene, site_id=site["id"], convoy=None)
    assert client.post(movements_url(scene), json=body, headers=login("humanitarian-unhcr")).status_code == 201
