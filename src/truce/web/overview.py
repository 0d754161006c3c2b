"""What needs the reader's action, by what their role does: verdicts owed, their own reports and allegations and
how they ended, the crossings counted that day, provisions falling due, phones gone quiet. Each item counts and
links; the rules of who may are the services'."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from truce import policy
from truce.agreement import service as agreement_service
from truce.incidents import service as incidents_service
from truce.incidents.models import Incident
from truce.missions.models import Mission
from truce.movements import service as movements_service
from truce.openrosa import devices
from truce.policy import Actor
from truce.verification import queue as verification_queue
from truce.web.i18n import N_

DUE_DAYS = 14
# A phone that has sent nothing for this long is named on the overview of those who watch it.
SILENT_HOURS = 24


@dataclass(frozen=True)
class Action:
    """One line of the panel: what (a message with %(n)s), how many, and where to go (a route and its query)."""

    key: str
    message: str
    count: int
    route: str
    query: str = ""


def _mine_by_status(session: Session, mission: Mission, actor: Actor) -> dict[str, int]:
    """How the incidents the actor's delegation filed stand, by status (only those the actor may read)."""
    stmt = (
        select(Incident.status, func.count(Incident.id))
        .where(
            Incident.mission_id == mission.id,
            policy.readable(actor, Incident),
            Incident.author_delegation == actor.delegation_code,
        )
        .group_by(Incident.status)
    )
    return {status: int(n) for status, n in session.execute(stmt).tuples()}


def needs_action(session: Session, mission: Mission, actor: Actor, as_of: date) -> list[Action]:
    """The panel's lines for this reader; empty for the public."""
    if actor.delegation_code is None:
        return []
    found: list[Action] = []
    if policy.allowed(actor, "incident.verify", mission.id):
        queues = verification_queue.queues(session, mission, verification_queue.Filters(), actor=actor, limit=0)
        owed = next(q.total for q in queues if q.side == "mine")
        found.append(Action("owed", N_("Verdicts your delegation owes: %(n)s"), owed, "verify_queue"))
    if policy.allowed(actor, "incident.create", mission.id):
        mine = _mine_by_status(session, mission, actor)
        waiting = mine.get("reported", 0) + mine.get("under_verification", 0)
        allegations = policy.files_allegations(actor)
        waiting_text = (
            N_("Your allegations still waiting for verification: %(n)s")
            if allegations
            else N_("Your delegation's reports still waiting for verification: %(n)s")
        )
        found.append(Action("waiting", waiting_text, waiting, "incident_list", "status=reported"))
        for status, message in (
            ("confirmed", N_("Confirmed: %(n)s")),
            ("disputed", N_("Disputed: %(n)s")),
            ("not_confirmed", N_("Not confirmed: %(n)s")),
        ):
            found.append(Action(f"mine-{status}", message, mine.get(status, 0), "incident_list", f"status={status}"))
    if policy.allowed(actor, "movement.write", mission.id):
        counted = movements_service.list_movements(session, mission, actor=actor, since=as_of, until=as_of)
        found.append(
            Action(
                "crossings",
                N_("Crossings counted that day: %(n)s"),
                len(counted),
                "returns_dashboard",
            )
        )
    due = [
        p
        for p in agreement_service.list_provisions(session, mission, actor=actor)
        if p.deadline is not None and as_of <= p.deadline <= as_of + timedelta(days=DUE_DAYS)
    ]
    if due:
        found.append(Action("due", N_("Provisions falling due in the next 14 days: %(n)s"), len(due), "provision_list"))
    return found


def silent_phones(session: Session, mission: Mission, actor: Actor, now: datetime) -> list[devices.SilentPhone] | None:
    """The phones the reader watches that have sent nothing for SILENT_HOURS (None: the reader watches none)."""
    if not policy.watches_phones(actor, mission.id):
        return None
    return devices.silent_devices(session, mission, now - timedelta(hours=SILENT_HOURS), actor=actor)


def latest_day(session: Session, mission: Mission, actor: Actor) -> date | None:
    """The latest day (in the mission's time zone) on which an incident the actor may read began."""
    dialect = session.get_bind().dialect.name
    stmt = incidents_service.query(mission, actor, dialect=dialect).order_by(None)
    latest = session.execute(stmt.with_only_columns(func.max(Incident.start))).scalar_one()
    if latest is None:
        return None
    moment = latest if latest.tzinfo else latest.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(mission.time_zone or "UTC")).date()
