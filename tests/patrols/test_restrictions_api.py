"""Restrictions and UAV flights through the API: recorded, placed, verified by the mission's quorum."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from mission_examples import Scene
from patrol_support import flight_body, restriction_body
from support import Login


def checkpoint(client: TestClient, login: Login, scene: Scene) -> dict[str, Any]:
    """The mission's site where people cross (a checkpoint in the demo, a crossing point in the example)."""
    sites = client.get(f"{scene.api}/sites", headers=login("monitor-ru")).json()
    return dict(next(f for f in sites["features"] if f["properties"]["code"] == scene.checkpoint))


def file_restriction(client: TestClient, login: Login, scene: Scene, **properties: Any) -> Any:
    point = None if "site_id" in properties else {"type": "Point", "coordinates": list(scene.at(46.60, 39.62))}
    body = restriction_body(point, scene, **properties)
    return client.post(f"{scene.api}/restrictions", json=body, headers=login("monitor-ru"))


def test_a_denial_at_a_checkpoint_takes_its_place_and_times(client: TestClient, login: Login, scene: Scene) -> None:
    site = checkpoint(client, login, scene)
    answer = file_restriction(client, login, scene, site_id=site["id"], controlled_by=scene.delegation("am"))
    assert answer.status_code == 201, answer.text
    feature = answer.json()
    assert feature["geometry"]["coordinates"] == pytest.approx(site["geometry"]["coordinates"])
    props = feature["properties"]
    assert props["status"] == "reported"
    assert props["duration_min"] == 45.0
    # From the joint centre being told to its answer.
    assert props["response_min"] == 30.0
    listed = client.get(f"{scene.api}/restrictions", params={"category": "denial"}, headers=login("liaison-az")).json()
    assert feature["id"] in [f["id"] for f in listed["features"]]


def test_the_controlling_party_is_derived_from_the_zone_when_not_given(
    client: TestClient, login: Login, scene: Scene
) -> None:
    answer = file_restriction(client, login, scene, category="delay", kind="threat")
    assert answer.status_code == 201, answer.text
    zone = answer.json()["properties"]
    assert zone["zone_id"] is not None
    assert zone["controlled_by"] is not None


@pytest.mark.parametrize(
    ("properties", "field"),
    [
        ({"category": "refusal"}, "category"),
        ({"kind": "roadblock"}, "kind"),
        ({"end": "2020-11-20T08:00:00+04:00"}, "end is before start"),
        ({"controlled_by": "xx"}, "controlled_by"),
        ({"patrol_id": 987654}, "patrol_id"),
        ({"uav_flight_id": 987654}, "uav_flight_id"),
        ({"site_id": 987654}, "site_id"),
    ],
)
def test_bad_restrictions_name_their_field(
    client: TestClient, login: Login, scene: Scene, properties: dict[str, Any], field: str
) -> None:
    answer = file_restriction(client, login, scene, **properties)
    assert answer.status_code == 422, answer.text
    assert field in answer.text


def test_a_restriction_needs_a_place(client: TestClient, login: Login, scene: Scene) -> None:
    answer = client.post(f"{scene.api}/restrictions", json=restriction_body(None, scene), headers=login("monitor-ru"))
    assert answer.status_code == 422
    assert "site_id" in answer.text


def test_the_quorum_confirms_or_disputes_a_restriction(client: TestClient, login: Login, scene: Scene) -> None:
    first = file_restriction(client, login, scene).json()["id"]
    second = file_restriction(client, login, scene).json()["id"]
    path = f"{scene.api}/restrictions/{{}}/verifications"
    answer = client.post(path.format(first), json={"verdict": "confirm"}, headers=login("verifier-tr"))
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "under_verification"
    answer = client.post(path.format(first), json={"verdict": "confirm"}, headers=login("verifier-ru"))
    assert answer.json()["status"] == "confirmed"
    client.post(path.format(second), json={"verdict": "confirm"}, headers=login("verifier-tr"))
    answer = client.post(
        path.format(second), json={"verdict": "reject", "note": "no denial"}, headers=login("verifier-ru")
    )
    assert answer.json()["status"] == "disputed"
    verdicts = client.get(path.format(second), headers=login("analyst-ru")).json()
    assert [v["verdict"] for v in verdicts] == ["confirm", "reject"]
    # Monitors do not verify.
    assert client.post(path.format(first), json={"verdict": "confirm"}, headers=login("monitor-ru")).status_code == 403


def test_a_uav_flight_with_interference_and_a_restriction_tied_to_it(
    client: TestClient, login: Login, scene: Scene
) -> None:
    answer = client.post(f"{scene.api}/uav-flights", json=flight_body(scene), headers=login("monitor-ru"))
    assert answer.status_code == 201, answer.text
    flight = answer.json()
    assert flight["properties"]["interference_min"] == 10.0
    tied = file_restriction(client, login, scene, category="other_impediment", kind="uav_signal_interference",
                            uav_flight_id=flight["id"])  # fmt: skip
    assert tied.status_code == 201, tied.text
    assert tied.json()["properties"]["uav_flight_id"] == flight["id"]
    listed = client.get(f"{scene.api}/uav-flights", headers=login("analyst-ru")).json()
    assert flight["id"] in [f["id"] for f in listed["features"]]


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({"episodes": [{"start": "2020-11-20T12:00:00+04:00", "end": "2020-11-20T12:05:00+04:00", "type": "jamming"}]},
         "outside the flight"),
        ({"episodes": [{"start": "2020-11-20T10:10:00+04:00", "end": "2020-11-20T10:20:00+04:00", "type": "noise"}]},
         "episodes"),
        ({"announced": False}, "announced_at"),
    ],
)  # fmt: skip
def test_bad_flights_are_refused(
    client: TestClient, login: Login, scene: Scene, properties: dict[str, Any], message: str
) -> None:
    answer = client.post(f"{scene.api}/uav-flights", json=flight_body(scene, **properties), headers=login("monitor-ru"))
    assert answer.status_code == 422
    assert message in answer.text
