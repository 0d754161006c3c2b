"""Restricted means restricted: a record's delegations are matched exactly, and delegation codes are safe.

Before, `restricted_to` was matched with SQL LIKE on the JSON text, where `_` is a wildcard: a member of a
delegation coded `a_` saw records restricted to `am` in every list, map, export and phone's site list.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import update
from sqlalchemy.orm import Session

from openrosa.collect import Phone, basic
from support import Login, point_feature
from truce.db import Database
from truce.demo import loader
from truce.errors import Invalid
from truce.interop import csv_export
from truce.interop.export import view_for
from truce.missions import service as missions_service
from truce.missions.models import Delegation, Mission
from truce.missions.schemas import DelegationIn
from truce.places import service as places_service
from truce.places.schemas import SiteIn
from truce.policy import Actor
from truce.users import service as users_service
from web.conftest import WebClient

BASE = "/api/v1/missions/nk-2020"
WINDOW = {"since": "2020-11-21T00:00:00+04:00", "until": "2020-11-22T00:00:00+04:00", "limit": 10_000}


@dataclass(frozen=True)
class Restricted:
    """Records restricted to `am`, and one restricted to the `a_` delegation itself."""

    incident: int
    site: int
    site_name: str
    own_site: int


def legacy_delegation(session: Session, mission: Mission, code: str) -> None:
    """A delegation whose code today's rule refuses, as a database made before the rule may hold."""
    delegation = missions_service.create_delegation(
        session, mission, DelegationIn(code="legacy", name="Legacy", party="am"), actor=Actor.system(mission.id)
    )
    session.flush()
    # Past the model's check on purpose: this is the row an older Truce could have written.
    session.execute(update(Delegation).where(Delegation.id == delegation.id).values(code=code))
    session.expire(delegation)


def restricted_site(session: Session, mission: Mission, name: str, codes: list[str]) -> int:
    feature = point_feature(46.75, 39.85, name=name, kind="post", classification="restricted", restricted_to=codes)
    site = places_service.create_site(session, mission, SiteIn.model_validate(feature), actor=Actor.system(mission.id))
    return site.id


@pytest.fixture
def restricted(session: Session, mission: Mission, client: TestClient, login: Login) -> Restricted:
    legacy_delegation(session, mission, "a_")
    users_service.create(
        session, "monitor-a_", loader.DEMO_PASSWORD, mission=mission, role="monitor", delegation_code="a_",
        actor=Actor.system(mission.id),
    )  # fmt: skip
    site = restricted_site(session, mission, "Armenian liaison post", ["am"])
    own_site = restricted_site(session, mission, "Legacy delegation post", ["a_"])
    session.commit()
    body = point_feature(
        46.8, 39.9, type="fire", subtype="small_arms", start="2020-11-21T10:00:00+04:00", source="post",
        classification="restricted", restricted_to=["am"],
    )  # fmt: skip
    answer = client.post(f"{BASE}/incidents", json=body, headers=login("verifier-tr"))
    assert answer.status_code == 201, answer.text
    return Restricted(int(answer.json()["id"]), site, "Armenian liaison post", own_site)


@pytest.mark.parametrize("account", ["monitor-a_", "liaison-am"])
def test_api_lists_match_the_delegation_exactly(
    client: TestClient, login: Login, restricted: Restricted, account: str
) -> None:
    headers = login(account)
    may = account == "liaison-am"
    incidents = client.get(f"{BASE}/incidents", params=WINDOW, headers=headers).json()["features"]
    assert (restricted.incident in {f["id"] for f in incidents}) == may
    # With a box, the map's query: on SQLite its clause is rewritten for the R*Tree (geo.unindexed).
    boxed = client.get(f"{BASE}/incidents", params={**WINDOW, "bbox": "46.7,39.8,46.9,40.0"}, headers=headers)
    assert (restricted.incident in {f["id"] for f in boxed.json()["features"]}) == may
    sites = {f["id"] for f in client.get(f"{BASE}/sites", headers=headers).json()["features"]}
    assert (restricted.site in sites) == may
    # The legacy code still matches itself: exact, not merely stricter.
    assert (restricted.own_site in sites) == (account == "monitor-a_")
    assert client.get(f"{BASE}/incidents/{restricted.incident}", headers=headers).status_code == (200 if may else 404)


@pytest.mark.parametrize("account", ["monitor-a_", "liaison-am"])
def test_the_map_matches_the_delegation_exactly(
    client: TestClient, restricted: Restricted, db: Database, account: str
) -> None:
    web = WebClient(client, db).login(account)
    may = account == "liaison-am"
    rows = web.get("/m/nk-2020/map/incidents.json").json()["rows"]
    assert (restricted.incident in {row[0] for row in rows}) == may
    sites = web.get("/m/nk-2020/map/places.json").json()["sites"]["features"]
    assert (restricted.site in {f["id"] for f in sites}) == may


@pytest.mark.parametrize("account", ["monitor-a_", "liaison-am"])
def test_exports_match_the_delegation_exactly(
    session: Session, mission: Mission, restricted: Restricted, account: str
) -> None:
    actor = users_service.actor_for(session, users_service.get_by_name(session, account), mission)
    out = io.StringIO()
    csv_export.write(session, view_for(session, mission, actor), out, lambda _: None)
    ids = {line.split(",", 1)[0] for line in out.getvalue().splitlines()[1:]}
    assert (str(restricted.incident) in ids) == (account == "liaison-am")


def test_the_phones_site_list_matches_the_delegation_exactly(client: TestClient, restricted: Restricted) -> None:
    def posts_csv(username: str) -> str:
        phone = Phone(client, basic(username, loader.DEMO_PASSWORD))
        answer = phone.get("/openrosa/nk-2020/forms/truce-nk-2020-incident/media/posts.csv")
        assert answer.status_code == 200, answer.text
        return str(answer.text)

    assert restricted.site_name not in posts_csv("monitor-a_")
    assert "Legacy delegation post" in posts_csv("monitor-a_")
    assert restricted.site_name not in posts_csv("monitor-ru")


@pytest.mark.parametrize("code", ["%", "a%", "_m", "a_", "A", "1a", "a b", 'a"', "a\\", "", "a" * 33])
def test_unsafe_delegation_codes_are_refused(session: Session, mission: Mission, code: str) -> None:
    with pytest.raises(ValidationError):
        DelegationIn(code=code, name="Unsafe", party="am")
    # Nor can a row be made with one, whichever way it is built.
    with pytest.raises(Invalid):
        Delegation(mission_id=mission.id, party_id=1, code=code, name="Unsafe")


@pytest.mark.parametrize("code", ["x", "ru", "unhcr", "ru-2", "observers-2020"])
def test_safe_delegation_codes_are_taken(code: str) -> None:
    assert DelegationIn(code=code, name="Safe", party="am").code == code


def test_the_api_refuses_an_unsafe_code(client: TestClient, login: Login) -> None:
    body = {"code": "a_", "name": "Wildcard", "party": "am"}
    answer = client.post(f"{BASE}/delegations", json=body, headers=login("admin"))
    assert answer.status_code == 422, answer.text
