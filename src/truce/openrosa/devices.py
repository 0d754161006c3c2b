"""Phones: register, list and revoke devices, their tokens, and the ODK Collect settings a QR code carries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import re
import secrets
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import segno
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from truce import policy
from truce.errors import Conflict, Invalid, Message, NotFound
from truce.ledger import service as ledger
from truce.missions.models import Delegation, Mission
from truce.openrosa import xforms
from truce.openrosa.models import Device, Submission
from truce.policy import Actor
from truce.users import service as users_service
from truce.users.models import Membership, User

TOKEN_BYTES = 32
DEVICE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")


def new_token() -> str:
    """A fresh random device token (256 bits), shown once."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What is stored of a token: its SHA-256. A 256-bit random token needs no slow hash to resist guessing."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    """Whether `token` hashes to `stored_hash`, compared in constant time."""
    return hmac.compare_digest(token_hash(token), stored_hash)


def collect_settings(server_url: str, username: str, token: str, project: str) -> dict[str, Any]:
    """ODK Collect's settings: the server, the device's account and token, and the project's name."""
    return {
        "general": {"server_url": server_url, "username": username, "password": token},
        "admin": {},
        "project": {"name": project, "icon": "T"},
    }


def settings_payload(settings: dict[str, Any]) -> str:
    """What an ODK Collect configuration QR code carries: base64 of the zlib-compressed settings JSON."""
    return base64.b64encode(zlib.compress(json.dumps(settings).encode("utf-8"))).decode("ascii")


def read_payload(payload: str) -> dict[str, Any]:
    """The settings a QR payload carries (the inverse of `settings_payload`)."""
    settings: dict[str, Any] = json.loads(zlib.decompress(base64.b64decode(payload)).decode("utf-8"))
    return settings


def qr_svg(payload: str) -> str:
    """The QR code of a payload as an SVG document."""
    buffer = io.BytesIO()
    segno.make(payload, micro=False, error="m").save(buffer, kind="svg", scale=4, xmldecl=False)
    return buffer.getvalue().decode("utf-8")


def qr_terminal(payload: str) -> str:
    """The QR code of a payload drawn with block characters, to scan off a terminal."""
    buffer = io.StringIO()
    segno.make(payload, micro=False, error="m").terminal(out=buffer, compact=True)
    return buffer.getvalue()


@dataclass(frozen=True)
class NewDevice:
    """A device just added, and its token: shown this once, never stored."""

    device: Device
    username: str
    token: str


# Every device's account name starts so, and no person's may (`users_service.create`): how a login is known to be
# a phone's before its account is read.
DEVICE_PREFIX = users_service.DEVICE_PREFIX


def device_username(name: str, mission_id: int) -> str:
    """The account name a new device acts under: `device.<mission id>.<name>`.

    Account names are unique across the instance and device names only within a mission, so the mission is part of
    the name: two missions may each have a phone called `post-7`, and neither learns of the other's. The mission's
    id rather than its slug: a slug may be 64 characters, and the name must fit the 64 an account name has.
    Devices registered before this kept `device.<name>` (one dot, so the two forms never meet); the account a
    device really acts under is `account_name`'s answer, never this one rebuilt from the device's name.
    """
    return f"{DEVICE_PREFIX}{mission_id}.{name}"


def account_name(session: Session, device: Device) -> str:
    """The account name a device acts under and a phone logs in with, whichever form it was registered with."""
    return str(session.execute(select(User.username).where(User.id == device.user_id)).scalar_one())


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
    if _named(session, mission, name):
        raise Conflict(Message("this mission already has a phone named %(name)s", name=name), "name")
    token = new_token()
    # A random password nobody learns: the account cannot log in except through the device's token.
    user = users_service.create(
        session, device_username(name, mission.id), new_token(), mission=mission, role=role,
        delegation_code=delegation_code, actor=actor, display_name=f"device {name}", device=True,
    )  # fmt: skip
    device = Device(
        mission_id=mission.id,
        name=name,
        user_id=user.id,
        token_hash=token_hash(token),
        forms=[xforms.form_id(mission.slug, k) for k in xforms.KINDS if k in kinds],
        created_by=actor.username or "system",
    )
    session.add(device)
    ledger.record(session, actor, "device.create", device)
    return NewDevice(device, user.username, token)


def _named(session: Session, mission: Mission, name: str) -> bool:
    """Whether the mission has a device of this name, revoked or not (other missions' devices are not asked)."""
    stmt = select(Device.id).where(Device.mission_id == mission.id, Device.name == name)
    return session.execute(stmt).first() is not None


def list_devices(session: Session, mission: Mission, *, actor: Actor) -> list[Device]:
    """The mission's devices, revoked ones included (administrators)."""
    policy.require(actor, "user.read", mission.id)
    stmt = select(Device).where(Device.mission_id == mission.id).order_by(Device.id)
    return list(session.execute(stmt).scalars())


@dataclass(frozen=True)
class SilentPhone:
    """A phone that has sent nothing since a moment, and when it last did (None: never)."""

    device_id: int
    name: str
    delegation: str
    last_received: datetime | None


def silent_devices(session: Session, mission: Mission, since: datetime, *, actor: Actor) -> list[SilentPhone]:
    """The mission's working phones with no submission received since `since`, those the actor watches
    (`policy.watches_phones`; only their own delegation's unless `policy.watches_every_phone`), longest silent first.
    """
    if not policy.watches_phones(actor, mission.id):
        return []
    last = (
        select(Submission.device_id, func.max(Submission.received_at).label("last"))
        .where(Submission.mission_id == mission.id, Submission.device_id.is_not(None))
        .group_by(Submission.device_id)
        .subquery()
    )
    stmt = (
        select(Device.id, Device.name, Delegation.code, last.c.last)
        .join(Membership, and_(Membership.user_id == Device.user_id, Membership.mission_id == mission.id))
        .join(Delegation, Delegation.id == Membership.delegation_id)
        .outerjoin(last, last.c.device_id == Device.id)
        .where(Device.mission_id == mission.id, Device.revoked_at.is_(None))
        .where(or_(last.c.last.is_(None), last.c.last < since))
    )
    if not policy.watches_every_phone(actor):
        stmt = stmt.where(Delegation.code == actor.delegation_code)
    rows = session.execute(stmt.order_by(last.c.last.is_not(None), last.c.last, Device.name)).all()
    return [SilentPhone(r[0], r[1], r[2], r[3]) for r in rows]


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
    ledger.record(session, actor, "device.revoke", device)
    user = session.get(User, device.user_id)
    if user is not None and user.active:
        user.active = False
        ledger.record(session, actor, "user.deactivate", user)
    return device
