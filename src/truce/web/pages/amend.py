"""Amend, retract and merge from the pages, as the API allows: the author amends or retracts before anyone has
verified; a verifier merges a duplicate into the incident it repeats. Each change is a new version in the log."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request, Response
from pydantic import ValidationError

from truce.errors import Invalid
from truce.incidents import service as incidents_service
from truce.incidents.models import Incident
from truce.incidents.schemas import IncidentIn
from truce.numbers import Id
from truce.web.context import ReadPage, WritePage
from truce.web.forms import CheckedForm, Form
from truce.web.i18n import N_
from truce.web.pages.entry import (
    CASUALTY_FIELDS,
    COUNT_FIELDS,
    feature_from,
    form_context,
    place_error,
    refusal,
    sides_of,
)
from truce.web.pages.mapview import map_text
from truce.web.rendering import redirect, render
from truce.web.routing import page_router

router = page_router()


def form_of(incident: Incident, zone: ZoneInfo) -> Form:
    """The entry form filled in with the incident as it stands, for its author to amend."""
    local = incident.start.astimezone(zone)
    values: dict[str, str] = {
        "type": incident.type,
        "subtype": incident.subtype,
        "date": local.date().isoformat(),
        "time": "" if incident.time_precision in ("day", "week", "month") else local.strftime("%H:%M"),
        "time_precision": incident.time_precision,
        "source": incident.source,
        "means": incident.means or "",
        "narrative": incident.narrative,
        "classification": incident.classification,
        "placement": "post" if incident.observer_site_id is not None else "map",
        "lat": f"{incident.lat:.6f}",
        "lon": f"{incident.lon:.6f}",
        "observer_site": str(incident.observer_site_id or ""),
        "bearing_deg": "" if incident.bearing_deg is None else f"{incident.bearing_deg:g}",
        "distance_km": "" if incident.distance_km is None else f"{incident.distance_km:g}",
    }
    for code in incident.restricted_to or []:
        values[f"restricted_to.{code}"] = code
    for name, key in COUNT_FIELDS.items():
        if (incident.counts or {}).get(key):
            values[name] = str(incident.counts[key])
    for name, (kind, group) in CASUALTY_FIELDS.items():
        number = (incident.casualties or {}).get(kind, {}).get(group, 0)
        if number:
            values[name] = str(number)
    for named in incident.alleged_actors or []:
        values[f"alleged.{named['party']}"] = "1"
        values[f"alleged_actor.{named['party']}"] = named.get("actor", "")
    return Form(values=values)


def _page(request: Request, page: ReadPage | WritePage, incident: Incident, form: Form, code: int) -> Response:
    context: dict[str, Any] = {
        **form_context(request, page, form),
        "map_text": map_text(request),
        "amending": incident,
    }
    return render(request, "incidents/new.html", context, status_code=code)


@router.get("/m/{slug}/incidents/{incident_id}/edit", name="incident_edit")
def incident_edit(request: Request, page: ReadPage, incident_id: Id) -> Response:
    mission = page.mission_or_404()
    incident = incidents_service.get(page.session, mission, incident_id, actor=page.actor)
    incidents_service.require_amendable(incident, page.actor, "amend")
    return _page(request, page, incident, form_of(incident, ZoneInfo(mission.time_zone or "UTC")), 200)


@router.post("/m/{slug}/incidents/{incident_id}/edit", name="incident_update")
def incident_update(request: Request, page: WritePage, incident_id: Id, form: CheckedForm) -> Response:
    mission = page.mission_or_404()
    incident = incidents_service.get(page.session, mission, incident_id, actor=page.actor)
    incidents_service.require_amendable(incident, page.actor, "amend")
    restricted_to = [v for k, v in form.values.items() if k.startswith("restricted_to.")]
    feature = feature_from(form, mission, restricted_to, sides_of(page))
    if feature is not None:
        try:
            with page.writing():
                incidents_service.update(
                    page.session, mission, incident_id, IncidentIn.model_validate(feature), actor=page.actor
                )
                url = request.app.url_path_for("incident_detail", slug=mission.slug, incident_id=str(incident_id))
                return redirect(f"{url}?amended=1")
        except ValidationError as exc:
            place_error(form, exc)
        except Invalid as exc:
            refusal(form, exc)
    incident = incidents_service.get(page.session, mission, incident_id, actor=page.actor)
    return _page(request, page, incident, form, 422)


@router.post("/m/{slug}/incidents/{incident_id}/retract", name="incident_retract")
def incident_retract(request: Request, page: WritePage, incident_id: Id, form: CheckedForm) -> Response:
    """The author withdraws the incident; it stays in the record, marked retracted."""
    mission = page.mission_or_404()
    incidents_service.retract(page.session, mission, incident_id, actor=page.actor)
    url = request.app.url_path_for("incident_detail", slug=mission.slug, incident_id=str(incident_id))
    return redirect(f"{url}?retracted=1")


@router.post("/m/{slug}/incidents/{incident_id}/merge", name="incident_merge")
def incident_merge(request: Request, page: WritePage, incident_id: Id, form: CheckedForm) -> Response:
    """A verifier marks this incident as a duplicate of another; both keep their evidence, verdicts and history."""
    mission = page.mission_or_404()
    into = form.get("into")
    if not into.isdigit():
        raise Invalid(N_("Choose the incident this one duplicates."), "into")
    incidents_service.merge(page.session, mission, incident_id, int(into), actor=page.actor)
    url = request.app.url_path_for("incident_detail", slug=mission.slug, incident_id=str(incident_id))
    return redirect(f"{url}?merged=1")
