"""The returns dashboard (chart of cumulative returns, settlements, checkpoint counters, convoys) and crossings."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Request, Response
from markupsafe import Markup

from truce import policy
from truce.missions.models import Mission
from truce.movements import charts, service, summaries, views
from truce.movements.models import CROSSING_SITE_KINDS, GROUPS
from truce.movements.schemas import MovementIn, MovementOut
from truce.numbers import Id
from truce.places import presenters as place_presenters
from truce.places import service as places_service
from truce.places.models import Site
from truce.web import i18n
from truce.web.context import Page, ReadPage, WritePage
from truce.web.forms import CheckedForm, Form
from truce.web.i18n import N_
from truce.web.rendering import redirect, render
from truce.web.routing import page_router

router = page_router()
RECENT = 20
CONVOYS_SHOWN = 10
COUNTS = ("individuals", "families", *GROUPS, "vehicles")
OPTIONAL = (*COUNTS[1:], "transport_mode", "origin_site_id", "destination_site_id", "convoy")
TEXTS = ("direction", "kind", "on_date", "origin", "destination", "escort", "note", "classification")


def returns_chart(request: Request, days: list[dict[str, Any]]) -> Markup:
    """The cumulative returns chart in the reader's language, as inline SVG."""
    t = i18n.gettext_for(i18n.negotiate(request))
    labels = charts.Labels(title=t("Cumulative returns"), cumulative=t("Returned in all"), daily=t("Returned that day"))
    return Markup(charts.cumulative_returns(days, labels))  # noqa: S704 - SVG drawn by our own code, labels escaped


def convoys(movements: list[MovementOut]) -> list[dict[str, Any]]:
    """Each convoy once: its day, route, escort, size at its first crossing, and the checkpoints it crossed."""
    found: dict[str, dict[str, Any]] = {}
    for m in movements:
        if not m.convoy:
            continue
        convoy = found.get(m.convoy)
        if convoy is None:
            found[m.convoy] = {"id": m.convoy, "first": m, "checkpoints": [m.site.name]}
        else:
            convoy["checkpoints"].append(m.site.name)
    return sorted(found.values(), key=lambda c: (c["first"].on_date, c["id"]), reverse=True)


@router.get("/m/{slug}/returns", name="returns_dashboard")
def returns_dashboard(request: Request, page: ReadPage) -> Response:
    mission, session, actor = page.mission_or_404(), page.session, page.actor
    counted = summaries.returns(session, mission, actor=actor)
    names = place_presenters.site_names(session, mission, actor, i18n.negotiate(request))
    movements = [views.movement_view(m, names) for m in service.list_movements(session, mission, actor=actor)]
    context = {
        "returns": counted,
        "chart": returns_chart(request, counted["days"]) if counted["days"] else None,
        "counters": summaries.checkpoint_counters(session, mission, actor=actor),
        "convoys": convoys(movements),
        "convoys_shown": CONVOYS_SHOWN,
        "recent": sorted(movements, key=lambda m: m.id, reverse=True)[:RECENT],
        "can_record": policy.allowed(actor, "movement.write", mission.id),
        "first_day": date.fromisoformat(counted["days"][0]["date"]) if counted["days"] else None,
        # Only an id: the notice never repeats other text from the address.
        "recorded": recorded if (recorded := request.query_params.get("recorded", "")).isdigit() else "",
    }
    return render(request, "returns/dashboard.html", context)


def _sites(page: Page, mission: Mission, kinds: tuple[str, ...]) -> list[Site]:
    sites = places_service.list_places(page.session, Site, mission, actor=page.actor)
    return sorted((s for s in sites if s.kind in kinds), key=lambda s: s.name)


def _form_page(request: Request, page: Page, form: Form, code: int = 200) -> Response:
    mission = page.mission_or_404()
    policy.require(page.actor, "movement.write", mission.id)
    context = {
        "form": form,
        "checkpoints": _sites(page, mission, CROSSING_SITE_KINDS),
        "settlements": _sites(page, mission, ("settlement",)),
        "groups": GROUPS,
    }
    return render(request, "returns/new.html", context, status_code=code)


@router.get("/m/{slug}/movements/new", name="movement_new")
def movement_new(request: Request, page: ReadPage) -> Response:
    values = {"direction": "incoming", "kind": "return", "classification": "parties"}
    return _form_page(request, page, Form(values=values))


def movement_from(form: Form) -> dict[str, Any]:
    """What the API would receive, from the form's text: empty optional fields are left out."""
    body: dict[str, Any] = {name: form.get(name) for name in TEXTS if form.get(name)}
    body["site_id"] = form.get("site_id") or None
    body["individuals"] = form.get("individuals") or None
    body.update({name: form.get(name) for name in OPTIONAL if form.get(name)})
    for name in ("site_id", "direction", "kind", "on_date", "individuals"):
        if not form.get(name):
            form.add_error(name, N_("This field is required."))
    return body


@router.post("/m/{slug}/movements/new", name="movement_create")
def movement_create(request: Request, page: WritePage, form: CheckedForm) -> Response:
    """Record a crossing through the same service as the API (its checks: checkpoint, dates, counts)."""
    mission = page.mission_or_404()
    body = movement_from(form)
    if form.ok:
        # The model's own checks (groups that add up to more than the individuals) concern the counts.
        with page.attempt(form, {"": "individuals"}):
            movement = service.create(page.session, mission, MovementIn.model_validate(body), actor=page.actor)
            page.session.flush()
            url = request.app.url_path_for("returns_dashboard", slug=mission.slug)
            return redirect(f"{url}?recorded={movement.id}#recent")
    return _form_page(request, page, form, 422)


# After movements/new, so that "new" is not taken for an id.
@router.get("/m/{slug}/movements/{movement_id}", name="movement_detail")
def movement_detail(request: Request, page: ReadPage, movement_id: Id) -> Response:
    mission, session, actor = page.mission_or_404(), page.session, page.actor
    movement = service.get(session, mission, movement_id, actor=actor)
    shown = views.movement_view(movement, place_presenters.site_names(session, mission, actor, i18n.negotiate(request)))
    return render(request, "returns/movement.html", {"movement": shown, "groups": GROUPS})
