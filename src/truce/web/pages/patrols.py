"""Patrols: the list with each one's deviation from its route, and a planning form that draws the route on the map."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from fastapi import Request, Response

from truce import policy
from truce.errors import Invalid, Message
from truce.missions.models import Mission
from truce.numbers import Id
from truce.patrols import service as patrols_service
from truce.patrols.points import Points, PointsBuilder
from truce.patrols.schemas import PatrolIn
from truce.web import flash
from truce.web.context import Page, ReadPage, WritePage
from truce.web.forms import CheckedForm, Form
from truce.web.i18n import N_
from truce.web.pages.entry import zone_label
from truce.web.pages.mapview import map_text
from truce.web.rendering import render
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
    "properties.ended_at": "end",
    "properties": "_form",
}
MAX_ROUTE_POINTS = 2_000
# Positions the patrol screen sends at once: it sends every few, so a batch is small; a larger one is refused.
MAX_BATCH = 1_000


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
    context = {
        "rows": rows,
        "plans": plans,
        "restricts": policy.offers(page.actor, "restriction.create"),
        "zone": ZoneInfo(mission.time_zone),
    }
    return render(request, "patrols/list.html", context)


def _context(page: Page, form: Form) -> dict[str, Any]:
    mission = page.mission_or_404()
    return {"form": form, "zone_label": zone_label(mission.time_zone or "UTC")}


@router.get("/m/{slug}/patrols/{patrol_id}/record", name="patrol_record")
def patrol_record(request: Request, page: ReadPage, patrol_id: Id) -> Response:
    """The patrol screen: records the phone's position while the patrol runs, if the user allows it."""
    mission = page.mission_or_404()
    patrol = patrols_service.check_track_writer(page.session, mission, patrol_id, actor=page.actor)
    return render(request, "patrols/record.html", {"patrol": patrol, "zone": ZoneInfo(mission.time_zone)})


@router.post("/m/{slug}/patrols/{patrol_id}/positions", name="patrol_positions")
def patrol_positions(request: Request, page: WritePage, form: CheckedForm, patrol_id: Id) -> Response:
    """A batch of positions from the patrol screen: `points` as JSON [[lon, lat, time ms, accuracy m], ...]."""
    mission = page.mission_or_404()
    batch = positions_from(form.get("points"))
    track_text = form.get("track_id")
    track_id = int(track_text) if track_text.isdigit() and len(track_text) < 12 else None
    track = patrols_service.add_positions(page.session, mission, patrol_id, track_id, batch, actor=page.actor)
    page.session.flush()
    body = {"track_id": track.id, "point_count": track.point_count}
    return Response(orjson.dumps(body), media_type="application/json")


def positions_from(text: str) -> Points:
    """The points of a batch, checked as any track's are (on the globe, times in order); Invalid names `points`."""
    if len(text) > MAX_BATCH * 100:
        raise Invalid(Message("send at most %(count)s positions at once", count=f"{MAX_BATCH:,}"), "points")
    try:
        rows = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise Invalid(Message("the positions are not JSON"), "points") from None
    if not isinstance(rows, list) or not 1 <= len(rows) <= MAX_BATCH:
        raise Invalid(
            Message(
                "send 1 to %(count)s positions as [longitude, latitude, time ms, accuracy m]", count=f"{MAX_BATCH:,}"
            ),
            "points",
        )
    if len(rows) == 1:
        # A track needs two points; one position sent alone (a slow walk) stands twice, adding no length.
        rows = rows * 2
    builder = PointsBuilder("points")
    for number, row in enumerate(rows, start=1):
        if not (isinstance(row, list) and len(row) == 4 and all(_number(v) for v in row[:3])):
            raise Invalid(
                Message("position %(number)s is not [longitude, latitude, time ms, accuracy m]", number=number),
                "points",
            )
        accuracy = float(row[3]) if _number(row[3]) else None
        builder.add(float(row[0]), float(row[1]), float(row[2]) / 1000.0, accuracy)
    return builder.finish()


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


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
        with page.attempt(form, FIELDS):
            patrol = patrols_service.create(page.session, mission, PatrolIn.model_validate(feature), actor=page.actor)
            page.session.flush()
            target = str(request.app.url_path_for("patrol_list", slug=mission.slug))
            return flash.redirect_with(request, target, N_("The patrol %(name)s is planned."), name=patrol.name)
    return render(request, "patrols/new.html", {**_context(page, form), "map_text": map_text(request)}, status_code=422)
