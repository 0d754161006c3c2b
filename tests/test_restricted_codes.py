"""Restricted means restricted: a record's delegations are matched exactly, and delegation codes are safe.

Before, `restricted_to` was matched with SQL LIKE on the JSON text, where `_` is a wildcard: a member of a
delegation coded `a_` saw records restricted to `am` in every list, map, export and phone's site list.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import update
from sqlalchemy.orm import Session

from mission_examples import Scene
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

ACCOUNTS = ["monitor-a_", "liaison-am"]  # a member of the legacy delegation, and of the one its code is a pattern of


def wildcard(scene: Scene) -> str:
    """A legacy code that, as a LIKE pattern, matches the `am` delegation's code (or its counterpart's): `a_`."""
    return scene.delegation("am")[:-1] + "_"


def who(scene: Scene, account: str) -> str:
    """The account in the scene's mission: `monitor-a_` is the legacy delegation's monitor there."""
    return f"monitor-{wildcard(scene)}" if account == "monitor-a_" else scene.account(account)


def window(scene: Scene) -> dict[str, object]:
    """The scene's day, mission time."""
    since = scene.moment(0)
    return {"since": since, "until": scene.moment(0, day=scene.day + timedelta(days=1)), "limit": 10_000}


@dataclass(frozen=True)
class Restricted:
    """Records restricted to `am`, and one restricted to the `a_` delegation itself."""

    incident: int
    site: int
    site_name: str
    own_site: int


def legacy_delegation(session: Session, mission: Mission, code: str, party: str) -> None:
    """A delegation whose code today's rule refuses, as a database made before the rule may hold."""
    delegation = missions_service.create_delegation(
        session, mission, DelegationIn(code="legacy", name="Legacy", party=party), actor=Actor.system(mission.id)
    )
    session.flush()
    # Past the model's check on purpose: this is the row an older Truce could have written.
    session.execute(update(Delegation).where(Delegation.id == delegation.id).values(code=code))
    session.expire(delegation)


def restricted_site(session: Session, mission: Mission, scene: Scene, name: str, codes: list[str]) -> int:
    feature = point_feature(
        *scene.at(46.75, 39.85), name=name, kind="post", classification="restricted", restricted_to=codes
    )
    site = places_service.create_site(session, mission, SiteIn.model_validate(feature), actor=Actor.system(mission.id))
    return site.id


@pytest.fixture
def restricted(session: Session, mission: Mission, client: TestClient, login: Login, scene: Scene) -> Restricted:
    legacy, target = wildcard(scene), scene.delegation("am")
    legacy_delegation(session, mission, legacy, scene.delegation("am"))
    users_service.create(
        session, who(scene, "monitor-a_"), loader.DEMO_PASSWORD, mission=mission, role="monitor",
        delegation_code=legacy, actor=Actor.system(mission.id),
    )  # fmt: skip
    site = restricted_site(session, mission, scene, "Armenian liaison post", [target])
    own_site = restricted_site(session, mission, scene, "Legacy delegation post", [legacy])
    session.commit()
    body = point_feature(
        *scene.point, type="fire", subtype="small_arms", start=scene.moment(10), source="post",
        classification="restricted", restricted_to=[target],
    )  # fmt: skip
    answer = client.post(f"{scene.api}/incidents", json=body, headers=login("verifier-tr"))
    assert answer.status_code == 201, answer.text
    return Restricted(int(answer.json()["id"]), site, "Armenian liaison post", own_site)


@pytest.mark.parametrize("account", ACCOUNTS)
def test_api_lists_match_the_delegation_exactly(
    client: TestClient, login: Login, restricted: Restricted, account: str, scene: Scene
) -> None:
    headers = login(who(scene, account))
    may = account == "liaison-am"
    base, day = scene.api, window(scene)
    incidents = client.get(f"{base}/incidents", params=day, headers=headers).json()["features"]
    assert (restricted.incident in {f["id"] for f in incidents}) == may
    # With a box, the map's query: on SQLite its clause is rewritten for the R*Tree (geo.unindexed).
    box = ",".join(str(v) for v in (*scene.at(46.7, 39.8), *scene.at(46.9, 40.0)))
    boxed = client.get(f"{base}/incidents", params={**day, "bbox": box}, headers=headers)
    assert (restricted.incident in {f["id"] for f in boxed.json()["features"]}) == may
    sites = {f["id"] for f in client.get(f"{base}/sites", headers=headers).json()["features"]}
    assert (restricted.site in sites) == may
    # The legacy code still matches itself: exact, not merely stricter.
    assert (restricted.own_site in sites) == (account == "monitor-a_")
    assert client.get(f"{base}/incidents/{restricted.incident}", headers=headers).status_code == (200 if may else 404)


@pytest.mark.parametrize("account", ACCOUNTS)
def test_the_map_matches_the_delegation_exactly(
    client: TestClient, restricted: Restricted, db: Database, account: str, scene: Scene
) -> None:
    web = WebClient(client, db).login(who(scene, account))
    may = account == "liaison-am"
    rows = web.get(f"/m/{scene.slug}/map/incidents.json").json()["rows"]
    assert (restricted.incident in {row[0] for row in rows}) == may
    sites = web.get(f"/m/{scene.slug}/map/places.json").json()["sites"]["features"]
    assert (restricted.site in {f["id"] for f in sites}) == may


@pytest.mark.parametrize("account", ACCOUNTS)
def test_exports_match_the_delegation_exactly(
    session: Session, mission: Mission, restricted: Restricted, account: str, scene: Scene
) -> None:
    actor = users_service.actor_for(session, users_service.get_by_name(session, who(scene, account)), mission)
    out = io.StringIO()
    csv_export.write(session, view_for(session, mission, actor), out, lambda _: None)
    ids = {line.split(",", 1)[0] for line in out.getvalue().splitlines()[1:]}
    assert (str(restricted.incident) in ids) == (account == "liaison-am")


def test_the_phones_site_list_matches_the_delegation_exactly(
    client: TestClient, restricted: Restricted, scene: Scene
) -> None:
    def posts_csv(username: str) -> str:
        phone = Phone(client, basic(who(scene, username), loader.DEMO_PASSWORD))
        answer = phone.get(f"/openrosa/{scene.slug}/forms/truce-{scene.slug}-incident/media/posts.csv")
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


def test_the_api_refuses_an_unsafe_code(client: TestClient, login: Login, scene: Scene) -> None:
    body = {"code": wildcard(scene), "name": "Wildcard", "party": scene.delegation("am")}
    answer = client.post(f"{scene.api}/delegations", json=body, headers=login("admin"))
    assert answer.status_code == 422, answer.text
