"""Movements: the demo's return series, cumulative returns per day and settlement, checkpoint counters, bad input."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from support import Login
from truce.ledger import service as ledger
from truce.movements.models import Movement

BASE = "/api/v1/missions/nk-2020"
MOVEMENTS = f"{BASE}/movements"


def site_ids(client: TestClient, login: Login) -> dict[str, int]:
    features = client.get(f"{BASE}/sites", headers=login("admin")).json()["features"]
    found: dict[str, int] = {}
    for feature in features:
        props = feature["properties"]
        found[props.get("code") or props["name"].split(" / ")[0]] = feature["id"]
    return found


def a_return(sites: dict[str, int], **extra: Any) -> dict[str, Any]:
    return {"site_id": sites["CHK-1"], "direction": "incoming", "kind": "return", "on_date": "2020-12-02",
            "individuals": 120, "adults_male": 30, "adults_female": 50, "children_male": 20, "children_female": 20,
            "unaccompanied_children": 1, "origin_site_id": sites["Yerevan"],
            "destination_site_id": sites["Martuni"], "convoy": "T1202-1", "escort": "peacekeepers",
            "classification": "public", **extra}  # fmt: skip


def returns(client: TestClient, login: Login, account: str = "public", **params: str) -> dict[str, Any]:
    answer = client.get(f"{MOVEMENTS}/returns", params=params, headers=login(account))
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def state(session: Session) -> tuple[int, int]:
    return session.scalar(select(func.count()).select_from(Movement)) or 0, ledger.size(session)


def test_the_return_series_of_the_demo(client: TestClient, login: Login) -> None:
    series = returns(client, login)
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


def test_returns_per_settlement_add_up(client: TestClient, login: Login) -> None:
    series = returns(client, login)
    settlements = {s["settlement"]: s for s in series["settlements"]}
    assert sum(s["returned"] for s in settlements.values()) == series["total"]
    assert next(iter(settlements)).startswith("Stepanakert")  # the largest first
    for settlement in settlements.values():
        assert settlement["days"][-1]["cumulative"] == settlement["returned"]


def test_a_window_keeps_the_running_total_from_the_start(client: TestClient, login: Login) -> None:
    series = returns(client, login, since="2020-11-21", until="2020-11-22")
    assert [d["date"] for d in series["days"]] == ["2020-11-21", "2020-11-22"]
    assert series["days"][0]["cumulative"] == 5_800 + 1_100
    assert series["total"] == 5_800 + 1_100 + 1_400


def test_checkpoint_counters_count_each_crossing(client: TestClient, login: Login) -> None:
    counters = client.get(f"{MOVEMENTS}/checkpoints", headers=login("analyst-ru")).json()
    by = {(c["code"], c["direction"]): c for c in counters}
    total = returns(client, login)["total"]
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


def test_a_convoy_through_both_checkpoints_returns_once(client: TestClient, login: Login) -> None:
    sites = site_ids(client, login)
    before = returns(client, login)["total"]
    for checkpoint in ("CHK-1", "CHK-2"):
        body = a_return(sites, site_id=sites[checkpoint])
        answer = client.post(MOVEMENTS, json=body, headers=login("humanitarian-unhcr"))
        assert answer.status_code == 201, answer.text
    after = returns(client, login)
    assert after["total"] == before + 120
    assert after["days"][-1] == {"date": "2020-12-02", "returned": 120, "cumulative": before + 120}
    martuni = next(s for s in after["settlements"] if s["settlement"].startswith("Martuni"))
    assert martuni["days"][-1]["date"] == "2020-12-02"


def test_a_recorded_movement_reads_back(client: TestClient, login: Login) -> None:
    sites = site_ids(client, login)
    created = client.post(MOVEMENTS, json=a_return(sites, convoy=None), headers=login("monitor-ru")).json()
    assert created["site"] == {"id": sites["CHK-1"], "name": "Corridor checkpoint, Kornidzor side"}
    assert created["destination"]["name"].startswith("Martuni")
    assert created["author_delegation"] == "ru"
    again = client.get(f"{MOVEMENTS}/{created['id']}", headers=login("public")).json()
    assert again == created
    listed = client.get(MOVEMENTS, params={"since": "2020-12-02", "kind": "return"}, headers=login("public")).json()
    assert [m["id"] for m in listed] == [created["id"]]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"individuals": -5}, "negative count"),
        ({"children_male": -1}, "negative group"),
        ({"vehicles": -2}, "negative vehicles"),
        ({"on_date": "2020-11-09"}, "before the mission"),
        ({"on_date": "2999-01-01"}, "in the future"),
        ({"site": "OP-01"}, "an observation post is not a checkpoint"),
        ({"site": "Stepanakert"}, "a settlement is not a checkpoint"),
        ({"site_id": 987654}, "no such site"),
        ({"origin_site_id": "CHK-2"}, "an origin that is not a settlement"),
        ({"adults_male": 200}, "groups larger than the count"),
        ({"unaccompanied_children": 50}, "more unaccompanied children than children"),
        ({"direction": "sideways"}, "unknown direction"),
        ({"kind": "tourism"}, "unknown kind"),
        ({"classification": "public", "restricted_to": ["am"]}, "delegations named on an unrestricted record"),
    ],
)
def test_bad_movements_are_refused_and_nothing_stored(
    client: TestClient, login: Login, session: Session, change: dict[str, Any], why: str
) -> None:
    sites = site_ids(client, login)
    # Site names stand for the ids this database gave them; the parameters themselves stay as written.
    change = {
        ("site_id" if key == "site" else key): sites[value] if key in ("site", "origin_site_id") else value
        for key, value in change.items()
    }
    before = state(session)
    answer = client.post(MOVEMENTS, json=a_return(sites, **change), headers=login("humanitarian-unhcr"))
    assert answer.status_code == 422, (why, answer.text)
    assert "detail" in answer.json()
    assert state(session) == before


def test_a_crossing_point_counts_as_a_checkpoint(client: TestClient, login: Login) -> None:
    crossing = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [46.5, 39.6]},
                "properties": {"name": "Footbridge", "kind": "crossing_point", "classification": "public"}}  # fmt: skip
    site = client.post(f"{BASE}/sites", json=crossing, headers=login("admin")).json()
    body = a_return(site_ids(client, login), site_id=site["id"], convoy=None)
    assert client.post(MOVEMENTS, json=body, headers=login("humanitarian-unhcr")).status_code == 201
