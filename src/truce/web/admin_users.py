"""The mission's members as the users page lists them (administrators only, as the policy says)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from truce import policy
from truce.missions.models import Delegation, Mission
from truce.policy import Actor
from truce.users.models import Membership, User


@dataclass(frozen=True)
class Member:
    username: str
    display_name: str
    role: str
    delegation: str
    active: bool


def members(session: Session, mission: Mission, *, actor: Actor) -> list[Member]:
    """Everyone holding a role in the mission, by delegation and name."""
    policy.require(actor, "user.read", mission.id)
    rows = session.execute(
        select(User.username, User.display_name, Membership.role, Delegation.code, User.active)
        .join(Membership, Membership.user_id == User.id)
        .join(Delegation, Delegation.id == Membership.delegation_id)
        .where(Membership.mission_id == mission.id)
        .order_by(Delegation.code, User.username)
    )
    return [Member(*row) for row in rows]
