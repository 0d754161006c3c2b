"""Provisions as readers see them: current and dated level, overdue flag, visible links; shared by the API and pages."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from truce import links as linked
from truce.agreement import service
from truce.agreement.models import Provision, ProvisionStatus
from truce.agreement.schemas import ExtensionOut, ProvisionOut, StatusOut
from truce.claims import service as claims_service
from truce.missions.models import Mission
from truce.policy import Actor


def status_view(row: ProvisionStatus) -> StatusOut:
    """One assessment with the name of its level."""
    return StatusOut.model_validate(row).model_copy(update={"label": service.level_label(row.level)})


def provision_view(
    session: Session,
    mission: Mission,
    provision: Provision,
    history: list[ProvisionStatus],
    on: date | None,
    *,
    actor: Actor,
    full: bool = False,
) -> ProvisionOut:
    """The provision on day `on` (today by default); `full` adds its history, extensions and citing claims."""
    day = on or datetime.now(UTC).date()
    links = linked.visible(session, mission, provision.links, actor)
    out = ProvisionOut.model_validate(provision).model_copy(
        update={
            "label": service.level_label(provision.level),
            "extended": provision.deadline != provision.original_deadline,
            "level_on": service.level_on(history, day),
            "overdue": service.is_overdue(provision, history, day),
            "links": links,
        }
    )
    if not full:
        return out
    statuses = service.list_statuses(session, mission, provision.id, actor=actor)
    extensions = service.list_extensions(session, mission, provision.id, actor=actor)
    citing = claims_service.citing(session, mission, "provisions", provision.id, actor=actor)
    if citing:
        links = {**links, "claims": sorted({*links.get("claims", []), *(c.id for c in citing)})}
    return out.model_copy(
        update={
            "statuses": [status_view(s) for s in statuses],
            "extensions": [ExtensionOut.model_validate(e) for e in extensions],
            "links": links,
        }
    )
