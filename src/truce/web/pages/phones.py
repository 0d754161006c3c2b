"""Administration of phones (ODK Collect devices): register one (its QR code shown once), list them, revoke one."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from sqlalchemy import select

from truce import policy
from truce.numbers import Id
from truce.openrosa import address, devices
from truce.users.models import Membership
from truce.web import flash
from truce.web.context import Page, ReadPage, WritePage
from truce.web.forms import CheckedForm, Form
from truce.web.i18n import N_
from truce.web.rendering import render
from truce.web.routing import page_router

router = page_router()
# The phone's account is named after the mission and the phone, so an account name taken is the name field's problem.
FIELDS = {"name": "name", "delegation_code": "delegation", "role": "role", "username": "name"}


def _context(page: Page, form: Form) -> dict[str, Any]:
    mission = page.mission_or_404()
    phones = devices.list_devices(page.session, mission, actor=page.actor)
    stmt = select(Membership.user_id, Membership.role).where(
        Membership.mission_id == mission.id, Membership.user_id.in_([d.user_id for d in phones])
    )
    roles: dict[int, str] = {user_id: role for user_id, role in page.session.execute(stmt)}
    return {
        "phones": phones,
        "phone_roles": roles,
        "form": form,
        "roles": policy.DEVICE_ROLES,
    }


@router.get("/m/{slug}/admin/phones", name="admin_phones")
def admin_phones(request: Request, page: ReadPage) -> Response:
    """The mission's phones, revoked ones included, and the form that registers another."""
    return render(request, "admin/phones.html", _context(page, Form(values={"role": "monitor"})))


@router.post("/m/{slug}/admin/phones", name="admin_phone_create")
def admin_phone_create(request: Request, page: WritePage, form: CheckedForm) -> Response:
    """Register a phone; the answer shows its QR code (ODK Collect's settings with its token) this once."""
    mission = page.mission_or_404()
    for name in ("name", "delegation"):
        if not form.get(name):
            form.add_error(name, N_("This field is required."))
    if form.ok:
        with page.attempt(form, FIELDS, conflicts=True):
            added = devices.add_device(
                page.session, mission, form.get("name"), delegation_code=form.get("delegation"),
                role=form.get("role") or "monitor", actor=page.actor,
            )  # fmt: skip
            page.session.flush()
            server_url = address.openrosa_base(request, mission.slug)
            settings = devices.collect_settings(server_url, added.username, added.token, mission.name)
            context = {"device": added.device, "username": added.username, "server_url": server_url,
                       "token": added.token, "qr_svg": devices.qr_svg(devices.settings_payload(settings))}  # fmt: skip
            return render(request, "admin/phone_added.html", context)
    return render(request, "admin/phones.html", _context(page, form), status_code=422)


@router.post("/m/{slug}/admin/phones/{device_id}/revoke", name="admin_phone_revoke")
def admin_phone_revoke(request: Request, page: WritePage, device_id: Id, form: CheckedForm) -> Response:
    """Stop a phone at once: its token and its account stop working with its next request."""
    mission = page.mission_or_404()
    device = devices.revoke_device(page.session, mission, device_id, actor=page.actor)
    target = str(request.app.url_path_for("admin_phones", slug=mission.slug))
    return flash.redirect_with(
        request, f"{target}#phones", N_("%(name)s is revoked: its token no longer works."), name=device.name
    )
