"""Create users, check passwords and work out who is acting in a mission."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import Session

from truce import policy, text
from truce.config import Settings
from truce.errors import Conflict, Forbidden, Invalid, Message, NotFound
from truce.ledger import service as ledger
from truce.missions import service as missions_service
from truce.missions.models import Delegation, Mission
from truce.policy import Actor
from truce.users import digest_secrets
from truce.users.models import DigestSecret, Membership, User

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
# Phones' accounts (openrosa/devices.py) and only theirs begin so: a login is known as a phone's by its name alone.
DEVICE_PREFIX = "device."
MIN_PASSWORD = 8


@cache
def _hasher() -> PasswordHasher:
    """argon2-cffi's defaults (RFC 9106's low-memory profile), or the test suite's one pass over 8 KiB.

    Verifying reads the cost from the hash itself, so either profile checks the hashes of both.
    """
    if Settings().password_hashing == "fast":  # noqa: S105 - a hashing profile, not a password
        return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Checked against when the user is unknown, so that a wrong name costs as long as a wrong password."""
    return _hasher().hash("not-a-real-password")


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    if len(password) < MIN_PASSWORD:
        raise Invalid(Message("must be at least %(count)s characters", count=MIN_PASSWORD), "password")
    return _hasher().hash(password)


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or None."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    try:
        _hasher().verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    return user if user is not None and user.active else None


def get_by_name(session: Session, username: str) -> User | None:
    """The user called `username`, if any."""
    return session.execute(select(User).where(User.username == username)).scalar_one_or_none()


def create(
    session: Session,
    username: str,
    password: str,
    *,
    mission: Mission,
    role: str,
    delegation_code: str,
    actor: Actor,
    display_name: str = "",
    digest_login: bool = False,
    hashed: str | None = None,
    device: bool = False,
) -> User:
    """Create a user with one role in one mission's delegation; `digest_login` keeps what HTTP Digest needs.

    `hashed` is `hash_password(password)` made earlier: the demo's accounts share one password and one hash.
    `device` is for a phone's own account (openrosa/devices.py), the only kind named `device.…`.
    """
    policy.require(actor, "user.write", mission.id)
    _check_username(username, device=device)
    if not policy.is_role(role):
        raise Invalid(Message("must be one of %(choices)s", choices=", ".join(policy.ROLES)), "role")
    try:
        display_name = text.clean(display_name)
    except ValueError as exc:
        raise Invalid(exc.args[0], "display_name") from None
    delegation = missions_service.delegation_by_code(session, mission, delegation_code)
    if get_by_name(session, username) is not None:
        raise Conflict(Message("a user named %(name)r exists already", name=username), "username")
    user = User(username=username, password_hash=hashed or hash_password(password), display_name=display_name)
    session.add(user)
    ledger.record(session, actor, "user.create", user)
    membership = Membership(user_id=user.id, mission_id=mission.id, delegation_id=delegation.id, role=role)
    session.add(membership)
    ledger.record(session, actor, "membership.create", membership)
    if digest_login:
        _keep_digest_secret(session, user, password, actor)
    return user


def _check_username(username: str, *, device: bool) -> None:
    """Refuse a malformed name, and a person's name in the form kept for phones' accounts.

    A person named `device.<mission id>.<name>` would take a phone's name before it was registered, and be mistaken
    for a phone at every login (openrosa/callers.py knows phones by the prefix).
    """
    if not USERNAME.match(username):
        raise Invalid(Message("use 2-64 lower-case letters, digits, dots, dashes or underscores"), "username")
    if username.startswith(DEVICE_PREFIX) and not device:
        raise Invalid(Message("names beginning with 'device.' are kept for phones' accounts"), "username")


def create_operator(session: Session, username: str, password: str, *, actor: Actor) -> User:
    """Create an operator of the installation: an account above missions, holding no role in any."""
    if not policy.creates_missions(actor):
        raise Forbidden(Message("only an operator names operators"))
    _check_username(username, device=False)
    if get_by_name(session, username) is not None:
        raise Conflict(Message("a user named %(name)r exists already", name=username), "username")
    user = User(username=username, password_hash=hash_password(password), operator=True)
    session.add(user)
    ledger.record(session, actor, "user.create", user)
    return user


def set_operator(session: Session, user: User, operator: bool, *, actor: Actor) -> User:
    """Make an account an operator of the installation, or no longer one."""
    if not policy.creates_missions(actor):
        raise Forbidden(Message("only an operator names operators"))
    user.operator = operator
    ledger.record(session, actor, "user.update", user)
    return user


def change_password(session: Session, user: User, current: str, new: str, *, actor: Actor) -> User:
    """The holder changes their password, proving the current one; every session and token made with the old
    one ends (they carry its tag), and a Digest login is kept, renewed for the new password."""
    if not policy.changes_password_of(actor, user.id):
        raise Forbidden(Message("only the account's holder changes its password this way"))
    try:
        _hasher().verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise Invalid(Message("this is not your current password"), "current_password") from None
    if new == current:
        raise Invalid(Message("choose a password other than the current one"), "new_password")
    if len(new) < MIN_PASSWORD:
        raise Invalid(Message("must be at least %(count)s characters", count=MIN_PASSWORD), "new_password")
    user.password_hash = hash_password(new)
    ledger.record(session, actor, "user.password", user)
    if session.get(DigestSecret, user.id) is not None:
        _keep_digest_secret(session, user, new, actor)
    return user


def set_active(session: Session, mission: Mission, username: str, active: bool, *, actor: Actor) -> User:
    """Deactivate or reactivate a member of the mission; a deactivated account's sessions, tokens and phone
    logins stop at once (each is checked against the account on every request)."""
    policy.require(actor, "user.write", mission.id)
    user = get_by_name(session, username)
    member = user is not None and mission.id in memberships(session, user.id)
    if user is None or not member:
        raise NotFound(Message("no member %(name)r in this mission", name=username))
    if user.id == actor.user_id and not active:
        raise Conflict(Message("you cannot deactivate your own account"))
    if user.active != active:
        user.active = active
        ledger.record(session, actor, "user.reactivate" if active else "user.deactivate", user)
    return user


def _managed_member(session: Session, mission: Mission, username: str, actor: Actor) -> tuple[User, Membership]:
    policy.require(actor, "user.write", mission.id)
    user = get_by_name(session, username)
    membership = None
    if user is not None:
        stmt = select(Membership).where(Membership.user_id == user.id, Membership.mission_id == mission.id)
        membership = session.scalars(stmt).first()
    if user is None or membership is None:
        raise NotFound(Message("no member %(name)r in this mission", name=username))
    if not policy.manages_account(actor, mission.id, target_id=user.id, target_operator=user.operator):
        raise Forbidden(Message("you may not change this account (your own: use the password page)"))
    return user, membership


def reset_password(session: Session, mission: Mission, username: str, *, actor: Actor) -> str:
    """An administrator gives a member a new, temporary password, returned once and stored only as its hash.

    Every session and token made with the old password ends (they carry its tag); a Digest login is renewed
    for the new one. The holder should change it at once on their password page.
    """
    user, _ = _managed_member(session, mission, username, actor)
    temporary = secrets.token_urlsafe(12)
    user.password_hash = hash_password(temporary)
    ledger.record(session, actor, "user.password_reset", user)
    if session.get(DigestSecret, user.id) is not None:
        _keep_digest_secret(session, user, temporary, actor)
    return temporary


def set_role(session: Session, mission: Mission, username: str, role: str, *, actor: Actor) -> Membership:
    """An administrator changes a member's role in the mission; their next request acts in the new role."""
    if not policy.is_role(role):
        raise Invalid(Message("role must be one of %(choices)s", choices=", ".join(policy.ROLES)), "role")
    _, membership = _managed_member(session, mission, username, actor)
    membership.role = role
    # Logged only when it changed (the same role chosen again changes nothing).
    if inspect(membership).attrs.role.history.has_changes():
        ledger.record(session, actor, "membership.role", membership)
    return membership


def password_tag(user: User) -> str:
    """A short digest of the password hash: what a login made with the password remembers of it."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def enable_digest(session: Session, user: User, password: str, *, actor: Actor) -> User:
    """Keep what HTTP Digest logins need; the account's own password is the proof that it may."""
    try:
        _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise Invalid(Message("this is not the account's password"), "password") from None
    _keep_digest_secret(session, user, password, actor)
    return user


def disable_digest(session: Session, user: User, *, actor: Actor) -> User:
    """Forget the account's Digest secret: only Basic logs it in from then on."""
    secret = session.get(DigestSecret, user.id)
    if secret is not None:
        session.delete(secret)
        ledger.record(session, actor, "user.digest_off", user)
    return user


def digest_secret(session: Session, user: User, algorithm: str) -> str | None:
    """The account's H(username:realm:password) for `algorithm`, or None when it has no Digest login."""
    secret = session.get(DigestSecret, user.id)
    if secret is None or secret.password_tag != password_tag(user):
        return None
    return secret.md5 if algorithm == "MD5" else secret.sha256


def _keep_digest_secret(session: Session, user: User, password: str, actor: Actor) -> None:
    session.flush()
    secret = session.get(DigestSecret, user.id) or DigestSecret(user_id=user.id)
    secret.md5 = digest_secrets.ha1("MD5", user.username, password)
    secret.sha256 = digest_secrets.ha1("SHA-256", user.username, password)
    secret.password_tag = password_tag(user)
    session.add(secret)
    # The log records that Digest was turned on, and by whom; never the secret, nor a digest of it.
    ledger.record(session, actor, "user.digest_on", user)


def add_membership(
    session: Session, user: User, *, mission: Mission, role: str, delegation_code: str, actor: Actor
) -> Membership:
    """Give an existing user a role in another mission."""
    policy.require(actor, "user.write", mission.id)
    if not policy.is_role(role):
        raise Invalid(Message("must be one of %(choices)s", choices=", ".join(policy.ROLES)), "role")
    delegation = missions_service.delegation_by_code(session, mission, delegation_code)
    existing = session.execute(
        select(Membership).where(Membership.user_id == user.id, Membership.mission_id == mission.id)
    ).scalar_one_or_none()
    if existing is not None:
        raise Conflict(
            Message("%(name)s already holds a role in %(mission)s", name=user.username, mission=mission.slug)
        )
    membership = Membership(user_id=user.id, mission_id=mission.id, delegation_id=delegation.id, role=role)
    session.add(membership)
    ledger.record(session, actor, "membership.create", membership)
    return membership


def memberships(session: Session, user_id: int) -> dict[int, str]:
    """Mission id to role, for every mission the user holds a role in."""
    rows = session.execute(select(Membership.mission_id, Membership.role).where(Membership.user_id == user_id))
    return {mission_id: role for mission_id, role in rows}


# Every role the user holds, with the delegation it is held in: what an actor is made of, in one query.
MEMBERSHIP_COLUMNS = (Membership.mission_id, Membership.role, Delegation.id, Delegation.code)
_ROLES = (
    select(*MEMBERSHIP_COLUMNS)
    .join(Delegation, Delegation.id == Membership.delegation_id)
    .where(Membership.user_id == bindparam("roles_user_id"))
)


def actor_for(session: Session, user: User | None, mission: Mission | None) -> Actor:
    """The actor a user is inside a mission; someone without a role there acts as the public."""
    if user is None:
        return Actor.anonymous(mission.id if mission else None)
    rows = session.execute(_ROLES, {"roles_user_id": user.id}).all()
    return actor_from(user, mission, [tuple(row) for row in rows])


def actor_from(user: User, mission: Mission | None, roles: Sequence[tuple[int, str, int, str]]) -> Actor:
    """The actor of `actor_for`, from the user's (mission id, role, delegation id, delegation code) rows."""
    memberships = {mission_id: role for mission_id, role, _, _ in roles}
    here = [row for row in roles if mission is not None and row[0] == mission.id]
    if not here:
        mission_id = mission.id if mission else None
        return Actor(
            username=user.username,
            role=policy.PUBLIC,
            user_id=user.id,
            mission_id=mission_id,
            memberships=memberships,
            operator=user.operator,
        )
    _, role, delegation_id, delegation_code = here[0]
    return Actor(
        username=user.username,
        role=role,
        user_id=user.id,
        mission_id=here[0][0],
        delegation_id=delegation_id,
        delegation_code=delegation_code,
        memberships=memberships,
        operator=user.operator,
    )
