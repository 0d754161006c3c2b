"""Reports in the pages: staff generate and download a day's report, verifiers publish the public bulletin, and
everyone who reads the mission reads its published bulletins with the log checkpoint each was built on."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import Request, Response
from sqlalchemy.orm import Session

from truce import policy
from truce.disposition import attachment
from truce.incidents import service as incidents_service
from truce.jobs import service as jobs_service
from truce.jobs.models import Job
from truce.ledger import service as ledger
from truce.missions.models import Mission
from truce.numbers import Id
from truce.policy import Actor
from truce.reports import service
from truce.reports.context import mission_zone
from truce.reports.models import REPORT_FORMATS
from truce.web import flash, i18n
from truce.web.context import Page, ReadPage, WritePage
from truce.web.forms import CheckedForm, Form
from truce.web.i18n import N_
from truce.web.pages import jobs as jobs_pages
from truce.web.rendering import render
from truce.web.routing import page_router

router = page_router()
REQUIRED = N_("This field is required.")
BAD_DAY = N_("Give a day as YYYY-MM-DD.")


def generate_daily_report(
    session: Session, mission: Mission, on: date, file_format: str, locale: str, *, actor: Actor
) -> Job:
    """The one call the reports page makes for a day's report: a job `truce worker` runs, never this request."""
    params = {"date": on.isoformat(), "format": file_format, "language": locale}
    return jobs_service.request(session, mission, "report.daily", params, actor=actor)


def _suggested_day(session: Session, mission: Mission, actor: Actor) -> date:
    """The latest day with an incident the reader may read (a past mission's today is empty), else today."""
    zone = mission_zone(mission.time_zone)
    latest = incidents_service.latest_start(session, mission, actor=actor)
    return latest.astimezone(zone).date() if latest is not None else datetime.now(zone).date()


def _day(form: Form, name: str = "date") -> date | None:
    text = form.get(name)
    if not text:
        form.add_error(name, REQUIRED)
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        form.add_error(name, BAD_DAY)
        return None


def _list_page(request: Request, page: Page, forms: dict[str, Form] | None = None, code: int = 200) -> Response:
    mission, session, actor = page.mission_or_404(), page.session, page.actor
    policy.require_daily_reports(actor)
    day = _suggested_day(session, mission, actor).isoformat()
    forms = forms or {}
    context: dict[str, Any] = {
        "reports": service.list_reports(session, mission, actor=actor),
        "can_generate": policy.allowed(actor, "report.create", mission.id),
        "can_publish": policy.allowed(actor, "bulletin.publish", mission.id) and mission.public,
        "generate_form": forms.get("generate") or Form(values={"date": day, "format": "pdf"}),
        "publish_form": forms.get("publish") or Form(values={"day": day}),
        "formats": REPORT_FORMATS,
        "jobs": jobs_pages.recent(session, mission.id, actor),
        "job_states": jobs_pages.JOB_STATES,
    }
    return render(request, "reports/list.html", context, status_code=code)


@router.get("/m/{slug}/reports", name="report_list")
def report_list(request: Request, page: ReadPage) -> Response:
    """Mission staff: the stored daily reports and bulletins, and the forms to make new ones."""
    return _list_page(request, page)


@router.post("/m/{slug}/reports", name="report_generate")
def report_generate(request: Request, page: WritePage, form: CheckedForm) -> Response:
    mission = page.mission_or_404()
    policy.require(page.actor, "report.create", mission.id)
    on = _day(form)
    file_format = form.get("format") or "pdf"
    locale = form.get("language") or i18n.negotiate(request)
    if file_format not in REPORT_FORMATS:
        form.add_error("format", N_("Choose a format from the list."))
    if locale not in i18n.LOCALES:
        form.add_error("language", N_("Choose a language from the list."))
    job = None
    if form.ok and on is not None:
        with page.attempt(form):
            job = generate_daily_report(page.session, mission, on, file_format, locale, actor=page.actor)
            page.session.flush()
    if job is None or not form.ok:
        return _list_page(request, page, {"generate": form}, 422)
    url = str(request.app.url_path_for("job_status", slug=mission.slug, job_id=str(job.id)))
    day = on.isoformat() if on else ""
    return flash.redirect_with(request, url, N_("The report of %(day)s is being made."), day=day)


@router.post("/m/{slug}/bulletins", name="bulletin_publish")
def bulletin_publish(request: Request, page: WritePage, form: CheckedForm) -> Response:
    mission = page.mission_or_404()
    policy.require(page.actor, "bulletin.publish", mission.id)
    # "day", not "date": the two forms share the page, and each field needs an id of its own.
    on = _day(form, "day")
    report = None
    if form.ok and on is not None:
        with page.attempt(form, {"date": "day"}, conflicts=True):
            report = service.publish_bulletin(page.session, mission, on, actor=page.actor)
            page.session.flush()
    if report is None or not form.ok:
        return _list_page(request, page, {"publish": form}, 422)
    url = str(request.app.url_path_for("bulletin_list", slug=mission.slug)) + f"#bulletin-{report.id}"
    return flash.redirect_with(
        request, url, N_("The bulletin of %(day)s is published."), day=report.on_date.isoformat()
    )


@router.get("/m/{slug}/reports/{report_id}/file", name="report_download")
def report_download(request: Request, page: ReadPage, report_id: Id) -> Response:
    """A stored report's bytes, exactly as hashed in the log."""
    mission = page.mission_or_404()
    report = service.get(page.session, mission, report_id, actor=page.actor)
    headers = {**attachment(f"{mission.slug}-{report.filename}"), "X-Content-SHA256": report.sha256}
    return Response(content=report.content, media_type=report.media_type, headers=headers)


@router.get("/m/{slug}/bulletins", name="bulletin_list")
def bulletin_list(request: Request, page: ReadPage) -> Response:
    """Every published bulletin, newest day first, in each of its languages, with the checkpoint it was built on
    and how to check it."""
    mission, session, actor = page.mission_or_404(), page.session, page.actor
    # One row per publication, with its document in each language the mission publishes in.
    editions = service.editions(service.list_reports(session, mission, actor=actor))
    context = {"editions": editions, "tree_size": ledger.size(session), "logged_in": page.user is not None}
    return render(request, "reports/bulletins.html", context)
