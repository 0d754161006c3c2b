"""Incident entry: place it by clicking the map (or typing the position), or by bearing and distance from a post."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request, Response
from pydantic import ValidationError

from truce import policy
from truce.errors import Invalid
from truce.incidents import service as incidents_service
from truce.incidents.schemas import IncidentIn
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.places import service as places_service
from truce.places.models import Site
from truce.web import taxonomy as web_taxonomy
from truce.web.context import Page, ReadPage, WritePage
from truce.web.forms import CheckedForm, Form, absorb_invalid
from truce.web.i18n import N_
from truce.web.pages.mapview import map_text
from truce.web.rendering import redirect, render
from truce.web.routing import page_router

router = page_router()
# Where a service's or a model's complaint about a property belongs on the form.
FIELDS = {
    "properties.type": "type",
    "properties.subtype": "subtype",
    "properties.start": "date",
    "properties.end": "date",
    "properties.time_precision": "time_precision",
    "properties.source": "source",
    "properties.means": "means",
    "properties.narrative": "narrative",
    "properties.classification": "classification",
    "properties.restricted_to": "restricted_to",
    "properties.observer_site": "observer_site",
    "properties.bearing_deg": "bearing_deg",
    "properties.distance_km": "distance_km",
    "geometry": "lat",
    "properties": "_form",
}


def _context(page: Page, form: Form) -> dict[str, Any]:
    mission = page.mission_or_404()
    posts = places_service.list_places(page.session, Site, mission, actor=page.actor)
    delegations = missions_service.delegations(page.session, mission)
    return {
        "form": form,
        "taxonomy": web_taxonomy.subtypes(mission),
        "posts": [p for p in posts if p.kind != "settlement"],
        "delegations": delegations,
        "liaison": policy.files_allegations(page.actor),
        "zone_label": zone_label(mission.time_zone or "UTC"),
    }


def zone_label(name: str) -> str:
    """`UTC+04:00`, with the zone's name when it says more than the offset (not for POSIX-style `Etc/GMT-4`)."""
    offset = datetime.now(ZoneInfo(name)).strftime("%z")
    label = f"UTC{offset[:3]}:{offset[3:]}"
    return label if name.startswith("Etc/") or name == "UTC" else f"{label}, {name}"


@router.get("/m/{slug}/incidents/new", name="incident_new")
def incident_new(request: Request, page: ReadPage) -> Response:
    mission = page.mission_or_404()
    policy.require(page.actor, "incident.create", mission.id)
    form = Form(values={"placement": "map", "time_precision": "minute", "classification": "mission"})
    if policy.files_allegations(page.actor):
        form.values.update(source="party", classification="parties")
    return render(request, "incidents/new.html", {**_context(page, form), "map_text": map_text(request)})


def _number(form: Form, name: str, low: float, high: float) -> float | None:
    text = form.get(name).replace(",", ".")
    if not text:
        form.add_error(name, N_("This field is required."))
        return None
    try:
        value = float(text)
    except ValueError:
        form.add_error(name, N_("Enter a number."))
        return None
    if not low <= value <= high:
        form.add_error(name, N_("Out of range."))
        return None
    return value


def _start(form: Form, mission: Mission) -> str | None:
    day, clock = form.get("date"), form.get("time") or "00:00"
    if not day:
        form.add_error("date", N_("This field is required."))
        return None
    try:
        local = datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=ZoneInfo(mission.time_zone or "UTC"))
    except ValueError:
        form.add_error("date", N_("Enter a date as YYYY-MM-DD and a time as HH:MM."))
        return None
    return local.isoformat()


def feature_from(form: Form, mission: Mission, restricted_to: list[str]) -> dict[str, Any] | None:
    """The GeoJSON Feature the API would receive, built from the form; None when a field is unusable."""
    start = _start(form, mission)
    properties: dict[str, Any] = {
        "type": form.get("type"),
        "subtype": form.get("subtype"),
        "start": start,
        "time_precision": form.get("time_precision") or "minute",
        "source": form.get("source"),
        "means": form.get("means") or None,
        "narrative": form.values.get("narrative", ""),
        "classification": form.get("classification") or "mission",
        "restricted_to": restricted_to,
    }
    geometry = None
    if form.get("placement") == "post":
        site = form.get("observer_site")
        if not site.isdigit():
            form.add_error("observer_site", N_("Choose a post."))
        properties["observer_site"] = int(site) if site.isdigit() else None
        properties["bearing_deg"] = _number(form, "bearing_deg", 0, 359.999)
        properties["distance_km"] = _number(form, "distance_km", 0, 100)
    else:
        lat, lon = _number(form, "lat", -90, 90), _number(form, "lon", -180, 180)
        if lat is not None and lon is not None:
            geometry = {"type": "Point", "coordinates": [lon, lat]}
    for name in ("type", "subtype", "source"):
        if not form.get(name):
            form.add_error(name, N_("This field is required."))
    return {"type": "Feature", "geometry": geometry, "properties": properties} if form.ok else None


def _place_error(form: Form, exc: ValidationError) -> None:
    """Put each complaint on its field; the model-wide ones are routed by what they are about."""
    for error in exc.errors():
        path = ".".join(str(part) for part in error.get("loc", ()))
        message = str(error.get("msg", "")).removeprefix("Value error, ")
        if path not in ("", "properties"):
            form.add_error(FIELDS.get(path, path.rsplit(".", 1)[-1]), message)
        elif message.startswith("subtype"):
            form.add_error("subtype", message)
        elif message.startswith("type must"):
            form.add_error("type", message)
        elif message.startswith("end is before"):
            form.add_error("date", message)
        elif message.startswith("give a geometry"):
            form.add_error("lat", N_("Click the map, type the position, or give a post, a bearing and a distance."))
        else:
            form.add_error("_form", message)


@router.post("/m/{slug}/incidents/new", name="incident_create")
def incident_create(request: Request, page: WritePage, form: CheckedForm) -> Response:
    mission = page.mission_or_404()
    restricted_to = [v for k, v in form.values.items() if k.startswith("restricted_to.")]
    feature = feature_from(form, mission, restricted_to)
    if feature is not None:
        try:
            data = IncidentIn.model_validate(feature)
            incident = incidents_service.create(page.session, mission, data, actor=page.actor)
            page.session.flush()
            url = request.app.url_path_for("incident_detail", slug=mission.slug, incident_id=str(incident.id))
            return redirect(str(url))
        except ValidationError as exc:
            _place_error(form, exc)
        except Invalid as exc:
            absorb_invalid(form, exc, FIELDS)
    page.session.rollback()
    context = {**_context(page, form), "map_text": map_text(request), "restricted": set(restricted_to)}
    return render(request, "incidents/new.html", context, status_code=422)
