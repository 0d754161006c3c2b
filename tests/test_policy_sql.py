"""policy.readable(), the WHERE clause every list and export applies, keeps what policy.can_read() allows.

On every backend: the access matrices run on SQLite only, and the clause matches restricted_to inside JSON text,
which each backend renders its own way.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mission_examples import Scene
from support import ACCOUNTS, point_feature
from truce import policy
from truce.incidents.models import Incident
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.missions.schemas import MissionIn
from truce.places import service as places_service
from truce.places.models import Site
from truce.places.schemas import SiteIn
from truce.policy import Actor

RESTRICTIONS = [["tr"], ["am", "tr"], ["ru"], []]  # the demo's delegations; Scene.delegation gives another's


def reader(member: Callable[[str], Actor], mission: Mission, account: str) -> Actor:
    return Actor.anonymous(mission.id) if account == "public" else member(account)


@pytest.fixture
def sites(session: Session, mission: Mission, scene: Scene) -> list[Site]:
    """A site of every classification (restricted to one, two or no delegations), and others in another mission."""
    other = missions_service.create(session, MissionIn(slug="other-2021", name="Another mission"), actor=Actor.system())
    levels = ("mission", "parties", "public")
    made = [_site(session, scene, where, level, []) for where in (mission, other) for level in levels]
    made.extend(
        _site(session, scene, mission, "restricted", [scene.delegation(code) for code in delegations])
        for delegations in RESTRICTIONS
    )
    session.flush()
    return made


def _site(session: Session, scene: Scene, mission: Mission, classification: str, restricted_to: list[str]) -> Site:
    name = f"{classification} {'-'.join(restricted_to)} site"
    feature = SiteIn.model_validate(
        point_feature(*scene.point, name=name, kind="post", classification=classification, restricted_to=restricted_to)
    )
    return places_service.create_site(session, mission, feature, actor=Actor.system(mission.id))


@pytest.mark.parametrize("account", ACCOUNTS)
def test_the_clause_keeps_the_sites_can_read_allows(
    session: Session, mission: Mission, member: Callable[[str], Actor], sites: list[Site], account: str
) -> None:
    actor = reader(member, mission, account)
    ids = [site.id for site in sites]
    kept = set(session.scalars(select(Site.id).where(Site.id.in_(ids), policy.readable(actor, Site))))
    assert kept == {site.id for site in sites if policy.can_read(actor, site)}
    assert kept, "every account reads at least the public site"


@pytest.mark.parametrize("account", ACCOUNTS)
def test_the_clause_keeps_the_incidents_can_read_allows(
    session: Session, mission: Mission, member: Callable[[str], Actor], account: str
) -> None:
    """The demo's incidents: every classification, restrictions, and what each delegation filed itself."""
    actor = reader(member, mission, account)
    incidents = list(session.scalars(select(Incident)))
    kept = set(session.scalars(select(Incident.id).where(policy.readable(actor, Incident))))
    assert kept == {incident.id for incident in incidents if policy.can_read(actor, incident)}
