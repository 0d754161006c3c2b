"""The restriction form: a restriction of the freedom of movement filed from the pages, as the API takes it.

The form is also queued offline (static/js/outbox.js builds the same Feature from the same fields and sends it to
`POST /api/v1/missions/{slug}/restrictions`), so `restriction_from` and the script's `restrictionOf` agree.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request, Response
from pydantic import ValidationError

from truce import policy
from truce.errors import Invalid, Message
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.patrols import service as patrols_service
from truce.places import service as places_service
from truce.places.models import Site
from truce.restrictions import service
from truce.restrictions.models import CATEGORIES, KINDS
from truce.restrictions.schemas import RestrictionIn
from truce.web.context import Page, ReadPage, WritePage
from truce.web.forms import CheckedForm, Form, absorb_invalid, located, validation_message
from truce.web.i18n import N_
from truce.web.pages.entry import zone_label
from truce.web.pages.movementmap import CATEGORY_LABELS, KIND_LABELS
from truce.web.rendering import redirect, render
from truce.web.routing import page_router

router = page_router()
# The moments of a restriction besides its start, as the form names them (datetime-local, the mission's zone).
MOMENTS = ("liaison_informed_at", "centre_informed_at", "answered_at", "resolved_at")
TEXTS = ("reason_given", "answer", "narrative")
REFERENCES = ("site_id", "patrol_id", "uav_flight_id")
# The record's fields whose errors land on another form field: its end is the form's duration, its place the
# position typed.
FIELDS = {"end": "duration_min", "geometry": "lat", "properties": "_form", "": "_form"}
# The patrols and UAV flights offered: the latest; an older one is named in the API.
OFFERED = 100
MAX_DURATION_MIN = 366 * 24 * 60


def _context(page: Page, form: Form) -> dict[str, Any]:
    mission = page.mission_or_404()
    policy.require(page.actor, "restriction.create", mission.id)
    session, actor = page.session, page.actor
    sites = places_service.list_places(session, Site, mission, actor=actor)
    return {
        "form": form,
        "categories": [(code, CATEGORY_LABELS[code]) for code in CATEGORIES],
        "kinds": [(code, KIND_LABELS[code]) for code in KINDS],
        "sites": sorted((s for s in sites if s.kind != "settlement"), key=lambda s: (s.kind != "checkpoint", s.name)),
        "parties": missions_service.parties(session, mission),
        "patrols": list(reversed(patrols_service.list_patrols(session, mission, actor=actor)[-OFFERED:])),
        "flights": list(reversed(service.list_flights(session, mission, actor=actor)[-OFFERED:])),
        "delegations": missions_service.delegations(session, mission),
        "zone": ZoneInfo(mission.time_zone or "UTC"),
        "zone_label": zone_label(mission.time_zone or "UTC"),
    }


@router.get("/m/{slug}/restrictions/new", name="restriction_new")
def restriction_new(request: Request, page: ReadPage) -> Response:
    form = Form(values={"classification": "parties"})
    # Only an id: the notice never repeats other text from the address.
    recorded = request.query_params.get("recorded", "")
    return render(
        request, "restrictions/new.html", {**_context(page, form), "recorded": recorded.isdigit() and recorded}
    )


def _moment(form: Form, name: str, zone: ZoneInfo) -> datetime | None:
    """A datetime-local field (`YYYY-MM-DDTHH:MM`) read in the mission's time zone; None when empty or unreadable."""
    text = form.get(name)
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=zone)
    except ValueError:
        form.add_error(name, N_("Give a date and time."))
        return None


def _number(form: Form, name: str) -> float | None:
    text = form.get(name).replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        form.add_error(name, N_("Write a number."))
        return None


def _whole(form: Form, name: str) -> int | str | None:
    """A chosen id as a number; anything else as typed, for the service to refuse by name."""
    text = form.get(name)
    return int(text) if text.isdigit() and len(text) < 12 else (text or None)


def restriction_from(form: Form, mission: Mission) -> dict[str, Any]:
    """The GeoJSON Feature the API would receive, from the form's text; required fields missing are marked."""
    zone = ZoneInfo(mission.time_zone or "UTC")
    for name in ("category", "kind", "start"):
        if not form.get(name):
            form.add_error(name, N_("This field is required."))
    start = _moment(form, "start", zone)
    properties: dict[str, Any] = {
        "category": form.get("category"), "kind": form.get("kind"), "start": start.isoformat() if start else None,
        "classification": form.get("classification") or "parties",
        "restricted_to": sorted(v for k, v in form.values.items() if k.startswith("restricted_to.") and v),
    }  # fmt: skip
    duration = _number(form, "duration_min")
    if duration is not None and start is not None:
        if not 0 <= duration <= MAX_DURATION_MIN:
            form.add_error(
                "duration_min",
                Message("Give at least %(ge)s.", ge=0)
                if duration < 0
                else Message("Give at most %(le)s.", le=MAX_DURATION_MIN),
            )
        else:
            properties["end"] = (start + timedelta(minutes=duration)).isoformat()
    for name in MOMENTS:
        moment = _moment(form, name, zone)
        if moment is not None:
            properties[name] = moment.isoformat()
    properties.update({name: form.values.get(name, "").strip() for name in TEXTS})
    properties.update({name: _whole(form, name) for name in REFERENCES if form.get(name)})
    if form.get("controlled_by"):
        properties["controlled_by"] = form.get("controlled_by")
    lat, lon = _number(form, "lat"), _number(form, "lon")
    geometry = {"type": "Point", "coordinates": [lon, lat]} if lat is not None and lon is not None else None
    if geometry is None and not form.get("site_id") and "lat" not in form.errors and "lon" not in form.errors:
        form.add_error("site_id", N_("Choose the checkpoint, or give the position."))
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def absorb(form: Form, exc: ValidationError) -> None:
    """The model's errors on the form's fields; an order check (`end` before `start`) on the field it names."""
    for error in exc.errors():
        path, _ = located(error)
        name = path.rsplit(".", 1)[-1]
        form.add_error(FIELDS.get(name, name), validation_message(error))


@router.post("/m/{slug}/restrictions/new", name="restriction_create")
def restriction_create(request: Request, page: WritePage, form: CheckedForm) -> Response:
    """File a restriction through the same service as the API (its checks: site, party, patrol, flight, times)."""
    mission = page.mission_or_404()
    policy.require(page.actor, "restriction.create", mission.id)
    feature = restriction_from(form, mission)
    if form.ok:
        try:
            with page.writing():
                made = service.create(page.session, mission, RestrictionIn.model_validate(feature), actor=page.actor)
                page.session.flush()
        except ValidationError as exc:
            absorb(form, exc)
        except Invalid as exc:
            field = exc.field or ""
            absorb_invalid(form, exc, {field: "lat"} if field.startswith("geometry") else None)
        else:
            url = request.app.url_path_for("restriction_new", slug=mission.slug)
            return redirect(f"{url}?recorded={made.id}")
    page.reject()
    return render(request, "restrictions/new.html", {**_context(page, form), "recorded": ""}, status_code=422)
