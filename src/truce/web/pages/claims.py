"""Claims: who said what, with which numbers and what status; and a party's claimed returns beside the count."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Request, Response
from markupsafe import Markup
from pydantic import ValidationError

from truce import policy
from truce.claims import comparison, service, views
from truce.claims.models import CLAIM_LINK_KINDS, CLAIM_STATUSES, QUALIFIERS
from truce.claims.schemas import AssessmentIn, ClaimIn
from truce.errors import Message, NotFound
from truce.movements import charts
from truce.numbers import Id
from truce.policy import CLASSIFICATIONS
from truce.web import flash, i18n
from truce.web.context import Page, ReadPage, WritePage
from truce.web.forms import CheckedForm, Form, absorb_validation
from truce.web.i18n import N_
from truce.web.names import Names
from truce.web.rendering import render
from truce.web.routing import page_router

router = page_router()
# The form offers this many rows for stated numbers; empty rows are left out.
NUMBER_ROWS = 3
REQUIRED = N_("This field is required.")
NUMBER_FIELDS = ("value", "qualifier", "counts", "as_of", "cumulative")
# Pydantic's paths into the claim, as the form's field names.
CLAIM_FIELDS = {
    **{f"numbers.{i}.{name}": f"n{i}_{name}" for i in range(NUMBER_ROWS) for name in NUMBER_FIELDS},
    **{f"links.{kind}": f"link_{kind}" for kind in CLAIM_LINK_KINDS},
    **{f"links.{kind}.{i}": f"link_{kind}" for kind in CLAIM_LINK_KINDS for i in range(100)},
    "note": "status_note",
}


def _parties(request: Request, page: Page) -> dict[str, str]:
    """The mission's parties by code, named in the reader's language."""
    return Names(page.session, page.mission_or_404(), i18n.negotiate(request)).parties


@router.get("/m/{slug}/claims", name="claim_list")
def claim_list(request: Request, page: ReadPage, status: str | None = None) -> Response:
    mission, session, actor = page.mission_or_404(), page.session, page.actor
    if status not in (None, "", *CLAIM_STATUSES):
        raise NotFound(Message("no claim status %(status)r", status=status))
    rows = service.list_claims(session, mission, actor=actor, status=status or None)
    claims = [views.claim_view(session, mission, c, actor=actor) for c in rows]
    context = {
        "claims": claims,
        "parties": _parties(request, page),
        "status": status or "",
        "can_file": policy.allowed(actor, "claim.create", mission.id),
    }
    return render(request, "claims/list.html", context)


def _ids(form: Form, name: str) -> list[str]:
    """Record numbers typed with spaces or commas between them (`#12` as well as `12`)."""
    return [part.lstrip("#") for part in form.get(name).replace(",", " ").split() if part.lstrip("#")]


def _links(form: Form) -> dict[str, list[str]]:
    return {kind: _ids(form, f"link_{kind}") for kind in CLAIM_LINK_KINDS}


def _numbers(form: Form) -> list[dict[str, Any]]:
    """The number rows the user filled in (a row counts as filled when it has a value)."""
    rows = []
    for i in range(NUMBER_ROWS):
        if not form.get(f"n{i}_value"):
            continue
        if not form.get(f"n{i}_counts"):
            form.add_error(f"n{i}_counts", REQUIRED)
        row: dict[str, Any] = {
            "value": form.get(f"n{i}_value").replace("\u202f", "").replace("\u00a0", "").replace(" ", ""),
            "counts": form.get(f"n{i}_counts"),
            "qualifier": form.get(f"n{i}_qualifier") or "exactly",
            "cumulative": form.get(f"n{i}_cumulative") != "day",
        }
        if form.get(f"n{i}_as_of"):
            row["as_of"] = form.get(f"n{i}_as_of")
        rows.append(row)
    return rows


def _claim_form(request: Request, page: Page, form: Form, code: int = 200) -> Response:
    mission = page.mission_or_404()
    policy.require(page.actor, "claim.create", mission.id)
    context = {
        "form": form,
        "parties": _parties(request, page),
        "rows": range(NUMBER_ROWS),
        "qualifiers": QUALIFIERS,
        "classifications": CLASSIFICATIONS,
        "link_kinds": CLAIM_LINK_KINDS,
    }
    return render(request, "claims/new.html", context, status_code=code)


@router.get("/m/{slug}/claims/new", name="claim_new")
def claim_new(request: Request, page: ReadPage) -> Response:
    """The form for a claim: who said it, when, where, the numbers it states and the records it bears on."""
    today = datetime.now(UTC).date().isoformat()
    return _claim_form(request, page, Form(values={"said_on": today, "classification": "mission"}))


@router.post("/m/{slug}/claims", name="claim_create")
def claim_create(request: Request, page: WritePage, form: CheckedForm) -> Response:
    mission = page.mission_or_404()
    policy.require(page.actor, "claim.create", mission.id)
    for name in ("speaker", "said_on", "source_title", "summary"):
        if not form.get(name):
            form.add_error(name, REQUIRED)
    body: dict[str, Any] = {
        "speaker": form.get("speaker"),
        "affiliation": form.get("affiliation") or None,
        "affiliation_text": form.get("affiliation_text"),
        "said_on": form.get("said_on"),
        "source_title": form.get("source_title"),
        "source_url": form.get("source_url"),
        "summary": form.get("summary"),
        "numbers": _numbers(form),
        "links": _links(form),
        "classification": form.get("classification") or "mission",
    }
    claim = None
    try:
        # Checked even when a field is missing, so that the summary names every field that is wrong at once.
        data = ClaimIn.model_validate(body)
    except ValidationError as exc:
        absorb_validation(form, exc, CLAIM_FIELDS)
    if form.ok:
        with page.attempt(form, CLAIM_FIELDS):
            claim = service.create(page.session, mission, data, actor=page.actor)
            page.session.flush()
    if claim is None or not form.ok:
        return _claim_form(request, page, form, 422)
    url = str(request.app.url_path_for("claim_detail", slug=mission.slug, claim_id=str(claim.id)))
    return flash.redirect_with(request, url, N_("Claim %(id)s is recorded, unverified."), id=claim.id)


@router.get("/m/{slug}/claims/compare", name="claims_compare")
def claims_compare(request: Request, page: ReadPage, party: str | None = None) -> Response:
    """A party's claimed return figures beside the returns counted at the checkpoints, day by day; without a
    party named, the party that claims the most return figures."""
    mission, session, actor = page.mission_or_404(), page.session, page.actor
    party = party or comparison.claiming_party(session, mission, actor=actor) or ""
    compared = comparison.compare_returns(session, mission, party, actor=actor)
    _ = i18n.gettext_for(i18n.negotiate(request))
    parties = _parties(request, page)
    labels = charts.Labels(
        title=_("Returns claimed by %(party)s and counted") % {"party": parties.get(party, party)},
        cumulative=_("Counted in all"),
        daily=_("Counted that day"),
        claimed_total=_("Claimed in all"),
        claimed_day=_("Claimed for that day"),
    )
    days = compared["days"]
    chart = Markup(charts.claimed_and_counted(days, labels)) if days else None  # noqa: S704 - our SVG, escaped labels
    context = {"party": party, "parties": parties, "days": days, "chart": chart}
    return render(request, "claims/compare.html", context)


def _detail(request: Request, page: Page, claim_id: Id, form: Form | None = None, code: int = 200) -> Response:
    mission, session, actor = page.mission_or_404(), page.session, page.actor
    claim = views.claim_view(session, mission, service.get(session, mission, claim_id, actor=actor), actor=actor)
    context = {
        "claim": claim,
        "parties": _parties(request, page),
        "can_assess": policy.allowed(actor, "claim.assess", mission.id),
        "assess_form": form or Form(values={"status": claim.status}),
        "statuses": CLAIM_STATUSES,
        "link_kinds": CLAIM_LINK_KINDS,
    }
    return render(request, "claims/detail.html", context, status_code=code)


@router.get("/m/{slug}/claims/{claim_id}", name="claim_detail")
def claim_detail(request: Request, page: ReadPage, claim_id: Id) -> Response:
    return _detail(request, page, claim_id)


@router.post("/m/{slug}/claims/{claim_id}/assessment", name="claim_assess")
def claim_assess(request: Request, page: WritePage, claim_id: Id, form: CheckedForm) -> Response:
    """Corroborated, contradicted or unverified again, with a note, evidence files and records linked in support."""
    mission = page.mission_or_404()
    service.get(page.session, mission, claim_id, actor=page.actor)
    policy.require(page.actor, "claim.assess", mission.id)
    for name in ("status", "status_note"):
        if not form.get(name):
            form.add_error(name, REQUIRED)
    body = {
        "status": form.get("status"),
        "note": form.get("status_note"),
        "evidence": form.get("evidence").split(),
        "links": _links(form),
    }
    if form.ok:
        with page.attempt(form, {**CLAIM_FIELDS, **{f"evidence.{i}": "evidence" for i in range(50)}}):
            service.assess(page.session, mission, claim_id, AssessmentIn.model_validate(body), actor=page.actor)
    if not form.ok:
        return _detail(request, page, claim_id, form, 422)
    url = str(request.app.url_path_for("claim_detail", slug=mission.slug, claim_id=str(claim_id)))
    return flash.redirect_with(
        request, url + "#assessment", N_("The assessment of claim %(id)s is recorded."), id=claim_id
    )
