"""Restrictions counted by party, category, area and period, in JSON, CSV, HXL and GeoJSON; the same bytes each time."""

from __future__ import annotations

import csv
import io
from typing import Any

import hxl
import pytest
from fastapi.testclient import TestClient

from patrol_support import restriction_body
from support import Login

BASE = "/api/v1/missions/nk-2020/restrictions"
# December 2020: the demo's own restrictions are of November.
SPAN = {"since": "2020-12-01T00:00:00+04:00", "until": "2021-01-01T00:00:00+04:00"}


def in_december(value: Any) -> Any:
    """A time of November 2020 moved to December (the bodies' defaults are of 20 November)."""
    return value.replace("2020-11-", "2020-12-") if isinstance(value, str) else value


def record(client: TestClient, login: Login, **properties: Any) -> int:
    body = restriction_body({"type": "Point", "coordinates": [46.6, 39.62]}, **properties)
    body["properties"] = {key: in_december(value) for key, value in body["properties"].items()}
    answer = client.post(BASE, json=body, headers=login("monitor-ru"))
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


@pytest.fixture
def recorded(client: TestClient, login: Login) -> None:
    # Two denials at the same place (45 and 15 minutes; the centre answered after 30 and 10), one delay of 20.
    record(client, login, controlled_by="am")
    record(client, login, controlled_by="am", start="2020-11-20T12:00:00+04:00", end="2020-11-20T12:15:00+04:00",
           liaison_informed_at=None, centre_informed_at="2020-11-20T12:02:00+04:00",
           answered_at="2020-11-20T12:12:00+04:00")  # fmt: skip
    quiet = {"liaison_informed_at": None, "centre_informed_at": None, "answered_at": None}
    record(client, login, controlled_by="az", category="delay", start="2020-11-25T08:00:00+04:00",
           end="2020-11-25T08:20:00+04:00", **quiet)  # fmt: skip
    # Outside the span: not counted.
    record(client, login, controlled_by="az", start="2021-01-02T08:00:00+04:00", end=None, liaison_informed_at=None,
           centre_informed_at=None, answered_at=None)  # fmt: skip


def test_the_table_by_party_category_and_month(client: TestClient, login: Login, recorded: None) -> None:
    rows = client.get(f"{BASE}/statistics", params=SPAN, headers=login("analyst-ru")).json()
    keyed = {(r["party"], r["category"]): r for r in rows}
    assert set(keyed) == {("am", "denial"), ("az", "delay")}
    denial = keyed["am", "denial"]
    assert denial["period"] == "2020-12"
    assert denial["restrictions"] == 2
    assert denial["median_duration_min"] == 30.0
    assert denial["median_response_min"] == 20.0
    assert keyed["az", "delay"]["median_duration_min"] == 20.0
    assert keyed["az", "delay"]["median_response_min"] is None
    by_day = client.get(f"{BASE}/statistics", params={**SPAN, "period": "day"}, headers=login("analyst-ru")).json()
    assert sorted({r["period"] for r in by_day}) == ["2020-12-20", "2020-12-25"]


def test_hxl_is_valid_and_csv_the_same_columns(client: TestClient, login: Login, recorded: None) -> None:
    answer = client.get(f"{BASE}/statistics", params={**SPAN, "format": "hxl"}, headers=login("analyst-ru"))
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.text, newline="")))
    assert rows[1][4] == "#indicator+restrictions+num"
    report = hxl.validate(hxl.data(rows))
    assert report["is_valid"], report["issues"]
    plain = client.get(f"{BASE}/statistics", params={**SPAN, "format": "csv"}, headers=login("analyst-ru")).text
    assert next(iter(csv.reader(io.StringIO(plain, newline="")))) == rows[0]
    again = client.get(f"{BASE}/statistics", params={**SPAN, "format": "hxl"}, headers=login("analyst-ru"))
    assert again.content == answer.content


def test_geojson_places_each_group(client: TestClient, login: Login, recorded: None) -> None:
    answer = client.get(f"{BASE}/statistics", params={**SPAN, "format": "geojson"}, headers=login("analyst-ru"))
    assert answer.headers["content-type"] == "application/geo+json"
    features = answer.json()["features"]
    assert {f["geometry"]["type"] for f in features} == {"MultiPoint"}
    assert sum(len(f["geometry"]["coordinates"]) for f in features) == 3


def test_only_what_the_caller_may_read_is_counted(client: TestClient, login: Login) -> None:
    record(client, login, classification="mission", controlled_by="am")
    staff = client.get(f"{BASE}/statistics", params=SPAN, headers=login("analyst-ru")).json()
    liaison = client.get(f"{BASE}/statistics", params=SPAN, headers=login("liaison-az")).json()
    assert sum(r["restrictions"] for r in staff) == 1
    assert liaison == []


@pytest.mark.parametrize(
    ("params", "status"),
    [({}, 422), ({**SPAN, "period": "year"}, 422), ({**SPAN, "format": "xlsx"}, 422),
     ({"since": SPAN["until"], "until": SPAN["since"]}, 422)],
)  # fmt: skip
def test_bad_questions(client: TestClient, login: Login, params: dict[str, str], status: int) -> None:
    assert client.get(f"{BASE}/statistics", params=params, headers=login("analyst-ru")).status_code == status
