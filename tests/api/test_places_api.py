"""The places API: GeoJSON out, filters, and precise errors for bad bodies."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from support import Login, point_feature

BASE = "/api/v1/missions/nk-2020"


def test_health_and_openapi(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    spec = client.get("/openapi.json").json()
    assert "/api/v1/missions/{slug}/sites" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_demo_posts_are_a_feature_collection(client: TestClient) -> None:
    answer = client.get(f"{BASE}/sites", params={"kind": "post"})
    assert answer.status_code == 200
    collection = answer.json()
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == 23
    first = collection["features"][0]
    assert first["geometry"]["type"] == "Point"
    assert first["properties"]["operated_by"] == "ru"


def test_bbox_filter_keeps_only_sites_inside(client: TestClient) -> None:
    # A box around Stepanakert/Khankendi and nothing else of the demo's settlements.
    answer = client.get(f"{BASE}/sites", params={"bbox": "46.74,39.80,46.76,39.82", "kind": "settlement"})
    names = [f["properties"]["name"] for f in answer.json()["features"]]
    assert names == ["Stepanakert / Khankendi"]
    alt = answer.json()["features"][0]["properties"]["alt_names"]
    assert {n["name"] for n in alt} == {"Stepanakert", "Khankendi"}


def test_bbox_on_areas_finds_the_corridor(client: TestClient) -> None:
    answer = client.get(f"{BASE}/areas", params={"bbox": "46.54,39.63,46.55,39.64", "kind": "corridor"})
    assert [f["properties"]["controlled_by"] for f in answer.json()["features"]] == ["ru"]


@pytest.mark.parametrize("bbox", ["1,2,3", "x,1,2,3", "10,10,5,5", "0,0,0,100"])
def test_bad_bbox_is_422(client: TestClient, bbox: str) -> None:
    answer = client.get(f"{BASE}/sites", params={"bbox": bbox})
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith("bbox:")


def test_admin_creates_a_site(client: TestClient, login: Login) -> None:
    feature = point_feature(
        46.80,
        39.90,
        name="Observation post 24",
        kind="post",
        code="OP-24",
        alt_names=[{"name": "Post 24", "lang": "en"}],
        operated_by="ru",
    )
    answer = client.post(f"{BASE}/sites", json=feature, headers=login("admin"))
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert created["geometry"] == {"type": "Point", "coordinates": [46.8, 39.9]}
    again = client.get(f"{BASE}/sites/{created['id']}", headers=login("monitor-ru")).json()
    assert again == created


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "Feature", "geometry": {"type": "Point", "coordinates": [46.8, 39.9]}}, "properties"),
        (point_feature(46.8, 39.9, name="x", kind="bunker"), "properties.kind"),
        (point_feature(46.8, 39.9, name="x", kind="post", classification="secret"), "properties.classification"),
        (point_feature(46.8, 39.9, name="", kind="post"), "properties.name"),
        (point_feature(46.8, 39.9, name="x", kind="post", colour="red"), "properties.colour"),
        (point_feature(39.9, 146.8, name="x", kind="post"), "geometry.coordinates"),
        (point_feature(46.8, 39.9, name="x", kind="post", operated_by="zz"), "properties.operated_by"),
        (
            point_feature(46.8, 39.9, name="x", kind="post", valid_from="2021-01-02", valid_until="2021-01-01"),
            "properties",
        ),
        ({"type": "FeatureCollection", "features": []}, "type"),
        (
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [[46.8, 39.9], [46.9, 40.0]]},
                "properties": {"name": "x", "kind": "post"},
            },
            "geometry.type",
        ),
    ],
)
def test_bad_site_bodies_name_the_field(client: TestClient, login: Login, body: dict[str, Any], field: str) -> None:
    before = len(client.get(f"{BASE}/sites", headers=login("admin")).json()["features"])
    answer = client.post(f"{BASE}/sites", json=body, headers=login("admin"))
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["detail"]
    after = len(client.get(f"{BASE}/sites", headers=login("admin")).json()["features"])
    assert after == before


def test_self_intersecting_area_is_refused(client: TestClient, login: Login) -> None:
    bowtie = [[46.0, 39.0], [47.0, 40.0], [47.0, 39.0], [46.0, 40.0], [46.0, 39.0]]
    body = {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [bowtie]},
        "properties": {"name": "bad", "kind": "buffer_zone"},
    }
    answer = client.post(f"{BASE}/areas", json=body, headers=login("admin"))
    assert answer.status_code == 422
    assert "Self-intersection" in answer.json()["detail"]


def test_malformed_json_is_422_not_a_trace(client: TestClient, login: Login) -> None:
    headers = {**login("admin"), "Content-Type": "application/json"}
    answer = client.post(f"{BASE}/sites", content=b'{"type": "Feature", ', headers=headers)
    assert answer.status_code == 422
    assert "malformed JSON" in answer.json()["detail"]
    assert "Traceback" not in answer.text


def test_oversized_body_is_413(client: TestClient, login: Login) -> None:
    headers = {**login("admin"), "Content-Type": "application/json"}
    answer = client.post(f"{BASE}/sites", content=b" " * (33 * 1024 * 1024), headers=headers)
    assert answer.status_code == 413
    assert "limit" in answer.json()["detail"]


def test_unknown_mission_is_404(client: TestClient) -> None:
    answer = client.get("/api/v1/missions/no-such-mission/sites")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "mission 'no-such-mission' not found"}


def test_wrong_password_and_bad_token(client: TestClient) -> None:
    answer = client.post("/api/v1/auth/token", data={"username": "admin", "password": "wrong-password"})
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    forged = client.get(f"{BASE}/deployments", headers={"Authorization": "Bearer not.a.token"})
    assert forged.status_code == 401
    assert forged.json()["detail"] == "the token is not valid"


def test_delegations_name_their_party(client: TestClient) -> None:
    delegations = client.get(f"{BASE}/delegations").json()
    assert {(d["code"], d["party"]) for d in delegations} == {
        ("ru", "ru"),
        ("tr", "tr"),
        ("am", "am"),
        ("az", "az"),
        ("unhcr", "unhcr"),
        ("icrc", "icrc"),
    }


def test_strength_against_the_ceilings(client: TestClient, login: Login) -> None:
    strength = client.get(f"{BASE}/deployments/strength", params={"on": "2020-11-21"}, headers=login("analyst-ru"))
    assert strength.json()["totals"] == {"personnel": 1960, "armoured_vehicles": 90, "other_vehicles": 380}
    assert strength.json()["exceeded"] == []
    client.post(
        f"{BASE}/deployments",
        json={"on_date": "2020-12-05", "personnel": 2100, "armoured_vehicles": 90},
        headers=login("admin"),
    )
    over = client.get(f"{BASE}/deployments/strength", params={"on": "2020-12-05"}, headers=login("admin")).json()
    assert over["exceeded"] == ["personnel"]


def test_negative_deployment_is_refused(client: TestClient, login: Login) -> None:
    answer = client.post(f"{BASE}/deployments", json={"on_date": "2020-12-05", "personnel": -1}, headers=login("admin"))
    assert answer.status_code == 422
    assert "personnel" in answer.json()["detail"]
