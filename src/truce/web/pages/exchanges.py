"""Exchanges of detainees and bodies: both sides' lists matched, differences shown, handover and confirmations.

Personal identifiers reach the page only through the services, which show them to the two sides and the
intermediary alone.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from pydantic import ValidationError

from truce import policy
from truce.missions import service as missions_service
from truce.movements import service, views
from truce.movements.schemas import ConfirmIn, ExchangeIn, ExchangeListIn, HandoverIn
from truce.numbers import Id
from truce.web import flash
from truce.web.context import Page, ReadPage, WritePage
from truce.web.forms import CheckedForm, Form, absorb_validation
from truce.web.i18n import N_
from truce.web.rendering import render
from truce.web.routing import page_router

router = page_router()
REQUIRED = N_("This field is required.")
HANDOVER_FIELDS = {
    "a_to_b.detainees": "a_to_b_detainees",
    "a_to_b.bodies": "a_to_b_bodies",
    "b_to_a.detainees": "b_to_a_detainees",
    "b_to_a.bodies": "b_to_a_bodies",
    "note": "handover_note",
}
LIST_FIELDS = {
    f"{way}.{what}": f"{way}_{what}" for way in ("hands_over", "receives") for what in ("detainees", "bodies")
} | {"hands_over": "hands_over_ids", "receives": "receives_ids"}
# Where the service's refusals of a confirmation go: differences not acknowledged concern the tick box.
CONFIRM_FIELDS = {"note": "confirm_note", "acknowledge_differences": "acknowledge"}


def _parties(page: Page) -> dict[str, str]:
    return {p.code: p.name for p in missions_service.parties(page.session, page.mission_or_404())}


@router.get("/m/{slug}/exchanges", name="exchange_list")
def exchange_list(request: Request, page: ReadPage) -> Response:
    mission, session, actor = page.mission_or_404(), page.session, page.actor
    exchanges = [
        views.exchange_view(session, mission, e, actor=actor)
        for e in service.list_exchanges(session, mission, actor=actor)
    ]
    context = {
        "exchanges": exchanges,
        "parties": _parties(page),
        "can_open": policy.allowed(actor, "exchange.write", mission.id),
    }
    return render(request, "exchanges/list.html", context)


def _new_page(request: Request, page: Page, form: Form, code: int = 200) -> Response:
    mission = page.mission_or_404()
    policy.require(page.actor, "exchange.write", mission.id)
    return render(request, "exchanges/new.html", {"form": form, "parties": _parties(page)}, status_code=code)


@router.get("/m/{slug}/exchanges/new", name="exchange_new")
def exchange_new(request: Request, page: ReadPage) -> Response:
    return _new_page(request, page, Form(values={"kind": "detainees", "classification": "parties"}))


@router.post("/m/{slug}/exchanges/new", name="exchange_create")
def exchange_create(request: Request, page: WritePage, form: CheckedForm) -> Response:
    mission = page.mission_or_404()
    for name in ("kind", "side_a", "side_b"):
        if not form.get(name):
            form.add_error(name, REQUIRED)
    if form.ok:
        names = ("kind", "side_a", "side_b", "intermediary", "planned_on", "place", "note", "classification")
        body = {name: form.get(name) for name in names if form.get(name)}
        # The model's own checks (two different sides, an intermediary apart) concern the second side.
        with page.attempt(form, {"": "side_b"}):
            exchange = service.create_exchange(page.session, mission, ExchangeIn.model_validate(body), actor=page.actor)
            page.session.flush()
            url = _detail_url(request, mission.slug, exchange.id)
            return flash.redirect_with(request, url, N_("Exchange %(id)s is recorded."), id=exchange.id)
    return _new_page(request, page, form, 422)


def _detail_url(request: Request, slug: str, exchange_id: Id, anchor: str = "") -> str:
    url = str(request.app.url_path_for("exchange_detail", slug=slug, exchange_id=str(exchange_id)))
    return f"{url}#{anchor}" if anchor else url


def _detail(request: Request, page: Page, exchange_id: Id, forms: dict[str, Form], code: int = 200) -> Response:
    mission, session, actor = page.mission_or_404(), page.session, page.actor
    exchange = service.get_exchange(session, mission, exchange_id, actor=actor)
    party = service.party_of(session, actor)
    context: dict[str, Any] = {
        "exchange": views.exchange_view(session, mission, exchange, actor=actor),
        "lists": service.list_lists(session, mission, exchange_id, actor=actor),
        "parties": _parties(page),
        "can_hand_over": policy.allowed(actor, "exchange.write", mission.id) and exchange.handed_over_on is None,
        "can_confirm": policy.allowed(actor, "exchange.confirm", mission.id)
        and party in (exchange.side_a, exchange.side_b)
        and exchange.handed_over_on is not None
        and party not in exchange.confirmations,
        "list_sides": _list_sides(exchange.side_a, exchange.side_b, exchange.intermediary, party)
        if policy.allowed(actor, "exchange.list", mission.id) and exchange.handed_over_on is None
        else [],
        "list_form": forms.get("list") or Form(),
        "handover_form": forms.get("handover") or Form(),
        "confirm_form": forms.get("confirm") or Form(),
    }
    return render(request, "exchanges/detail.html", context, status_code=code)


@router.get("/m/{slug}/exchanges/{exchange_id}", name="exchange_detail")
def exchange_detail(request: Request, page: ReadPage, exchange_id: Id) -> Response:
    return _detail(request, page, exchange_id, {})


def _list_sides(side_a: str, side_b: str, intermediary: str | None, party: str | None) -> list[str]:
    """The sides whose list the actor's party may submit: its own, or both for the intermediary."""
    if party is not None and party == intermediary:
        return [side_a, side_b]
    return [party] if party in (side_a, side_b) and party is not None else []


def _persons(form: Form, way: str) -> dict[str, object]:
    # Identifiers one per line; blank lines are not identifiers.
    identifiers = [line.strip() for line in form.values.get(f"{way}_ids", "").splitlines() if line.strip()]
    counts = {what: form.get(f"{way}_{what}") or 0 for what in ("detainees", "bodies")}
    return {**counts, "identifiers": identifiers}


@router.post("/m/{slug}/exchanges/{exchange_id}/lists", name="exchange_list_submit")
def exchange_list_submit(request: Request, page: WritePage, exchange_id: Id, form: CheckedForm) -> Response:
    """A side's list (or the intermediary's copy of it); the identifiers are kept from everyone else."""
    mission = page.mission_or_404()
    if not form.get("side"):
        form.add_error("side", REQUIRED)
    else:
        body = {
            "side": form.get("side"),
            "hands_over": _persons(form, "hands_over"),
            "receives": _persons(form, "receives"),
        }
        try:
            data = ExchangeListIn.model_validate(body)
        except ValidationError as exc:
            absorb_validation(form, exc, _list_fields(exc))
        else:
            with page.attempt(form, conflicts=True):
                service.submit_list(page.session, mission, exchange_id, data, actor=page.actor)
    if not form.ok:
        return _detail(request, page, exchange_id, {"list": form}, 422)
    url = _detail_url(request, mission.slug, exchange_id, "lists")
    return flash.redirect_with(request, url, N_("Your side's list is recorded."))


def _list_fields(exc: ValidationError) -> dict[str, str]:
    """Where each complaint belongs: a bad identifier (at any position) on its way's identifier field."""
    fields = dict(LIST_FIELDS)
    for error in exc.errors():
        path = ".".join(str(part) for part in error.get("loc", ()))
        if ".identifiers" in path:
            fields[path] = f"{path.split('.')[0]}_ids"
    return fields


@router.post("/m/{slug}/exchanges/{exchange_id}/handover", name="exchange_handover")
def exchange_handover(request: Request, page: WritePage, exchange_id: Id, form: CheckedForm) -> Response:
    """What was handed over each way, recorded by the humanitarian officer (or an administrator)."""
    mission = page.mission_or_404()
    if not form.get("on_date"):
        form.add_error("on_date", REQUIRED)
    if form.ok:
        body = {
            "on_date": form.get("on_date"),
            "a_to_b": {"detainees": form.get("a_to_b_detainees") or 0, "bodies": form.get("a_to_b_bodies") or 0},
            "b_to_a": {"detainees": form.get("b_to_a_detainees") or 0, "bodies": form.get("b_to_a_bodies") or 0},
            "place": form.get("place") or None,
            "note": form.get("handover_note"),
        }
        with page.attempt(form, HANDOVER_FIELDS, conflicts=True):
            data = HandoverIn.model_validate(body)
            service.record_handover(page.session, mission, exchange_id, data, actor=page.actor)
    if not form.ok:
        return _detail(request, page, exchange_id, {"handover": form}, 422)
    url = _detail_url(request, mission.slug, exchange_id, "handover")
    return flash.redirect_with(request, url, N_("The handover is recorded."))


@router.post("/m/{slug}/exchanges/{exchange_id}/confirm", name="exchange_confirm")
def exchange_confirm(request: Request, page: WritePage, exchange_id: Id, form: CheckedForm) -> Response:
    """A side confirms the handover; differences must be acknowledged and stay on the record."""
    mission = page.mission_or_404()
    body = {"note": form.get("confirm_note"), "acknowledge_differences": form.get("acknowledge") == "yes"}
    with page.attempt(form, CONFIRM_FIELDS, conflicts=True):
        service.confirm(page.session, mission, exchange_id, ConfirmIn.model_validate(body), actor=page.actor)
    if not form.ok:
        return _detail(request, page, exchange_id, {"confirm": form}, 422)
    url = _detail_url(request, mission.slug, exchange_id, "confirmations")
    return flash.redirect_with(request, url, N_("Your side's confirmation is recorded."))
