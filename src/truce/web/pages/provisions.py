"""The provisions tracker: deadlines with their extensions, overdue flags, 0-3 status timelines and linked records."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Request, Response

from truce import policy
from truce.agreement import service, views
from truce.agreement.schemas import ExtensionIn, StatusIn
from truce.numbers import Id
from truce.web import flash
from truce.web.context import Page, ReadPage, WritePage
from truce.web.forms import CheckedForm, Form
from truce.web.i18n import N_
from truce.web.rendering import render
from truce.web.routing import page_router

router = page_router()
REQUIRED = N_("This field is required.")
# Pydantic names a bad evidence hash by its position in the list; the form has one field for all of them.
EVIDENCE_FIELDS = {f"evidence.{i}": "evidence" for i in range(50)}


@router.get("/m/{slug}/provisions", name="provision_list")
def provision_list(request: Request, page: ReadPage) -> Response:
    """Every provision the reader may see, in the agreement's order, with its history and links."""
    mission, session, actor = page.mission_or_404(), page.session, page.actor
    today = datetime.now(UTC).date()
    histories = service.histories(session, mission)
    provisions = [
        views.provision_view(session, mission, p, histories.get(p.id, []), today, actor=actor, full=True)
        for p in service.list_provisions(session, mission, actor=actor)
    ]
    overdue = sum(1 for p in provisions if p.overdue)
    return render(request, "provisions/list.html", {"provisions": provisions, "overdue": overdue, "today": today})


def _detail(request: Request, page: Page, provision_id: Id, forms: dict[str, Form], code: int = 200) -> Response:
    mission, session, actor = page.mission_or_404(), page.session, page.actor
    provision = service.get(session, mission, provision_id, actor=actor)
    today = datetime.now(UTC).date()
    shown = views.provision_view(
        session, mission, provision, service.statuses(session, provision), today, actor=actor, full=True
    )
    context: dict[str, Any] = {
        "provision": shown,
        "today": today,
        "can_assess": policy.allowed(actor, "provision.assess", mission.id) and actor.delegation_code is not None,
        "can_extend": policy.allowed(actor, "provision.write", mission.id) and provision.deadline is not None,
        "assess_form": forms.get("assess") or Form(values={"as_of": today.isoformat()}),
        "extend_form": forms.get("extend") or Form(values={"decided_on": today.isoformat()}),
    }
    return render(request, "provisions/detail.html", context, status_code=code)


@router.get("/m/{slug}/provisions/{provision_id}", name="provision_detail")
def provision_detail(request: Request, page: ReadPage, provision_id: Id) -> Response:
    return _detail(request, page, provision_id, {})


def _required(form: Form, *names: str) -> None:
    for name in names:
        if not form.get(name):
            form.add_error(name, REQUIRED)


@router.post("/m/{slug}/provisions/{provision_id}/statuses", name="provision_assess")
def provision_assess(request: Request, page: WritePage, provision_id: Id, form: CheckedForm) -> Response:
    """A delegation's assessment on the 0-3 scale, through the same service as the API."""
    mission = page.mission_or_404()
    _required(form, "level", "as_of")
    if form.ok:
        evidence = form.values.get("evidence", "").split()
        body = {"level": form.get("level"), "as_of": form.get("as_of"), "note": form.get("note"), "evidence": evidence}
        with page.attempt(form, EVIDENCE_FIELDS):
            service.assess(page.session, mission, provision_id, StatusIn.model_validate(body), actor=page.actor)
    if not form.ok:
        return _detail(request, page, provision_id, {"assess": form}, 422)
    url = _after(request, mission.slug, provision_id, "history")
    return flash.redirect_with(request, url, N_("The assessment is recorded."))


@router.post("/m/{slug}/provisions/{provision_id}/extensions", name="provision_extend")
def provision_extend(request: Request, page: WritePage, provision_id: Id, form: CheckedForm) -> Response:
    """Move the deadline later; the service refuses an earlier date and keeps the original."""
    mission = page.mission_or_404()
    _required(form, "new_deadline", "decided_on")
    if form.ok:
        body = {"new_deadline": form.get("new_deadline"), "decided_on": form.get("decided_on")}
        with page.attempt(form, {"note": "extension_note"}, conflicts=True):
            data = ExtensionIn.model_validate({**body, "note": form.get("extension_note")})
            service.extend_deadline(page.session, mission, provision_id, data, actor=page.actor)
    if not form.ok:
        return _detail(request, page, provision_id, {"extend": form}, 422)
    url = _after(request, mission.slug, provision_id, "deadline")
    return flash.redirect_with(request, url, N_("The new deadline is recorded; the original is kept."))


def _after(request: Request, slug: str, provision_id: Id, anchor: str) -> str:
    return f"{request.app.url_path_for('provision_detail', slug=slug, provision_id=str(provision_id))}#{anchor}"
