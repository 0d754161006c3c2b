"""Who may read and record movements, and whose movements the returns and counters add up: every demo account."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from support import ACCOUNTS, STAFF, Login
from truce.missions import service as missions_service
from truce.movements import service
from truce.movements.schemas import MovementIn
from truce.places.models import Site
from truce.policy import Actor

CAN_READ = {
    "restricted": {"admin", "humanitarian-unhcr"},
    "mission": STAFF,
    "parties": STAFF | {"liaison-am", "liaison-az", "humanitarian-unhcr"},
    "public": set(ACCOUNTS),
}
MOVEMENTS = "/api/v1/missions/nk-2020/movements"
WRITERS = {"admin", "monitor-ru", "verifier-ru", "verifier-tr", "humanitarian-unhcr"}
# One return of a distinct size per classification, on a day with no demo returns.
SIZES = {"restricted": 1, "mission": 10, "parties": 100, "public": 1000}


def checkpoint(session: Session) -> int:
    return session.execute(select(Site.id).where(Site.code == "CHK-1")).scalar_one()


@pytest.fixture
def classified(session: Session) -> dict[str, int]:
    mission = missions_service.get_by_slug(session, "nk-2020")
    assert mission is not None
    found = {}
    for level, size in SIZES.items():
        data = MovementIn(
            site_id=checkpoint(session), direction="incoming", kind="return", on_date=date(2020, 12, 5),
            individuals=size, classification=level, restricted_to=["unhcr"] if level == "restricted" else [],
        )  # fmt: skip
        found[level] = service.create(session, mission, data, actor=Actor.system(mission.id)).id
    session.commit()
    return found


@pytest.mark.parametrize("account", ACCOUNTS)
def test_reading_movements_by_classification(
    client: TestClient, login: Login, classified: dict[str, int], account: str
) -> None:
    listed = {m["id"] for m in client.get(MOVEMENTS, params={"since": "2020-12-05"}, headers=login(account)).json()}
    for level, movement_id in classified.items():
        may = account in CAN_READ[level]
        assert (movement_id in listed) == may, level
        assert client.get(f"{MOVEMENTS}/{movement_id}", headers=login(account)).status_code == (200 if may else 404)


@pytest.mark.parametrize("account", ACCOUNTS)
def test_returns_and_counters_add_up_only_what_the_account_may_read(
    client: TestClient, login: Login, classified: dict[str, int], account: str
) -> None:
    visible = sum(size for level, size in SIZES.items() if account in CAN_READ[level])
    days = client.get(f"{MOVEMENTS}/returns", params={"since": "2020-12-05"}, headers=login(account)).json()["days"]
    assert days[-1]["returned"] == visible
    window = {"since": "2020-12-05", "until": "2020-12-05"}
    counters = client.get(f"{MOVEMENTS}/checkpoints", params=window, headers=login(account)).json()
    assert sum(c["individuals"] for c in counters) == visible


@pytest.mark.parametrize("account", ACCOUNTS)
def test_who_records_movements(client: TestClient, login: Login, session: Session, account: str) -> None:
    body = {"site_id": checkpoint(session), "direction": "outgoing", "kind": "commercial", "on_date": "2020-12-03",
            "individuals": 2, "vehicles": 1, "transport_mode": "truck"}  # fmt: skip
    answer = client.post(MOVEMENTS, json=body, headers=login(account))
    expected = 201 if account in WRITERS else 401 if account == "public" else 403
    assert answer.status_code == expected, answer.text


@pytest.mark.parametrize("account", sorted(WRITERS))
def test_a_delegation_sees_the_movements_it_recorded(client: TestClient, login: Login, account: str) -> None:
    body = {"site_id": 0, "direction": "incoming", "kind": "other", "on_date": "2020-12-03", "individuals": 1,
            "classification": "mission"}  # fmt: skip
    body["site_id"] = next(
        f["id"] for f in client.get("/api/v1/missions/nk-2020/sites", params={"kind": "checkpoint"}).json()["features"]
    )
    created = client.post(MOVEMENTS, json=body, headers=login(account)).json()
    assert client.get(f"{MOVEMENTS}/{created['id']}", headers=login(account)).status_code == 200


@pytest.mark.parametrize("account", ACCOUNTS)
def test_guessed_movement_ids_are_not_found(client: TestClient, login: Login, account: str) -> None:
    assert client.get(f"{MOVEMENTS}/987654", headers=login(account)).status_code == 404
    assert client.get("/api/v1/missions/nk-2020/exchanges/987654", headers=login(account)).status_code == 404
    assert client.get("/api/v1/missions/nk-2020/exchanges/987654/lists", headers=login(account)).status_code == 404
