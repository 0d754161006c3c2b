"""Administration: the mission's places (drawn or typed: add, change, retire sites) and its accounts."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request, Response

from truce import placeflow, policy
from truce.deps import now
from truce.errors import Message, NotFound
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.numbers import Id
from truce.places import presenters as place_presenters
from truce.places import service as places_service
from truce.places.models import Area, Line, Site
from truce.places.schemas import AreaIn, LineIn, SiteIn
from truce.users import service as users_service
from truce.web import flash, i18n
from truce.web.admin_users import members
from truce.web.context import Page, ReadPage, WritePage
from truce.web.forms import CheckedForm, Form
from truce.web.i18n import N_
from truce.web.pages.mapview import map_text
from truce.web.rendering import redirect, render
from truce.web.routing import page_router

router = page_router()
SITE_KINDS = ("post", "checkpoint", "command_post", "observation_centre", "settlement", "crossing_point")
AREA_KINDS = ("zone_of_control", "separation_zone", "buffer_zone", "corridor", "area_of_responsibility")
LINE_KINDS = ("line_of_contact", "patrol_route", "road", "border")
PLACE_FIELDS = {
    "properties.name": "name", "properties.kind": "kind", "geometry": "geometry", "properties": "_form",
    "properties.controlled_by": "controlled_by", "properties.code": "code",
}  # fmt: skip
PLACE_TABLES: dict[str, tuple[type[Area] | type[Line] | type[Site], Any, tuple[str, ...]]] = {
    "areas": (Area, AreaIn, AREA_KINDS),
    "lines": (Line, LineIn, LINE_KINDS),
    "sites": (Site, SiteIn, SITE_KINDS),
}


def _zone(mission: Mission) -> ZoneInfo:
    try:
        return ZoneInfo(mission.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def draw_text(request: Request) -> dict[str, Any]:
    """The words of the map editor, in the reader's language."""
    _ = i18n.gettext_for(i18n.negotiate(request))
    return {
        "map": map_text(request),
        "draw": {
            "polygon": _(N_("Draw an area")),
            "polyline": _(N_("Draw a line")),
            "marker": _(N_("Place a site")),
            "edit": _(N_("Move or reshape")),
            "area_drawn": _(N_("Area drawn: name it and choose its kind below, then add it.")),
            "line_drawn": _(N_("Line drawn: name it and choose its kind below, then add it.")),
            "site_drawn": _(N_("Site placed: its latitude and longitude are filled in below; name it, then add it.")),
            "reshaped": _(N_("Shape changed: save the place to keep it.")),
        },
    }


def _places_context(request: Request, page: Page, site_form: Form, shape_form: Form) -> dict[str, Any]:
    mission = page.mission_or_404()
    # The shape form shares the site form's field names (name, kind, classification) on the same page.
    shape_form.ids = "shape-"
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
        "draw_text": draw_text(request),
        "changed": changed_place(request, page),
    }


@router.get("/m/{slug}/admin/places", name="admin_places")
def admin_places(request: Request, page: ReadPage) -> Response:
    policy.require(page.actor, "place.write", page.mission_or_404().id)
    forms = (Form(values={"kind": "post", "classification": "mission"}), Form(values={"classification": "mission"}))
    return render(request, "admin/places.html", _places_context(request, page, *forms))


def changed_place(request: Request, page: Page) -> tuple[Any, str] | None:
    """The place a redirect's `added=` or `changed=` names (`sites:12`), and which of the two it was."""
    for what in ("added", "changed"):
        table, _, place_id = request.query_params.get(what, "").partition(":")
        if table in PLACE_TABLES and place_id.isdigit():
            model, mission = PLACE_TABLES[table][0], page.mission_or_404()
            try:
                return places_service.get_place(page.session, model, mission, int(place_id), actor=page.actor), what
            except NotFound:
                return None
    return None


def _alt_names(text: str) -> list[dict[str, str]]:
    """`Name[:lang], Name[:lang]` as the API's alternate names."""
    result = []
    for part in text.split(","):
        name, _, lang = part.strip().partition(":")
        if name.strip():
            result.append({"name": name.strip(), "lang": lang.strip()})
    return result


def _point(form: Form) -> dict[str, Any] | None:
    try:
        lat, lon = float(form.get("lat").replace(",", ".")), float(form.get("lon").replace(",", "."))
    except ValueError:
        form.add_error("lat", N_("Enter the latitude and longitude as decimal degrees."))
        return None
    return {"type": "Point", "coordinates": [lon, lat]}


def _save(page: Page, form: Form, build: Any) -> bool:
    with page.attempt(form, PLACE_FIELDS, conflicts=True):
        build()
        page.session.flush()
        return True
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
        made: list[placeflow.Changed] = []
        if _save(
            page,
            form,
            lambda: made.append(
                placeflow.create(page.session, mission, SiteIn.model_validate(feature), actor=page.actor)
            ),
        ):
            return _done(request, mission, "added", made[0], "#sites")
    context = _places_context(request, page, form, Form(values={"classification": "mission"}))
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
        made: list[placeflow.Changed] = []
        if _save(page, form, lambda: made.append(_create_shape(page, table, feature))):
            return _done(request, mission, "added", made[0], "#shapes")
    context = _places_context(request, page, Form(values={"kind": "post", "classification": "mission"}), form)
    return render(request, "admin/places.html", context, status_code=422)


def _create_shape(page: Page, table: str, feature: dict[str, Any]) -> placeflow.Changed:
    mission = page.mission_or_404()
    model = AreaIn if table == "area" else LineIn
    return placeflow.create(page.session, mission, model.model_validate(feature), actor=page.actor)


def _done(request: Request, mission: Mission, what: str, change: placeflow.Changed, anchor: str) -> Response:
    """Back to the places, saying what changed and how many incidents had their derived place changed."""
    target = request.app.url_path_for("admin_places", slug=mission.slug)
    query = f"{what}={change.place.__tablename__}:{change.place.id}&rederived={change.rederived}"
    return redirect(f"{target}?{query}{anchor}")


def _place(page: Page, table: str, place_id: int) -> Any:
    if table not in PLACE_TABLES:
        raise NotFound(Message("no such kind of place"))
    mission = page.mission_or_404()
    policy.require(page.actor, "place.write", mission.id)
    return places_service.get_place(page.session, PLACE_TABLES[table][0], mission, place_id, actor=page.actor)


def _stored_feature(page: Page, record: Any) -> dict[str, Any]:
    """The place as the services take it, so that a change of some fields keeps all the others."""
    mission = page.mission_or_404()
    stored = place_presenters.feature_collection(page.session, mission, [record])["features"][0]
    properties = {k: v for k, v in stored["properties"].items() if k != "id"}
    properties["translations"] = record.translations
    return {"type": "Feature", "geometry": stored["geometry"], "properties": properties}


def _edit_context(request: Request, page: Page, table: str, record: Any, form: Form) -> dict[str, Any]:
    mission = page.mission_or_404()
    return {
        "table": table,
        "place": record,
        "form": form,
        "kinds": PLACE_TABLES[table][2],
        "parties": missions_service.parties(page.session, mission),
        "used": placeflow.incidents_naming(page.session, record),
        "draw_text": draw_text(request),
    }


@router.get("/m/{slug}/admin/{table}/{place_id}/edit", name="admin_place_edit")
def admin_place_edit(request: Request, page: ReadPage, table: str, place_id: Id) -> Response:
    """Change a place: move or reshape it on the map, rename it, say who controls it."""
    record = _place(page, table, place_id)
    stored = _stored_feature(page, record)
    props = stored["properties"]
    values = {
        "name": props["name"], "kind": props["kind"], "classification": props["classification"],
        "controlled_by": props.get("controlled_by") or "", "code": props.get("code") or "",
        "geometry": json.dumps(stored["geometry"]),
    }  # fmt: skip
    return render(request, "admin/place_edit.html", _edit_context(request, page, table, record, Form(values=values)))


@router.post("/m/{slug}/admin/{table}/{place_id}/edit", name="admin_place_update")
def admin_place_update(request: Request, page: WritePage, table: str, place_id: Id, form: CheckedForm) -> Response:
    """Store the change through the map's flow; the incidents it touches are derived again, and counted."""
    mission = page.mission_or_404()
    record = _place(page, table, place_id)
    feature = _stored_feature(page, record)
    try:
        feature["geometry"] = json.loads(form.values.get("geometry", ""))
    except ValueError:
        form.add_error("geometry", N_('Paste a GeoJSON geometry, e.g. {"type": "LineString", ...}.'))
    props = feature["properties"]
    props.update(name=form.get("name"), kind=form.get("kind"), classification=form.get("classification") or "mission")
    if table == "areas":
        props["controlled_by"] = form.get("controlled_by") or None
    if table == "sites":
        props["code"] = form.get("code") or None
    if form.ok:
        schema = PLACE_TABLES[table][1]
        made: list[placeflow.Changed] = []
        change = lambda: made.append(  # noqa: E731
            placeflow.update(page.session, mission, record, schema.model_validate(feature), actor=page.actor)
        )
        if _save(page, form, change):
            return _done(request, mission, "changed", made[0], "#" + ("sites" if table == "sites" else "shapes"))
        record = _place(page, table, place_id)
    return render(request, "admin/place_edit.html", _edit_context(request, page, table, record, form), status_code=422)


@router.get("/m/{slug}/admin/sites/{site_id}/retire", name="admin_site_confirm")
def admin_site_confirm(request: Request, page: ReadPage, site_id: Id) -> Response:
    """Before a site leaves the map: what it is, and how many incidents name it."""
    mission = page.mission_or_404()
    policy.require(page.actor, "place.write", mission.id)
    site = places_service.get_place(page.session, Site, mission, site_id, actor=page.actor)
    context = {"site": site, "used": placeflow.incidents_naming(page.session, site)}
    return render(request, "admin/site_retire.html", context)


@router.post("/m/{slug}/admin/sites/{site_id}/delete", name="admin_site_delete")
def admin_site_delete(request: Request, page: WritePage, site_id: Id, form: CheckedForm) -> Response:
    """Retire a site (valid until today) once the administrator has confirmed; nothing is deleted."""
    mission = page.mission_or_404()
    if form.get("confirm") != "yes":
        # One click never removes a site: without the confirmation, the question is asked first.
        return redirect(str(request.app.url_path_for("admin_site_confirm", slug=mission.slug, site_id=site_id)))
    today = now(request).astimezone(_zone(mission)).date()
    retired = placeflow.retire_site(page.session, mission, site_id, on=today, actor=page.actor)
    target = request.app.url_path_for("admin_places", slug=mission.slug)
    return redirect(f"{target}?retired={retired.place.id}&rederived={retired.rederived}#sites")


@router.get("/m/{slug}/admin/users", name="admin_users")
def admin_users(request: Request, page: ReadPage) -> Response:
    form = Form(values={"role": "monitor"})
    return render(request, "admin/users.html", _users_context(page, form))


def _users_context(page: Page, form: Form) -> dict[str, Any]:
    mission = page.mission_or_404()
    return {
        "members": members(page.session, mission, actor=page.actor),
        "roles": policy.ROLES,
        "form": form,
    }


DEACTIVATED = N_("%(name)s is deactivated: their sessions, tokens and phone log-ins have ended.")
ACTIVE_AGAIN = N_("%(name)s is active again and may log in.")
ACCOUNT_CREATED = N_("The account %(name)s is created; it may log in to this mission.")


@router.post("/m/{slug}/admin/users/{username}/active", name="admin_user_active")
def admin_user_active(request: Request, page: WritePage, username: str, form: CheckedForm) -> Response:
    """Deactivate or reactivate an account; its sessions and tokens end (or may start again) at once."""
    mission = page.mission_or_404()
    active = form.get("active") == "yes"
    users_service.set_active(page.session, mission, username, active, actor=page.actor)
    done = ACTIVE_AGAIN if active else DEACTIVATED
    target = str(request.app.url_path_for("admin_users", slug=mission.slug))
    return flash.redirect_with(request, f"{target}#members", done, name=username)


@router.post("/m/{slug}/admin/users/{username}/role", name="admin_user_role")
def admin_user_role(request: Request, page: WritePage, username: str, form: CheckedForm) -> Response:
    """Give a member another role in the mission; their next request acts in it."""
    mission = page.mission_or_404()
    # The role comes from a list; a forged one is refused by the service with a field-named error.
    users_service.set_role(page.session, mission, username, form.get("role"), actor=page.actor)
    target = request.app.url_path_for("admin_users", slug=mission.slug)
    return redirect(f"{target}?role_changed={quote(username)}#members")


@router.get("/m/{slug}/admin/users/{username}/reset", name="admin_user_reset_confirm")
def admin_user_reset_confirm(request: Request, page: ReadPage, username: str) -> Response:
    """Before a password is reset: whose, and what it ends."""
    mission = page.mission_or_404()
    policy.require(page.actor, "user.write", mission.id)
    member = next((m for m in members(page.session, mission, actor=page.actor) if m.username == username), None)
    if member is None:
        raise NotFound(Message("no member %(name)r in this mission", name=username))
    return render(request, "admin/user_reset.html", {"member": member, "temporary": None})


@router.post("/m/{slug}/admin/users/{username}/reset", name="admin_user_reset")
def admin_user_reset(request: Request, page: WritePage, username: str, form: CheckedForm) -> Response:
    """Reset a member's password to a temporary one, shown on this answer only (never stored, never cached)."""
    mission = page.mission_or_404()
    if form.get("confirm") != "yes":
        return redirect(str(request.app.url_path_for("admin_user_reset_confirm", slug=mission.slug, username=username)))
    temporary = users_service.reset_password(page.session, mission, username, actor=page.actor)
    member = next(m for m in members(page.session, mission, actor=page.actor) if m.username == username)
    answer = render(request, "admin/user_reset.html", {"member": member, "temporary": temporary})
    answer.headers["Cache-Control"] = "no-store"
    return answer


@router.post("/m/{slug}/admin/users", name="admin_user_create")
def admin_user_create(request: Request, page: WritePage, form: CheckedForm) -> Response:
    mission = page.mission_or_404()
    for name in ("username", "password", "role", "delegation"):
        if not form.get(name):
            form.add_error(name, N_("This field is required."))
    if form.ok:
        with page.attempt(form, {"delegation_code": "delegation"}, conflicts=True):
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
            target = str(request.app.url_path_for("admin_users", slug=mission.slug))
            return flash.redirect_with(request, f"{target}#members", ACCOUNT_CREATED, name=form.get("username"))
    form.values.pop("password", None)
    return render(request, "admin/users.html", _users_context(page, form), status_code=422)
