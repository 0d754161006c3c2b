"""Who may read and write what: decided here, and only here, for every entry point."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar

from sqlalchemy import ColumnElement, and_, false, or_, true
from sqlalchemy.orm import Session

from truce.db import JSONListHolds
from truce.errors import Forbidden, Message, NotFound, Unauthorized, worded

ROLES = ("admin", "monitor", "verifier", "liaison", "humanitarian", "analyst")
PUBLIC = "public"
SYSTEM = "system"

# How widely a record may be read, from the narrowest: the words every domain's records and schemas share.
CLASSIFICATIONS = ("restricted", "mission", "parties", "public")
Classification = Literal["restricted", "mission", "parties", "public"]

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
    # An export holds what its requester may read (the same rules as the API's lists), so every member may ask.
    "export.create": frozenset(ROLES),
    # CAP alert rules: what makes a public alert out of a confirmed incident (issue 22).
    "alert_rule.write": frozenset({"admin", "verifier"}),
    # Freedom of movement: the mission's own patrols, flights and the restrictions they met.
    "patrol.write": frozenset({"admin", "monitor", "verifier"}),
    "uav.write": frozenset({"admin", "monitor", "verifier"}),
    "restriction.create": frozenset({"admin", "monitor", "verifier"}),
    "restriction.verify": frozenset({"verifier"}),
}

# A role and a write action in words, for the pages' refusals (the API's and the command line's keep the codes).
ROLE_WORDS = {
    "admin": Message("administrator"),
    "monitor": Message("monitor"),
    "verifier": Message("verifier"),
    "liaison": Message("liaison officer"),
    "humanitarian": Message("humanitarian"),
    "analyst": Message("analyst"),
    "public": Message("public"),
}
ACTION_WORDS = {
    "mission.write": Message("changing the mission's settings"),
    "place.write": Message("changing places"),
    "user.write": Message("managing accounts"),
    "user.read": Message("listing accounts"),
    "deployment.write": Message("recording deployments"),
    "deployment.read": Message("reading deployments"),
    "log.read": Message("reading the log"),
    "incident.create": Message("reporting incidents"),
    "incident.verify": Message("verifying incidents"),
    "incident.merge": Message("merging incidents"),
    "evidence.create": Message("adding evidence"),
    "provision.write": Message("editing the agreement's provisions"),
    "provision.assess": Message("assessing provisions"),
    "provision.link": Message("linking records to provisions"),
    "movement.write": Message("recording movements and crossings"),
    "exchange.write": Message("recording exchanges"),
    "exchange.list": Message("reading exchange lists"),
    "exchange.confirm": Message("confirming exchanges"),
    "claim.create": Message("recording claims"),
    "claim.assess": Message("assessing claims"),
    "report.create": Message("making daily reports"),
    "bulletin.publish": Message("publishing bulletins"),
    "export.create": Message("asking for exports"),
    "alert_rule.write": Message("setting alert rules"),
    "patrol.write": Message("planning and recording patrols"),
    "uav.write": Message("recording UAV flights"),
    "restriction.create": Message("recording restrictions"),
    "restriction.verify": Message("verifying restrictions"),
}
LOG_IN = Message("log in with an account of this mission to do this")


def refused(actor: Actor, action: str) -> Forbidden:
    """The refusal of `action` to the actor's role: its codes for programs, its words on a page."""
    return Forbidden(
        worded(
            f"the {actor.role} role may not do {action} here",
            "Your role (%(role)s) does not allow this here: %(action)s.",
            role=ROLE_WORDS.get(actor.role, actor.role),
            action=ACTION_WORDS.get(action, action),
        )
    )


# Roles that see a photo's EXIF time and position; everyone else gets the file without them.
METADATA_READERS = frozenset({"admin", "verifier", "monitor", "analyst", SYSTEM})
# The roles a phone may be registered with.
DEVICE_ROLES = ("monitor", "humanitarian")
# Roles limited to some phone forms (others: every form their actions allow). A liaison officer files allegations
# only, which a patrol report is not; a humanitarian officer counts crossings.
FORMS_BY_ROLE = {"liaison": frozenset({"incident"}), "humanitarian": frozenset({"checkpoint"})}


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
    # An operator of the installation (above missions): creates missions and names their first administrators.
    operator: bool = False

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
        raise NotFound(worded(f"{what} not found", "Not found, or not yours to see."))
    return record


class Identified(Protocol):
    """A record with an id, such as a mission."""

    @property
    def id(self) -> int: ...


Record = TypeVar("Record", bound=Classified)


def require_read_in(actor: Actor, record: Record | None, mission: Identified, what: str) -> Record:
    """The record if it is of `mission` and `actor` may read it; otherwise NotFound, as if it did not exist."""
    found: Record = require_read(actor, record if record is None or record.mission_id == mission.id else None, what)
    return found


def get_readable(
    session: Session, model: type[Record], mission: Identified, record_id: int, actor: Actor, what: str
) -> Record:
    """One record of `model` in `mission` by id, if `actor` may read it; otherwise NotFound(`what not found`)."""
    return require_read_in(actor, session.get(model, record_id), mission, what)


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
    # The item itself, compared exactly: a pattern over the JSON text let `a_` match `am`.
    return and_(model.classification == "restricted", JSONListHolds(model.restricted_to, actor.delegation_code))


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
        raise Unauthorized(LOG_IN)
    raise refused(actor, action)


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
    # The mission's witness policy: what every party needs to check an offline proof.
    "log_witness_policies": "mission.read",
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


@dataclass(frozen=True)
class LogReader:
    """A logged-in user reading the log: their actor in each mission they hold a role in, and the public missions."""

    actors: Mapping[int, Actor]
    public_missions: frozenset[int]

    def actor_in(self, mission_id: int) -> Actor | None:
        """Who the user is in a mission: a member, the public of a public mission, or nobody there."""
        if mission_id in self.actors:
            return self.actors[mission_id]
        return Actor.anonymous(mission_id) if mission_id in self.public_missions else None


def can_read_entry(
    reader: LogReader, mission_id: int | None, kind: str, entity: dict[str, Any] | None, owners: Iterable[int] = ()
) -> bool:
    """Whether a logged-in user may read a log entry, as their standing in the entry's mission allows.

    An entry of no mission (a user account, a witness key) is read by the administrators of the missions it
    concerns, `owners` (the account's memberships, the missions with the key's delegation): an administrator
    of one mission is not the administrator of another.
    """
    if mission_id is not None:
        actor = reader.actor_in(mission_id)
        return actor is not None and can_read_logged(actor, kind, entity)
    return any(reader.actors[m].role == "admin" for m in owners if m in reader.actors)


# --- named rules: every other question about a role is asked here ---------------------------------------------


def is_role(role: str) -> bool:
    """Whether `role` names one of the roles a user can hold in a mission."""
    return role in ROLES


def is_member(actor: Actor) -> bool:
    """Whether the actor holds a role in the mission in scope (neither the public nor the installation)."""
    return actor.role in ROLES


def offers(actor: Actor, action: str) -> bool:
    """Whether the actor's role is among those allowed `action`, for showing the way to it (a menu entry)."""
    return actor.role in WRITERS[action]


def sees_mission(actor: Actor, mission_id: int, *, public: bool) -> bool:
    """Whether the actor may know a mission exists: a member, the installation, or anyone if it is public."""
    return public or actor.role == SYSTEM or mission_id in actor.memberships


def creates_missions(actor: Actor) -> bool:
    """Whether the actor may create missions (and set one up from its file): an operator, or the command line."""
    return actor.role == SYSTEM or actor.operator


def setting_up(actor: Actor, mission_id: int | None) -> Actor:
    """Who sets up a mission for an operator: the installation's rights in that mission, under the operator's name.

    Only for the set-up of a mission from its file, once `creates_missions` (or, for `apply`, `configures_mission`)
    allowed it: the log names the operator as the actor of every record it creates.
    """
    if not creates_missions(actor):
        raise Forbidden(Message("only an operator of this installation sets up missions"))
    return Actor(username=actor.username or SYSTEM, role=SYSTEM, user_id=actor.user_id, mission_id=mission_id)


def configures_mission(actor: Actor, mission_id: int) -> bool:
    """Whether the actor may change a mission's settings: its administrators, an operator, the command line."""
    return creates_missions(actor) or allowed(actor, "mission.write", mission_id)


def registers_witnesses(actor: Actor) -> bool:
    """Whether the actor may register a witness's cosigning key: only the installation itself (the command line)."""
    return actor.role == SYSTEM


def files_allegations(actor: Actor) -> bool:
    """Whether all the actor files are allegations (source `party`), never published events: a side's liaison."""
    return actor.role == "liaison"


def adds_evidence_to(actor: Actor, author_delegation: str | None) -> bool:
    """Whether the actor may add evidence to an incident filed by `author_delegation`: a liaison to its own only."""
    return actor.role != "liaison" or author_delegation == actor.delegation_code


def reads_photo_metadata(actor: Actor) -> bool:
    """Whether the actor may see photos' EXIF time and position."""
    return actor.role in METADATA_READERS


# Who is told which phones have gone quiet: the mission's administrators (every phone) and the delegations'
# monitors and verifiers (their own delegation's phones), who can go and ask.
PHONE_WATCHERS = frozenset({"admin", "monitor", "verifier", SYSTEM})


def watches_phones(actor: Actor, mission_id: int) -> bool:
    """Whether the actor is told of the mission's phones that have not reported."""
    return actor.role in PHONE_WATCHERS and (actor.role == SYSTEM or actor.mission_id == mission_id)


def watches_every_phone(actor: Actor) -> bool:
    """Whether the actor watches every phone of the mission, not only their own delegation's."""
    return actor.role in {"admin", SYSTEM}


def is_device_role(role: str) -> bool:
    """Whether a phone may be registered with `role`."""
    return role in DEVICE_ROLES


def fills_form(actor: Actor, kind: str) -> bool:
    """Whether the actor's role may fill in phone forms of `kind` (the form's write action is checked as well)."""
    kinds: Collection[str] | None = FORMS_BY_ROLE.get(actor.role)
    return kinds is None or kind in kinds


def assesses_for_delegation(actor: Actor) -> bool:
    """Whether the actor may give a delegation's assessment: a person of a delegation, or the installation."""
    return actor.role == SYSTEM or actor.delegation_code is not None


def changes_password_of(actor: Actor, user_id: int) -> bool:
    """Whether the actor may change this account's password with its current one: only its own holder."""
    return actor.user_id is not None and actor.user_id == user_id


def manages_account(actor: Actor, mission_id: int, *, target_id: int, target_operator: bool) -> bool:
    """Whether the actor may reset the password of, or change the role of, a member of the mission: its
    administrators (an operator's account only by an operator), never their own account (they change their own
    password with the current one, and cannot demote themselves out of administration)."""
    if actor.user_id is not None and actor.user_id == target_id:
        return False
    if target_operator and not creates_missions(actor):
        return False
    return allowed(actor, "user.write", mission_id)


def sees_personal_identifiers(actor: Actor, readers: Iterable[str]) -> bool:
    """Whether the actor sees an exchange list's personal identifiers: only the delegations it names (the two
    sides and the intermediary) and the installation; an administrator of another delegation sees counts only."""
    return actor.role == SYSTEM or (actor.delegation_code is not None and actor.delegation_code in set(readers))


def submits_list_for(actor: Actor, party: str | None, side: str, intermediary: str | None) -> bool:
    """Whether an actor of `party` may submit `side`'s exchange list: that side, its intermediary, the installation."""
    return actor.role == SYSTEM or party in (side, intermediary)


# --- events out: webhooks, feeds and alerts (issue 22) ---------------------------------------------------------


def keeps_webhooks(actor: Actor) -> bool:
    """Whether `actor` may subscribe a receiver to the mission's events: any member, never the public."""
    return actor.role in ROLES and actor.mission_id is not None and actor.user_id is not None


def manages_subscription(actor: Actor, owner_id: int, mission_id: int) -> bool:
    """Whether `actor` may see, rotate, replay or end a subscription: its owner, or an administrator of its mission."""
    if actor.mission_id != mission_id or actor.role not in ROLES:
        return False
    return actor.user_id == owner_id or actor.role == "admin"


def receives_entry(subscriber: Actor, kind: str, entity: dict[str, Any] | None) -> bool:
    """Whether a subscription acting as `subscriber` is sent a log entry: exactly what the log API shows that actor."""
    return subscriber.role in ROLES and can_read_logged(subscriber, kind, entity)


def in_public_feed(entity: Mapping[str, Any]) -> bool:
    """Whether a record may appear in a public feed or a CAP alert: classified `public`, nothing less."""
    return entity.get("classification") == "public"


def amends_patrol(actor: Actor, author_delegation: str | None) -> bool:
    """Whether the actor may amend a patrol's plan or record: the delegation that planned it, or an administrator."""
    return actor.role in ("admin", SYSTEM) or (
        actor.delegation_code is not None and actor.delegation_code == author_delegation
    )


def require_own_job(actor: Actor, requester_id: int, mission_id: int) -> None:
    """A job, its state and its result are its requester's only, in the job's mission; to others it does not exist.

    Its result is served only while the requester may still do what the job did (checked by the caller too).
    """
    if actor.is_public:
        raise Unauthorized(LOG_IN)
    if actor.user_id is None or actor.user_id != requester_id or actor.mission_id != mission_id:
        raise NotFound(Message("job not found"))


def reads_daily_reports(actor: Actor) -> bool:
    """Whether the actor reads the mission's daily reports: the mission staff, who read `mission` records."""
    return "mission" in READABLE.get(actor.role, frozenset())


def require_daily_reports(actor: Actor) -> None:
    """Refuse the reports page to all but the mission staff (the public is asked to log in)."""
    if reads_daily_reports(actor):
        return
    if actor.is_public:
        raise Unauthorized(LOG_IN)
    raise Forbidden(
        worded(
            f"the {actor.role} role does not read the mission's daily reports",
            "Your role (%(role)s) does not read the mission's daily reports.",
            role=ROLE_WORDS.get(actor.role, actor.role),
        )
    )
