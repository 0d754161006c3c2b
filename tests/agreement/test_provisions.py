"""Provisions: the demo's nine points, deadlines and extensions, status history, overdue flags, links, bad input."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from support import Login
from truce.agreement import service
from truce.agreement.models import DeadlineExtension, Provision, ProvisionStatus
from truce.agreement.schemas import ProvisionIn, StatusIn
from truce.ledger import service as ledger
from truce.missions import service as missions_service
from truce.policy import Actor
from truce.users import service as users_service

PROVISIONS = "/api/v1/missions/nk-2020/provisions"


def provisions(client: TestClient, login: Login, account: str = "admin", **params: Any) -> dict[str, dict[str, Any]]:
    answer = client.get(PROVISIONS, params=params, headers=login(account))
    assert answer.status_code == 200, answer.text
    return {p["number"]: p for p in answer.json()}


def new_provision(client: TestClient, login: Login, **extra: Any) -> dict[str, Any]:
    body = {"number": "10", "summary": "Demining of the corridor road.", "category": "Cease Fire",
            "responsible": ["ru"], "deadline": "2020-11-30", "classification": "public", **extra}  # fmt: skip
    answer = client.post(PROVISIONS, json=body, headers=login("admin"))
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def counts(session: Session) -> tuple[int, int, int, int]:
    return (
        session.scalar(select(func.count()).select_from(Provision)) or 0,
        session.scalar(select(func.count()).select_from(ProvisionStatus)) or 0,
        session.scalar(select(func.count()).select_from(DeadlineExtension)) or 0,
        ledger.size(session),
    )


def test_the_nine_points_in_the_agreements_order(client: TestClient, login: Login) -> None:
    found = provisions(client, login, "public")
    assert list(found) == ["1", "2", "3", "4", "5", "6.1", "6.2", "7", "8", "9"]
    assert {p["category"] for p in found.values()} >= {"Cease Fire", "Withdrawal of Troops", "Prisoner Release"}
    assert found["2"]["deadline"] == "2020-11-20"
    assert found["6.2"]["deadline"] == "2020-12-01"


def test_kalbajar_keeps_its_original_deadline(client: TestClient, login: Login) -> None:
    kalbajar = provisions(client, login)["6.1"]
    assert (kalbajar["original_deadline"], kalbajar["deadline"], kalbajar["extended"]) == (
        "2020-11-15",
        "2020-11-25",
        True,
    )
    detail = client.get(f"{PROVISIONS}/{kalbajar['id']}", headers=login("liaison-am")).json()
    [extension] = detail["extensions"]
    assert (extension["previous_deadline"], extension["new_deadline"]) == ("2020-11-15", "2020-11-25")
    assert [s["level"] for s in detail["statuses"]] == [1, 3]
    assert detail["statuses"][0]["delegation"] == "ru"
    assert detail["statuses"][0]["label"] == "minimal"


@pytest.mark.parametrize(
    ("on", "overdue"),
    [("2020-11-20", False), ("2020-11-25", False), ("2020-11-26", False)],
)
def test_an_extended_deadline_is_not_overdue_early(client: TestClient, login: Login, on: str, overdue: bool) -> None:
    assert provisions(client, login, on=on)["6.1"]["overdue"] is overdue


def test_overdue_when_the_deadline_passes_without_full_implementation(client: TestClient, login: Login) -> None:
    created = new_provision(client, login)
    assessed = client.post(
        f"{PROVISIONS}/{created['id']}/statuses", json={"level": 1, "as_of": "2020-11-20", "note": "Begun."},
        headers=login("verifier-ru"),
    )  # fmt: skip
    assert assessed.status_code == 201, assessed.text
    assert provisions(client, login, on="2020-11-30")["10"]["overdue"] is False
    late = provisions(client, login, on="2020-12-01")["10"]
    assert late["overdue"] is True
    assert late["level_on"] == 1
    done = client.post(
        f"{PROVISIONS}/{created['id']}/statuses", json={"level": 3, "as_of": "2020-12-03"}, headers=login("verifier-tr")
    )
    assert done.status_code == 201
    assert provisions(client, login, on="2020-12-02")["10"]["overdue"] is True
    assert provisions(client, login, on="2020-12-03")["10"]["overdue"] is False


def test_the_current_level_is_the_latest_assessment_by_date(session: Session) -> None:
    mission = missions_service.get_by_slug(session, "nk-2020")
    assert mission is not None
    admin = users_service.actor_for(session, users_service.get_by_name(session, "admin"), mission)
    data = ProvisionIn(number="11", summary="Mine clearance", category="Cease Fire", deadline=date(2020, 12, 20))
    provision = service.create(session, mission, data, actor=admin)
    service.assess(session, mission, provision.id, StatusIn(level=2, as_of=date(2020, 11, 25)), actor=admin)
    # An earlier assessment recorded later joins the history in its place; it does not become current.
    service.assess(session, mission, provision.id, StatusIn(level=1, as_of=date(2020, 11, 20)), actor=admin)
    assert (provision.level, provision.level_as_of) == (2, date(2020, 11, 25))
    assert [s.level for s in service.statuses(session, provision)] == [1, 2]
    history = service.statuses(session, provision)
    assert service.level_on(history, date(2020, 11, 19)) is None
    assert service.level_on(history, date(2020, 11, 22)) == 1
    session.commit()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"new_deadline": "2020-11-10", "decided_on": "2020-11-14"}, 422),  # earlier than the original
        ({"new_deadline": "2020-11-20", "decided_on": "2020-11-14"}, 422),  # earlier than the extended deadline
        ({"new_deadline": "2020-11-25", "decided_on": "2020-11-14"}, 422),  # the same day is no extension
        ({"new_deadline": "2020-12-05", "decided_on": "2020-11-01"}, 422),  # decided before the mission
        ({"new_deadline": "not a date", "decided_on": "2020-11-14"}, 422),
    ],
)
def test_a_bad_extension_is_refused_and_nothing_stored(
    client: TestClient, login: Login, session: Session, body: dict[str, Any], status: int
) -> None:
    kalbajar = provisions(client, login)["6.1"]
    before = counts(session)
    answer = client.post(f"{PROVISIONS}/{kalbajar['id']}/extensions", json=body, headers=login("admin"))
    assert answer.status_code == status, answer.text
    assert "detail" in answer.json()
    assert counts(session) == before
    assert provisions(client, login)["6.1"]["deadline"] == "2020-11-25"


def test_a_later_extension_moves_the_deadline_and_keeps_the_original(client: TestClient, login: Login) -> None:
    lachin = provisions(client, login)["6.2"]
    body = {"new_deadline": "2020-12-05", "decided_on": "2020-11-28", "note": "Illustrative."}
    answer = client.post(f"{PROVISIONS}/{lachin['id']}/extensions", json=body, headers=login("admin"))
    assert answer.status_code == 201, answer.text
    after = provisions(client, login)["6.2"]
    assert (after["original_deadline"], after["deadline"]) == ("2020-12-01", "2020-12-05")


def test_a_provision_without_a_deadline_cannot_be_extended(client: TestClient, login: Login) -> None:
    ceasefire = provisions(client, login)["1"]
    body = {"new_deadline": "2020-12-05", "decided_on": "2020-11-28"}
    answer = client.post(f"{PROVISIONS}/{ceasefire['id']}/extensions", json=body, headers=login("admin"))
    assert answer.status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {"level": 4, "as_of": "2020-11-20"},
        {"level": -1, "as_of": "2020-11-20"},
        {"level": 2, "as_of": "2020-11-09"},  # the day before the mission began
        {"level": 2, "as_of": "2999-01-01"},
        {"level": 2, "as_of": "2020-11-20", "evidence": ["not-a-hash"]},
        {"level": 2, "as_of": "2020-11-20", "colour": "green"},
    ],
)
def test_a_bad_assessment_is_refused_and_nothing_stored(
    client: TestClient, login: Login, session: Session, body: dict[str, Any]
) -> None:
    aghdam = provisions(client, login)["2"]
    before = counts(session)
    answer = client.post(f"{PROVISIONS}/{aghdam['id']}/statuses", json=body, headers=login("verifier-ru"))
    assert answer.status_code == 422, answer.text
    assert counts(session) == before


def test_an_assessment_keeps_its_evidence(client: TestClient, login: Login) -> None:
    aghdam = provisions(client, login)["2"]
    digest = "ab" * 32
    body = {"level": 3, "as_of": "2020-11-21", "note": "Photographs of the handover.", "evidence": [digest]}
    answer = client.post(f"{PROVISIONS}/{aghdam['id']}/statuses", json=body, headers=login("verifier-tr"))
    assert answer.status_code == 201
    assert answer.json()["evidence"] == [digest]
    assert answer.json()["delegation"] == "tr"


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"category": "Free Cake"}, 422),
        ({"responsible": ["xx"]}, 422),
        ({"number": "1"}, 409),
        ({"deadline": "2020-11-31"}, 422),
        ({"restricted_to": ["am"]}, 422),  # only restricted records name delegations
        ({"summary": ""}, 422),
    ],
)
def test_a_bad_provision_is_refused(
    client: TestClient, login: Login, session: Session, change: dict[str, Any], status: int
) -> None:
    before = counts(session)
    body = {"number": "12", "summary": "x", "category": "Refugees", **change}
    answer = client.post(PROVISIONS, json=body, headers=login("admin"))
    assert answer.status_code == status, answer.text
    assert counts(session) == before


def test_links_to_records_show_only_what_the_reader_may_see(client: TestClient, login: Login) -> None:
    created = new_provision(client, login)
    restricted = client.post(
        "/api/v1/missions/nk-2020/incidents",
        json={"type": "Feature", "geometry": {"type": "Point", "coordinates": [46.8, 39.9]},
              "properties": {"type": "fire", "subtype": "sniper", "start": "2020-11-21T10:00:00+04:00",
                             "source": "post", "classification": "restricted", "restricted_to": ["ru"]}},
        headers=login("monitor-ru"),
    ).json()  # fmt: skip
    linked = client.post(
        f"{PROVISIONS}/{created['id']}/links",
        json={"kind": "incidents", "id": restricted["id"]},
        headers=login("admin"),
    )
    assert linked.status_code == 200, linked.text
    assert linked.json()["links"] == {"incidents": [restricted["id"]]}
    # Linking twice changes nothing.
    again = client.post(
        f"{PROVISIONS}/{created['id']}/links",
        json={"kind": "incidents", "id": restricted["id"]},
        headers=login("admin"),
    )
    assert again.json()["links"] == {"incidents": [restricted["id"]]}
    assert provisions(client, login, "public")["10"]["links"] == {}
    assert provisions(client, login, "verifier-tr")["10"]["links"] == {}


@pytest.mark.parametrize("target", [{"kind": "incidents", "id": 987654}, {"kind": "claims", "id": 987654}])
def test_a_link_to_nothing_is_refused(client: TestClient, login: Login, target: dict[str, Any]) -> None:
    created = new_provision(client, login)
    answer = client.post(f"{PROVISIONS}/{created['id']}/links", json=target, headers=login("verifier-ru"))
    assert answer.status_code == 422


def test_the_demo_links_provisions_to_what_bears_on_them(client: TestClient, login: Login) -> None:
    found = provisions(client, login)
    assert found["8"]["links"]["exchanges"]
    assert found["7"]["links"]["movements"]
    detail = client.get(f"{PROVISIONS}/{found['7']['id']}", headers=login("public")).json()
    assert len(detail["links"]["claims"]) >= 4  # the defence ministry's return figures cite point 7


def test_assessments_are_logged_with_the_assessing_delegation(session: Session) -> None:
    mission = missions_service.get_by_slug(session, "nk-2020")
    assert mission is not None
    verifier = users_service.actor_for(session, users_service.get_by_name(session, "verifier-tr"), mission)
    aghdam = next(p for p in service.list_provisions(session, mission, actor=verifier) if p.number == "2")
    before = ledger.size(session)
    service.assess(session, mission, aghdam.id, StatusIn(level=2, as_of=date(2020, 11, 30)), actor=verifier)
    entries = ledger.entries(session, before, ledger.size(session))
    assert [(e.action, e.delegation) for e in entries] == [("provision.assess", "tr"), ("provision.status", "tr")]


def test_the_operator_assesses_without_a_delegation(session: Session) -> None:
    mission = missions_service.get_by_slug(session, "nk-2020")
    assert mission is not None
    system = Actor.system(mission.id)
    provision = service.list_provisions(session, mission, actor=system)[0]
    status = service.assess(session, mission, provision.id, StatusIn(level=2, as_of=date(2020, 11, 30)), actor=system)
    assert status.delegation is None
