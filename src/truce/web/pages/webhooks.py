"""Webhook subscriptions and their delivery log, for the members who keep them (the API's, as pages)."""

from __future__ import annotations

from fastapi import Request, Response

from truce.events import subscriptions
from truce.events.schemas import ReplayOut, SubscriptionCreated, SubscriptionIn
from truce.numbers import Id
from truce.web.context import ReadPage, WritePage
from truce.web.forms import CheckedForm, Form
from truce.web.i18n import N_
from truce.web.rendering import redirect, render
from truce.web.routing import page_router

router = page_router()


def _list_page(
    request: Request, page: ReadPage | WritePage, form: Form, created: SubscriptionCreated | None, code: int
) -> Response:
    mission = page.mission_or_404()
    rows = [subscriptions.view(s) for s in subscriptions.list_for(page.session, mission, actor=page.actor)]
    context = {"subscriptions": rows, "form": form, "created": created}
    return render(request, "webhooks/list.html", context, status_code=code)


@router.get("/m/{slug}/webhooks", name="webhook_list")
def webhook_list(request: Request, page: ReadPage) -> Response:
    return _list_page(request, page, Form(), None, 200)


@router.post("/m/{slug}/webhooks", name="webhook_create")
def webhook_create(request: Request, page: WritePage, form: CheckedForm) -> Response:
    """Subscribe; the answer shows the secret once (a page, never an address that could be logged)."""
    mission = page.mission_or_404()
    kinds = [k.strip() for k in form.get("kinds").split(",") if k.strip()]
    created = None
    with page.attempt(form):
        body = SubscriptionIn.model_validate(
            {"url": form.get("url"), "kinds": kinds, "description": form.get("description")}
        )
        created = subscriptions.create(
            page.session, mission, body, actor=page.actor, server_secret=request.app.state.secret
        )
    if not form.ok:
        return _list_page(request, page, form, None, 422)
    return _list_page(request, page, Form(), created, 200)


STATES = ("pending", "delivered", "dead")


def _deliveries_page(
    request: Request,
    page: ReadPage | WritePage,
    webhook_id: int,
    *,
    form: Form | None = None,
    rotated: SubscriptionCreated | None = None,
    replayed: ReplayOut | None = None,
    code: int = 200,
) -> Response:
    """The delivery log with every attempt, and the forms to rotate the secret, replay and end."""
    mission = page.mission_or_404()
    subscription = subscriptions.get(page.session, mission, webhook_id, actor=page.actor)
    wanted = request.query_params.get("state")
    state = wanted if wanted in STATES else None
    deliveries = subscriptions.deliveries(page.session, mission, webhook_id, actor=page.actor, state=state)
    context = {
        "subscription": subscriptions.view(subscription), "deliveries": deliveries, "state": state,
        "states": STATES, "form": form or Form(), "rotated": rotated, "replayed": replayed,
    }  # fmt: skip
    return render(request, "webhooks/deliveries.html", context, status_code=code)


@router.get("/m/{slug}/webhooks/{webhook_id}", name="webhook_deliveries")
def webhook_deliveries(request: Request, page: ReadPage, webhook_id: Id) -> Response:
    return _deliveries_page(request, page, webhook_id)


@router.post("/m/{slug}/webhooks/{webhook_id}/rotate", name="webhook_rotate")
def webhook_rotate(request: Request, page: WritePage, webhook_id: Id, form: CheckedForm) -> Response:
    """A new secret, shown on this answer once; the previous one keeps signing for 24 hours."""
    mission = page.mission_or_404()
    rotated = subscriptions.rotate(
        page.session, mission, webhook_id, actor=page.actor, server_secret=request.app.state.secret
    )
    return _deliveries_page(request, page, webhook_id, rotated=rotated)


@router.post("/m/{slug}/webhooks/{webhook_id}/replay", name="webhook_replay")
def webhook_replay(request: Request, page: WritePage, webhook_id: Id, form: CheckedForm) -> Response:
    """Events from a log index on are due again, with the same ids and bytes (as the API's replay)."""
    mission = page.mission_or_404()
    replayed = None
    raw = form.get("from_index")
    if not raw.isdigit() or len(raw) > 18:
        form.add_error("from_index", N_("Give a log index: a whole number, 0 or more."))
    else:
        with page.attempt(form):
            replayed = subscriptions.replay(page.session, mission, webhook_id, int(raw), actor=page.actor)
    if not form.ok:
        return _deliveries_page(request, page, webhook_id, form=form, code=422)
    return _deliveries_page(request, page, webhook_id, replayed=replayed)


@router.post("/m/{slug}/webhooks/{webhook_id}/end", name="webhook_end")
def webhook_end(request: Request, page: WritePage, webhook_id: Id, form: CheckedForm) -> Response:
    """Stop the subscription: no new events, pending ones are not sent."""
    mission = page.mission_or_404()
    subscriptions.end(page.session, mission, webhook_id, actor=page.actor)
    return redirect(str(request.app.url_path_for("webhook_deliveries", slug=mission.slug, webhook_id=str(webhook_id))))
