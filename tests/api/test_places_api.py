"""The places API: GeoJSON out, filters, and precise errors for bad bodies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mission_examples import DEMO_SLUG, EXAMPLE_SLUG, Scene
from support import Login, point_feature

# Per mission: a box around one settlement and nothing else of the mission's settlements, its name and alternate names.
SETTLEMENT = {
    DEMO_SLUG: ("46.74,39.80,46.76,39.82", "Stepanakert / Khankendi", {"Stepanakert", "Khankendi"}),
    EXAMPLE_SLUG: ("20.34,10.74,20.36,10.76", "Highbridge / Hautpont", {"Highbridge", "Hautpont"}),
}
# Per mission: a box inside one special area (the demo's Lachin corridor, the example's buffer zone), its kind and
# the party that controls it.
SPECIAL_AREA = {
    DEMO_SLUG: ("46.54,39.63,46.55,39.64", "corridor", "ru"),
    EXAMPLE_SLUG: ("20.40,10.49,20.41,10.51", "buffer_zone", "force"),
}
# Per mission: each delegation's code and its party's, as its mission file declares them.
DELEGATIONS = {
    DEMO_SLUG: {("ru", "ru"), ("tr", "tr"), ("am", "am"), ("az", "az"), ("unhcr", "unhcr"), ("icrc", "icrc")},
    EXAMPLE_SLUG: {("force", "force"), ("north", "north"), ("south", "south"), ("east", "east"), ("relief", "relief")},
}


def test_health_and_openapi(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    spec = client.get("/openapi.json").json()
    assert "/api/v1/missions/{slug}/sites" in spec["paths"]
    assert client.get("/docs").status_code == 200


@pytest.mark.demo_content  # the demo's 23 posts
def test_demo_posts_are_a_feature_collection(client: TestClient, scene: Scene) -> None:
    answer = client.get(f"{scene.api}/sites", params={"kind": "post"})
    assert answer.status_code == 200
    collection = answer.json()
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == 23
    first = collection["features"][0]
    assert first["geometry"]["type"] == "Point"
    assert first["properties"]["operated_by"] == "ru"


def test_bbox_filter_keeps_only_sites_inside(client: TestClient, login: Login, scene: Scene) -> None:
    box, name, alt_names = SETTLEMENT[scene.slug]
    answer = client.get(f"{scene.api}/sites", params={"bbox": box, "kind": "settlement"}, headers=login("monitor-ru"))
    names = [f["properties"]["name"] for f in answer.json()["features"]]
    assert names == [name]
    alt = answer.json()["features"][0]["properties"]["alt_names"]
    assert {n["name"] for n in alt} == alt_names


def test_bbox_on_areas_finds_the_special_area(client: TestClient, login: Login, scene: Scene) -> None:
    box, kind, party = SPECIAL_AREA[scene.slug]
    answer = client.get(f"{scene.api}/areas", params={"bbox": box, "kind": kind}, headers=login("monitor-ru"))
    assert [f["properties"]["controlled_by"] for f in answer.json()["features"]] == [party]


@pytest.mark.parametrize("bbox", ["1,2,3", "x,1,2,3", "10,10,5,5", "0,0,0,100"])
def test_bad_bbox_is_422(client: TestClient, login: Login, scene: Scene, bbox: str) -> None:
    answer = client.get(f"{scene.api}/sites", params={"bbox": bbox}, headers=login("monitor-ru"))
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith("bbox:")


def test_admin_creates_a_site(client: TestClient, login: Login, scene: Scene) -> None:
    feature = point_feature(
        *scene.point,
        name="Observation post 24",
        kind="post",
        code="OP-24",
        alt_names=[{"name": "Post 24", "lang": "en"}],
        operated_by=scene.delegation("ru"),
    )
    answer = client.post(f"{scene.api}/sites", json=feature, headers=login("admin"))
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert created["geometry"] == {"type": "Point", "coordinates": list(scene.point)}
    again = client.get(f"{scene.api}/sites/{created['id']}", headers=login("monitor-ru")).json()
    assert again == created


Body = Callable[[Scene], dict[str, Any]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (lambda s: {"type": "Feature", "geometry": {"type": "Point", "coordinates": list(s.point)}}, "properties"),
        (lambda s: point_feature(*s.point, name="x", kind="bunker"), "properties.kind"),
        (lambda s: point_feature(*s.point, name="x", kind="post", classification="secret"),
         "properties.classification"),
        (lambda s: point_feature(*s.point, name="", kind="post"), "properties.name"),
        (lambda s: point_feature(*s.point, name="x", kind="post", colour="red"), "properties.colour"),
        (lambda s: point_feature(39.9, 146.8, name="x", kind="post"), "geometry.coordinates"),
        (lambda s: point_feature(*s.point, name="x", kind="post", operated_by="zz"), "properties.operated_by"),
        (
            lambda s: point_feature(
                *s.point, name="x", kind="post", valid_from=s.shifted(date(2021, 1, 2)).isoformat(),
                valid_until=s.shifted(date(2021, 1, 1)).isoformat(),
            ),
            "properties",
        ),
        (lambda s: {"type": "FeatureCollection", "features": []}, "type"),
        (
            lambda s: {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [list(s.point), list(s.at(46.9, 40.0))]},
                "properties": {"name": "x", "kind": "post"},
            },
            "geometry.type",
        ),
    ],
)  # fmt: skip
def test_bad_site_bodies_name_the_field(client: TestClient, login: Login, scene: Scene, body: Body, field: str) -> None:
    before = len(client.get(f"{scene.api}/sites", headers=login("admin")).json()["features"])
    answer = client.post(f"{scene.api}/sites", json=body(scene), headers=login("admin"))
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["detail"]
    after = len(client.get(f"{scene.api}/sites", headers=login("admin")).json()["features"])
    assert after == before


def test_self_intersecting_area_is_refused(client: TestClient, login: Login, scene: Scene) -> None:
    bowtie = [
        list(scene.at(lon, lat)) for lon, lat in [(46.0, 39.0), (47.0, 40.0), (47.0, 39.0), (46.0, 40.0), (46.0, 39.0)]
    ]
    body = {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [bowtie]},
        "properties": {"name": "bad", "kind": "buffer_zone"},
    }
    answer = client.post(f"{scene.api}/areas", json=body, headers=login("admin"))
    assert answer.status_code == 422
    assert "Self-intersection" in answer.json()["detail"]


def test_malformed_json_is_422_not_a_trace(client: TestClient, login: Login, scene: Scene) -> None:
    headers = {**login("admin"), "Content-Type": "application/json"}
    answer = client.post(f"{scene.api}/sites", content=b'{"type": "Feature", ', headers=headers)
    assert answer.status_code == 422
    assert "malformed JSON" in answer.json()["detail"]
    assert "Traceback" not in answer.text


def test_oversized_body_is_413(client: TestClient, login: Login, scene: Scene) -> None:
    headers = {**login("admin"), "Content-Type": "application/json"}
    answer = client.post(f"{scene.api}/sites", content=b" " * (33 * 1024 * 1024), headers=headers)
    assert answer.status_code == 413
    assert "limit" in answer.json()["detail"]


def test_unknown_mission_is_404(client: TestClient) -> None:
    answer = client.get("/api/v1/missions/no-such-mission/sites")
    assert answer.status_code == 404
    assert answer.json() == {"detail": "mission 'no-such-mission' not found"}


def test_wrong_password_and_bad_token(client: TestClient, scene: Scene) -> None:
    admin = scene.account("admin")
    answer = client.post("/api/v1/auth/token", data={"username": admin, "password": "wrong-password"})
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    forged = client.get(f"{scene.api}/deployments", headers={"Authorization": "Bearer not.a.token"})
    assert forged.status_code == 401
    assert forged.json()["detail"] == "the token is not valid"


def test_delegations_name_their_party(client: TestClient, login: Login, scene: Scene) -> None:
    delegations = client.get(f"{scene.api}/delegations", headers=login("monitor-ru")).json()
    assert {(d["code"], d["party"]) for d in delegations} == DELEGATIONS[scene.slug]


@pytest.mark.demo_content  # the demo's deployments at the mandate's ceilings
def test_strength_against_the_ceilings(client: TestClient, login: Login, scene: Scene) -> None:
    strength = client.get(f"{scene.api}/deployments/strength", params={"on": "2020-11-21"}, headers=login("analyst-ru"))
    assert strength.json()["totals"] == {"personnel": 1960, "armoured_vehicles": 90, "other_vehicles": 380}
    assert strength.json()["exceeded"] == []
    client.post(
        f"{scene.api}/deployments",
        json={"on_date": "2020-12-05", "personnel": 2100, "armoured_vehicles": 90},
        headers=login("admin"),
    )
    over = client.get(f"{scene.api}/deployments/strength", params={"on": "2020-12-05"}, headers=login("admin")).json()
    assert over["exceeded"] == ["personnel"]


def test_negative_deployment_is_refused(client: TestClient, login: Login, scene: Scene) -> None:
    body = {"on_date": scene.shifted(date(2020, 12, 5)).isoformat(), "personnel": -1}
    answer = client.post(f"{scene.api}/deployments", json=body, headers=login("admin"))
    assert answer.status_code == 422
    assert "personnel" in answer.json()["detail"]
