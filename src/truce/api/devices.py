"""Administrators' JSON API for devices: add one (its token and QR code shown once), list, revoke."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request, status
from pydantic import Field
from sqlalchemy import select

from truce.api.paging import Page
from truce.deps import MissionScope, ReadScope, WriteScope
from truce.missions.schemas import StrictModel
from truce.numbers import Id
from truce.openrosa import address, devices
from truce.openrosa.models import Device
from truce.routers import DeclaredRouter
from truce.users.models import Membership, User

router = DeclaredRouter(tags=["devices"])
PATH = "/missions/{slug}/devices"


class DeviceIn(StrictModel):
    name: str = Field(min_length=2, max_length=40, description="lower-case letters, digits or dashes")
    delegation: str = Field(max_length=32, description="the code of the delegation the device reports for")
    role: str = Field(default="monitor", description="monitor or humanitarian")
    forms: list[str] | None = Field(default=None, description="incident, checkpoint, patrol; all when absent")


def _view(scope: MissionScope, device: Device) -> dict[str, Any]:
    # The account as it is named: `device.<mission id>.<name>`, or `device.<name>` for a phone registered before.
    username, role = scope.session.execute(
        select(User.username, Membership.role)
        .outerjoin(Membership, Membership.user_id == User.id)
        .where(User.id == device.user_id)
    ).one()
    revoked: datetime | None = device.revoked_at
    return {
        "id": device.id,
        "name": device.name,
        "username": username,
        "role": role,
        "forms": device.forms,
        "created_by": device.created_by,
        "created_at": device.created_at.isoformat(),
        "revoked_at": revoked.isoformat() if revoked else None,
    }


@router.post(PATH, status_code=status.HTTP_201_CREATED)
def add_device(request: Request, scope: WriteScope, body: DeviceIn) -> dict[str, Any]:
    """Register a phone; the answer holds its token and a QR code of ODK Collect's settings, shown this once."""
    added = devices.add_device(
        scope.session, scope.mission, body.name, delegation_code=body.delegation, role=body.role,
        forms=body.forms, actor=scope.actor,
    )  # fmt: skip
    server_url = address.openrosa_base(request, scope.mission.slug)
    payload = devices.settings_payload(
        devices.collect_settings(server_url, added.username, added.token, scope.mission.name)
    )
    return {
        **_view(scope, added.device),
        "token": added.token,
        "server_url": server_url,
        "settings": payload,
        "qr_svg": devices.qr_svg(payload),
    }


@router.get(PATH)
def list_devices(scope: ReadScope, paging: Page) -> list[dict[str, Any]]:
    """The mission's devices, revoked ones included."""
    rows = devices.list_devices(scope.session, scope.mission, actor=scope.actor)
    return [_view(scope, d) for d in paging.page(rows)]


@router.post(PATH + "/{device_id}/revoke")
def revoke_device(scope: WriteScope, device_id: Id) -> dict[str, Any]:
    """Stop a device at once."""
    return _view(scope, devices.revoke_device(scope.session, scope.mission, device_id, actor=scope.actor))
