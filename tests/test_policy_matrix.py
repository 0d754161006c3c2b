"""Who may read and write what, checked through the API for every role against every kind of record."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from support import Login, point_feature
from truce.missions import service as missions_service
from truce.missions.schemas import DelegationIn, MissionIn, PartyIn
from truce.places import service as places_service
from truce.places.schemas import SiteIn
from truce.policy import Actor

ACCOUNTS = [
    "admin",
    "monitor-ru",
    "verifier-ru",
    "verifier-tr",
    "liaison-am",
    "liaison-az",
    "humanitarian-unhcr",
    "analyst-ru",
    "public",
]
STAFF = {"admin", "monitor-ru", "verifier-ru", "verifier-tr", "analyst-ru"}
# What each account may read, by classification; the restricted record names the `tr` delegation only.
CAN_READ = {
    "restricted": {"admin", "verifier-tr"},
    "mission": STAFF,
    "parties": STAFF | {"liaison-am", "liaison-az", "humanitarian-unhcr"},
    "public": set(ACCOUNTS),
}
BASE = "/api/v1/missions/nk-2020"


def make_site(session: Session, slug: str, classification: str, restricted_to: list[str] | None = None) -> int:
    mission = missions_service.get_by_slug(session, slug)
    assert mission is not None
    feature = SiteIn.model_validate(
        point_feature(
            46.8,
            39.9,
            name=f"{classification} site",
            kind="post",
            classification=classification,
            restricted_to=restricted_to or [],
        )
    )
    site = places_service.create_site(session, mission, feature, actor=Actor.system(mission.id))
    session.commit()
    return site.id


@pytest.fixture
def classified_sites(session: Session) -> dict[str, int]:
    return {
        "restricted": make_site(session, "nk-2020", "restricted", ["tr"]),
        "mission": make_site(session, "nk-2020", "mission"),
        "parties": make_site(session, "nk-2020", "parties"),
        "public": make_site(session, "nk-2020", "public"),
    }


@pytest.fixture
def other_mission_site(session: Session) -> int:
    """A site in a second, private mission that no demo account belongs to."""
    system = Actor.system()
    mission = missions_service.create(session, MissionIn(slug="other-2021", name="Another mission"), actor=system)
    scoped = Actor.system(mission.id)
    missions_service.create_party(session, mission, PartyIn(code="x", name="X", kind="side"), actor=scoped)
    missions_service.create_delegation(session, mission, DelegationIn(code="x", name="X", party="x"), actor=scoped)
    session.commit()
    return make_site(session, "other-2021", "public")


@pytest.mark.parametrize("account", ACCOUNTS)
@pytest.mark.parametrize("classification", ["restricted", "mission", "parties", "public"])
def test_read_site_by_id(
    client: TestClient, login: Login, classified_sites: dict[str, int], account: str, classification: str
) -> None:
    answer = client.get(f"{BASE}/sites/{classified_sites[classification]}", headers=login(account))
    expected = 200 if account in CAN_READ[classification] else 404
    assert answer.status_code == expected, answer.text


@pytest.mark.parametrize("account", ACCOUNTS)
def test_site_list_holds_only_what_the_account_may_read(
    client: TestClient, login: Login, classified_sites: dict[str, int], account: str
) -> None:
    answer = client.get(f"{BASE}/sites", params={"kind": "post"}, headers=login(account))
    assert answer.status_code == 200
    listed = {f["id"] for f in answer.json()["features"]}
    for classification, site_id in classified_sites.items():
        assert (site_id in listed) == (account in CAN_READ[classification]), classification


@pytest.mark.parametrize("account", ACCOUNTS)
@pytest.mark.parametrize("kind", ["sites", "areas", "lines"])
def test_only_admin_writes_places(client: TestClient, login: Login, account: str, kind: str) -> None:
    bodies: dict[str, dict[str, Any]] = {
        "sites": point_feature(46.7, 39.8, name="New post", kind="post"),
        "lines": {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[46.6, 39.8], [46.7, 39.9]]},
            "properties": {"name": "Patrol route", "kind": "patrol_route"},
        },
        "areas": {
            "type": "Feature",
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[46.6, 39.8], [46.7, 39.8], [46.7, 39.9], [46.6, 39.8]]],
            },
            "properties": {"name": "Buffer", "kind": "buffer_zone"},
        },
    }
    answer = client.post(f"{BASE}/{kind}", json=bodies[kind], headers=login(account))
    expected = {"admin": 201, "public": 401}.get(account, 403)
    assert answer.status_code == expected, answer.text


@pytest.mark.parametrize("account", ACCOUNTS)
@pytest.mark.parametrize("path", ["parties", "delegations"])
def test_write_parties_and_delegations(client: TestClient, login: Login, account: str, path: str) -> None:
    body = (
        {"code": "obs", "name": "Observer", "kind": "observer"}
        if path == "parties"
        else {"code": "obs", "name": "Observer", "party": "ru"}
    )
    answer = client.post(f"{BASE}/{path}", json=body, headers=login(account))
    assert answer.status_code == {"admin": 201, "public": 401}.get(account, 403), answer.text


@pytest.mark.parametrize("account", ACCOUNTS)
def test_deployments_are_for_mission_staff(client: TestClient, login: Login, account: str) -> None:
    answer = client.get(f"{BASE}/deployments", headers=login(account))
    assert answer.status_code == (200 if account in STAFF else 404)
    created = client.post(f"{BASE}/deployments", json={"on_date": "2020-12-01", "personnel": 1}, headers=login(account))
    assert created.status_code == {"admin": 201, "public": 401}.get(account, 403)


@pytest.mark.parametrize("account", ACCOUNTS)
def test_other_missions_are_invisible(client: TestClient, login: Login, other_mission_site: int, account: str) -> None:
    assert client.get("/api/v1/missions/other-2021/sites", headers=login(account)).status_code == 404
    listed = {m["slug"] for m in client.get("/api/v1/missions", headers=login(account)).json()}
    assert listed == {"nk-2020"}
    # Its site's id, guessed, is not found through the mission the account can see either.
    assert client.get(f"{BASE}/sites/{other_mission_site}", headers=login(account)).status_code == 404


@pytest.mark.parametrize("account", ACCOUNTS)
def test_guessed_ids_are_not_found(client: TestClient, login: Login, account: str) -> None:
    for kind in ("sites", "areas", "lines"):
        assert client.get(f"{BASE}/{kind}/987654", headers=login(account)).status_code == 404


def test_a_deleted_site_is_gone_for_everyone(
    client: TestClient, login: Login, classified_sites: dict[str, int]
) -> None:
    site_id = classified_sites["public"]
    assert client.delete(f"{BASE}/sites/{site_id}", headers=login("verifier-ru")).status_code == 403
    assert client.delete(f"{BASE}/sites/{site_id}", headers=login("admin")).status_code == 204
    assert client.get(f"{BASE}/sites/{site_id}", headers=login("admin")).status_code == 404
