"""Administration: the mission's places (add sites, areas and lines; remove sites) and its users."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request, Response
from pydantic import ValidationError

from truce import policy
from truce.deps import now
from truce.errors import Conflict, Invalid
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.numbers import Id
from truce.places import service as places_service
from truce.places.models import Area, Line, Site
from truce.places.schemas import AreaIn, LineIn, SiteIn
from truce.users import service as users_service
from truce.web.admin_users import members
from truce.web.context import Page, ReadPage, WritePage
from truce.web.forms import CheckedForm, Form, absorb_invalid
from truce.web.i18n import N_
from truce.web.rendering import redirect, render
from truce.web.routing import page_router

router = page_router()
SITE_KINDS = ("post", "checkpoint", "command_post", "observation_centre", "settlement", "crossing_point")
AREA_KINDS = ("zone_of_control", "separation_zone", "buffer_zone", "corridor", "area_of_responsibility")
LINE_KINDS = ("line_of_contact", "patrol_route", "road", "border")
PLACE_FIELDS = {"properties.name": "name", "properties.kind": "kind", "geometry": "geometry", "properties": "_form"}


def _zone(mission: Mission) -> ZoneInfo:
    try:
        return ZoneInfo(mission.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _places_context(page: Page, site_form: Form, shape_form: Form) -> dict[str, Any]:
    mission = page.mission_or_404()
    listed = {
        key: places_service.list_places(page.session, model, mission, actor=page.actor)
        for key, model in (("sites", Site), ("areas", Area), ("lines", Line))
    }
    return {
        **listed,
        "site_form": site_form,
        "shape_form": shape_form,
        "site_kinds": SITE_KINDS,
        "shape_kinds": [("area:" + k, k) for k in AREA_KINDS] + [("line:" + k, k) for k in LINE_KINDS],
        "parties": missions_service.parties(page.session, mission),
    }


@router.get("/m/{slug}/admin/places", name="admin_places")
def admin_places(request: Request, page: ReadPage) -> Response:
    policy.require(page.actor, "place.write", page.mission_or_404().id)
    forms = (Form(values={"kind": "post", "classification": "mission"}), Form(values={"classification": "mission"}))
    return render(request, "admin/places.html", _places_context(page, *forms))


def _alt_names(text: str) -> list[dict[str, str]]:
    """`Name[:lang], Name[:lang]` as the API's alternate names."""
    result = []
    for part in text.split(","):
        name, _, lang = part.strip().partition(":")
        if name.strip():
            result.append({"name": name.strip(), "lang": lang.strip()})
    return result


def _errors(form: Form, exc: ValidationError) -> None:
    for error in exc.errors():
        path = ".".join(str(p) for p in error.get("loc", ()))
        message = str(error.get("msg", "")).removeprefix("Value error, ")
        form.add_error(PLACE_FIELDS.get(path, path.rsplit(".", 1)[-1] or "_form"), message)


def _point(form: Form) -> dict[str, Any] | None:
    try:
        lat, lon = float(form.get("lat").replace(",", ".")), float(form.get("lon").replace(",", "."))
    except ValueError:
        form.add_error("lat", N_("Enter the latitude and longitude as decimal degrees."))
        return None
    return {"type": "Point", "coordinates": [lon, lat]}


def _save(page: Page, form: Form, build: Any) -> bool:
    try:
        build()
        page.session.flush()
        return True
    except ValidationError as exc:
        _errors(form, exc)
    except Invalid as exc:
        absorb_invalid(form, exc, PLACE_FIELDS)
    except Conflict as exc:
        form.add_error("_form", exc.detail)
    page.session.rollback()
    return False


@router.post("/m/{slug}/admin/sites", name="admin_site_create")
def admin_site_create(request: Request, page: WritePage, form: CheckedForm) -> Response:
    mission = page.mission_or_404()
    geometry = _point(form)
    properties = {
        "name": form.get("name"),
        "kind": form.get("kind"),
        "code": form.get("code") or None,
        "alt_names": _alt_names(form.get("alt_names")),
        "classification": form.get("classification") or "mission",
    }
    if geometry is not None:
        feature = {"type": "Feature", "geometry": geometry, "properties": properties}
        if _save(
            page,
            form,
            lambda: places_service.create_site(page.session, mission, SiteIn.model_validate(feature), actor=page.actor),
        ):
            return redirect(str(request.app.url_path_for("admin_places", slug=mission.slug)) + "#sites")
    context = _places_context(page, form, Form(values={"classification": "mission"}))
    return render(request, "admin/places.html", context, status_code=422)


@router.post("/m/{slug}/admin/shapes", name="admin_shape_create")
def admin_shape_create(request: Request, page: WritePage, form: CheckedForm) -> Response:
    """An area or a line from a pasted GeoJSON geometry (as exported by any GIS)."""
    mission = page.mission_or_404()
    table, _, kind = form.get("kind").partition(":")
    try:
        geometry = json.loads(form.values.get("geometry", ""))
    except ValueError:
        geometry = None
        form.add_error("geometry", N_('Paste a GeoJSON geometry, e.g. {"type": "LineString", ...}.'))
    properties: dict[str, Any] = {
        "name": form.get("name"),
        "kind": kind,
        "classification": form.get("classification") or "mission",
    }
    if table == "area" and form.get("controlled_by"):
        properties["controlled_by"] = form.get("controlled_by")
    if table not in ("area", "line"):
        form.add_error("kind", N_("Choose a kind from the list."))
    if form.ok:
        feature = {"type": "Feature", "geometry": geometry, "properties": properties}
        if _save(page, form, lambda: _create_shape(page, table, feature)):
            return redirect(str(request.app.url_path_for("admin_places", slug=mission.slug)) + "#shapes")
    context = _places_context(page, Form(values={"kind": "post", "classification": "mission"}), form)
    return render(request, "admin/places.html", context, status_code=422)


def _create_shape(page: Page, table: str, feature: dict[str, Any]) -> None:
    mission = page.mission_or_404()
    if table == "area":
        places_service.create_area(page.session, mission, AreaIn.model_validate(feature), actor=page.actor)
    else:
        places_service.create_line(page.session, mission, LineIn.model_validate(feature), actor=page.actor)


@router.get("/m/{slug}/admin/sites/{site_id}/retire", name="admin_site_confirm")
def admin_site_confirm(request: Request, page: ReadPage, site_id: Id) -> Response:
    """Before a site leaves the map: what it is, and how many incidents name it."""
    mission = page.mission_or_404()
    policy.require(page.actor, "place.write", mission.id)
    site = places_service.get_place(page.session, Site, mission, site_id, actor=page.actor)
    context = {"site": site, "used": places_service.incidents_referring(page.session, site)}
    return render(request, "admin/site_retire.html", context)


@router.post("/m/{slug}/admin/sites/{site_id}/delete", name="admin_site_delete")
def admin_site_delete(request: Request, page: WritePage, site_id: Id, form: CheckedForm) -> Response:
    """Retire a site (valid until today) once the administrator has confirmed; nothing is deleted."""
    mission = page.mission_or_404()
    if form.get("confirm") != "yes":
        # One click never removes a site: without the confirmation, the question is asked first.
        return redirect(str(request.app.url_path_for("admin_site_confirm", slug=mission.slug, site_id=site_id)))
    today = now(request).astimezone(_zone(mission)).date()
    site, changed = places_service.retire_site(page.session, mission, site_id, on=today, actor=page.actor)
    target = request.app.url_path_for("admin_places", slug=mission.slug)
    return redirect(f"{target}?retired={site.id}&rederived={changed}#sites")


@router.get("/m/{slug}/admin/users", name="admin_users")
def admin_users(request: Request, page: ReadPage) -> Response:
    form = Form(values={"role": "monitor"})
    return render(request, "admin/users.html", _users_context(page, form))


def _users_context(page: Page, form: Form) -> dict[str, Any]:
    mission = page.mission_or_404()
    return {
        "members": members(page.session, mission, actor=page.actor),
        "delegations": missions_service.delegations(page.session, mission),
        "roles": policy.ROLES,
        "form": form,
    }


@router.post("/m/{slug}/admin/users/{username}/active", name="admin_user_active")
def admin_user_active(request: Request, page: WritePage, username: str, form: CheckedForm) -> Response:
    """Deactivate or reactivate an account; its sessions and tokens end (or may start again) at once."""
    mission = page.mission_or_404()
    active = form.get("active") == "yes"
    users_service.set_active(page.session, mission, username, active, actor=page.actor)
    done = "reactivated" if active else "deactivated"
    target = request.app.url_path_for("admin_users", slug=mission.slug)
    return redirect(f"{target}?{done}={quote(username)}#members")


@router.post("/m/{slug}/admin/users", name="admin_user_create")
def admin_user_create(request: Request, page: WritePage, form: CheckedForm) -> Response:
    mission = page.mission_or_404()
    for name in ("username", "password", "role", "delegation"):
        if not form.get(name):
            form.add_error(name, N_("This field is required."))
    if form.ok:
        try:
            users_service.create(
                page.session,
                form.get("username"),
                form.values.get("password", ""),
                mission=mission,
                role=form.get("role"),
                delegation_code=form.get("delegation"),
                actor=page.actor,
                display_name=form.get("display_name"),
            )
            return redirect(str(request.app.url_path_for("admin_users", slug=mission.slug)))
        except Invalid as exc:
            absorb_invalid(form, exc, {"delegation_code": "delegation"})
        except Conflict as exc:
            form.add_error("username", exc.detail)
        page.session.rollback()
    form.values.pop("password", None)
    return render(request, "admin/users.html", _users_context(page, form), status_code=422)
