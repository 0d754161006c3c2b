"""Patrols: the list with each one's deviation from its route, and a planning form that draws the route on the map."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request, Response
from pydantic import ValidationError

from truce import policy
from truce.errors import Invalid
from truce.missions.models import Mission
from truce.patrols import service as patrols_service
from truce.patrols.schemas import PatrolIn
from truce.web.context import Page, ReadPage, WritePage
from truce.web.forms import CheckedForm, Form, absorb_invalid
from truce.web.i18n import N_
from truce.web.pages.entry import zone_label
from truce.web.pages.mapview import map_text
from truce.web.rendering import redirect, render
from truce.web.routing import page_router

router = page_router()
FIELDS = {
    "properties.name": "name",
    "properties.team": "team",
    "properties.planned_start": "date",
    "properties.planned_end": "end",
    "properties.buffer_m": "buffer_m",
    "properties.classification": "classification",
    "geometry": "route",
    "geometry.type": "route",
    "geometry.coordinates": "route",
    "properties": "_form",
}
MAX_ROUTE_POINTS = 2_000


@router.get("/m/{slug}/patrols", name="patrol_list")
def patrol_list(request: Request, page: ReadPage) -> Response:
    mission = page.mission_or_404()
    patrols = patrols_service.list_patrols(page.session, mission, actor=page.actor)
    rows = []
    for patrol in reversed(patrols[-200:]):
        outside: float | None = None
        if patrol.status in ("completed", "under_way"):
            _, compared = patrols_service.deviations(page.session, mission, patrol.id, actor=page.actor)
            outside = sum(found.outside_km for _, found in compared) if compared else None
        rows.append({"patrol": patrol, "outside_km": outside})
    plans = policy.offers(page.actor, "patrol.write")
    return render(request, "patrols/list.html", {"rows": rows, "plans": plans, "zone": ZoneInfo(mission.time_zone)})


def _context(page: Page, form: Form) -> dict[str, Any]:
    mission = page.mission_or_404()
    return {"form": form, "zone_label": zone_label(mission.time_zone or "UTC")}


@router.get("/m/{slug}/patrols/new", name="patrol_new")
def patrol_new(request: Request, page: ReadPage) -> Response:
    mission = page.mission_or_404()
    policy.require(page.actor, "patrol.write", mission.id)
    form = Form(values={"buffer_m": "200", "classification": "mission", "start": "08:00", "end": "12:00"})
    return render(request, "patrols/new.html", {**_context(page, form), "map_text": map_text(request)})


def route_from(text: str, form: Form) -> list[list[float]] | None:
    """`lon lat; lon lat; ...` (what the map writes, and what a person may type) as coordinates."""
    points = [p.split() for p in text.replace(",", " ").replace("\n", ";").split(";") if p.strip()]
    if len(points) > MAX_ROUTE_POINTS:
        form.add_error("route", N_("The route has too many points."))
        return None
    try:
        coordinates = [[float(lon), float(lat)] for lon, lat in points]
    except ValueError:
        form.add_error("route", N_("Write the route as longitude and latitude pairs separated by semicolons."))
        return None
    if len(coordinates) < 2:
        form.add_error("route", N_("Click the map at least twice to draw the route."))
        return None
    return coordinates


def _moment(form: Form, mission: Mission, field: str) -> str | None:
    day, clock = form.get("date"), form.get(field)
    if not day or not clock:
        form.add_error("date" if not day else field, N_("This field is required."))
        return None
    try:
        local = datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=ZoneInfo(mission.time_zone or "UTC"))
    except ValueError:
        form.add_error("date", N_("Enter a date as YYYY-MM-DD and a time as HH:MM."))
        return None
    return local.isoformat()


def feature_from(form: Form, mission: Mission) -> dict[str, Any] | None:
    """The GeoJSON Feature the API would receive, built from the form; None when a field is unusable."""
    route = route_from(form.get("route"), form)
    start, end = _moment(form, mission, "start"), _moment(form, mission, "end")
    if not form.get("name"):
        form.add_error("name", N_("This field is required."))
    try:
        buffer_m = float(form.get("buffer_m") or "200")
    except ValueError:
        form.add_error("buffer_m", N_("Enter a number."))
        buffer_m = 0.0
    if not form.ok or route is None:
        return None
    properties = {
        "name": form.get("name"), "team": form.get("team"), "planned_start": start, "planned_end": end,
        "buffer_m": buffer_m, "note": form.values.get("note", ""),
        "classification": form.get("classification") or "mission",
    }  # fmt: skip
    return {"type": "Feature", "geometry": {"type": "LineString", "coordinates": route}, "properties": properties}


@router.post("/m/{slug}/patrols/new", name="patrol_create")
def patrol_create(request: Request, page: WritePage, form: CheckedForm) -> Response:
    mission = page.mission_or_404()
    policy.require(page.actor, "patrol.write", mission.id)
    feature = feature_from(form, mission)
    if feature is not None:
        try:
            patrols_service.create(page.session, mission, PatrolIn.model_validate(feature), actor=page.actor)
            page.session.flush()
            return redirect(str(request.app.url_path_for("patrol_list", slug=mission.slug)))
        except ValidationError as exc:
            for error in exc.errors():
                path = ".".join(str(part) for part in error.get("loc", ()))
                message = str(error.get("msg", "")).removeprefix("Value error, ")
                about_end = "planned_end" in message or "ended_at" in message
                form.add_error("end" if about_end else FIELDS.get(path, "_form"), message)
        except Invalid as exc:
            if (exc.field or "").startswith("geometry"):
                form.add_error("route", exc.detail)
            else:
                absorb_invalid(form, exc, FIELDS)
    page.session.rollback()
    return render(request, "patrols/new.html", {**_context(page, form), "map_text": map_text(request)}, status_code=422)
