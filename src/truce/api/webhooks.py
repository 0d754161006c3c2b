"""Webhook subscriptions of a mission and their delivery log (Standard Webhooks)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query, Request, Response, status

from truce.deps import ReadScope, WriteScope
from truce.events import subscriptions as service
from truce.events.schemas import DeliveryOut, ReplayIn, ReplayOut, SubscriptionCreated, SubscriptionIn, SubscriptionOut
from truce.numbers import Id
from truce.routers import DeclaredRouter

router = DeclaredRouter(tags=["webhooks"])
PATH = "/missions/{slug}/webhooks"


def _secret(request: Request) -> str:
    secret: str = request.app.state.secret
    return secret


@router.get(PATH)
def list_webhooks(scope: ReadScope) -> list[SubscriptionOut]:
    """The caller's subscriptions (an administrator: every subscription of the mission); secrets never shown."""
    return [service.view(s) for s in service.list_for(scope.session, scope.mission, actor=scope.actor)]


@router.post(PATH, status_code=status.HTTP_201_CREATED)
def create_webhook(scope: WriteScope, body: SubscriptionIn, request: Request) -> SubscriptionCreated:
    """Subscribe a receiver; it is sent what the caller's role and delegation may read. The secret is shown once."""
    return service.create(scope.session, scope.mission, body, actor=scope.actor, server_secret=_secret(request))


@router.get(PATH + "/{webhook_id}")
def get_webhook(scope: ReadScope, webhook_id: Id) -> SubscriptionOut:
    """One subscription."""
    return service.view(service.get(scope.session, scope.mission, webhook_id, actor=scope.actor))


@router.delete(PATH + "/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
def end_webhook(scope: WriteScope, webhook_id: Id) -> Response:
    """End the subscription; events not yet delivered are not sent."""
    service.end(scope.session, scope.mission, webhook_id, actor=scope.actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(PATH + "/{webhook_id}/rotate")
def rotate_webhook_secret(scope: WriteScope, webhook_id: Id, request: Request) -> SubscriptionCreated:
    """A new secret, shown once; for 24 hours deliveries carry a signature with the old one too."""
    return service.rotate(scope.session, scope.mission, webhook_id, actor=scope.actor, server_secret=_secret(request))


@router.post(PATH + "/{webhook_id}/replay")
def replay_webhook(scope: WriteScope, webhook_id: Id, body: ReplayIn) -> ReplayOut:
    """Send again every matching entry from a log index on (same `webhook-id`, same body)."""
    return service.replay(scope.session, scope.mission, webhook_id, body.from_index, actor=scope.actor)


@router.get(PATH + "/{webhook_id}/deliveries")
def list_deliveries(
    scope: ReadScope,
    webhook_id: Id,
    state: Annotated[Literal["pending", "delivered", "dead"] | None, Query()] = None,
) -> list[DeliveryOut]:
    """The subscription's events, newest first (at most 200), each with every attempt and its outcome."""
    return service.deliveries(scope.session, scope.mission, webhook_id, actor=scope.actor, state=state)
