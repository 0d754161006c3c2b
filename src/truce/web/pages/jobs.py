"""Jobs in the pages: ask for an export, follow a job (the page reloads until it is done), download its result.

The reports page asks for daily reports the same way (reports.py): nothing heavy runs inside a request.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from truce import policy
from truce.disposition import attachment
from truce.jobs import service
from truce.jobs.models import Job
from truce.numbers import Id
from truce.policy import Actor
from truce.web import flash, i18n
from truce.web.context import Page, ReadPage, WritePage
from truce.web.forms import CheckedForm, Form
from truce.web.i18n import N_
from truce.web.rendering import render
from truce.web.routing import page_router

router = page_router()
EXPORT_FORMATS = (("geojson", "GeoJSON"), ("csv", "CSV"), ("acled", "ACLED (CSV)"), ("hxl", "HXL (CSV)"))
RECENT = 20
JOB_STATES = {"queued": N_("queued"), "running": N_("running"), "done": N_("done"), "failed": N_("failed")}


def recent(session: Session, mission_id: int, actor: Actor) -> list[Job]:
    """The actor's own latest jobs in the mission."""
    if actor.user_id is None:
        return []
    query = (
        select(Job)
        .where(Job.mission_id == mission_id, Job.user_id == actor.user_id)
        .order_by(Job.id.desc())
        .limit(RECENT)
    )
    return list(session.execute(query).scalars())


def job_url(request: Request, slug: str, job: Job) -> str:
    return str(request.app.url_path_for("job_status", slug=slug, job_id=str(job.id)))


def _export_page(request: Request, page: Page, form: Form | None = None, code: int = 200) -> Response:
    mission, actor = page.mission_or_404(), page.actor
    policy.require(actor, "export.create", mission.id)
    context: dict[str, Any] = {
        "form": form or Form(values={"format": "geojson", "language": i18n.negotiate(request)}),
        "formats": EXPORT_FORMATS,
        "jobs": recent(page.session, mission.id, actor),
        "job_states": JOB_STATES,
    }
    return render(request, "jobs/exports.html", context, status_code=code)


@router.get("/m/{slug}/exports", name="export_page")
def export_page(request: Request, page: ReadPage) -> Response:
    """Every member: ask for an export of what they may read, and follow their recent jobs."""
    return _export_page(request, page)


@router.post("/m/{slug}/exports", name="export_request")
def export_request(request: Request, page: WritePage, form: CheckedForm) -> Response:
    mission = page.mission_or_404()
    params = {"format": form.get("format") or "", "language": form.get("language") or i18n.negotiate(request)}
    with page.attempt(form):
        job = service.request(page.session, mission, "export", params, actor=page.actor)
        page.session.flush()
    if not form.ok:
        return _export_page(request, page, form, 422)
    return flash.redirect_with(request, job_url(request, mission.slug, job), N_("Your export is queued."))


@router.get("/m/{slug}/jobs/{job_id}", name="job_status")
def job_status(request: Request, page: ReadPage, job_id: Id) -> Response:
    """A job's state, to its requester; the page reloads itself until the job is done or failed."""
    mission = page.mission_or_404()
    job = service.get(page.session, mission, job_id, actor=page.actor)
    waiting = job.state in ("queued", "running")
    return render(request, "jobs/status.html", {"job": job, "job_states": JOB_STATES, "waiting": waiting})


@router.get("/m/{slug}/jobs/{job_id}/file", name="job_download")
def job_download(request: Request, page: ReadPage, job_id: Id) -> Response:
    """A finished job's result, to its requester while they may still have it."""
    found = service.download(page.session, page.mission_or_404(), job_id, actor=page.actor)
    return Response(content=found.content, media_type=found.media_type, headers=attachment(found.filename))
