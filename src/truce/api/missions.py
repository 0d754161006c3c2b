"""Missions, parties, delegations and deployments."""

from __future__ import annotations

from fastapi import status

from truce import limits
from truce.api.paging import Page
from truce.api.problems import CONFLICT
from truce.deps import CurrentUser, ReadScope, ReadSession, ReportScope, WriteScope
from truce.missions import service
from truce.missions.schemas import (
    DelegationIn,
    DelegationOut,
    DeploymentIn,
    DeploymentOut,
    MissionOut,
    MissionUpdate,
    PartyIn,
    PartyOut,
    StrengthOut,
)
from truce.routers import DeclaredRouter
from truce.users import service as users_service

router = DeclaredRouter(tags=["missions"])


@router.get("/missions")
def list_missions(session: ReadSession, user: CurrentUser, paging: Page) -> list[MissionOut]:
    """The missions the caller may see."""
    actor = users_service.actor_for(session, user, None)
    return [MissionOut.model_validate(m) for m in paging.page(service.list_visible(session, actor))]


@router.get("/missions/{slug}")
def get_mission(scope: ReadScope) -> MissionOut:
    """One mission."""
    return MissionOut.model_validate(scope.mission)


@router.patch("/missions/{slug}")
def update_mission(scope: WriteScope, body: MissionUpdate) -> MissionOut:
    """Change the mission's settings (administrators)."""
    return MissionOut.model_validate(service.update(scope.session, scope.mission, body, actor=scope.actor))


@router.get("/missions/{slug}/parties")
def list_parties(scope: ReadScope, paging: Page) -> list[PartyOut]:
    """The mission's parties."""
    return [PartyOut.model_validate(p) for p in paging.page(service.parties(scope.session, scope.mission))]


@router.post("/missions/{slug}/parties", status_code=status.HTTP_201_CREATED, responses=CONFLICT)
def create_party(scope: WriteScope, body: PartyIn) -> PartyOut:
    """Add a party (admin)."""
    party = service.create_party(scope.session, scope.mission, body, actor=scope.actor)
    return PartyOut.model_validate(party)


@router.get("/missions/{slug}/delegations")
def list_delegations(scope: ReadScope, paging: Page) -> list[DelegationOut]:
    """The mission's delegations."""
    codes = {p.id: p.code for p in service.parties(scope.session, scope.mission)}
    return [
        DelegationOut(id=d.id, code=d.code, name=d.name, party=codes[d.party_id])
        for d in paging.page(service.delegations(scope.session, scope.mission))
    ]


@router.post("/missions/{slug}/delegations", status_code=status.HTTP_201_CREATED, responses=CONFLICT)
def create_delegation(scope: WriteScope, body: DelegationIn) -> DelegationOut:
    """Add a delegation (admin)."""
    delegation = service.create_delegation(scope.session, scope.mission, body, actor=scope.actor)
    return DelegationOut(id=delegation.id, code=delegation.code, name=delegation.name, party=body.party)


@router.get("/missions/{slug}/deployments")
def list_deployments(scope: ReadScope, paging: Page) -> list[DeploymentOut]:
    """The force's deployments by date (mission staff)."""
    rows = service.deployments(scope.session, scope.mission, actor=scope.actor)
    return [DeploymentOut.model_validate(d) for d in paging.page(rows)]


@router.post("/missions/{slug}/deployments", status_code=status.HTTP_201_CREATED)
def record_deployment(scope: WriteScope, body: DeploymentIn) -> DeploymentOut:
    """Record a deployment (admin)."""
    deployment = service.record_deployment(scope.session, scope.mission, body, actor=scope.actor)
    return DeploymentOut.model_validate(deployment)


@router.get("/missions/{slug}/deployments/strength")
def strength(scope: ReportScope, on: limits.Day) -> StrengthOut:
    """The force's strength on a date against the mandate's ceilings."""
    return StrengthOut.model_validate(service.strength_on(scope.session, scope.mission, on, actor=scope.actor))
