"""Claims: file who said what, list, read, and assess against the record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from truce import links, policy
from truce.claims.models import Claim
from truce.claims.schemas import AssessmentIn, ClaimIn, ClaimLinks
from truce.errors import Invalid, Message
from truce.ledger import service as ledger
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.policy import Actor


def create(session: Session, mission: Mission, data: ClaimIn, *, actor: Actor) -> Claim:
    """Record a claim (liaison officers, monitors, verifiers, administrators); it starts unverified."""
    policy.require(actor, "claim.create", mission.id)
    if data.affiliation is not None and data.affiliation not in {
        p.code for p in missions_service.parties(session, mission)
    }:
        raise Invalid(
            Message("mission %(mission)s has no party %(party)r", mission=mission.slug, party=data.affiliation),
            "affiliation",
        )
    # Statements made before the mission began may still bear on it; statements from the future may not.
    if data.said_on > datetime.now(UTC).date() + timedelta(days=1):
        raise Invalid(Message("%(day)s is in the future", day=data.said_on.isoformat()), "said_on")
    missions_service.check_restricted_to(session, mission, data.classification, data.restricted_to)
    claim_links = _checked_links(session, mission, data.links, actor, {})
    numbers = [n.model_dump(mode="json") | {"as_of": (n.as_of or data.said_on).isoformat()} for n in data.numbers]
    fields = data.model_dump(exclude={"links", "numbers"})
    claim = Claim(
        mission_id=mission.id,
        author_id=actor.user_id,
        author_delegation=actor.delegation_code,
        numbers=numbers,
        links=claim_links,
        **fields,
    )
    session.add(claim)
    ledger.record(session, actor, "claim.create", claim)
    return claim


def _checked_links(
    session: Session, mission: Mission, wanted: ClaimLinks, actor: Actor, current: dict[str, Any]
) -> dict[str, Any]:
    result = dict(current)
    for kind, ids in wanted.model_dump().items():
        for record_id in ids:
            links.check_target(session, mission, kind, record_id, actor, f"links.{kind}")
            result = links.add(result, kind, record_id)
    return result


def list_claims(
    session: Session,
    mission: Mission,
    *,
    actor: Actor,
    affiliation: str | None = None,
    status: str | None = None,
) -> list[Claim]:
    """The claims the actor may read, newest statement first."""
    stmt = select(Claim).where(Claim.mission_id == mission.id, policy.readable(actor, Claim))
    if affiliation is not None:
        stmt = stmt.where(Claim.affiliation == affiliation)
    if status is not None:
        stmt = stmt.where(Claim.status == status)
    return list(session.execute(stmt.order_by(Claim.said_on.desc(), Claim.id.desc())).scalars())


def get(session: Session, mission: Mission, claim_id: int, *, actor: Actor) -> Claim:
    """One claim, if the actor may read it."""
    return policy.get_readable(session, Claim, mission, claim_id, actor, "claim")


def assess(session: Session, mission: Mission, claim_id: int, data: AssessmentIn, *, actor: Actor) -> Claim:
    """Mark a claim corroborated or contradicted, with the evidence and records that show it (verifiers, admins)."""
    claim = get(session, mission, claim_id, actor=actor)
    policy.require(actor, "claim.assess", mission.id)
    merged = _checked_links(session, mission, data.links, actor, claim.links)
    if data.status != "unverified" and not data.evidence and not any(merged.values()):
        raise Invalid(
            Message("a claim is corroborated or contradicted by evidence: give evidence files or link the records"),
            "evidence",
        )
    claim.links = merged
    claim.status = data.status
    claim.status_note = data.note
    claim.status_evidence = sorted(set(data.evidence))
    claim.status_by = actor.delegation_code
    claim.status_on = datetime.now(UTC).date()
    ledger.record(session, actor, "claim.assess", claim)
    return claim


def citing(session: Session, mission: Mission, kind: str, record_id: int, *, actor: Actor) -> list[Claim]:
    """The claims the actor may read that link the record `kind`/`record_id`."""
    return [c for c in list_claims(session, mission, actor=actor) if record_id in c.links.get(kind, [])]
