"""Claims: who said what, their assessment, and claimed against counted numbers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, status

from truce import limits
from truce.api.paging import Page
from truce.claims import comparison, service, views
from truce.claims.models import CLAIM_STATUSES, Claim
from truce.claims.schemas import AssessmentIn, ClaimIn, ClaimOut
from truce.deps import MissionScope, ReadScope, WriteScope
from truce.missions.schemas import CODE_PATTERN
from truce.numbers import Id
from truce.routers import DeclaredRouter

router = DeclaredRouter(tags=["claims"])
PATH = "/missions/{slug}/claims"


def _claim(scope: MissionScope, claim: Claim) -> ClaimOut:
    return views.claim_view(scope.session, scope.mission, claim, actor=scope.actor)


PartyQuery = Annotated[str, Query(pattern=CODE_PATTERN, description="a party code")]


@router.get(PATH)
def list_claims(
    scope: ReadScope,
    paging: Page,
    affiliation: Annotated[str | None, Query(pattern=CODE_PATTERN)] = None,
    status_: Annotated[str | None, Query(alias="status", pattern="^(" + "|".join(CLAIM_STATUSES) + ")$")] = None,
) -> list[ClaimOut]:
    """Claims the caller may read, newest statement first."""
    rows = service.list_claims(scope.session, scope.mission, actor=scope.actor, affiliation=affiliation, status=status_)
    return [_claim(scope, c) for c in paging.page(rows)]


@router.post(PATH, status_code=status.HTTP_201_CREATED)
def create_claim(scope: WriteScope, body: ClaimIn) -> ClaimOut:
    """Record a claim (liaison officers, monitors, verifiers, administrators)."""
    return _claim(scope, service.create(scope.session, scope.mission, body, actor=scope.actor))


@router.get(PATH + "/comparison")
def compare_returns(
    scope: ReadScope, party: PartyQuery, since: limits.DayParam = None, until: limits.DayParam = None
) -> dict[str, Any]:
    """A party's claimed return figures beside the counted returns, day by day (at most 3,660 days; 422 beyond)."""
    return comparison.compare_returns(scope.session, scope.mission, party, actor=scope.actor, since=since, until=until)


@router.get(PATH + "/{claim_id}")
def get_claim(scope: ReadScope, claim_id: Id) -> ClaimOut:
    """One claim."""
    return _claim(scope, service.get(scope.session, scope.mission, claim_id, actor=scope.actor))


@router.post(PATH + "/{claim_id}/assessments")
def assess_claim(scope: WriteScope, claim_id: Id, body: AssessmentIn) -> ClaimOut:
    """Mark the claim corroborated, contradicted or unverified again, with its evidence (verifiers, admins)."""
    return _claim(scope, service.assess(scope.session, scope.mission, claim_id, body, actor=scope.actor))
