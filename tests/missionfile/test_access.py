"""Who may set up missions: only an operator (or the command line) creates one; a mission's administrators
change their own mission and no other. Every demo account, the public and an operator, against each action."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from mission_examples import EXAMPLE
from support import ACCOUNTS
from truce.errors import Forbidden, TruceError
from truce.missionfile import apply, create, export, spec
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.policy import Actor
from truce.users import service as users_service

WHO = [*ACCOUNTS, "operator"]


@pytest.fixture
def as_who(session: Session, mission: Mission, member: Callable[[str], Actor]) -> Callable[[str], Actor]:
    def actor(who: str) -> Actor:
        if who == "public":
            return Actor.anonymous(mission.id)
        if who == "operator":
            user = users_service.create_operator(session, "ops", "a-long-password", actor=Actor.system())
            return users_service.actor_for(session, user, None)
        return member(who)

    return actor


@pytest.mark.parametrize("who", WHO)
def test_only_an_operator_creates_a_mission(session: Session, as_who: Callable[[str], Actor], who: str) -> None:
    actor = as_who(who)
    checked = spec.read(EXAMPLE)
    if who == "operator":
        mission, _ = create.create(session, checked, actor=actor)
        assert mission.slug == "valley-buffer"
        return
    with pytest.raises(Forbidden, match="only an operator"), session.begin_nested():
        create.create(session, checked, actor=actor)
    assert missions_service.get_by_slug(session, "valley-buffer") is None


@pytest.mark.parametrize("who", WHO)
def test_who_changes_a_missions_settings(
    session: Session, mission: Mission, as_who: Callable[[str], Actor], who: str
) -> None:
    document = export.mission_file(session, mission)
    document["verification"]["quorum"] = 3
    plan = apply.plan(session, mission, spec.from_data(document, base=None))
    if who in ("admin", "operator"):
        apply.apply(session, mission, plan, actor=as_who(who))
        assert mission.quorum_delegations == 3
        return
    with pytest.raises(TruceError):
        apply.apply(session, mission, plan, actor=as_who(who))
    assert mission.quorum_delegations == 2


def test_an_administrator_cannot_touch_another_mission(session: Session, member: Callable[[str], Actor]) -> None:
    other, _ = create.create(session, spec.read(EXAMPLE), actor=Actor.system())
    document = export.mission_file(session, other)
    document["verification"]["quorum"] = 2
    plan = apply.plan(session, other, spec.from_data(document, base=None))
    admin_of_nk = member("admin")
    with pytest.raises(Forbidden):
        apply.apply(session, other, plan, actor=admin_of_nk)
    with pytest.raises(Forbidden):
        missions_service.configure(session, other, spec.read(EXAMPLE).mission, actor=admin_of_nk)
    assert other.quorum_delegations == 1


@pytest.mark.parametrize("who", WHO)
def test_only_an_operator_names_operators(session: Session, as_who: Callable[[str], Actor], who: str) -> None:
    actor = as_who(who)
    if who == "operator":
        assert users_service.create_operator(session, "ops2", "a-long-password", actor=actor).operator
        return
    with pytest.raises(Forbidden):
        users_service.create_operator(session, "ops2", "a-long-password", actor=actor)
