"""Provisions of the agreement: deadlines, extensions, status history and links."""

from __future__ import annotations

from datetime import date

from fastapi import status

from truce import limits
from truce.agreement import service, views
from truce.agreement.models import DeadlineExtension, Provision, ProvisionStatus
from truce.agreement.schemas import (
    ExtensionIn,
    ExtensionOut,
    LinkIn,
    ProvisionIn,
    ProvisionOut,
    StatusIn,
    StatusOut,
)
from truce.api.paging import Page
from truce.api.problems import CONFLICT
from truce.deps import MissionScope, ReadScope, WriteScope
from truce.numbers import Id
from truce.routers import DeclaredRouter

router = DeclaredRouter(tags=["agreement"])
PATH = "/missions/{slug}/provisions"


def _status(row: ProvisionStatus) -> StatusOut:
    return views.status_view(row)


def _provision(
    scope: MissionScope, provision: Provision, history: list[ProvisionStatus], on: date | None, *, full: bool = False
) -> ProvisionOut:
    return views.provision_view(scope.session, scope.mission, provision, history, on, actor=scope.actor, full=full)


@router.get(PATH)
def list_provisions(scope: ReadScope, paging: Page, on: limits.DayParam = None) -> list[ProvisionOut]:
    """The agreement's provisions in order, each with its current status and whether it is overdue `on` a day."""
    histories = service.histories(scope.session, scope.mission)
    return [
        _provision(scope, p, histories.get(p.id, []), on)
        for p in paging.page(service.list_provisions(scope.session, scope.mission, actor=scope.actor))
    ]


@router.post(PATH, status_code=status.HTTP_201_CREATED, responses=CONFLICT)
def create_provision(scope: WriteScope, body: ProvisionIn) -> ProvisionOut:
    """Add a provision (administrators)."""
    provision = service.create(scope.session, scope.mission, body, actor=scope.actor)
    return _provision(scope, provision, [], None)


@router.get(PATH + "/{provision_id}")
def get_provision(scope: ReadScope, provision_id: Id, on: limits.DayParam = None) -> ProvisionOut:
    """One provision with its status history, deadline extensions and linked records."""
    provision = service.get(scope.session, scope.mission, provision_id, actor=scope.actor)
    return _provision(scope, provision, service.statuses(scope.session, provision), on, full=True)


@router.get(PATH + "/{provision_id}/statuses")
def list_statuses(scope: ReadScope, provision_id: Id, paging: Page) -> list[StatusOut]:
    """The provision's status history on the Peace Accords Matrix scale, by date."""
    rows = service.list_statuses(scope.session, scope.mission, provision_id, actor=scope.actor)
    return [_status(s) for s in paging.page(rows)]


@router.post(PATH + "/{provision_id}/statuses", status_code=status.HTTP_201_CREATED)
def assess_provision(scope: WriteScope, provision_id: Id, body: StatusIn) -> StatusOut:
    """Assess how far the provision is implemented on a date (verifiers, administrators)."""
    return _status(service.assess(scope.session, scope.mission, provision_id, body, actor=scope.actor))


@router.get(PATH + "/{provision_id}/extensions")
def list_extensions(scope: ReadScope, provision_id: Id, paging: Page) -> list[ExtensionOut]:
    """Every extension of the provision's deadline, oldest first."""
    rows: list[DeadlineExtension] = service.list_extensions(
        scope.session, scope.mission, provision_id, actor=scope.actor
    )
    return [ExtensionOut.model_validate(e) for e in paging.page(rows)]


@router.post(PATH + "/{provision_id}/extensions", status_code=status.HTTP_201_CREATED, responses=CONFLICT)
def extend_deadline(scope: WriteScope, provision_id: Id, body: ExtensionIn) -> ExtensionOut:
    """Move the deadline later (administrators); the original deadline is kept."""
    extension = service.extend_deadline(scope.session, scope.mission, provision_id, body, actor=scope.actor)
    return ExtensionOut.model_validate(extension)


@router.post(PATH + "/{provision_id}/links")
def link_record(scope: WriteScope, provision_id: Id, body: LinkIn) -> ProvisionOut:
    """Link an incident, movement, exchange or claim to the provision (verifiers, administrators)."""
    provision = service.link(scope.session, scope.mission, provision_id, body, actor=scope.actor)
    return _provision(scope, provision, service.statuses(scope.session, provision), None)
