"""The verification workspace: the queue split by whose verdict it waits for, and a verdict given with the whole
incident in view (a small map, the evidence, the filer, the other delegations' verdicts), then the next item."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request, Response

from truce import policy, translation
from truce.evidence import service as evidence_service
from truce.incidents import service as incidents_service
from truce.incidents.schemas import VerdictIn
from truce.incidents.taxonomy import TAXONOMY
from truce.missions import service as missions_service
from truce.numbers import Id
from truce.places import presenters as place_presenters
from truce.places import service as places_service
from truce.places.models import Area
from truce.verification import queue as verification_queue
from truce.verification import service as verification
from truce.web import i18n
from truce.web.context import Page, ReadPage, WritePage
from truce.web.evidence_view import views
from truce.web.forms import CheckedForm, Form
from truce.web.i18n import N_
from truce.web.pages.mapview import map_text
from truce.web.rendering import redirect, render
from truce.web.routing import page_router

router = page_router()
QUEUE_SIZE = 100


def _filters(request: Request, zones: dict[int, str]) -> verification_queue.Filters:
    """The queue's filters from the address; anything not offered is ignored rather than refused."""
    query = request.query_params
    kind = query.get("type")
    source = query.get("source")
    status = query.get("status")
    zone = query.get("zone", "")
    return verification_queue.Filters(
        incident_type=kind if kind in TAXONOMY else None,
        allegation={"allegation": True, "monitor": False}.get(source or ""),
        status=status if status in verification_queue.OPEN else None,
        zone_id=int(zone) if zone.isdigit() and int(zone) in zones else None,
        sort="event" if query.get("sort") == "event" else "filed",
    )


def _zones(page: Page, locale: str) -> dict[int, str]:
    areas = places_service.list_places(page.session, Area, page.mission_or_404(), actor=page.actor)
    return {a.id: translation.localized(a, locale) for a in areas if a.kind == "zone_of_control"}


def waited(since: datetime, now: datetime) -> tuple[int, str]:
    """How long an incident has waited: a number and its unit (`d`, `h`, `min`), for the template to say."""
    seconds = max(0, int((now - since).total_seconds()))
    if seconds >= 86400:
        return seconds // 86400, "d"
    if seconds >= 3600:
        return seconds // 3600, "h"
    return seconds // 60, "min"


@router.get("/m/{slug}/verification", name="verify_queue")
def verify_queue(request: Request, page: ReadPage) -> Response:
    """Incidents that wait for my delegation's verdict, and those that wait for the others'."""
    mission, session = page.mission_or_404(), page.session
    policy.require(page.actor, "incident.verify", mission.id)
    zones = _zones(page, i18n.negotiate(request))
    filters = _filters(request, zones)
    queues = verification_queue.queues(session, mission, filters, actor=page.actor, limit=QUEUE_SIZE)
    context = {
        "queues": queues,
        "filters": filters,
        "zones": zones,
        "sites": place_presenters.site_names(session, mission, page.actor, i18n.negotiate(request)),
        "now": datetime.now(UTC),
        "waited": waited,
        "done": request.query_params.get("done", ""),
    }
    return render(request, "verify_queue.html", context)


def _verify_page(request: Request, page: Page, incident_id: int, form: Form, code: int) -> Response:
    mission, session, actor = page.mission_or_404(), page.session, page.actor
    incident = incidents_service.get(session, mission, incident_id, actor=actor)
    evidence = list(evidence_service.list_for(session, mission, incident.id, actor=actor))
    locale = i18n.negotiate(request)
    parties = {p.code: translation.localized(p, locale) for p in missions_service.parties(session, mission)}
    delegations = {d.code: translation.localized(d, locale) for d in missions_service.delegations(session, mission)}
    zones = _zones(page, locale)
    context: dict[str, Any] = {
        "incident": incident,
        "verdicts": verification.verdicts(session, incident),
        "form": form,
        "evidence": views(session, incident, evidence, actor, _zone(page)),
        "staff": policy.reads_photo_metadata(actor),
        "parties": parties,
        "delegations": delegations,
        "zone_name": zones.get(incident.zone_id or 0),
        "site_names": place_presenters.site_names(session, mission, actor, i18n.negotiate(request)),
        "map_text": map_text(request),
        "after": request.query_params.get("after", ""),
        "after_status": request.query_params.get("status", ""),
    }
    return render(request, "verify.html", context, status_code=code)


def _zone(page: Page) -> ZoneInfo:
    return ZoneInfo(page.mission_or_404().time_zone or "UTC")


def record_verdict(page: Page, form: Form, verify: Callable[[VerdictIn], object]) -> None:
    """Read a verdict form (incident or restriction) and `verify` it; a refusal goes on the form's fields."""
    if not form.get("verdict"):
        form.add_error("verdict", N_("Choose a verdict."))
        return
    with page.attempt(form, conflicts=True):
        verify(VerdictIn.model_validate({"verdict": form.get("verdict"), "note": form.get("note")}))


@router.get("/m/{slug}/incidents/{incident_id}/verify", name="verify_form")
def verify_form(request: Request, page: ReadPage, incident_id: Id) -> Response:
    policy.require(page.actor, "incident.verify", page.mission_or_404().id)
    return _verify_page(request, page, incident_id, Form(), 200)


@router.post("/m/{slug}/incidents/{incident_id}/verify", name="verify_submit")
def verify_submit(request: Request, page: WritePage, incident_id: Id, form: CheckedForm) -> Response:
    mission = page.mission_or_404()
    record_verdict(page, form, lambda data: verification.verify(page.session, mission, incident_id, data,
                                                                 actor=page.actor))  # fmt: skip
    if not form.ok:
        return _verify_page(request, page, incident_id, form, 422)
    incident = incidents_service.get(page.session, mission, incident_id, actor=page.actor)
    following = verification_queue.next_owed(page.session, mission, incident_id, actor=page.actor)
    done = f"after={incident_id}&status={incident.status}"
    if following is None:
        return redirect(str(request.app.url_path_for("verify_queue", slug=mission.slug)) + f"?done={incident_id}")
    url = request.app.url_path_for("verify_form", slug=mission.slug, incident_id=str(following))
    return redirect(f"{url}?{done}")
