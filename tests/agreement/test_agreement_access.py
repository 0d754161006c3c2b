"""Who may read and write provisions, their status history, extensions and links: every demo account."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from support import ACCOUNTS, STAFF, Login
from truce.agreement import service
from truce.agreement.schemas import ExtensionIn, ProvisionIn, StatusIn
from truce.missions import service as missions_service
from truce.policy import Actor

CAN_READ = {
    "restricted": {"admin", "verifier-tr"},
    "mission": STAFF,
    "parties": STAFF | {"liaison-am", "liaison-az", "humanitarian-unhcr"},
    "public": set(ACCOUNTS),
}
PROVISIONS = "/api/v1/missions/nk-2020/provisions"


def expected(account: str, writers: set[str], success: int) -> int:
    if account in writers:
        return success
    return 401 if account == "public" else 403


@pytest.fixture
def classified(session: Session) -> dict[str, int]:
    """One provision of each classification, each assessed once and extended once; restricted to `tr`."""
    mission = missions_service.get_by_slug(session, "nk-2020")
    assert mission is not None
    system = Actor.system(mission.id)
    found: dict[str, int] = {}
    for n, level in enumerate(CAN_READ, start=20):
        data = ProvisionIn(
            number=str(n), summary=f"A {level} provision", category="Refugees", deadline=date(2020, 11, 30),
            classification=level, restricted_to=["tr"] if level == "restricted" else [],
        )  # fmt: skip
        provision = service.create(session, mission, data, actor=system)
        service.assess(session, mission, provision.id, StatusIn(level=1, as_of=date(2020, 11, 20)), actor=system)
        extension = ExtensionIn(new_deadline=date(2020, 12, 10), decided_on=date(2020, 11, 29))
        service.extend_deadline(session, mission, provision.id, extension, actor=system)
        found[level] = provision.id
    session.commit()
    return found


@pytest.mark.parametrize("account", ACCOUNTS)
def test_reading_provisions_by_classification(
    client: TestClient, login: Login, classified: dict[str, int], account: str
) -> None:
    listed = {p["id"] for p in client.get(PROVISIONS, headers=login(account)).json()}
    for level, provision_id in classified.items():
        may = account in CAN_READ[level]
        assert (provision_id in listed) == may, level
        for suffix in ("", "/statuses", "/extensions"):
            answer = client.get(f"{PROVISIONS}/{provision_id}{suffix}", headers=login(account))
            assert answer.status_code == (200 if may else 404), (level, suffix)
        if may:
            detail = client.get(f"{PROVISIONS}/{provision_id}", headers=login(account)).json()
            assert len(detail["statuses"]) == 1
            assert len(detail["extensions"]) == 1


@pytest.mark.parametrize("account", ACCOUNTS)
def test_guessed_provision_ids_are_not_found(client: TestClient, login: Login, account: str) -> None:
    for suffix in ("", "/statuses", "/extensions"):
        assert client.get(f"{PROVISIONS}/987654{suffix}", headers=login(account)).status_code == 404


@pytest.mark.parametrize("account", ACCOUNTS)
def test_only_administrators_add_provisions(client: TestClient, login: Login, account: str) -> None:
    body = {"number": "30", "summary": "Reopen the roads.", "category": "Economic and Social Development"}
    answer = client.post(PROVISIONS, json=body, headers=login(account))
    assert answer.status_code == expected(account, {"admin"}, 201), answer.text


@pytest.mark.parametrize("account", ACCOUNTS)
def test_verifiers_and_administrators_assess(
    client: TestClient, login: Login, classified: dict[str, int], account: str
) -> None:
    body = {"level": 2, "as_of": "2020-11-25", "note": "Progress."}
    answer = client.post(f"{PROVISIONS}/{classified['public']}/statuses", json=body, headers=login(account))
    assert answer.status_code == expected(account, {"admin", "verifier-ru", "verifier-tr"}, 201), answer.text


@pytest.mark.parametrize("account", ACCOUNTS)
def test_only_administrators_extend_deadlines(
    client: TestClient, login: Login, classified: dict[str, int], account: str
) -> None:
    body = {"new_deadline": "2020-12-20", "decided_on": "2020-12-01"}
    answer = client.post(f"{PROVISIONS}/{classified['public']}/extensions", json=body, headers=login(account))
    assert answer.status_code == expected(account, {"admin"}, 201), answer.text


@pytest.mark.parametrize("account", ACCOUNTS)
def test_verifiers_and_administrators_link(
    client: TestClient, login: Login, classified: dict[str, int], account: str
) -> None:
    claim = client.get("/api/v1/missions/nk-2020/claims", headers=login("public")).json()[0]
    body = {"kind": "claims", "id": claim["id"]}
    answer = client.post(f"{PROVISIONS}/{classified['public']}/links", json=body, headers=login(account))
    assert answer.status_code == expected(account, {"admin", "verifier-ru", "verifier-tr"}, 200), answer.text


@pytest.mark.parametrize("account", ACCOUNTS)
def test_a_write_to_an_unreadable_provision_is_not_found(
    client: TestClient, login: Login, classified: dict[str, int], account: str
) -> None:
    answer = client.post(
        f"{PROVISIONS}/{classified['restricted']}/statuses", json={"level": 2, "as_of": "2020-11-25"},
        headers=login(account),
    )  # fmt: skip
    if account in CAN_READ["restricted"]:
        assert answer.status_code == 201
    else:
        # A write without a login is refused before its body is read, the same for every id (docs/limits.md).
        assert answer.status_code == (401 if account == "public" else 404)
