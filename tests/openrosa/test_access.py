"""Who may do what over OpenRosa and the device API: every demo account, devices, revoked devices, other missions."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from openrosa.collect import BASE, Phone, basic, fill, incident_values
from support import ACCOUNTS, Login
from truce.missions import service as missions_service
from truce.missions.schemas import DelegationIn, MissionIn, PartyIn
from truce.openrosa import callers
from truce.policy import Actor

DEVICES = "/api/v1/missions/nk-2020/devices"
ALL = {"incident", "checkpoint", "patrol"}
# The forms each demo account is offered, by role: writers of incidents and of movements.
FORMS = {
    "admin": ALL, "monitor-ru": ALL, "verifier-ru": ALL, "verifier-tr": ALL, "liaison-am": {"incident"},
    "liaison-az": {"incident"}, "humanitarian-unhcr": {"checkpoint"}, "analyst-ru": set(),
}  # fmt: skip


@pytest.mark.parametrize("account", [a for a in ACCOUNTS if a != "public"])
def test_forms_offered_by_role(person: Callable[[str], Phone], account: str) -> None:
    offered = {form_id.rsplit("-", 1)[1] for form_id in person(account).form_list()}
    assert offered == FORMS[account]


@pytest.mark.parametrize("account", ACCOUNTS)
def test_only_administrators_manage_devices(client: TestClient, login: Login, account: str) -> None:
    body = {"name": f"phone-{account}".replace("_", "-"), "delegation": "ru"}
    created = client.post(DEVICES, json=body, headers=login(account))
    listing = client.get(DEVICES, headers=login(account))
    expected = {"admin": 201, "public": 401}.get(account, 403)
    assert created.status_code == expected, created.text
    assert listing.status_code == {"admin": 200, "public": 401}.get(account, 403)


def test_the_device_api_shows_the_token_once_and_stores_only_its_hash(
    new_device: Callable[..., tuple[Phone, dict[str, object]]], client: TestClient, login: Login, session: Session
) -> None:
    from openrosa.collect import basic
    from truce.openrosa import devices

    _, created = new_device("qr-phone")
    settings = devices.read_payload(str(created["settings"]))
    mission = missions_service.get_by_slug(session, "nk-2020")
    assert mission is not None
    username = f"device.{mission.id}.qr-phone"
    assert settings["general"] == {
        "server_url": "http://testserver/openrosa/nk-2020", "username": username, "password": created["token"]
    }  # fmt: skip
    assert str(created["qr_svg"]).startswith("<svg")
    listed = client.get(DEVICES, headers=login("admin")).json()
    assert all("token" not in d for d in listed)
    device = devices.get_device(session, mission, int(str(created["id"])), actor=Actor.system())
    assert device.token_hash == devices.token_hash(str(created["token"]))
    assert str(created["token"]) not in device.token_hash
    # The device's account cannot log in with a password at all.
    assert Phone(client, basic(username, "")).get(f"{BASE}/formList").status_code == 401


def test_a_revoked_device_is_refused_at_once(
    new_device: Callable[..., tuple[Phone, dict[str, object]]], client: TestClient, login: Login
) -> None:
    phone, created = new_device("lost-phone")
    xml = fill(phone.form("incident"), incident_values())
    revoked = client.post(f"{DEVICES}/{created['id']}/revoke", headers=login("admin"))
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    answer = phone.submit(xml, head=False)
    assert answer.status_code == 401
    assert "revoked" in answer.text
    assert client.post(f"{DEVICES}/{created['id']}/revoke", headers=login("admin")).status_code == 409
    assert client.post(f"{DEVICES}/{created['id']}/revoke", headers=login("monitor-ru")).status_code == 403


def test_a_device_of_one_mission_cannot_use_another(phone: Phone, session: Session, client: TestClient) -> None:
    other = missions_service.create(session, MissionIn(slug="other-mission", name="Other"), actor=Actor.system())
    scoped = Actor.system(other.id)
    missions_service.create_party(session, other, PartyIn(code="un", name="UN", kind="mediator"), actor=scoped)
    missions_service.create_delegation(session, other, DelegationIn(code="un", name="UN", party="un"), actor=scoped)
    session.commit()
    answer = client.get("/openrosa/other-mission/formList", headers={"X-OpenRosa-Version": "1.0", **phone.headers})
    assert answer.status_code == 403
    assert "another mission" in answer.text


def test_a_liaison_files_allegations_only(person: Callable[[str], Phone]) -> None:
    liaison = person("liaison-am")
    form = liaison.form("incident")
    refused = liaison.submit(fill(form, incident_values()))
    assert refused.status_code == 422
    assert "source must be 'party'" in refused.text
    assert liaison.submit(fill(form, incident_values(source="party"))).status_code == 201
    analyst = person("analyst-ru")
    assert analyst.submit(fill(form, incident_values())).status_code == 403


def test_only_a_persons_basic_login_is_checked_off_the_event_loop() -> None:
    """A person's password is hashed with argon2, which would hold the loop; a device's token is one SHA-256."""
    person, device = basic("monitor.ru", "secret")["Authorization"], basic("device.post-7", "t0k3n")["Authorization"]
    assert callers.hashes_a_password(person)
    assert not callers.hashes_a_password(device)
    assert not callers.hashes_a_password('Digest username="monitor.ru", realm="Truce nk-2020"')
    assert not callers.hashes_a_password(None)
    assert not callers.hashes_a_password("Basic not-base64!")
