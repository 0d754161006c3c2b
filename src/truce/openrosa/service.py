"""Devices and submissions: add and revoke phones, and turn an instance into records through the services."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NoReturn, cast

from sqlalchemy import bindparam, insert, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from truce import driver, policy
from truce.db import loaded, mapped_columns
from truce.errors import BadRequest, Conflict, Forbidden, Invalid, NotFound, TruceError, Unauthorized, WrongCredentials
from truce.evidence import service as evidence_service
from truce.evidence.store import StoredFile
from truce.incidents import service as incidents_service
from truce.incidents.models import Incident
from truce.ledger import service as ledger
from truce.missions import service as missions_service
from truce.missions.models import Delegation, Mission
from truce.movements import service as movements_service
from truce.openrosa import devices, digest, submissions, xforms
from truce.openrosa.instance import Instance, parse
from truce.openrosa.models import Device, Submission
from truce.places.models import Site
from truce.policy import Actor
from truce.users import service as users_service
from truce.users.models import Membership, User

DEVICE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
# The write each kind of form performs, checked against the caller's role.
FORM_ACTIONS = {"incident": "incident.create", "checkpoint": "movement.write", "patrol": "incident.create"}
CHECKS_KEY = "truce_openrosa_checks"
RECORD_KIND = {"incident": "incident", "checkpoint": "movement", "patrol": "patrol"}


@dataclass(frozen=True)
class NewDevice:
    """A device just added, and its token: shown this once, never stored."""

    device: Device
    username: str
    token: str


@dataclass(frozen=True)
class Caller:
    """Who is submitting: a person's account, or a device acting through its own account."""

    actor: Actor
    device: Device | None = None


def device_username(name: str) -> str:
    """The account name a device acts under."""
    return f"device.{name}"


def add_device(
    session: Session,
    mission: Mission,
    name: str,
    *,
    delegation_code: str,
    actor: Actor,
    role: str = "monitor",
    forms: list[str] | None = None,
) -> NewDevice:
    """Register a phone: an account in the delegation that logs in only with a fresh token."""
    policy.require(actor, "user.write", mission.id)
    if not DEVICE_NAME.match(name):
        raise Invalid("use 2-40 lower-case letters, digits or dashes", "name")
    if not policy.is_device_role(role):
        raise Invalid(f"a device's role is one of {', '.join(policy.DEVICE_ROLES)}", "role")
    kinds = list(xforms.KINDS) if forms is None else forms
    unknown = sorted(set(kinds) - set(xforms.KINDS))
    if unknown or not kinds:
        raise Invalid(f"forms are some of {', '.join(xforms.KINDS)}; not {unknown or 'none'}", "forms")
    token = devices.new_token()
    # A random password nobody learns: the account cannot log in except through the device's token.
    user = users_service.create(
        session, device_username(name), devices.new_token(), mission=mission, role=role,
        delegation_code=delegation_code, actor=actor, display_name=f"device {name}",
    )  # fmt: skip
    device = Device(
        mission_id=mission.id,
        name=name,
        user_id=user.id,
        token_hash=devices.token_hash(token),
        forms=[xforms.form_id(mission.slug, k) for k in xforms.KINDS if k in kinds],
        created_by=actor.username or "system",
    )
    session.add(device)
    ledger.append(session, actor, "device.create", device)
    return NewDevice(device, user.username, token)


def list_devices(session: Session, mission: Mission, *, actor: Actor) -> list[Device]:
    """The mission's devices, revoked ones included (administrators)."""
    policy.require(actor, "user.read", mission.id)
    stmt = select(Device).where(Device.mission_id == mission.id).order_by(Device.id)
    return list(session.execute(stmt).scalars())


def get_device(session: Session, mission: Mission, device_id: int, *, actor: Actor) -> Device:
    """One device of the mission (administrators)."""
    policy.require(actor, "user.read", mission.id)
    device = session.get(Device, device_id)
    if device is None or device.mission_id != mission.id:
        raise NotFound("device not found")
    return device


def get_device_by_name(session: Session, mission: Mission, name: str, *, actor: Actor) -> Device:
    """One device of the mission by its name (administrators)."""
    policy.require(actor, "user.read", mission.id)
    device = session.execute(
        select(Device).where(Device.mission_id == mission.id, Device.name == name)
    ).scalar_one_or_none()
    if device is None:
        raise NotFound(f"mission {mission.slug} has no device {name!r}")
    return device


def revoke_device(session: Session, mission: Mission, device_id: int, *, actor: Actor) -> Device:
    """Stop a device at once: its token and its account stop working with the next request."""
    device = get_device(session, mission, device_id, actor=actor)
    policy.require(actor, "user.write", mission.id)
    if device.revoked_at is not None:
        raise Conflict(f"device {device.name} was revoked at {device.revoked_at.isoformat()}")
    device.revoked_at = datetime.now(UTC)
    ledger.append(session, actor, "device.revoke", device)
    user = session.get(User, device.user_id)
    if user is not None and user.active:
        user.active = False
        ledger.append(session, actor, "user.deactivate", user)
    return device


# The account, its device if it is one, and every role it holds: one query for a phone's request.
_ACCOUNT = (
    select(User, Device, *users_service.MEMBERSHIP_COLUMNS)
    .outerjoin(Device, Device.user_id == User.id)
    .outerjoin(Membership, Membership.user_id == User.id)
    .outerjoin(Delegation, Delegation.id == Membership.delegation_id)
    .where(User.username == bindparam("account_username"))
)


def caller_for(
    session: Session, mission: Mission, authorization: str | None, digest_context: digest.Context | None = None
) -> Caller:
    """Who an `Authorization` header names in this mission: a device by its token, or a person (Basic or Digest)."""
    if digest_context is not None and digest.is_digest(authorization):
        return _digest_caller(session, mission, str(authorization), digest_context)
    credentials = devices.basic_credentials(authorization)
    rows = session.execute(_ACCOUNT, {"account_username": credentials.username}).all()
    device = rows[0][1] if rows else None
    if device is not None:
        roles = [(m, role, d, code) for _, _, m, role, d, code in rows if m is not None]
        return _device_caller(mission, device, rows[0][0], credentials.password, roles)
    user = users_service.authenticate(session, credentials.username, credentials.password)
    if user is None:
        raise WrongCredentials("wrong user name or password")
    actor = users_service.actor_for(session, user, mission)
    if actor.is_public:
        raise Forbidden(f"{credentials.username} holds no role in mission {mission.slug}")
    return Caller(actor)


def mission_and_caller(
    session: Session, slug: str, authorization: str | None, digest_context: digest.Context | None = None
) -> tuple[Mission, Caller]:
    """The mission named by `slug` and who `authorization` names in it; for a phone's token, one query in all.

    Every submission asks this first, so the device's case reads the mission, the account, the device and its
    roles in one query, on the DB-API cursor; people (Basic or Digest) go through `caller_for`.
    """
    try:
        credentials = devices.basic_credentials(authorization)
    except TruceError:
        # Digest, or no login at all.
        mission = missions_service.get_by_slug(session, slug)
        if mission is None:
            _unknown_mission(session, slug, authorization, digest_context)
        return mission, caller_for(session, mission, authorization, digest_context)
    values = {"slug": slug, "username": credentials.username}
    rows = _STATEMENTS.fetchall(session.connection(), "mission_account", values)
    if not rows:
        _unknown_mission(session, slug, authorization, digest_context)
    mission = loaded(Mission, rows[0][: len(_MISSION_COLUMNS)])
    account, device = _account(rows[0])
    if account is None or device is None:
        return mission, caller_for(session, mission, authorization, digest_context)
    roles = [row[_ROLES_START:] for row in rows if row[_ROLES_START] is not None]
    return mission, _device_caller(mission, device, account, credentials.password, roles)


def hashes_a_password(authorization: str | None) -> bool:
    """Whether checking `authorization` means hashing a password (argon2: tens of milliseconds of CPU).

    A person's account over HTTP Basic does; a device's token (SHA-256), Digest and a missing login do not.
    """
    try:
        credentials = devices.basic_credentials(authorization)
    except TruceError:
        return False
    return not credentials.username.startswith(device_username(""))


def _unknown_mission(
    session: Session, slug: str, authorization: str | None, digest_context: digest.Context | None
) -> NoReturn:
    """No mission has this slug: a caller who has not proved an account hears what a real mission would say.

    Answering 404 before the login let anyone tell real missions' slugs (401) from made-up ones (404); only a
    proved account learns that there is no such mission.
    """
    stand_in = Mission(id=0, slug=slug, name=slug, public=False)  # never added to the session
    try:
        caller_for(session, stand_in, authorization, digest_context)
    except Unauthorized:
        raise
    except TruceError:
        pass  # a real account, refused only because it holds no role in a mission that does not exist
    raise NotFound(f"mission {slug!r} not found")


def person_login(authorization: str | None) -> tuple[str, str] | None:
    """The account name and channel of a person's password (Basic) or Digest answer; None for devices and the rest.

    What the login limits count: a device's token is 32 random bytes, checked by SHA-256, and not worth guessing.
    """
    if digest.is_digest(authorization):
        try:
            username = digest.parse(str(authorization)).username
        except TruceError:
            return None  # malformed: refused without checking any password
        return None if username.startswith(device_username("")) else (username, "openrosa-digest")
    try:
        credentials = devices.basic_credentials(authorization)
    except TruceError:
        return None
    if credentials.username.startswith(device_username("")):
        return None
    return credentials.username, "openrosa-basic"


def mission_by_slug(session: Session, slug: str) -> Mission:
    """The mission with this slug; NotFound when there is none."""
    mission = missions_service.get_by_slug(session, slug)
    if mission is None:
        raise NotFound(f"mission {slug!r} not found")
    return mission


_MISSION_COLUMNS = mapped_columns(Mission)
_USER_COLUMNS = mapped_columns(User)
_DEVICE_COLUMNS = mapped_columns(Device)
_MISSION_ACCOUNT = (
    select(*_MISSION_COLUMNS, *_USER_COLUMNS, *_DEVICE_COLUMNS, *users_service.MEMBERSHIP_COLUMNS)
    .select_from(Mission)
    .outerjoin(User, User.username == bindparam("username"))
    .outerjoin(Device, Device.user_id == User.id)
    .outerjoin(Membership, Membership.user_id == User.id)
    .outerjoin(Delegation, Delegation.id == Membership.delegation_id)
    .where(Mission.slug == bindparam("slug"))
)


_USER_START = len(_MISSION_COLUMNS)
_DEVICE_START = _USER_START + len(_USER_COLUMNS)
_ROLES_START = _DEVICE_START + len(_DEVICE_COLUMNS)


def _account(row: Sequence[Any]) -> tuple[User | None, Device | None]:
    """The account and its device in a `_MISSION_ACCOUNT` row, if the row has them."""
    account = loaded(User, row[_USER_START:_DEVICE_START]) if row[_USER_START] is not None else None
    device = loaded(Device, row[_DEVICE_START:_ROLES_START]) if row[_DEVICE_START] is not None else None
    return account, device


def _device_caller(
    mission: Mission, device: Device, account: User, token: str, roles: Sequence[tuple[Any, ...]]
) -> Caller:
    _check_device(device, account, mission, token)
    actor = users_service.actor_from(account, mission, [cast(tuple[int, str, int, str], r) for r in roles])
    if actor.is_public:
        raise Forbidden(f"{account.username} holds no role in mission {mission.slug}")
    return Caller(actor, device)


def _digest_caller(session: Session, mission: Mission, authorization: str, context: digest.Context) -> Caller:
    """The person an `Authorization: Digest` header names (devices log in with their token, over Basic only)."""
    answer = digest.parse(authorization)
    digest.check(answer, context)
    if answer.username.startswith(device_username("")):
        raise Unauthorized("a device logs in with its token over HTTP Basic (HTTPS), not with Digest")
    user = users_service.get_by_name(session, answer.username)
    secret = users_service.digest_secret(session, user, answer.algorithm) if user is not None else None
    if user is None or secret is None:
        # One answer for both, so that Digest does not tell which accounts exist.
        raise WrongCredentials(
            "wrong user name or password, or this account has no Digest login "
            "(use HTTP Basic over HTTPS, or turn Digest on with `truce user digest`)"
        )
    digest.accept(answer, secret, context)
    if not user.active:
        raise Unauthorized(f"the account {user.username} is disabled")
    actor = users_service.actor_for(session, user, mission)
    if actor.is_public:
        raise Forbidden(f"{user.username} holds no role in mission {mission.slug}")
    return Caller(actor)


def _check_device(device: Device, account: User, mission: Mission, token: str) -> None:
    """Refuse a wrong token, a revoked device or account, and a device of another mission."""
    if not devices.token_matches(token, device.token_hash):
        raise Unauthorized("the device token is not valid")
    if device.revoked_at is not None or not account.active:
        raise Unauthorized("this device has been revoked; ask an administrator for a new one")
    if device.mission_id != mission.id:
        raise Forbidden(f"this device is registered with another mission, not {mission.slug}")


def may_use(mission: Mission, caller: Caller, kind: str) -> bool:
    """Whether the caller may fill in forms of this kind: by role, and for a device by assignment."""
    if not policy.fills_form(caller.actor, kind) or not policy.allowed(caller.actor, FORM_ACTIONS[kind], mission.id):
        return False
    return caller.device is None or xforms.form_id(mission.slug, kind) in caller.device.forms


def forms_for(session: Session, mission: Mission, caller: Caller) -> list[xforms.Form]:
    """The forms the caller may fill in, built from the mission's taxonomy and the sites the caller sees."""
    kinds = [kind for kind in xforms.KINDS if may_use(mission, caller, kind)]
    if not kinds:
        return []
    stmt = (
        select(Site.id, Site.name, Site.code, Site.kind)
        .where(Site.mission_id == mission.id, Site.status != "closed", policy.readable(caller.actor, Site))
        .order_by(Site.name, Site.id)
    )
    sites = [
        xforms.SiteChoice(site_id, f"{name} ({code})" if code else name, kind)
        for site_id, name, code, kind in session.execute(stmt)
    ]
    return [xforms.build(mission.slug, mission.name, kind, sites) for kind in kinds]


@dataclass(frozen=True)
class Prepared:
    """A parsed instance checked against the caller, with the records it asks for."""

    instance: Instance
    kind: str
    xml: str
    xml_sha256: str
    planned: submissions.Planned


def prepare(mission: Mission, caller: Caller, xml: bytes) -> Prepared:
    """Parse and check an instance before anything is stored: its form, the caller's right to it, its fields."""
    instance = parse(xml)
    kind = xforms.kind_of(mission.slug, instance.form_id)
    if kind is None:
        raise NotFound(f"mission {mission.slug} has no form {instance.form_id[:80]!r}")
    if not may_use(mission, caller, kind):
        raise Forbidden(f"{caller.actor.username} may not submit form {instance.form_id}")
    planned = submissions.plan(kind, instance.root)
    try:
        text = xml.decode("utf-8")
    except UnicodeDecodeError:
        # Collect and Enketo send UTF-8; the stored copy must be the exact text that was hashed.
        raise BadRequest("the submission XML must be encoded as UTF-8") from None
    return Prepared(instance, kind, text, hashlib.sha256(xml).hexdigest(), planned)


@dataclass
class Receipt:
    """What a submission came to: its row, and whether this request created it."""

    submission: Submission
    created: bool
    attached: list[str] = field(default_factory=list)


def receive(
    session: Session,
    mission: Mission,
    prepared: Prepared,
    files: dict[str, StoredFile],
    *,
    caller: Caller,
    address: str | None = None,
) -> Receipt:
    """Store one submission as the records it asks for; a retry adds only new files, an edit a new version."""
    policy.require(caller.actor, FORM_ACTIONS[prepared.kind], mission.id)
    if not may_use(mission, caller, prepared.kind):
        raise Forbidden(f"{caller.actor.username} may not submit form {prepared.instance.form_id}")
    instance = prepared.instance
    related = _related(session, mission, instance.form_id, instance.instance_id)
    existing = next((r for r in related if r.instance_id == instance.instance_id), None)
    if existing is not None:
        return _retry(session, mission, existing, prepared, files, caller, address)
    # An edit that came first stands for this original only if the same account sent both: anyone may name any
    # instanceID as the one they edit, and another account's early "edit" must not swallow this report.
    later = next(
        (r for r in related if r.deprecated_id == instance.instance_id and r.author_id == caller.actor.user_id), None
    )
    values = {
        "mission_id": mission.id,
        "form_id": instance.form_id,
        "form_version": instance.version[:64],
        "instance_id": instance.instance_id,
        "deprecated_id": instance.deprecated_id,
        "xml_sha256": prepared.xml_sha256,
        "xml": prepared.xml,
        "record_kind": RECORD_KIND[prepared.kind],
        "route": prepared.planned.route,
        "observed_at": prepared.planned.observed_at,
        "device_id": caller.device.id if caller.device else None,
        "author_id": caller.actor.user_id,
        "author_delegation": caller.actor.delegation_code,
    }
    if ledger.deferring(session):
        # Stored with others, whose rows all go in with one flush at the end: a duplicate among them fails
        # that flush on the unique key, and the batch is stored again one by one (openrosa/writer.py).
        row = Submission(**values, record_ids=[], superseded=False, attachments=[])
        # Added once its records have ids, so that it goes in whole: one INSERT, not an INSERT and an UPDATE.
        ledger.when_flushed(session, lambda: session.add(row))
    else:
        try:
            row = _insert_first(session, values)
        except IntegrityError:
            winner = _submission(session, mission, instance.form_id, instance.instance_id)
            if winner is None:
                raise
            return _retry(session, mission, winner, prepared, files, caller, address)
    # The records' entries and the submission's own go into the log together: one head update, not four.
    log: list[ledger.LogItem] = []
    attached = _apply(session, mission, row, later, prepared, files, caller.actor, address, log)
    log.append(("submission.receive", row, ()))
    ledger.append_all(session, caller.actor, log)
    return Receipt(row, True, attached)


def _insert_first(session: Session, values: dict[str, Any]) -> Submission:
    # The first write of the transaction: on PostgreSQL a concurrent retry waits here for the winner and
    # then fails on the unique key, in a savepoint so that the transaction survives it. SQLite writers take
    # the database's lock before their first read, so the look-up above has seen any winner: no savepoint.
    # A Core insert, because the log guard checks the savepoint's own commit; the row is logged below, once
    # it knows its records.
    with nullcontext() if session.get_bind().dialect.name == "sqlite" else session.begin_nested():
        # RETURNING the entity puts the row in the identity map: no second SELECT to load it.
        return session.scalars(insert(Submission).returning(Submission), [values]).one()


def _related(session: Session, mission: Mission, form: str, instance_id: str) -> Sequence[Submission]:
    """This instance received before, and an edit of it that arrived first: most often none at all.

    Asked for every submission, so the ids come first from the DB-API cursor, and rows are loaded only if any.
    """
    values = {"mission": mission.id, "form": form, "instance": instance_id}
    found = _STATEMENTS.fetchall(session.connection(), "related", values)
    ids = [row_id for row_id, mission_id, form_id in found if mission_id == mission.id and form_id == form]
    if not ids:
        return []
    return session.scalars(select(Submission).where(Submission.id.in_(ids))).all()


# Two look-ups, each on its own index: with an OR, SQLite walked every submission of the form, and the time
# per submission grew with their number. The edits are found by their deprecatedID alone (its own index; with
# the mission and form too SQLite would take the unique key's first two columns and walk the form again), and
# the mission and form are checked on the few rows found.
RELATED_IDS = union_all(
    select(Submission.id, Submission.mission_id, Submission.form_id).where(
        Submission.mission_id == bindparam("mission"),
        Submission.form_id == bindparam("form"),
        Submission.instance_id == bindparam("instance"),
    ),
    select(Submission.id, Submission.mission_id, Submission.form_id).where(
        Submission.deprecated_id == bindparam("instance")
    ),
)
_STATEMENTS = driver.Statements(
    lambda dialect: {
        "related": driver.Prepared(RELATED_IDS, dialect, raw_results=True),
        "mission_account": driver.Prepared(_MISSION_ACCOUNT, dialect),
    }
)


def _submission(session: Session, mission: Mission, form: str, instance_id: str) -> Submission | None:
    stmt = select(Submission).where(
        Submission.mission_id == mission.id, Submission.form_id == form, Submission.instance_id == instance_id
    )
    return session.execute(stmt).scalar_one_or_none()


def _retry(
    session: Session,
    mission: Mission,
    existing: Submission,
    prepared: Prepared,
    files: dict[str, StoredFile],
    caller: Caller,
    address: str | None,
) -> Receipt:
    if existing.author_id != caller.actor.user_id:
        raise Conflict(f"instance {existing.instance_id} was submitted by another account")
    if existing.xml_sha256 != prepared.xml_sha256:
        raise Conflict(f"instance {existing.instance_id} was received before with different content")
    log: list[ledger.LogItem] = []
    attached = _attach_all(session, mission, existing, prepared, files, caller.actor, address, log)
    if attached:
        log.append(("submission.attach", existing, ()))
        ledger.append_all(session, caller.actor, log)
    return Receipt(existing, False, attached)


def _apply(
    session: Session,
    mission: Mission,
    row: Submission,
    later: Submission | None,
    prepared: Prepared,
    files: dict[str, StoredFile],
    actor: Actor,
    address: str | None,
    log: list[ledger.LogItem],
) -> list[str]:
    """Create or amend the records; an original that arrives after its own edit (`later`) is kept, not applied.

    An edit that arrives before its original stands meanwhile as its author's own report; when the original
    comes, it is superseded only by an edit from the same account (`receive` picks `later` so).
    """
    if later is not None:
        row.superseded, row.record_ids = True, list(later.record_ids)
        return []
    previous = _submission(session, mission, row.form_id, row.deprecated_id) if row.deprecated_id is not None else None
    if previous is not None:
        _amend(session, mission, row, previous, prepared, actor)
    else:
        incidents = _create(session, mission, row, prepared, actor, log)
        return _attach_all(session, mission, row, prepared, files, actor, address, log, incidents)
    return _attach_all(session, mission, row, prepared, files, actor, address, log)


def _create(
    session: Session,
    mission: Mission,
    row: Submission,
    prepared: Prepared,
    actor: Actor,
    log: list[ledger.LogItem],
) -> list[Incident]:
    """File the records; the incidents are handed back so that attaching files need not read them again."""
    planned = prepared.planned
    checks = _filing_checks(session, mission)
    incidents = [
        incidents_service.create(session, mission, data, actor=actor, checks=checks, log=log)
        for data, _ in planned.incidents
    ]
    movements = [movements_service.create(session, mission, data, actor=actor) for data in planned.movements]

    def link() -> None:
        row.record_ids = [incident.id for incident in incidents] + [movement.id for movement in movements]

    ledger.when_flushed(session, link)
    return incidents


def _filing_checks(session: Session, mission: Mission) -> incidents_service.Checks:
    """What incidents are checked against, read once per transaction however many submissions it stores.

    Storing submissions changes no party, delegation or place, so this holds for the whole transaction.
    """
    transaction = session.get_transaction()
    cached = session.info.get((CHECKS_KEY, mission.id))
    if cached is not None and cached[0] is transaction:
        checks: incidents_service.Checks = cached[1]
        return checks
    checks = incidents_service.Checks(session, mission)
    session.info[(CHECKS_KEY, mission.id)] = (transaction, checks)
    return checks


def _amend(
    session: Session, mission: Mission, row: Submission, previous: Submission, prepared: Prepared, actor: Actor
) -> None:
    """An edit (deprecatedID) becomes a new version of the same records, through the services' updates."""
    if previous.author_id != actor.user_id:
        raise Forbidden("only the account that sent a submission may edit it")
    if prepared.kind == "checkpoint":
        row.record_ids = _amend_count(session, mission, previous, prepared, actor)
        return
    planned = prepared.planned.incidents
    ids = list(previous.record_ids)
    kept = [
        incidents_service.update(session, mission, incident_id, data, actor=actor).id
        for incident_id, (data, _) in zip(ids, planned, strict=False)
    ]
    for incident_id in ids[len(planned) :]:
        incidents_service.retract(session, mission, incident_id, actor=actor)
    added = [incidents_service.create(session, mission, data, actor=actor).id for data, _ in planned[len(ids) :]]
    row.record_ids = kept + added


def _amend_count(
    session: Session, mission: Mission, previous: Submission, prepared: Prepared, actor: Actor
) -> list[int]:
    """Crossing by crossing, in order: each one counted before is corrected, any further one is added."""
    planned, ids = prepared.planned.movements, list(previous.record_ids)
    if len(planned) < len(ids):
        # A movement has no retraction: a crossing dropped from the form would silently stay counted.
        raise Conflict(
            f"the edit has {len(planned)} crossings where the count it replaces had {len(ids)}; "
            "keep every crossing (set a wrong one's numbers to 0) and add any new ones"
        )
    kept = [
        movements_service.update(session, mission, movement_id, data, actor=actor).id
        for movement_id, data in zip(ids, planned, strict=False)
    ]
    return kept + [movements_service.create(session, mission, data, actor=actor).id for data in planned[len(ids) :]]


def _attach_all(
    session: Session,
    mission: Mission,
    row: Submission,
    prepared: Prepared,
    files: dict[str, StoredFile],
    actor: Actor,
    address: str | None,
    log: list[ledger.LogItem],
    incidents: list[Incident] | None = None,
) -> list[str]:
    """Attach every received file the instance names to the incident that names it; report the new ones."""
    if row.superseded:
        return []
    known = {entry["name"]: entry["sha256"] for entry in row.attachments}
    attached = []
    targets: list[int | Incident] = list(incidents) if incidents is not None else list(row.record_ids)
    for target, (_, names) in zip(targets, prepared.planned.incidents, strict=False):
        for name in names:
            stored = files.get(name)
            if stored is None or known.get(name) == stored.sha256:
                continue
            evidence_service.attach(session, mission, target, stored, name, actor=actor, address=address, log=log)
            known[name] = stored.sha256
            attached.append(name)
    if attached:
        row.attachments = [{"name": name, "sha256": sha} for name, sha in sorted(known.items())]
    return attached
