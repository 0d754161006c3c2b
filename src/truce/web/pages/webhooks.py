"""Webhook subscriptions and their delivery log, for the members who keep them (the API's, as pages)."""

from __future__ import annotations

from fastapi import Request, Response
from pydantic import ValidationError

from truce.errors import Invalid
from truce.events import subscriptions
from truce.events.schemas import SubscriptionCreated, SubscriptionIn
from truce.numbers import Id
from truce.web.context import ReadPage, WritePage
from truce.web.forms import CheckedForm, Form, absorb_invalid, absorb_validation
from truce.web.rendering import render
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
    try:
        body = SubscriptionIn.model_validate(
            {"url": form.get("url"), "kinds": kinds, "description": form.get("description")}
        )
        created = subscriptions.create(
            page.session, mission, body, actor=page.actor, server_secret=request.app.state.secret
        )
    except ValidationError as exc:
        absorb_validation(form, exc)
    except Invalid as exc:
        absorb_invalid(form, exc)
    if not form.ok:
        page.session.rollback()
        return _list_page(request, page, form, None, 422)
    return _list_page(request, page, Form(), created, 200)


@router.get("/m/{slug}/webhooks/{webhook_id}", name="webhook_deliveries")
def webhook_deliveries(request: Request, page: ReadPage, webhook_id: Id) -> Response:
    mission = page.mission_or_404()
    subscription = subscriptions.get(page.session, mission, webhook_id, actor=page.actor)
    deliveries = subscriptions.deliveries(page.session, mission, webhook_id, actor=page.actor)
    context = {"subscription": subscriptions.view(subscription), "deliveries": deliveries}
    return render(request, "webhooks/deliveries.html", context)
