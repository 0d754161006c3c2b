"""Claims as readers see them: only the links to records they may read; shared by the API and the pages."""

from __future__ import annotations

from sqlalchemy.orm import Session

from truce import links as linked
from truce.claims.models import Claim
from truce.claims.schemas import ClaimOut
from truce.missions.models import Mission
from truce.policy import Actor


def claim_view(session: Session, mission: Mission, claim: Claim, *, actor: Actor) -> ClaimOut:
    """The claim with the links its reader may follow."""
    links = linked.visible(session, mission, claim.links, actor)
    return ClaimOut.model_validate(claim).model_copy(update={"links": links})
