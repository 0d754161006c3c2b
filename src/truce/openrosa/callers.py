"""Who is calling: a device by its token, or a person over HTTP Basic or Digest; and the forms each may use."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, cast

from sqlalchemy import ARRAY, String, any_, bindparam, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from truce import driver, policy
from truce.db import loaded, mapped_columns
from truce.errors import Forbidden, NotFound, TruceError, Unauthorized, Unavailable, WrongCredentials
from truce.missions import service as missions_service
from truce.missions.models import Delegation, Mission
from truce.openrosa import ahead, digest, xforms
from truce.openrosa.devices import DEVICE_PREFIX, token_matches
from truce.openrosa.models import Device
from truce.patrols.models import Patrol
from truce.places.models import Site
from truce.policy import Actor
from truce.users import service as users_service
from truce.users.models import Membership, User

# The write each kind of form performs, checked against the caller's role.
# A patrol report may be on a patrol planned or under way (a completed one has its track already).
REPORTABLE_PATROLS = ("planned", "under_way")
FORM_ACTIONS = {"incident": "incident.create", "checkpoint": "movement.write", "patrol": "restriction.create"}
# A device's token that does not match, or a device account name no phone has: one answer for both.
REFUSED_PHONE = "the device token is not valid"


@dataclass(frozen=True)
class Caller:
    """Who is submitting: a person's account, or a device acting through its own account."""

    actor: Actor
    device: Device | None = None


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


def basic_credentials(authorization: str | None) -> Credentials:
    """The user name and password of an `Authorization: Basic` header; 401 when there is none or it is garbled."""
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise Unauthorized("log in with a device token (HTTP Basic) or an account (HTTP Basic over HTTPS, or Digest)")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized("the Basic credentials are not valid base64 of UTF-8 text") from None
    username, colon, password = decoded.partition(":")
    if not colon or not username:
        raise Unauthorized("the Basic credentials must be 'username:password'")
    return Credentials(username, password)


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
    credentials = basic_credentials(authorization)
    rows = session.execute(_ACCOUNT, {"account_username": credentials.username}).all()
    device = rows[0][1] if rows else None
    if device is not None:
        roles = [(m, role, d, code) for _, _, m, role, d, code in rows if m is not None]
        return _device_caller(mission, device, rows[0][0], credentials.password, roles)
    if not rows and credentials.username.startswith(DEVICE_PREFIX):
        # No such phone: the answer a wrong token gets, so that trying names (another mission's phones') tells
        # nothing, and no password hash is paid for on the event loop (`hashes_a_password`).
        raise Unauthorized(REFUSED_PHONE)
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
        credentials = basic_credentials(authorization)
    except TruceError:
        # Digest, or no login at all.
        mission = missions_service.get_by_slug(session, slug)
        if mission is None:
            _unknown_mission(session, slug, authorization, digest_context)
        return mission, caller_for(session, mission, authorization, digest_context)
    mission, caller, _ = _device_login(session, slug, credentials, authorization, digest_context)
    return mission, caller


@dataclass(frozen=True)
class Proved:
    """A device's log-in as read from the database: who it proved to be, and the rows that said so.

    A process keeps these (`ProvedLogins`) so that a phone's next submission need not read its log-in before the
    batch that stores it; that batch reads the same rows again in its own transaction (`confirm`).
    """

    mission: Mission
    caller: Caller
    token: str
    values: dict[str, str]
    rows: tuple[tuple[Any, ...], ...]


def mission_and_login(
    session: Session, slug: str, authorization: str | None, digest_context: digest.Context | None = None
) -> tuple[Mission, Caller, Proved | None]:
    """As `mission_and_caller`, with the proof of a device's token (None for people, Digest and the rest)."""
    try:
        credentials = basic_credentials(authorization)
    except TruceError:
        return (*mission_and_caller(session, slug, authorization, digest_context), None)
    return _device_login(session, slug, credentials, authorization, digest_context)


def confirm(session: Session, proved: Proved) -> None:
    """Check a kept log-in against the database, in the caller's transaction: one query, the log-in's own.

    The same rows as when it was proved give the same caller, so the submission goes on. Different rows (the
    device revoked, its account disabled, a role or its forms changed, the mission edited) are read as a fresh
    log-in would read them: a refusal raises what a fresh log-in raises (401, 403); a caller still allowed raises
    `Unavailable`, since the instance was checked against the old one: the phone sends it again, as itself now.
    """
    slug, username = proved.values["slug"], proved.values["username"]
    rows = ahead.login(session, slug, username)  # read with the rest of its batch's, if it was
    if rows is None:
        rows = tuple(_STATEMENTS.fetchall(session.connection(), "mission_account", proved.values))
    # A row per role, in whatever order the database gives them this time.
    if len(rows) == len(proved.rows) and all(row in proved.rows for row in rows):
        return
    if not rows:
        raise NotFound(f"mission {proved.values['slug']!r} not found")
    mission = loaded(Mission, rows[0][: len(_MISSION_COLUMNS)])
    account, device = _account(rows[0])
    if account is None or device is None:
        raise Unauthorized(REFUSED_PHONE)
    roles = [row[_ROLES_START:] for row in rows if row[_ROLES_START] is not None]
    _device_caller(mission, device, account, proved.token, roles)
    raise Unavailable(CHANGED)


# A kept log-in whose device, account, roles or mission changed, but which is still allowed.
CHANGED = "this device's account or mission changed while the submission was sent; nothing was stored: send it again"


def _device_login(
    session: Session,
    slug: str,
    credentials: Credentials,
    authorization: str | None,
    digest_context: digest.Context | None,
) -> tuple[Mission, Caller, Proved | None]:
    """The mission, account, device and roles in one query on the DB-API cursor; people go on to `caller_for`."""
    values = {"slug": slug, "username": credentials.username}
    rows = _STATEMENTS.fetchall(session.connection(), "mission_account", values)
    if not rows:
        _unknown_mission(session, slug, authorization, digest_context)
    mission = loaded(Mission, rows[0][: len(_MISSION_COLUMNS)])
    account, device = _account(rows[0])
    if account is None or device is None:
        return mission, caller_for(session, mission, authorization, digest_context), None
    roles = [row[_ROLES_START:] for row in rows if row[_ROLES_START] is not None]
    caller = _device_caller(mission, device, account, credentials.password, roles)
    return mission, caller, Proved(mission, caller, credentials.password, values, tuple(rows))


def hashes_a_password(authorization: str | None) -> bool:
    """Whether checking `authorization` means hashing a password (argon2: tens of milliseconds of CPU).

    A person's account over HTTP Basic does; a device's token (SHA-256), Digest and a missing login do not.
    """
    try:
        credentials = basic_credentials(authorization)
    except TruceError:
        return False
    return not credentials.username.startswith(DEVICE_PREFIX)


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
        return None if username.startswith(DEVICE_PREFIX) else (username, "openrosa-digest")
    try:
        credentials = basic_credentials(authorization)
    except TruceError:
        return None
    if credentials.username.startswith(DEVICE_PREFIX):
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


# The same rows for the log-ins of a PostgreSQL batch's submissions (`logins`): its accounts, in its missions.
_NAMES = ARRAY(String)
_MISSION_ACCOUNTS = (
    select(*_MISSION_COLUMNS, *_USER_COLUMNS, *_DEVICE_COLUMNS, *users_service.MEMBERSHIP_COLUMNS)
    .select_from(Mission)
    .join(User, User.username == any_(bindparam("usernames", type_=_NAMES)))
    .outerjoin(Device, Device.user_id == User.id)
    .outerjoin(Membership, Membership.user_id == User.id)
    .outerjoin(Delegation, Delegation.id == Membership.delegation_id)
    .where(Mission.slug == any_(bindparam("slugs", type_=_NAMES)))
)


_USER_START = len(_MISSION_COLUMNS)
_DEVICE_START = _USER_START + len(_USER_COLUMNS)
_ROLES_START = _DEVICE_START + len(_DEVICE_COLUMNS)
_SLUG = [column.key for column in _MISSION_COLUMNS].index("slug")
_USERNAME = _USER_START + [column.key for column in _USER_COLUMNS].index("username")


def _statements(dialect: Dialect) -> dict[str, driver.Prepared]:
    statements = {"mission_account": driver.Prepared(_MISSION_ACCOUNT, dialect)}
    if dialect.name == "postgresql":
        statements["mission_accounts"] = driver.Prepared(_MISSION_ACCOUNTS, dialect)
    return statements


_STATEMENTS = driver.Statements(_statements)


def logins(session: Session, wanted: Sequence[tuple[str, str]]) -> dict[tuple[str, str], ahead.Rows]:
    """The rows `confirm` reads, for several log-ins (mission slug, account name) in one query (PostgreSQL).

    An account or mission that is not found has no rows here: its submission reads for itself (`ahead`).
    """
    values = {"slugs": sorted({slug for slug, _ in wanted}), "usernames": sorted({name for _, name in wanted})}
    found: dict[tuple[str, str], list[tuple[Any, ...]]] = {}
    for row in _STATEMENTS.fetchall(session.connection(), "mission_accounts", values):
        found.setdefault((row[_SLUG], row[_USERNAME]), []).append(row)
    return {key: tuple(rows) for key, rows in found.items() if key in wanted}


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
    if answer.username.startswith(DEVICE_PREFIX):
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
    if not token_matches(token, device.token_hash):
        raise Unauthorized(REFUSED_PHONE)
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
    patrols = _patrols(session, mission, caller) if "patrol" in kinds else []
    parties = [xforms.Choice(p.code, p.name) for p in missions_service.parties(session, mission)]
    return [
        xforms.build(
            mission.slug,
            mission.name,
            kind,
            sites,
            mission.taxonomy,
            patrols=patrols,
            parties=parties,
            classification=mission.default_classification,
        )
        for kind in kinds
    ]


def _patrols(session: Session, mission: Mission, caller: Caller) -> list[xforms.Choice]:
    """The planned patrols, not yet done, that the caller may read: the ones a patrol report may be on."""
    stmt = (
        select(Patrol.id, Patrol.name, Patrol.planned_start)
        .where(
            Patrol.mission_id == mission.id,
            Patrol.status.in_(REPORTABLE_PATROLS),
            policy.readable(caller.actor, Patrol),
        )
        .order_by(Patrol.planned_start, Patrol.id)
    )
    return [xforms.Choice(str(i), f"{name} ({start:%Y-%m-%d %H:%M})") for i, name, start in session.execute(stmt)]
