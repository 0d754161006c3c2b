"""Incident entry: place it by clicking the map (or typing the position), or by bearing and distance from a post."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request, Response
from pydantic import ValidationError

from truce import policy
from truce.errors import Invalid, TooLarge
from truce.incidents import service as incidents_service
from truce.incidents.schemas import IncidentIn
from truce.incidents.taxonomy import CASUALTY_GROUPS, CASUALTY_KINDS, COUNT_KEYS
from truce.missions import service as missions_service
from truce.missions.models import Mission, Party
from truce.numbers import MAX_CASUALTIES, MAX_EVENTS
from truce.places import service as places_service
from truce.places.models import Site
from truce.web import taxonomy as web_taxonomy
from truce.web.context import Page, ReadPage, WritePage
from truce.web.forms import CheckedForm, Form, field_for, located, validation_message
from truce.web.i18n import N_
from truce.web.pages.mapview import map_text
from truce.web.rendering import redirect, render
from truce.web.routing import page_router
from truce.web.uploads import ACCEPT, attach_all, chosen, limit_bytes

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
    "properties.alleged_actors": "alleged",
    "properties": "_form",
    "file": "evidence",
}
FUTURE = N_("This is in the future: give the time the incident began.")
FAR_OUTSIDE = N_(
    "This position is far outside the mission's area. Check it; if it is right, tick the box to confirm it."
)
UNPLACED = N_("Click the map, type the position, or give a post, a bearing and a distance.")
# The pages' own words for a refusal, by where it is and what kind it is (the model's error type or the code of
# the validator or service); any other keeps its own message, translated. The API says them all in English.
WORDS = {
    ("properties.type", "type_unknown"): N_("Choose a type from the list."),
    ("properties.subtype", "subtype_unknown"): N_("Choose a subtype from the list."),
    ("properties.observer_site", "site_unknown"): N_("Choose a post."),
    ("properties.start", "less_than_equal"): FUTURE,
    ("properties.start", "in_future"): FUTURE,
    ("properties.start", "before_mission"): N_("This is before the mission began."),
    ("properties.end", "end_before_start"): N_("The end date is before the start date."),
    ("properties.restricted_to", "delegations_missing"): N_(
        "Name the delegations that may read a restricted incident."
    ),
    ("properties.restricted_to", "delegations_unrestricted"): N_("Only a restricted incident names delegations."),
    ("geometry", "geometry_missing"): UNPLACED,
    ("properties", "geometry_missing"): UNPLACED,
    ("geometry", "far_outside_area"): FAR_OUTSIDE,
}
PLACEMENTS = ("map", "post", "location")
# Counts and casualties: the form field of each, and the key the service takes.
COUNT_FIELDS = {f"count.{key}": key for key in COUNT_KEYS}
CASUALTY_FIELDS = {f"{kind}.{group}": (kind, group) for kind in CASUALTY_KINDS for group in CASUALTY_GROUPS}


def form_context(request: Request, page: Page, form: Form) -> dict[str, Any]:
    mission = page.mission_or_404()
    posts = places_service.list_places(page.session, Site, mission, actor=page.actor)
    delegations = missions_service.delegations(page.session, mission)
    return {
        "form": form,
        "amending": None,
        "sides": sides_of(page),
        "count_keys": COUNT_KEYS,
        "casualty_kinds": CASUALTY_KINDS,
        "casualty_groups": CASUALTY_GROUPS,
        "accept": ACCEPT,
        "max_upload_bytes": limit_bytes(request),
        "taxonomy": web_taxonomy.subtypes(mission),
        "posts": [p for p in posts if p.kind != "settlement"],
        "delegations": delegations,
        "liaison": policy.files_allegations(page.actor),
        "zone_label": zone_label(mission.time_zone or "UTC"),
    }


def sides_of(page: Page) -> list[Party]:
    """The parties an incident may be alleged against: the sides."""
    return [p for p in missions_service.parties(page.session, page.mission_or_404()) if p.kind == "side"]


def zone_label(name: str) -> str:
    """`UTC+04:00`, with the zone's name when it says more than the offset (not for POSIX-style `Etc/GMT-4`)."""
    offset = datetime.now(ZoneInfo(name)).strftime("%z")
    label = f"UTC{offset[:3]}:{offset[3:]}"
    return label if name.startswith("Etc/") or name == "UTC" else f"{label}, {name}"


@router.get("/m/{slug}/incidents/new", name="incident_new")
def incident_new(request: Request, page: ReadPage) -> Response:
    mission = page.mission_or_404()
    policy.require(page.actor, "incident.create", mission.id)
    # The classification preselected is the mission's default (its file's `classification.default`).
    form = Form(
        values={"placement": "map", "time_precision": "minute", "classification": mission.default_classification}
    )
    if policy.files_allegations(page.actor):
        form.values.update(source="party", classification="parties")
    return render(
        request, "incidents/new.html", {**form_context(request, page, form), "map_text": map_text(request, mission)}
    )


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


def _whole(form: Form, name: str, high: int) -> int:
    """A count from the form: blank is 0; anything but a whole number from 0 to `high` is an error."""
    text = form.get(name).replace(" ", "").replace("\u00a0", "")
    if not text:
        return 0
    if not text.isdigit() or int(text) > high:
        form.add_error(name, N_("Enter a whole number from 0 to 100,000."))
        return 0
    return int(text)


def _alleged(form: Form, sides: list[Party]) -> list[dict[str, str]]:
    """The sides the incident is attributed to, each with the actor named (a unit, or blank)."""
    named = []
    for party in sides:
        actor = form.values.get(f"alleged_actor.{party.code}", "").strip()
        if form.get(f"alleged.{party.code}") or actor:
            named.append({"party": party.code, "actor": actor[:200]})
    return named


def _start(form: Form, mission: Mission) -> str | None:
    day, clock = form.get("date"), form.get("time") or "00:00"
    if not form.get("time") and form.get("time_precision", "minute") in ("minute", "hour"):
        # No time given: the incident is known to the day, not to the minute at midnight.
        form.values["time_precision"] = "day"
    if not day:
        form.add_error("date", N_("This field is required."))
        return None
    try:
        local = datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=ZoneInfo(mission.time_zone or "UTC"))
    except ValueError:
        form.add_error("date", N_("Enter a date as YYYY-MM-DD and a time as HH:MM."))
        return None
    return local.isoformat()


def feature_from(
    form: Form, mission: Mission, restricted_to: list[str], sides: list[Party] | None = None
) -> dict[str, Any] | None:
    """The GeoJSON Feature the API would receive, built from the form; None when a field is unusable."""
    start = _start(form, mission)
    counts = {key: _whole(form, name, MAX_EVENTS) for name, key in COUNT_FIELDS.items()}
    casualties: dict[str, dict[str, int]] = {kind: {} for kind in CASUALTY_KINDS}
    for name, (kind, group) in CASUALTY_FIELDS.items():
        casualties[kind][group] = _whole(form, name, MAX_CASUALTIES)
    properties: dict[str, Any] = {
        "type": form.get("type"),
        "subtype": form.get("subtype"),
        "start": start,
        "time_precision": form.get("time_precision") or "minute",
        "source": form.get("source"),
        "means": form.get("means") or None,
        "narrative": form.values.get("narrative", ""),
        "classification": form.get("classification") or mission.default_classification,
        "restricted_to": restricted_to,
        "counts": {key: value for key, value in counts.items() if value},
        "casualties": casualties,
        "alleged_actors": _alleged(form, sides or []),
        "confirm_outside_area": bool(form.get("confirm_outside")),
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
    if form.get("source") == "party" and not properties["alleged_actors"]:
        form.add_error("alleged", N_("An allegation names the side it accuses."))
    if form.get("classification") == "restricted" and not restricted_to:
        form.add_error("restricted_to", N_("Name the delegations that may read a restricted incident."))
    return {"type": "Feature", "geometry": geometry, "properties": properties} if form.ok else None


def place_error(form: Form, exc: ValidationError) -> None:
    """Put each of the model's complaints on its field, routed by where it is and what kind it is."""
    for error in exc.errors():
        path, code = located(error)
        _put(form, path, code, validation_message(error))


@router.post("/m/{slug}/incidents/new", name="incident_create")
def incident_create(request: Request, page: WritePage, form: CheckedForm) -> Response:
    mission = page.mission_or_404()
    restricted_to = [v for k, v in form.values.items() if k.startswith("restricted_to.")]
    if form.get("placement") not in PLACEMENTS:
        form.values["placement"] = "map"
    feature = feature_from(form, mission, restricted_to, sides_of(page))
    if feature is not None:
        try:
            with page.writing():
                data = IncidentIn.model_validate(feature)
                incident = incidents_service.create(page.session, mission, data, actor=page.actor)
                page.session.flush()
                attach_all(request, page.session, mission, incident, chosen(form), actor=page.actor)
                url = request.app.url_path_for("incident_detail", slug=mission.slug, incident_id=str(incident.id))
                return redirect(f"{url}?filed=1")
        except ValidationError as exc:
            place_error(form, exc)
        except TooLarge:
            form.add_error("evidence", N_("A file is larger than the upload limit."))
        except Invalid as exc:
            refusal(form, exc)
    context = {**form_context(request, page, form), "map_text": map_text(request), "restricted": set(restricted_to)}
    return render(request, "incidents/new.html", context, status_code=422)


def refusal(form: Form, exc: Invalid) -> None:
    """The service's refusal on its field, in the words of the pages where they have their own."""
    _put(form, exc.field or "", exc.code or "", exc.message)


def _put(form: Form, path: str, code: str, message: str) -> None:
    """One complaint about `path` of kind `code` on the form's field, in the pages' words for it if they have some."""
    field = field_for(path, FIELDS, "_form")
    if (path, code) == ("geometry", "far_outside_area"):
        # Far, not wrong: the form offers the box that confirms it, beside the position as it was given.
        form.values["_far_outside"] = "1"
        field = "distance_km" if form.get("placement") == "post" else "lat"
    form.add_error(field, WORDS.get((path, code), message))
