"""Verification for verifiers: the queue of open incidents, and a verdict with a note."""

from __future__ import annotations

from fastapi import Request, Response
from pydantic import ValidationError

from truce import policy
from truce.errors import Conflict, Invalid
from truce.incidents import service as incidents_service
from truce.incidents.schemas import VerdictIn
from truce.numbers import Id
from truce.verification import service as verification
from truce.web.context import ReadPage, WritePage
from truce.web.forms import CheckedForm, Form, absorb_invalid, absorb_validation
from truce.web.i18n import N_
from truce.web.rendering import redirect, render
from truce.web.routing import page_router

router = page_router()
QUEUE_STATUSES = ("reported", "under_verification", "disputed")
QUEUE_SIZE = 200


@router.get("/m/{slug}/verification", name="verify_queue")
def verify_queue(request: Request, page: ReadPage) -> Response:
    """Incidents that still wait for verdicts, oldest first."""
    mission, session = page.mission_or_404(), page.session
    policy.require(page.actor, "incident.verify", mission.id)
    dialect = session.get_bind().dialect.name
    queues = {}
    for status in QUEUE_STATUSES:
        stmt = incidents_service.query(mission, page.actor, dialect=dialect, status=status)
        queues[status] = list(session.execute(stmt.limit(QUEUE_SIZE)).scalars())
    return render(request, "verify_queue.html", {"queues": queues})


def _verify_page(request: Request, page: ReadPage | WritePage, incident_id: Id, form: Form, code: int) -> Response:
    mission = page.mission_or_404()
    incident = incidents_service.get(page.session, mission, incident_id, actor=page.actor)
    verdicts = verification.verdicts(page.session, incident)
    return render(request, "verify.html", {"incident": incident, "verdicts": verdicts, "form": form}, status_code=code)


@router.get("/m/{slug}/incidents/{incident_id}/verify", name="verify_form")
def verify_form(request: Request, page: ReadPage, incident_id: Id) -> Response:
    policy.require(page.actor, "incident.verify", page.mission_or_404().id)
    return _verify_page(request, page, incident_id, Form(), 200)


@router.post("/m/{slug}/incidents/{incident_id}/verify", name="verify_submit")
def verify_submit(request: Request, page: WritePage, incident_id: Id, form: CheckedForm) -> Response:
    mission = page.mission_or_404()
    if not form.get("verdict"):
        form.add_error("verdict", N_("Choose a verdict."))
    else:
        try:
            data = VerdictIn.model_validate({"verdict": form.get("verdict"), "note": form.get("note")})
            verification.verify(page.session, mission, incident_id, data, actor=page.actor)
        except ValidationError as exc:
            absorb_validation(form, exc)
        except (Invalid, Conflict) as exc:
            if isinstance(exc, Invalid):
                absorb_invalid(form, exc)
            else:
                form.add_error("_form", exc.detail)
    if not form.ok:
        page.session.rollback()
        return _verify_page(request, page, incident_id, form, 422)
    return redirect(str(request.app.url_path_for("incident_detail", slug=mission.slug, incident_id=str(incident_id))))
