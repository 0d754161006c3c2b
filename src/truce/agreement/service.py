"""Provisions of the agreement: create, list, read, assess on the 0-3 scale, extend deadlines, link records."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from truce import links, policy
from truce.agreement.models import LEVELS, DeadlineExtension, Provision, ProvisionStatus
from truce.agreement.schemas import ExtensionIn, LinkIn, ProvisionIn, StatusIn
from truce.errors import Conflict, Forbidden, Invalid, Message
from truce.ledger import service as ledger
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.policy import Actor


def create(session: Session, mission: Mission, data: ProvisionIn, *, actor: Actor) -> Provision:
    """Add one obligation of the agreement (administrators)."""
    policy.require(actor, "provision.write", mission.id)
    _check_parties(session, mission, data.responsible, "responsible")
    missions_service.check_restricted_to(session, mission, data.classification, data.restricted_to)
    exists = session.scalar(
        select(Provision.id).where(Provision.mission_id == mission.id, Provision.number == data.number)
    )
    if exists is not None:
        raise Conflict(
            Message(
                "mission %(mission)s already has a provision numbered %(number)r",
                mission=mission.slug,
                number=data.number,
            )
        )
    provision = Provision(mission_id=mission.id, original_deadline=data.deadline, **data.model_dump())
    session.add(provision)
    ledger.record(session, actor, "provision.create", provision)
    return provision


def revise(session: Session, mission: Mission, provision: Provision, data: ProvisionIn, *, actor: Actor) -> None:
    """Correct a provision's wording, category, parties or classification; its deadline only while never extended."""
    policy.require(actor, "provision.write", mission.id)
    _check_parties(session, mission, data.responsible, "responsible")
    missions_service.check_restricted_to(session, mission, data.classification, data.restricted_to)
    if data.deadline != provision.original_deadline:
        if provision.deadline != provision.original_deadline:
            raise Conflict(
                Message(
                    "provision %(number)s's deadline was extended; record a new extension instead",
                    number=provision.number,
                )
            )
        provision.original_deadline = provision.deadline = data.deadline
    for name in ("summary", "text", "category", "responsible", "classification", "restricted_to"):
        setattr(provision, name, getattr(data, name))
    ledger.record(session, actor, "provision.update", provision)


def _check_parties(session: Session, mission: Mission, codes: list[str], field: str) -> None:
    unknown = sorted(set(codes) - {p.code for p in missions_service.parties(session, mission)})
    if unknown:
        raise Invalid(Message("unknown party codes %(codes)s", codes=", ".join(unknown)), field)


def list_provisions(session: Session, mission: Mission, *, actor: Actor) -> list[Provision]:
    """The provisions the actor may read, in the agreement's order (6.1 after 5, 10 after 9)."""
    stmt = select(Provision).where(Provision.mission_id == mission.id, policy.readable(actor, Provision))
    return sorted(session.execute(stmt).scalars(), key=lambda p: _number_key(p.number))


def _number_key(number: str) -> list[tuple[int, str]]:
    return [(int(part), "") if part.isdigit() else (1 << 30, part) for part in re.split(r"[.-]", number)]


def get(session: Session, mission: Mission, provision_id: int, *, actor: Actor) -> Provision:
    """One provision, if the actor may read it."""
    return policy.get_readable(session, Provision, mission, provision_id, actor, "provision")


def assess(session: Session, mission: Mission, provision_id: int, data: StatusIn, *, actor: Actor) -> ProvisionStatus:
    """Record a delegation's view of how far a provision is implemented on a date (verifiers, administrators)."""
    provision = get(session, mission, provision_id, actor=actor)
    policy.require(actor, "provision.assess", mission.id)
    if not policy.assesses_for_delegation(actor):
        raise Forbidden(Message("assessments are given by a person of a delegation"))
    missions_service.check_day(mission, data.as_of, "as_of")
    status = ProvisionStatus(
        mission_id=mission.id,
        provision_id=provision.id,
        level=data.level,
        as_of=data.as_of,
        delegation=actor.delegation_code,
        assessor_id=actor.user_id,
        note=data.note,
        evidence=sorted(set(data.evidence)),
        classification=provision.classification,
        restricted_to=list(provision.restricted_to),
    )
    session.add(status)
    ledger.record(session, actor, "provision.assess", status)
    latest = statuses(session, provision)[-1]
    if (provision.level, provision.level_as_of) != (latest.level, latest.as_of):
        provision.level, provision.level_as_of = latest.level, latest.as_of
        ledger.record(session, actor, "provision.status", provision)
    return status


def statuses(session: Session, provision: Provision) -> list[ProvisionStatus]:
    """Every assessment of the provision, by date and then by when it was recorded."""
    stmt = select(ProvisionStatus).where(ProvisionStatus.provision_id == provision.id)
    return list(session.execute(stmt.order_by(ProvisionStatus.as_of, ProvisionStatus.id)).scalars())


def list_statuses(session: Session, mission: Mission, provision_id: int, *, actor: Actor) -> list[ProvisionStatus]:
    """The status history of a provision the actor may read."""
    provision = get(session, mission, provision_id, actor=actor)
    return [s for s in statuses(session, provision) if policy.can_read(actor, s)]


def extend_deadline(
    session: Session, mission: Mission, provision_id: int, data: ExtensionIn, *, actor: Actor
) -> DeadlineExtension:
    """Move a deadline later (administrators); the original deadline is kept, an earlier date refused."""
    provision = get(session, mission, provision_id, actor=actor)
    policy.require(actor, "provision.write", mission.id)
    if provision.deadline is None:
        raise Conflict(Message("provision %(number)s has no deadline to extend", number=provision.number))
    if data.new_deadline <= provision.deadline:
        raise Invalid(
            Message(
                "%(day)s is not later than the current deadline %(deadline)s (originally %(original)s); "
                "an extension moves a deadline later",
                day=data.new_deadline.isoformat(),
                deadline=provision.deadline.isoformat(),
                original=provision.original_deadline.isoformat() if provision.original_deadline else None,
            ),
            "new_deadline",
        )
    missions_service.check_day(mission, data.decided_on, "decided_on")
    extension = DeadlineExtension(
        mission_id=mission.id,
        provision_id=provision.id,
        previous_deadline=provision.deadline,
        new_deadline=data.new_deadline,
        decided_on=data.decided_on,
        note=data.note,
        author_id=actor.user_id,
        delegation=actor.delegation_code,
        classification=provision.classification,
        restricted_to=list(provision.restricted_to),
    )
    session.add(extension)
    ledger.record(session, actor, "provision.extension", extension)
    provision.deadline = data.new_deadline
    ledger.record(session, actor, "provision.deadline", provision)
    return extension


def extensions(session: Session, provision: Provision) -> list[DeadlineExtension]:
    """Every extension of the provision's deadline, oldest first."""
    stmt = select(DeadlineExtension).where(DeadlineExtension.provision_id == provision.id)
    return list(session.execute(stmt.order_by(DeadlineExtension.id)).scalars())


def list_extensions(session: Session, mission: Mission, provision_id: int, *, actor: Actor) -> list[DeadlineExtension]:
    """The deadline extensions of a provision the actor may read."""
    provision = get(session, mission, provision_id, actor=actor)
    return [e for e in extensions(session, provision) if policy.can_read(actor, e)]


def link(session: Session, mission: Mission, provision_id: int, data: LinkIn, *, actor: Actor) -> Provision:
    """Link an incident, movement, exchange or claim that bears on the provision (verifiers, administrators)."""
    provision = get(session, mission, provision_id, actor=actor)
    policy.require(actor, "provision.link", mission.id)
    links.check_target(session, mission, data.kind, data.id, actor, "id")
    if data.id in provision.links.get(data.kind, []):
        return provision
    provision.links = links.add(provision.links, data.kind, data.id)
    ledger.record(session, actor, "provision.link", provision)
    return provision


def histories(session: Session, mission: Mission) -> dict[int, list[ProvisionStatus]]:
    """Every provision's assessments in the mission, by provision id, in date order."""
    stmt = select(ProvisionStatus).where(ProvisionStatus.mission_id == mission.id)
    found: dict[int, list[ProvisionStatus]] = {}
    for status in session.execute(stmt.order_by(ProvisionStatus.as_of, ProvisionStatus.id)).scalars():
        found.setdefault(status.provision_id, []).append(status)
    return found


def level_on(history: Sequence[ProvisionStatus], on: date) -> int | None:
    """The level by the latest assessment dated on or before `on`; None before the first."""
    dated = [s for s in history if s.as_of <= on]
    return dated[-1].level if dated else None


def is_overdue(provision: Provision, history: Sequence[ProvisionStatus], on: date) -> bool:
    """Whether the (possibly extended) deadline had passed on `on` without full implementation by then."""
    if provision.deadline is None or provision.deadline >= on:
        return False
    level = level_on(history, on)
    return level is None or level < 3


def level_label(level: int) -> str:
    """The Peace Accords Matrix name of a level."""
    return LEVELS[level]
