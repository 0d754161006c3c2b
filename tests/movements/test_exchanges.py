"""Two-sided exchanges: lists, matching, handover, confirmations; differences shown, never resolved silently."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mission_examples import Scene, with_intermediary
from support import ACCOUNTS as DEMO_ACCOUNTS
from support import STAFF, Login
from truce.ledger import service as ledger
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.missions.schemas import DelegationIn, PartyIn
from truce.movements.models import Exchange, ExchangeList
from truce.policy import Actor
from truce.users import service as users_service

# The demo accounts plus a third side's liaison officer and an ICRC officer, made by the fixtures below.
ACCOUNTS = [*DEMO_ACCOUNTS, "liaison-ge", "humanitarian-icrc"]

# Who sees the personal identifiers: the two sides and the intermediary only; the administrator (of the
# peacekeepers' delegation, neither side nor intermediary) sees the counts and the differences, as everyone.
SEE_IDENTIFIERS = {"liaison-am", "liaison-az", "humanitarian-icrc"}
READ_EXCHANGES = STAFF | {"liaison-am", "liaison-az", "humanitarian-unhcr", "liaison-ge", "humanitarian-icrc"}


@pytest.fixture(autouse=True)
def intermediary(request: pytest.FixtureRequest) -> None:
    with_intermediary(request)


@pytest.fixture
def outsiders(session: Session, mission: Mission) -> None:
    """A liaison officer of a party that is in no exchange, and an ICRC officer (the intermediary)."""
    system = Actor.system(mission.id)
    missions_service.create_party(session, mission, PartyIn(code="ge", name="Georgia", kind="observer"), actor=system)
    missions_service.create_delegation(session, mission, DelegationIn(code="ge", name="GE", party="ge"), actor=system)
    for name, role, delegation in (("liaison-ge", "liaison", "ge"), ("humanitarian-icrc", "humanitarian", "icrc")):
        users_service.create(
            session, name, "truce-demo", mission=mission, role=role, delegation_code=delegation, actor=system
        )
    session.commit()


def url(scene: Scene) -> str:
    return f"{scene.api}/exchanges"


def post(client: TestClient, login: Login, scene: Scene, path: str, body: dict[str, Any], account: str) -> Any:
    return client.post(f"{url(scene)}{path}", json=body, headers=login(account))


def day(scene: Scene) -> str:
    """The exchanges' day: the demo's 20 December 2020, moved into the scene's mission."""
    return scene.shifted(date(2020, 12, 20)).isoformat()


def before_start(mission: Mission) -> str:
    """A day before the mission began."""
    assert mission.starts_on is not None
    return (mission.starts_on - timedelta(days=9)).isoformat()


def sides(scene: Scene, body: dict[str, Any]) -> dict[str, Any]:
    """A body written with the demo's party codes, in the scene's mission's."""
    return {key: scene.delegation(value) if key in ("side", "side_a", "side_b", "intermediary") and value else value
            for key, value in body.items()}  # fmt: skip


def persons(prefix: str, count: int, ids: int | None = None, kind: str = "detainees") -> dict[str, Any]:
    return {
        kind: count,
        "identifiers": [f"{prefix}-{n:03d}" for n in range(1, (ids if ids is not None else count) + 1)],
    }


def opened(client: TestClient, login: Login, scene: Scene) -> int:
    body = sides(scene, {"kind": "detainees", "side_a": "am", "side_b": "az", "intermediary": "icrc",
                         "planned_on": day(scene)})  # fmt: skip
    answer = post(client, login, scene, "", body, "humanitarian-unhcr")
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "lists_pending"
    return int(answer.json()["id"])


def with_lists(client: TestClient, login: Login, scene: Scene, *, az_gives: int = 3) -> int:
    exchange = opened(client, login, scene)
    am = {"side": scene.delegation("am"), "hands_over": persons("X-AZ", 2), "receives": persons("X-AM", 3)}
    az = {"side": scene.delegation("az"), "hands_over": persons("X-AM", az_gives), "receives": persons("X-AZ", 2)}
    assert post(client, login, scene, f"/{exchange}/lists", am, "liaison-am").status_code == 201
    assert post(client, login, scene, f"/{exchange}/lists", az, "liaison-az").status_code == 201
    return exchange


def handed_over(client: TestClient, login: Login, scene: Scene, exchange: int, b_to_a: int = 3) -> None:
    body = {"on_date": day(scene), "a_to_b": {"detainees": 2}, "b_to_a": {"detainees": b_to_a}}
    answer = post(client, login, scene, f"/{exchange}/handover", body, "humanitarian-unhcr")
    assert answer.status_code == 200, answer.text


def stored(session: Session) -> tuple[int, int, int]:
    lists = session.scalar(select(func.count()).select_from(ExchangeList)) or 0
    return session.scalar(select(func.count()).select_from(Exchange)) or 0, lists, ledger.size(session)


def test_matching_lists_then_handover_then_both_sides_confirm(client: TestClient, login: Login, scene: Scene) -> None:
    exchange = with_lists(client, login, scene)
    view = client.get(f"{url(scene)}/{exchange}", headers=login("verifier-ru")).json()
    assert view["status"] == "lists_match"
    assert view["matching"]["differences"] == []
    handed_over(client, login, scene, exchange)
    first = post(client, login, scene, f"/{exchange}/confirm", {"note": "All received."}, "liaison-am")
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "handed_over"
    second = post(client, login, scene, f"/{exchange}/confirm", {}, "liaison-az").json()
    assert second["status"] == "confirmed"
    assert set(second["confirmations"]) == {scene.delegation("am"), scene.delegation("az")}
    assert post(client, login, scene, f"/{exchange}/confirm", {}, "liaison-az").status_code == 409


def test_differences_are_shown_and_must_be_acknowledged(client: TestClient, login: Login, scene: Scene) -> None:
    exchange = with_lists(client, login, scene, az_gives=2)  # az lists two; am expects three
    view = client.get(f"{url(scene)}/{exchange}", headers=login("liaison-am")).json()
    assert view["status"] == "lists_differ"
    details = {d["what"]: d for d in view["matching"]["differences"]}
    am, az = scene.delegation("am"), scene.delegation("az")
    assert details["detainees"]["detail"] == f"{az} lists 2 detainees to hand over; {am} expects 3"
    assert details["identifiers"][f"only_{am}"] == ["X-AM-003"]
    handed_over(client, login, scene, exchange, b_to_a=2)
    refused = post(client, login, scene, f"/{exchange}/confirm", {}, "liaison-am")
    assert refused.status_code == 409
    assert f"{az} lists 2 detainees" in refused.json()["detail"]
    accepted = post(
        client, login, scene, f"/{exchange}/confirm", {"acknowledge_differences": True}, "liaison-am"
    ).json()
    assert accepted["confirmations"][am]["differences"]
    # The difference stays on the record after confirmation.
    assert accepted["matching"]["differences"]


@pytest.mark.usefixtures("outsiders")
@pytest.mark.parametrize("account", ["liaison-ge", "verifier-tr", "admin", "humanitarian-icrc", "public"])
def test_a_party_not_in_the_exchange_cannot_confirm(
    client: TestClient, login: Login, session: Session, account: str, scene: Scene
) -> None:
    exchange = with_lists(client, login, scene)
    handed_over(client, login, scene, exchange)
    before = stored(session)
    answer = post(client, login, scene, f"/{exchange}/confirm", {"acknowledge_differences": True}, account)
    # A write without a login is refused before its body is read (docs/limits.md), whatever it names.
    assert answer.status_code == (401 if account == "public" else 403), answer.text
    assert stored(session) == before
    assert client.get(f"{url(scene)}/{exchange}", headers=login("admin")).json()["confirmations"] == {}


def test_nothing_to_confirm_before_the_handover(client: TestClient, login: Login, scene: Scene) -> None:
    exchange = with_lists(client, login, scene)
    assert post(client, login, scene, f"/{exchange}/confirm", {}, "liaison-am").status_code == 409


def test_the_handover_waits_for_both_lists(client: TestClient, login: Login, session: Session, scene: Scene) -> None:
    exchange = opened(client, login, scene)
    am = {"side": scene.delegation("am"), "hands_over": persons("X-AZ", 2), "receives": persons("X-AM", 3)}
    post(client, login, scene, f"/{exchange}/lists", am, "liaison-am")
    before = stored(session)
    body = {"on_date": day(scene), "a_to_b": {"detainees": 2}, "b_to_a": {"detainees": 3}}
    answer = post(client, login, scene, f"/{exchange}/handover", body, "humanitarian-unhcr")
    assert answer.status_code == 409
    assert scene.delegation("az") in answer.json()["detail"]
    assert stored(session) == before


@pytest.mark.usefixtures("outsiders")
@pytest.mark.parametrize(
    ("account", "body", "status"),
    [
        ("liaison-am", {"side": "az", "hands_over": {"detainees": 1}}, 403),  # another side's list
        ("humanitarian-unhcr", {"side": "am", "hands_over": {"detainees": 1}}, 403),  # not the intermediary
        ("liaison-ge", {"side": "am", "hands_over": {"detainees": 1}}, 403),
        ("verifier-ru", {"side": "am", "hands_over": {"detainees": 1}}, 403),
        ("liaison-am", {"side": "ge", "hands_over": {"detainees": 1}}, 422),  # not a side of this exchange
        ("liaison-am", {"side": "am", "hands_over": {"detainees": -1}}, 422),
        ("liaison-am", {"side": "am", "hands_over": {"bodies": 1, "identifiers": ["A", "B"]}}, 422),
        ("liaison-am", {"side": "am", "hands_over": {"detainees": 2, "identifiers": ["a 1", "A1"]}}, 422),
        ("humanitarian-icrc", {"side": "am", "hands_over": {"detainees": 1}}, 201),  # the intermediary may
    ],
)
def test_who_submits_which_list(
    client: TestClient, login: Login, session: Session, account: str, body: dict[str, Any], status: int, scene: Scene
) -> None:
    exchange = opened(client, login, scene)
    before = stored(session)
    answer = post(client, login, scene, f"/{exchange}/lists", sides(scene, body), account)
    assert answer.status_code == status, answer.text
    if status != 201:
        assert stored(session) == before


def test_a_list_is_replaced_until_the_handover(client: TestClient, login: Login, scene: Scene) -> None:
    exchange = with_lists(client, login, scene, az_gives=2)
    fixed = {"side": scene.delegation("az"), "hands_over": persons("X-AM", 3), "receives": persons("X-AZ", 2)}
    assert post(client, login, scene, f"/{exchange}/lists", fixed, "liaison-az").status_code == 201
    assert client.get(f"{url(scene)}/{exchange}", headers=login("admin")).json()["status"] == "lists_match"
    handed_over(client, login, scene, exchange)
    assert post(client, login, scene, f"/{exchange}/lists", fixed, "liaison-az").status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "detainees", "side_a": "am", "side_b": "am"},
        {"kind": "detainees", "side_a": "am", "side_b": "az", "intermediary": "az"},
        {"kind": "detainees", "side_a": "am", "side_b": "xx"},
        {"kind": "prisoners", "side_a": "am", "side_b": "az"},
        {"kind": "detainees", "side_a": "am", "side_b": "az", "planned_on": "before the mission"},
    ],
)
def test_bad_exchanges_are_refused(
    client: TestClient, login: Login, session: Session, body: dict[str, Any], scene: Scene, mission: Mission
) -> None:
    before = stored(session)
    body = sides(scene, body)
    if body.get("planned_on") == "before the mission":
        body["planned_on"] = before_start(mission)
    assert post(client, login, scene, "", body, "humanitarian-unhcr").status_code == 422
    assert stored(session) == before


def test_a_handover_before_the_mission_is_refused(
    client: TestClient, login: Login, session: Session, scene: Scene, mission: Mission
) -> None:
    exchange = with_lists(client, login, scene)
    before = stored(session)
    body = {"on_date": before_start(mission), "a_to_b": {"detainees": 2}, "b_to_a": {"detainees": 3}}
    assert post(client, login, scene, f"/{exchange}/handover", body, "humanitarian-unhcr").status_code == 422
    assert stored(session) == before


@pytest.mark.usefixtures("outsiders")
@pytest.mark.parametrize("account", ACCOUNTS)
def test_identifiers_are_seen_only_by_the_sides_and_the_intermediary(
    client: TestClient, login: Login, account: str, scene: Scene
) -> None:
    exchange = with_lists(client, login, scene, az_gives=2)
    view = client.get(f"{url(scene)}/{exchange}", headers=login(account))
    lists = client.get(f"{url(scene)}/{exchange}/lists", headers=login(account))
    if account not in READ_EXCHANGES:
        assert (view.status_code, lists.status_code) == (404, 404)
        return
    assert view.status_code == lists.status_code == 200
    sees = account in SEE_IDENTIFIERS
    assert ("X-AM-" in view.text) == sees
    assert ("X-AM-" in lists.text) == sees
    assert len(lists.json()) == (2 if sees else 0)
    # Everyone who reads the exchange sees that the lists differ, and by how much.
    assert {d["what"] for d in view.json()["matching"]["differences"]} == {"detainees", "identifiers"}


def test_identifiers_never_enter_the_log(client: TestClient, login: Login, session: Session, scene: Scene) -> None:
    before = ledger.size(session)
    exchange = with_lists(client, login, scene)
    entries = ledger.entries(session, before, ledger.size(session))
    assert any(e.entity_type == "exchange_lists" for e in entries)
    assert not any("X-AM-" in e.data or "X-AZ-" in e.data for e in entries)
    log = client.get("/api/v1/log/entries", params={"start": before, "end": before + len(entries)},
                     headers=login("analyst-ru")).json()  # fmt: skip
    hidden = [e for e in log if "data" not in e]
    assert len(hidden) == 2  # the two lists: an analyst sees that they were logged, not what they hold
    assert exchange


@pytest.mark.usefixtures("outsiders")
@pytest.mark.parametrize("account", ACCOUNTS)
def test_who_opens_exchanges_and_records_handovers(
    client: TestClient, login: Login, account: str, scene: Scene
) -> None:
    body = sides(scene, {"kind": "bodies", "side_a": "am", "side_b": "az", "intermediary": "icrc"})
    answer = post(client, login, scene, "", body, account)
    writers = {"admin", "humanitarian-unhcr", "humanitarian-icrc"}
    assert answer.status_code == (201 if account in writers else 401 if account == "public" else 403), answer.text
