"""What a feed holds: the confirmed incidents and published bulletins an actor may read, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from truce import policy
from truce.agreement.models import Provision, ProvisionStatus
from truce.incidents.models import Incident
from truce.ledger.models import LogEntry
from truce.missions.models import Mission
from truce.places.models import Area
from truce.policy import Actor
from truce.reports.models import Report

FEED_SIZE = 100


def confirmed_incidents(
    session: Session, mission: Mission, *, actor: Actor, zone_id: int | None = None
) -> list[tuple[Incident, datetime]]:
    """Confirmed incidents `actor` may read (the public: `public` ones only), each with its last change."""
    query = select(Incident).where(
        Incident.mission_id == mission.id,
        policy.readable(actor, Incident),
        Incident.status == "confirmed",
        Incident.merged_into_id.is_(None),
    )
    if zone_id is not None:
        query = query.where(Incident.zone_id == zone_id)
    incidents = list(
        session.execute(query.order_by(Incident.start.desc(), Incident.id.desc()).limit(FEED_SIZE)).scalars()
    )
    changed = _last_changes(session, "incidents", [str(i.id) for i in incidents])
    return [(i, changed.get(str(i.id), i.reported_at)) for i in incidents]


def bulletins(session: Session, mission: Mission, *, actor: Actor) -> list[Report]:
    """Published bulletins `actor` may read, newest first."""
    query = (
        select(Report)
        .where(Report.mission_id == mission.id, Report.kind == "bulletin", policy.readable(actor, Report))
        .order_by(Report.created_at.desc(), Report.id.desc())
        .limit(FEED_SIZE)
    )
    return list(session.execute(query).scalars())


def provision_statuses(session: Session, mission: Mission, *, actor: Actor) -> list[tuple[ProvisionStatus, Provision]]:
    """Assessments of the agreement's provisions `actor` may read (the public: `public` ones), newest first.

    Each assessment is a new row, never an edit (agreement/models.py): a change of a provision's status is one
    row, and its id names the feed entry for good.
    """
    query = (
        select(ProvisionStatus, Provision)
        .join(Provision, Provision.id == ProvisionStatus.provision_id)
        .where(
            ProvisionStatus.mission_id == mission.id,
            policy.readable(actor, ProvisionStatus),
            policy.readable(actor, Provision),
        )
        .order_by(ProvisionStatus.created_at.desc(), ProvisionStatus.id.desc())
        .limit(FEED_SIZE)
    )
    return [(status, provision) for status, provision in session.execute(query).tuples()]


def zone_names(session: Session, mission: Mission, *, actor: Actor) -> dict[int, str]:
    """Names of the zones `actor` may read, by id."""
    query = select(Area.id, Area.name).where(Area.mission_id == mission.id, policy.readable(actor, Area))
    return {int(i): str(n) for i, n in session.execute(query)}


def _last_changes(session: Session, kind: str, ids: list[str]) -> dict[str, Any]:
    if not ids:
        return {}
    query = (
        select(LogEntry.entity_id, func.max(LogEntry.time))
        .where(LogEntry.entity_type == kind, LogEntry.entity_id.in_(ids))
        .group_by(LogEntry.entity_id)
    )
    return {str(entity_id): time for entity_id, time in session.execute(query)}
