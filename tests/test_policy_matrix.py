"""Who may read and write what, checked through the API for every role against every kind of record."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from support import ACCOUNTS, STAFF, Login, point_feature
from truce.missions import service as missions_service
from truce.missions.schemas import DelegationIn, MissionIn, PartyIn
from truce.places import service as places_service
from truce.places.schemas import SiteIn
from truce.policy import Actor

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


INCIDENT_FILERS = {"admin", "monitor-ru", "verifier-ru", "verifier-tr"}


def make_incident(client: TestClient, login: Login, classification: str, restricted_to: list[str]) -> int:
    body = point_feature(
        46.8, 39.9, type="fire", subtype="small_arms", start="2020-11-21T10:00:00+04:00", source="post",
        classification=classification, restricted_to=restricted_to,
    )  # fmt: skip
    # Filed by the tr delegation, which may read all four anyway: a delegation always sees its own filings.
    answer = client.post(f"{BASE}/incidents", json=body, headers=login("verifier-tr"))
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


@pytest.fixture
def classified_incidents(client: TestClient, login: Login) -> dict[str, int]:
    return {
        "restricted": make_incident(client, login, "restricted", ["tr"]),
        "mission": make_incident(client, login, "mission", []),
        "parties": make_incident(client, login, "parties", []),
        "public": make_incident(client, login, "public", []),
    }


@pytest.mark.parametrize("account", ACCOUNTS)
def test_incidents_by_classification(
    client: TestClient, login: Login, classified_incidents: dict[str, int], account: str
) -> None:
    window = {"since": "2020-11-21T00:00:00+04:00", "until": "2020-11-22T00:00:00+04:00", "limit": 10_000}
    listed = {
        f["id"] for f in client.get(f"{BASE}/incidents", params=window, headers=login(account)).json()["features"]
    }
    for classification, incident_id in classified_incidents.items():
        may = account in CAN_READ[classification]
        assert (incident_id in listed) == may, classification
        for suffix in ("", "/verifications", "/evidence", "/history", "/duplicates"):
            answer = client.get(f"{BASE}/incidents/{incident_id}{suffix}", headers=login(account))
            assert answer.status_code == (200 if may else 404), (classification, suffix, answer.text)


@pytest.mark.parametrize("account", ACCOUNTS)
def test_who_files_incidents(client: TestClient, login: Login, account: str) -> None:
    body = point_feature(46.8, 39.9, type="fire", subtype="sniper", start="2020-11-21T10:00:00+04:00", source="post")
    answer = client.post(f"{BASE}/incidents", json=body, headers=login(account))
    expected = (
        201 if account in INCIDENT_FILERS else {"public": 401, "liaison-am": 422, "liaison-az": 422}.get(account, 403)
    )
    assert answer.status_code == expected, answer.text


@pytest.mark.parametrize("account", ACCOUNTS)
def test_guessed_incident_ids(client: TestClient, login: Login, account: str) -> None:
    for suffix in ("", "/verifications", "/evidence", "/history"):
        assert client.get(f"{BASE}/incidents/987654{suffix}", headers=login(account)).status_code == 404
