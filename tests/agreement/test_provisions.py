"""Provisions: the demo's nine points, deadlines and extensions, status history, overdue flags, links, bad input
(in either mission: the days are the demo's, moved into the mission's period)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mission_examples import Scene
from support import Login, point_feature
from truce.agreement import service
from truce.agreement.models import DeadlineExtension, Provision, ProvisionStatus
from truce.agreement.schemas import ProvisionIn, StatusIn
from truce.ledger import service as ledger
from truce.missions.models import Mission
from truce.policy import Actor

# In a test's parameters: the day before the mission began (the demo's 9 November 2020, the example's 31 March 2024).
BEFORE_START = "before the mission"


def url(scene: Scene) -> str:
    return f"{scene.api}/provisions"


def day(scene: Scene, demo_day: str) -> str:
    """A demo day (ISO) moved into the scene's mission (Scene.shifted), as ISO text."""
    return scene.shifted(date.fromisoformat(demo_day)).isoformat()


def provisions(
    client: TestClient, login: Login, scene: Scene, account: str = "admin", **params: Any
) -> dict[str, dict[str, Any]]:
    answer = client.get(url(scene), params=params, headers=login(account))
    assert answer.status_code == 200, answer.text
    return {p["number"]: p for p in answer.json()}


def new_provision(client: TestClient, login: Login, scene: Scene, **extra: Any) -> dict[str, Any]:
    body = {"number": "10", "summary": "Demining of the corridor road.", "category": "Cease Fire",
            "responsible": [scene.delegation("ru")], "deadline": day(scene, "2020-11-30"), "classification": "public",
            **extra}  # fmt: skip
    answer = client.post(url(scene), json=body, headers=login("admin"))
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def counts(session: Session) -> tuple[int, int, int, int]:
    return (
        session.scalar(select(func.count()).select_from(Provision)) or 0,
        session.scalar(select(func.count()).select_from(ProvisionStatus)) or 0,
        session.scalar(select(func.count()).select_from(DeadlineExtension)) or 0,
        ledger.size(session),
    )


@pytest.mark.demo_content  # the demo agreement's nine points and their deadlines
def test_the_nine_points_in_the_agreements_order(client: TestClient, login: Login, scene: Scene) -> None:
    found = provisions(client, login, scene, "public")
    assert list(found) == ["1", "2", "3", "4", "5", "6.1", "6.2", "7", "8", "9"]
    assert {p["category"] for p in found.values()} >= {"Cease Fire", "Withdrawal of Troops", "Prisoner Release"}
    assert found["2"]["deadline"] == "2020-11-20"
    assert found["6.2"]["deadline"] == "2020-12-01"


@pytest.mark.demo_content  # Kalbajar's extended deadline is the demo's
def test_kalbajar_keeps_its_original_deadline(client: TestClient, login: Login, scene: Scene) -> None:
    kalbajar = provisions(client, login, scene)["6.1"]
    assert (kalbajar["original_deadline"], kalbajar["deadline"], kalbajar["extended"]) == (
        "2020-11-15",
        "2020-11-25",
        True,
    )
    detail = client.get(f"{url(scene)}/{kalbajar['id']}", headers=login("liaison-am")).json()
    [extension] = detail["extensions"]
    assert (extension["previous_deadline"], extension["new_deadline"]) == ("2020-11-15", "2020-11-25")
    assert [s["level"] for s in detail["statuses"]] == [1, 3]
    assert detail["statuses"][0]["delegation"] == "ru"
    assert detail["statuses"][0]["label"] == "minimal"


@pytest.mark.demo_content  # Kalbajar's extended deadline is the demo's
@pytest.mark.parametrize(
    ("on", "overdue"),
    [("2020-11-20", False), ("2020-11-25", False), ("2020-11-26", False)],
)
def test_an_extended_deadline_is_not_overdue_early(
    client: TestClient, login: Login, scene: Scene, on: str, overdue: bool
) -> None:
    assert provisions(client, login, scene, on=on)["6.1"]["overdue"] is overdue


def test_overdue_when_the_deadline_passes_without_full_implementation(
    client: TestClient, login: Login, scene: Scene
) -> None:
    created = new_provision(client, login, scene)
    begun = {"level": 1, "as_of": day(scene, "2020-11-20"), "note": "Begun."}
    assessed = client.post(f"{url(scene)}/{created['id']}/statuses", json=begun, headers=login("verifier-ru"))
    assert assessed.status_code == 201, assessed.text
    assert provisions(client, login, scene, on=day(scene, "2020-11-30"))["10"]["overdue"] is False
    late = provisions(client, login, scene, on=day(scene, "2020-12-01"))["10"]
    assert late["overdue"] is True
    assert late["level_on"] == 1
    done = client.post(
        f"{url(scene)}/{created['id']}/statuses", json={"level": 3, "as_of": day(scene, "2020-12-03")},
        headers=login("verifier-tr"),
    )  # fmt: skip
    assert done.status_code == 201
    assert provisions(client, login, scene, on=day(scene, "2020-12-02"))["10"]["overdue"] is True
    assert provisions(client, login, scene, on=day(scene, "2020-12-03"))["10"]["overdue"] is False


def test_the_current_level_is_the_latest_assessment_by_date(
    session: Session, mission: Mission, member: Callable[[str], Actor], scene: Scene
) -> None:
    admin = member("admin")
    data = ProvisionIn(
        number="11", summary="Mine clearance", category="Cease Fire", deadline=scene.shifted(date(2020, 12, 20))
    )
    provision = service.create(session, mission, data, actor=admin)
    later, earlier = scene.shifted(date(2020, 11, 25)), scene.shifted(date(2020, 11, 20))
    service.assess(session, mission, provision.id, StatusIn(level=2, as_of=later), actor=admin)
    # An earlier assessment recorded later joins the history in its place; it does not become current.
    service.assess(session, mission, provision.id, StatusIn(level=1, as_of=earlier), actor=admin)
    assert (provision.level, provision.level_as_of) == (2, later)
    assert [s.level for s in service.statuses(session, provision)] == [1, 2]
    history = service.statuses(session, provision)
    assert service.level_on(history, scene.shifted(date(2020, 11, 19))) is None
    assert service.level_on(history, scene.shifted(date(2020, 11, 22))) == 1
    session.commit()


def moved(body: dict[str, Any], scene: Scene, mission: Mission) -> dict[str, Any]:
    """A body written with demo days (and BEFORE_START), its days moved into the scene's mission."""
    assert mission.starts_on is not None
    before_start = (mission.starts_on - timedelta(days=1)).isoformat()

    def moved_day(value: Any) -> Any:
        if value == BEFORE_START:
            return before_start
        if isinstance(value, str) and value.startswith("2020-"):
            return day(scene, value)
        return value

    return {key: moved_day(value) for key, value in body.items()}


@pytest.mark.parametrize(
    "body",
    [
        {"new_deadline": "2020-11-10", "decided_on": "2020-11-14"},  # earlier than the original
        {"new_deadline": "2020-11-20", "decided_on": "2020-11-14"},  # earlier than the extended deadline
        {"new_deadline": "2020-11-25", "decided_on": "2020-11-14"},  # the same day is no extension
        {"new_deadline": "2020-12-05", "decided_on": BEFORE_START},
        {"new_deadline": "not a date", "decided_on": "2020-11-14"},
    ],
)
def test_a_bad_extension_is_refused_and_nothing_stored(
    client: TestClient, login: Login, session: Session, scene: Scene, mission: Mission, body: dict[str, Any]
) -> None:
    # A provision due on the demo's 15 November, extended to the 25th (as the demo's Kalbajar point was).
    created = new_provision(client, login, scene, deadline=day(scene, "2020-11-15"))
    extension = {"new_deadline": day(scene, "2020-11-25"), "decided_on": day(scene, "2020-11-14")}
    extended = client.post(f"{url(scene)}/{created['id']}/extensions", json=extension, headers=login("admin"))
    assert extended.status_code == 201, extended.text
    before = counts(session)
    answer = client.post(
        f"{url(scene)}/{created['id']}/extensions", json=moved(body, scene, mission), headers=login("admin")
    )
    assert answer.status_code == 422, answer.text
    assert "detail" in answer.json()
    assert counts(session) == before
    assert provisions(client, login, scene)["10"]["deadline"] == day(scene, "2020-11-25")


def test_a_later_extension_moves_the_deadline_and_keeps_the_original(
    client: TestClient, login: Login, scene: Scene
) -> None:
    created = new_provision(client, login, scene, deadline=day(scene, "2020-12-01"))
    body = {"new_deadline": day(scene, "2020-12-05"), "decided_on": day(scene, "2020-11-28"), "note": "Illustrative."}
    answer = client.post(f"{url(scene)}/{created['id']}/extensions", json=body, headers=login("admin"))
    assert answer.status_code == 201, answer.text
    after = provisions(client, login, scene)["10"]
    assert (after["original_deadline"], after["deadline"]) == (day(scene, "2020-12-01"), day(scene, "2020-12-05"))


def test_a_provision_without_a_deadline_cannot_be_extended(client: TestClient, login: Login, scene: Scene) -> None:
    ceasefire = provisions(client, login, scene)["1"]
    assert ceasefire["deadline"] is None  # point 1 of either agreement: the ceasefire, for good
    body = {"new_deadline": day(scene, "2020-12-05"), "decided_on": day(scene, "2020-11-28")}
    answer = client.post(f"{url(scene)}/{ceasefire['id']}/extensions", json=body, headers=login("admin"))
    assert answer.status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        {"level": 4, "as_of": "2020-11-20"},
        {"level": -1, "as_of": "2020-11-20"},
        {"level": 2, "as_of": BEFORE_START},
        {"level": 2, "as_of": "2999-01-01"},
        {"level": 2, "as_of": "2020-11-20", "evidence": ["not-a-hash"]},
        {"level": 2, "as_of": "2020-11-20", "colour": "green"},
    ],
)
def test_a_bad_assessment_is_refused_and_nothing_stored(
    client: TestClient, login: Login, session: Session, scene: Scene, mission: Mission, body: dict[str, Any]
) -> None:
    withdrawal = provisions(client, login, scene)["2"]
    before = counts(session)
    answer = client.post(
        f"{url(scene)}/{withdrawal['id']}/statuses", json=moved(body, scene, mission), headers=login("verifier-ru")
    )
    assert answer.status_code == 422, answer.text
    assert counts(session) == before


def test_an_assessment_keeps_its_evidence(client: TestClient, login: Login, scene: Scene) -> None:
    withdrawal = provisions(client, login, scene)["2"]
    digest = "ab" * 32
    body = {"level": 3, "as_of": day(scene, "2020-11-21"), "note": "Photographs of the handover.", "evidence": [digest]}
    answer = client.post(f"{url(scene)}/{withdrawal['id']}/statuses", json=body, headers=login("verifier-tr"))
    assert answer.status_code == 201
    assert answer.json()["evidence"] == [digest]
    assert answer.json()["delegation"] == scene.delegation("tr")


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
    client: TestClient, login: Login, session: Session, scene: Scene, change: dict[str, Any], status: int
) -> None:
    before = counts(session)
    if "restricted_to" in change:
        change = {"restricted_to": [scene.delegation(code) for code in change["restricted_to"]]}
    body = {"number": "12", "summary": "x", "category": "Refugees", **change}
    answer = client.post(url(scene), json=body, headers=login("admin"))
    assert answer.status_code == status, answer.text
    assert counts(session) == before


def test_links_to_records_show_only_what_the_reader_may_see(client: TestClient, login: Login, scene: Scene) -> None:
    # The public reads only a public mission's records: the demo is one; the example mission is made one here.
    assert client.patch(scene.api, json={"public": True}, headers=login("admin")).status_code == 200
    created = new_provision(client, login, scene)
    properties = {"type": "fire", "subtype": "sniper", "start": scene.moment(10), "source": "post",
                  "classification": "restricted", "restricted_to": [scene.delegation("ru")]}  # fmt: skip
    restricted = client.post(
        f"{scene.api}/incidents", json=point_feature(*scene.point, **properties), headers=login("monitor-ru")
    ).json()
    linked = client.post(
        f"{url(scene)}/{created['id']}/links",
        json={"kind": "incidents", "id": restricted["id"]},
        headers=login("admin"),
    )
    assert linked.status_code == 200, linked.text
    assert linked.json()["links"] == {"incidents": [restricted["id"]]}
    # Linking twice changes nothing.
    again = client.post(
        f"{url(scene)}/{created['id']}/links",
        json={"kind": "incidents", "id": restricted["id"]},
        headers=login("admin"),
    )
    assert again.json()["links"] == {"incidents": [restricted["id"]]}
    assert provisions(client, login, scene, "public")["10"]["links"] == {}
    assert provisions(client, login, scene, "verifier-tr")["10"]["links"] == {}


@pytest.mark.parametrize("target", [{"kind": "incidents", "id": 987654}, {"kind": "claims", "id": 987654}])
def test_a_link_to_nothing_is_refused(client: TestClient, login: Login, scene: Scene, target: dict[str, Any]) -> None:
    created = new_provision(client, login, scene)
    answer = client.post(f"{url(scene)}/{created['id']}/links", json=target, headers=login("verifier-ru"))
    assert answer.status_code == 422


@pytest.mark.demo_content  # the demo's exchanges, returns and claims cite its points 7 and 8
def test_the_demo_links_provisions_to_what_bears_on_them(client: TestClient, login: Login, scene: Scene) -> None:
    found = provisions(client, login, scene)
    assert found["8"]["links"]["exchanges"]
    assert found["7"]["links"]["movements"]
    detail = client.get(f"{url(scene)}/{found['7']['id']}", headers=login("public")).json()
    assert len(detail["links"]["claims"]) >= 4  # the defence ministry's return figures cite point 7


def test_assessments_are_logged_with_the_assessing_delegation(
    session: Session, mission: Mission, member: Callable[[str], Actor], scene: Scene
) -> None:
    verifier = member("verifier-tr")
    withdrawal = next(p for p in service.list_provisions(session, mission, actor=verifier) if p.number == "2")
    before = ledger.size(session)
    as_of = scene.shifted(date(2020, 11, 30))
    service.assess(session, mission, withdrawal.id, StatusIn(level=2, as_of=as_of), actor=verifier)
    entries = ledger.entries(session, before, ledger.size(session))
    east = scene.delegation("tr")
    assert [(e.action, e.delegation) for e in entries] == [("provision.assess", east), ("provision.status", east)]


def test_the_operator_assesses_without_a_delegation(session: Session, mission: Mission, scene: Scene) -> None:
    system = Actor.system(mission.id)
    provision = service.list_provisions(session, mission, actor=system)[0]
    as_of = scene.shifted(date(2020, 11, 30))
    status = service.assess(session, mission, provision.id, StatusIn(level=2, as_of=as_of), actor=system)
    assert status.delegation is None
