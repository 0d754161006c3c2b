"""Who may read and write what: decided here, and only here, for every entry point."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import ColumnElement, String, and_, cast, false, or_, true

from truce.errors import Forbidden, NotFound, Unauthorized

ROLES = ("admin", "monitor", "verifier", "liaison", "humanitarian", "analyst")
PUBLIC = "public"
SYSTEM = "system"

# Classification levels each role may read (besides `restricted` records naming its delegation).
READABLE: dict[str, frozenset[str]] = {
    "admin": frozenset({"restricted", "mission", "parties", "public"}),
    "monitor": frozenset({"mission", "parties", "public"}),
    "verifier": frozenset({"mission", "parties", "public"}),
    "analyst": frozenset({"mission", "parties", "public"}),
    "liaison": frozenset({"parties", "public"}),
    "humanitarian": frozenset({"parties", "public"}),
    PUBLIC: frozenset({"public"}),
    SYSTEM: frozenset({"restricted", "mission", "parties", "public"}),
}

# Who may do each write action, by kind of record.
WRITERS: dict[str, frozenset[str]] = {
    "mission.write": frozenset({"admin"}),
    "place.write": frozenset({"admin"}),
    "user.write": frozenset({"admin"}),
    "user.read": frozenset({"admin"}),
    "deployment.write": frozenset({"admin"}),
    "deployment.read": frozenset({"admin", "monitor", "verifier", "analyst"}),
    "log.read": frozenset(ROLES),
    "incident.create": frozenset({"admin", "monitor", "verifier", "liaison"}),
    "incident.verify": frozenset({"verifier"}),
    "incident.merge": frozenset({"admin", "verifier"}),
    "evidence.create": frozenset({"admin", "monitor", "verifier", "liaison"}),
    "provision.write": frozenset({"admin"}),
    "provision.assess": frozenset({"admin", "verifier"}),
    "provision.link": frozenset({"admin", "verifier"}),
    "movement.write": frozenset({"admin", "monitor", "verifier", "humanitarian"}),
    "exchange.write": frozenset({"admin", "humanitarian"}),
    # Lists and confirmations also need the actor's party to be in the exchange (checked by the service).
    "exchange.list": frozenset({"admin", "humanitarian", "liaison"}),
    "exchange.confirm": frozenset({"liaison"}),
    "claim.create": frozenset({"admin", "monitor", "verifier", "liaison"}),
    "claim.assess": frozenset({"admin", "verifier"}),
    # Daily reports are mission-staff documents; bulletins are published under a verifier's name.
    "report.create": frozenset({"admin", "verifier", "analyst"}),
    "bulletin.publish": frozenset({"verifier"}),
}


@dataclass(frozen=True)
class Actor:
    """Who is acting, and in which mission with which role and delegation."""

    username: str | None
    role: str
    user_id: int | None = None
    mission_id: int | None = None
    delegation_id: int | None = None
    delegation_code: str | None = None
    # Missions this user holds a role in, for listings that span missions.
    memberships: dict[int, str] = field(default_factory=dict)

    @property
    def is_public(self) -> bool:
        return self.role == PUBLIC

    @classmethod
    def anonymous(cls, mission_id: int | None = None) -> Actor:
        return cls(username=None, role=PUBLIC, mission_id=mission_id)

    @classmethod
    def system(cls, mission_id: int | None = None) -> Actor:
        """The installation itself, acting for the CLI's set-up commands."""
        return cls(username="system", role=SYSTEM, mission_id=mission_id)


class Classified(Protocol):
    mission_id: int
    classification: str
    restricted_to: list[Any]


def can_read(actor: Actor, record: Classified) -> bool:
    """Whether `actor` may know that `record` exists."""
    if record.mission_id != actor.mission_id and actor.role != SYSTEM:
        return False
    if record.classification in READABLE[actor.role]:
        return True
    if actor.delegation_code is not None and getattr(record, "author_delegation", None) == actor.delegation_code:
        return True
    return record.classification == "restricted" and actor.delegation_code in (record.restricted_to or [])


def require_read(actor: Actor, record: Classified | None, what: str) -> Any:
    """Return the record if `actor` may read it; otherwise answer as if it did not exist."""
    if record is None or not can_read(actor, record):
        raise NotFound(f"{what} not found")
    return record


def readable(actor: Actor, model: Any) -> ColumnElement[bool]:
    """A WHERE clause that keeps only the rows of `model` the actor may read."""
    if actor.role == SYSTEM:
        return true()
    if actor.mission_id is None:
        return false()
    levels = sorted(READABLE[actor.role])
    clause = or_(model.classification.in_(levels), _restricted_to_me(actor, model))
    if hasattr(model, "author_delegation") and actor.delegation_code is not None:
        # A delegation always sees what its own members filed.
        clause = or_(clause, model.author_delegation == actor.delegation_code)
    return and_(model.mission_id == actor.mission_id, clause)


def _restricted_to_me(actor: Actor, model: Any) -> ColumnElement[bool]:
    if actor.delegation_code is None:
        return false()
    # JSON containment differs by backend, so match the code inside the JSON text instead.
    needle = f'%"{actor.delegation_code}"%'
    return and_(model.classification == "restricted", cast(model.restricted_to, String).like(needle))


def allowed(actor: Actor, action: str, mission_id: int) -> bool:
    """Whether the actor may perform `action` in the mission `mission_id`."""
    if actor.role == SYSTEM:
        return True
    return actor.mission_id == mission_id and actor.role in WRITERS.get(action, frozenset())


def require(actor: Actor, action: str, mission_id: int) -> None:
    """Refuse `action` in the mission unless the actor's role there allows it."""
    if allowed(actor, action, mission_id):
        return
    if actor.is_public:
        raise Unauthorized("log in with an account of this mission to do this")
    raise Forbidden(f"the {actor.role} role may not do {action} here")


@dataclass
class _Snapshot:
    mission_id: int
    classification: str
    restricted_to: list[Any]


# Kinds of logged record without a classification of their own, and the action that reads them.
UNCLASSIFIED_READ = {
    "missions": "mission.read",
    "parties": "mission.read",
    "delegations": "mission.read",
    "deployments": "deployment.read",
}


def can_read_logged(actor: Actor, kind: str, entity: dict[str, Any] | None) -> bool:
    """Whether the actor may read a record as a log entry recorded it (`None`: a deletion)."""
    if actor.role == SYSTEM:
        return True
    if entity is None:
        return actor.role == "admin"
    if "classification" in entity:
        snapshot = _Snapshot(entity.get("mission_id", -1), entity["classification"], entity.get("restricted_to", []))
        return can_read(actor, snapshot)
    action = UNCLASSIFIED_READ.get(kind)
    if action is None:
        # Users, memberships and witness keys: the administrators' business.
        return actor.role == "admin"
    mission_id = entity.get("id") if kind == "missions" else entity.get("mission_id")
    if mission_id is None or mission_id != actor.mission_id or actor.role == PUBLIC:
        return False
    return action == "mission.read" or allowed(actor, action, mission_id)
