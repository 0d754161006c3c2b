"""Record verdicts and derive an incident's status from them by the mission's quorum rule."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from truce import policy
from truce.errors import Conflict, Forbidden, Message
from truce.incidents import service as incidents_service
from truce.incidents.models import Incident, Verification
from truce.incidents.schemas import VerdictIn
from truce.ledger import service as ledger
from truce.missions.models import Mission
from truce.policy import Actor

RETRACTED = {
    "incident": Message("the incident was retracted by its author; there is nothing to verify").msgid,
    "restriction": Message("the restriction was retracted by its author; there is nothing to verify").msgid,
}


@dataclass(frozen=True)
class Quorum:
    """How many distinct delegations must agree, and which of them must be among them."""

    delegations: int
    required: frozenset[str]

    def met(self, agreeing: set[str]) -> bool:
        return len(agreeing) >= self.delegations and self.required <= agreeing

    @classmethod
    def of(cls, mission: Mission) -> Quorum:
        return cls(mission.quorum_delegations, frozenset(mission.quorum_required or []))


def positions(verdicts: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Each delegation's standing verdict: the latest of its verifiers', from (delegation, verdict) in order."""
    standing: dict[str, str] = {}
    for delegation, verdict in verdicts:
        standing[delegation] = verdict
    return standing


def status_from(standing: dict[str, str], quorum: Quorum) -> str:
    """The incident status the delegations' standing verdicts give (DESIGN.md section 1)."""
    confirms = {d for d, v in standing.items() if v == "confirm"}
    rejects = {d for d, v in standing.items() if v == "reject"}
    if confirms and rejects:
        return "disputed"
    if quorum.met(confirms):
        return "confirmed"
    if quorum.met(rejects):
        return "not_confirmed"
    if quorum.met(set(standing)):
        return "inconclusive"
    return "under_verification" if standing else "reported"


def check_verdict(mission: Mission, status: str, author_delegation: str | None, actor: Actor, what: str) -> None:
    """Refuse a verdict the mission's rules do not allow, on any record verified by quorum (incidents, restrictions).

    The role's right to verify is checked by the caller (`policy.require`), with the record's own action.
    """
    if status == "retracted":
        raise Conflict(Message(RETRACTED.get(what, RETRACTED["incident"])))
    if not mission.allow_self_verification and author_delegation == actor.delegation_code:
        raise Forbidden(Message("this mission does not let a delegation verify what its own members filed"))
    if actor.user_id is None or actor.delegation_code is None:
        raise Forbidden(Message("verdicts are given by a person of a delegation"))


def quorum_status(mission: Mission, history: Iterable[tuple[str, str]]) -> str:
    """The status the mission's quorum gives a record from its (delegation, verdict) history, oldest first."""
    return status_from(positions(history), Quorum.of(mission))


def verify(
    session: Session,
    mission: Mission,
    incident_id: int,
    data: VerdictIn,
    *,
    actor: Actor,
    at: datetime | None = None,
) -> Verification:
    """Record one verifier's verdict and recompute the incident's status; `at` back-dates it (the demo only)."""
    incident = incidents_service.get(session, mission, incident_id, actor=actor)
    policy.require(actor, "incident.verify", mission.id)
    check_verdict(mission, incident.status, incident.author_delegation, actor, "incident")
    verification = Verification(
        mission_id=mission.id,
        incident_id=incident.id,
        verifier_id=actor.user_id,
        delegation=actor.delegation_code,
        verdict=data.verdict,
        note=data.note,
    )
    if at is not None:
        verification.created_at = at
    session.add(verification)
    ledger.record(session, actor, "incident.verdict", verification)
    _restate(session, mission, incident, actor)
    return verification


def _restate(session: Session, mission: Mission, incident: Incident, actor: Actor) -> None:
    status = quorum_status(mission, ((v.delegation, v.verdict) for v in verdicts(session, incident)))
    if status != incident.status:
        incident.status = status
        ledger.record(session, actor, "incident.status", incident)


def verdicts(session: Session, incident: Incident) -> Sequence[Verification]:
    """Every verdict on the incident, oldest first; dissent stays on the record."""
    stmt = select(Verification).where(Verification.incident_id == incident.id).order_by(Verification.id)
    return session.execute(stmt).scalars().all()


def list_verdicts(session: Session, mission: Mission, incident_id: int, *, actor: Actor) -> Sequence[Verification]:
    """The verdicts on an incident the actor may read."""
    return verdicts(session, incidents_service.get(session, mission, incident_id, actor=actor))
