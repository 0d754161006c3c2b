"""Restrictions counted by party, category, area and period, in JSON, CSV, HXL and GeoJSON; the same bytes each time."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import hxl
import pytest
from fastapi.testclient import TestClient

from mission_examples import Scene
from patrol_support import moved, restriction_body
from support import Login

# December 2020: the demo's own restrictions are of November (another mission: the matching days, Scene.shifted).
DECEMBER = {"since": "2020-12-01T00:00:00+04:00", "until": "2021-01-01T00:00:00+04:00"}


def in_december(value: Any) -> Any:
    """A time of November 2020 moved to December (the bodies' defaults are of 20 November)."""
    return value.replace("2020-11-", "2020-12-") if isinstance(value, str) else value


@pytest.fixture
def span(scene: Scene) -> dict[str, str]:
    """The period asked about, in the mission's days."""
    return {key: moved(scene, value) for key, value in DECEMBER.items()}


def restrictions(scene: Scene) -> str:
    return f"{scene.api}/restrictions"


def record(client: TestClient, login: Login, scene: Scene, **properties: Any) -> int:
    """A restriction of the demo's December (the bodies' times moved there), recorded in the scene's mission."""
    body = restriction_body({"type": "Point", "coordinates": list(scene.at(46.6, 39.62))}, **properties)
    body["properties"] = {key: moved(scene, in_december(value)) for key, value in body["properties"].items()}
    answer = client.post(restrictions(scene), json=body, headers=login("monitor-ru"))
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


@pytest.fixture
def recorded(client: TestClient, login: Login, scene: Scene) -> None:
    # Two denials at the same place (45 and 15 minutes; the centre answered after 30 and 10), one delay of 20.
    north, south = scene.delegation("am"), scene.delegation("az")
    record(client, login, scene, controlled_by=north)
    record(client, login, scene, controlled_by=north, start="2020-11-20T12:00:00+04:00",
           end="2020-11-20T12:15:00+04:00", liaison_informed_at=None, centre_informed_at="2020-11-20T12:02:00+04:00",
           answered_at="2020-11-20T12:12:00+04:00")  # fmt: skip
    quiet = {"liaison_informed_at": None, "centre_informed_at": None, "answered_at": None}
    record(client, login, scene, controlled_by=south, category="delay", start="2020-11-25T08:00:00+04:00",
           end="2020-11-25T08:20:00+04:00", **quiet)  # fmt: skip
    # Outside the span: not counted.
    record(client, login, scene, controlled_by=south, start="2021-01-02T08:00:00+04:00", end=None,
           liaison_informed_at=None, centre_informed_at=None, answered_at=None)  # fmt: skip


def test_the_table_by_party_category_and_month(
    client: TestClient, login: Login, recorded: None, scene: Scene, span: dict[str, str]
) -> None:
    rows = client.get(f"{restrictions(scene)}/statistics", params=span, headers=login("analyst-ru")).json()
    keyed = {(r["party"], r["category"]): r for r in rows}
    north, south = scene.delegation("am"), scene.delegation("az")
    assert set(keyed) == {(north, "denial"), (south, "delay")}
    denial = keyed[north, "denial"]
    days = [str(scene.shifted(date(2020, 12, 20))), str(scene.shifted(date(2020, 12, 25)))]
    assert denial["period"] == days[0][:7]
    assert denial["restrictions"] == 2
    assert denial["median_duration_min"] == 30.0
    assert denial["median_response_min"] == 20.0
    assert keyed[south, "delay"]["period"] == days[1][:7]
    assert keyed[south, "delay"]["median_duration_min"] == 20.0
    assert keyed[south, "delay"]["median_response_min"] is None
    by_day = client.get(f"{restrictions(scene)}/statistics", params={**span, "period": "day"},
                        headers=login("analyst-ru")).json()  # fmt: skip
    assert sorted({r["period"] for r in by_day}) == days


def test_hxl_is_valid_and_csv_the_same_columns(
    client: TestClient, login: Login, recorded: None, scene: Scene, span: dict[str, str]
) -> None:
    statistics = f"{restrictions(scene)}/statistics"
    answer = client.get(statistics, params={**span, "format": "hxl"}, headers=login("analyst-ru"))
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.text, newline="")))
    assert rows[1][4] == "#indicator+restrictions+num"
    report = hxl.validate(hxl.data(rows))
    assert report["is_valid"], report["issues"]
    plain = client.get(statistics, params={**span, "format": "csv"}, headers=login("analyst-ru")).text
    assert next(iter(csv.reader(io.StringIO(plain, newline="")))) == rows[0]
    again = client.get(statistics, params={**span, "format": "hxl"}, headers=login("analyst-ru"))
    assert again.content == answer.content


def test_geojson_places_each_group(
    client: TestClient, login: Login, recorded: None, scene: Scene, span: dict[str, str]
) -> None:
    params = {**span, "format": "geojson"}
    answer = client.get(f"{restrictions(scene)}/statistics", params=params, headers=login("analyst-ru"))
    assert answer.headers["content-type"] == "application/geo+json"
    features = answer.json()["features"]
    assert {f["geometry"]["type"] for f in features} == {"MultiPoint"}
    assert sum(len(f["geometry"]["coordinates"]) for f in features) == 3


def test_only_what_the_caller_may_read_is_counted(
    client: TestClient, login: Login, scene: Scene, span: dict[str, str]
) -> None:
    record(client, login, scene, classification="mission", controlled_by=scene.delegation("am"))
    statistics = f"{restrictions(scene)}/statistics"
    staff = client.get(statistics, params=span, headers=login("analyst-ru")).json()
    liaison = client.get(statistics, params=span, headers=login("liaison-az")).json()
    assert sum(r["restrictions"] for r in staff) == 1
    assert liaison == []


@pytest.mark.parametrize(
    ("params", "status"),
    [({}, 422), ({**DECEMBER, "period": "year"}, 422), ({**DECEMBER, "format": "xlsx"}, 422),
     ({"since": DECEMBER["until"], "until": DECEMBER["since"]}, 422)],
)  # fmt: skip
def test_bad_questions(client: TestClient, login: Login, scene: Scene, params: dict[str, str], status: int) -> None:
    asked = {key: moved(scene, value) for key, value in params.items()}
    assert (
        client.get(f"{restrictions(scene)}/statistics", params=asked, headers=login("analyst-ru")).status_code == status
    )
