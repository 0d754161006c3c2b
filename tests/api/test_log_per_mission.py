"""The log is per mission: who reads an entry depends on their standing in the entry's own mission."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from mission_examples import Scene
from support import Login, point_feature
from truce.demo import loader
from truce.ledger import service as ledger
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.missions.schemas import DelegationIn, MissionIn, PartyIn
from truce.places import service as places_service
from truce.places.schemas import SiteIn
from truce.policy import Actor
from truce.users import service as users_service


def entries(client: TestClient, login: Login, account: str, start: int, end: int) -> dict[tuple[str, str], bool]:
    """(entity type, entity id) -> whether `account` is shown the entry's data; the last entry per record."""
    answer = client.get("/api/v1/log/entries", params={"start": start, "end": end}, headers=login(account))
    assert answer.status_code == 200, answer.text
    listed = answer.json()
    assert [e["index"] for e in listed] == list(range(start, end))
    shown: dict[tuple[str, str], bool] = {}
    for entry in listed:
        if "data" in entry:
            shown[(entry["entity_type"], entry["entity_id"])] = True
    return shown


@pytest.fixture
def two_missions(session: Session, mission: Mission, scene: Scene) -> dict[str, Any]:
    """A second, private mission with its own admin and monitor, a public site, and a new account and public site
    in the scene's mission."""
    start = ledger.size(session)
    system = Actor.system()
    other = missions_service.create(session, MissionIn(slug="other-2021", name="Another mission"), actor=system)
    scoped = Actor.system(other.id)
    missions_service.create_party(session, other, PartyIn(code="x", name="X", kind="side"), actor=scoped)
    missions_service.create_delegation(session, other, DelegationIn(code="x", name="X", party="x"), actor=scoped)
    made = {}
    for name, role in (("admin-other", "admin"), ("monitor-other", "monitor")):
        user = users_service.create(
            session, name, loader.DEMO_PASSWORD, mission=other, role=role, delegation_code="x", actor=scoped
        )
        made[name] = str(user.id)
    feature = point_feature(46.7, 39.7, name="Other public post", kind="post", classification="public")
    other_site = places_service.create_site(session, other, SiteIn.model_validate(feature), actor=scoped)
    nk_user = users_service.create(
        session, "analyst-new", loader.DEMO_PASSWORD, mission=mission, role="analyst",
        delegation_code=scene.delegation("ru"), actor=Actor.system(mission.id),
    )  # fmt: skip
    feature = point_feature(*scene.at(46.8, 39.8), name="Nk public post", kind="post", classification="public")
    nk_site = places_service.create_site(
        session, mission, SiteIn.model_validate(feature), actor=Actor.system(mission.id)
    )
    session.commit()
    return {
        "start": start,
        "end": ledger.size(session),
        "other_users": made,
        "nk_user": str(nk_user.id),
        "other_site": str(other_site.id),
        "nk_site": str(nk_site.id),
    }


def test_an_admin_reads_the_accounts_of_their_own_mission_only(
    client: TestClient, login: Login, two_missions: dict[str, Any]
) -> None:
    nk_admin = entries(client, login, "admin", two_missions["start"], two_missions["end"])
    assert ("users", two_missions["nk_user"]) in nk_admin
    for user_id in two_missions["other_users"].values():
        assert ("users", user_id) not in nk_admin
    other_admin = entries(client, login, "admin-other", two_missions["start"], two_missions["end"])
    assert ("users", two_missions["nk_user"]) not in other_admin
    for user_id in two_missions["other_users"].values():
        assert ("users", user_id) in other_admin


@pytest.mark.parametrize("account", ["admin", "monitor-ru", "liaison-am"])
def test_public_records_of_a_private_mission_stay_inside_it(
    client: TestClient, login: Login, two_missions: dict[str, Any], account: str
) -> None:
    shown = entries(client, login, account, two_missions["start"], two_missions["end"])
    assert ("sites", two_missions["other_site"]) not in shown
    assert ("sites", two_missions["nk_site"]) in shown


def test_a_member_of_a_private_mission_reads_it_and_public_missions(
    client: TestClient, login: Login, two_missions: dict[str, Any], mission: Mission
) -> None:
    shown = entries(client, login, "monitor-other", two_missions["start"], two_missions["end"])
    assert ("sites", two_missions["other_site"]) in shown
    # nk-2020 is public: its public records are everyone's, members of other missions included; the example mission
    # is private, so its public records stay inside it.
    assert (("sites", two_missions["nk_site"]) in shown) is mission.public
    assert ("users", two_missions["nk_user"]) not in shown
