"""`truce mission create`: a mission and everything its file says, through the services, in the caller's
transaction (so in one commit, every record logged)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from truce import placeflow, policy
from truce.agreement import service as agreement_service
from truce.errors import Forbidden, Message
from truce.missionfile.spec import MissionSpec
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.policy import Actor
from truce.users import service as users_service


@dataclass(frozen=True)
class FirstAdmin:
    """The mission's first administrator, named by the operator who creates it."""

    username: str
    password: str = field(repr=False)
    delegation: str = ""


def create(
    session: Session, spec: MissionSpec, *, actor: Actor, first_admin: FirstAdmin | None = None
) -> tuple[Mission, list[str]]:
    """Create the mission of a checked file (and its first administrator); what was created, one line per record."""
    if not policy.creates_missions(actor):
        raise Forbidden(Message("only an operator of this installation creates missions"))
    mission = missions_service.create(session, spec.mission, actor=policy.setting_up(actor, None))
    setup = policy.setting_up(actor, mission.id)
    created = [f"mission {mission.slug}"]
    for party in spec.parties:
        missions_service.create_party(session, mission, party, actor=setup)
        created.append(f"party {party.code}")
    for delegation in spec.delegations:
        missions_service.create_delegation(session, mission, delegation, actor=setup)
        created.append(f"delegation {delegation.code}")
    created += add_places(session, mission, spec, setup)
    for provision in spec.provisions:
        agreement_service.create(session, mission, provision, actor=setup)
        created.append(f"provision {provision.number}")
    if first_admin is not None:
        users_service.create(
            session, first_admin.username, first_admin.password, mission=mission, role="admin",
            delegation_code=first_admin.delegation, actor=setup,
        )  # fmt: skip
        created.append(f"user {first_admin.username}")
    return mission, created


def add_places(session: Session, mission: Mission, spec: MissionSpec, actor: Actor) -> list[str]:
    """Lines, then areas, then sites; the incidents (if any) are derived again once, after the last place."""
    created: list[str] = []
    with placeflow.batch(session, mission, actor=actor) as changes:
        for kind in ("lines", "areas", "sites"):
            for item in spec.places.get(kind, []):
                placeflow.create(session, mission, item.feature, actor=actor, within=changes)
                created.append(f"{kind[:-1]} {item.feature.properties.name}")
    return created
