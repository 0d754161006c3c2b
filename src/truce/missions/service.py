"""Missions, parties, delegations and deployments."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from truce import policy
from truce.errors import Conflict, Forbidden, Invalid, Message, NotFound
from truce.ledger import service as ledger
from truce.missions.models import PARTY_KINDS, Delegation, Deployment, Mission, Party
from truce.missions.schemas import DelegationIn, DeploymentIn, MissionIn, MissionUpdate, PartyIn
from truce.places.models import Site
from truce.policy import Actor

ALREADY_CODED = {
    "parties": Message("mission %(mission)s already has a party coded %(code)r").msgid,
    "delegations": Message("mission %(mission)s already has a delegation coded %(code)r").msgid,
}


def get_by_slug(session: Session, slug: str) -> Mission | None:
    """The mission with this slug, whoever asks."""
    return session.execute(_BY_SLUG, {"by_slug": slug}).scalar_one_or_none()


# Built once: every request under /m/{slug} or /openrosa/{slug} asks, and building it cost more than running it.
_BY_SLUG = select(Mission).where(Mission.slug == bindparam("by_slug"))


def visible(actor: Actor, mission: Mission) -> bool:
    """Whether the actor may know the mission exists: a member, the system, or anyone if it is public."""
    return policy.sees_mission(actor, mission.id, public=mission.public)


def list_visible(session: Session, actor: Actor) -> list[Mission]:
    """Every mission the actor may see, by slug."""
    missions = session.execute(select(Mission).order_by(Mission.slug)).scalars()
    return [m for m in missions if visible(actor, m)]


def create(session: Session, data: MissionIn, *, actor: Actor) -> Mission:
    """Create a mission; only the installation itself (the CLI) may."""
    if not policy.creates_missions(actor):
        raise Forbidden(Message("missions are created from the command line by the operator"))
    if get_by_slug(session, data.slug) is not None:
        raise Conflict(Message("a mission with slug %(slug)r exists already", slug=data.slug))
    try:
        ZoneInfo(data.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(Message("unknown time zone %(zone)r", zone=data.time_zone), "time_zone") from None
    mission = Mission(**data.model_dump())
    session.add(mission)
    ledger.record(session, actor, "mission.create", mission)
    return mission


def update(session: Session, mission: Mission, data: MissionUpdate, *, actor: Actor) -> Mission:
    """Change a mission's settings (administrators)."""
    policy.require(actor, "mission.write", mission.id)
    changes = data.model_dump(exclude_none=True)
    unknown = sorted(set(changes.get("quorum_required", [])) - {d.code for d in delegations(session, mission)})
    if unknown:
        raise Invalid(Message("unknown delegation codes %(codes)s", codes=", ".join(unknown)), "quorum_required")
    for name, value in changes.items():
        setattr(mission, name, value)
    ledger.record(session, actor, "mission.update", mission)
    return mission


# The settings of a mission that its file holds and `configure` may change (the slug never changes).
CONFIGURABLE = (
    "name", "names", "languages", "description", "translations", "illustrative", "time_zone", "public", "starts_on",
    "ends_on", "default_classification", "taxonomy", "quorum_delegations", "quorum_required", "allow_self_verification",
    "duplicate_km", "duplicate_minutes", "ceiling_personnel", "ceiling_armoured_vehicles", "ceiling_other_vehicles",
)  # fmt: skip


def configure(session: Session, mission: Mission, data: MissionIn, *, actor: Actor) -> list[str]:
    """Set the mission's settings to those of `data` (its file, checked); the names of those that changed."""
    if not policy.configures_mission(actor, mission.id):
        raise Forbidden(Message("only the mission's administrators or an operator change its settings"))
    changed = [name for name in CONFIGURABLE if getattr(mission, name) != getattr(data, name)]
    for name in changed:
        setattr(mission, name, getattr(data, name))
    if changed:
        ledger.record(session, actor, "mission.update", mission)
    return changed


def update_party(session: Session, mission: Mission, party: Party, data: PartyIn, *, actor: Actor) -> Party:
    """Rename a party (in each language) or change its kind; its code stays."""
    policy.require(actor, "mission.write", mission.id)
    party.name, party.kind, party.translations = data.name, data.kind, data.translations
    ledger.record(session, actor, "party.update", party)
    return party


def update_delegation(
    session: Session,
    mission: Mission,
    delegation: Delegation,
    name: str,
    *,
    actor: Actor,
    translations: dict[str, Any] | None = None,
) -> None:
    """Rename a delegation (`translations`: its name in other languages); its code and party stay."""
    policy.require(actor, "mission.write", mission.id)
    delegation.name, delegation.translations = name, translations
    ledger.record(session, actor, "delegation.update", delegation)


def check_day(mission: Mission, day: date, field: str) -> None:
    """Refuse a day of a record before the mission began or in the future, naming `field`."""
    if mission.starts_on is not None and day < mission.starts_on:
        raise Invalid(
            Message(
                "%(day)s is before the mission began on %(start)s",
                day=day.isoformat(),
                start=mission.starts_on.isoformat(),
            ),
            field,
            code="before_mission",
        )
    # A day ahead of UTC is still today somewhere in the mission's area.
    if day > datetime.now(UTC).date() + timedelta(days=1):
        raise Invalid(Message("%(day)s is in the future", day=day.isoformat()), field, code="in_future")


def parties(session: Session, mission: Mission) -> list[Party]:
    """The mission's parties, by code."""
    return list(session.execute(select(Party).where(Party.mission_id == mission.id).order_by(Party.code)).scalars())


def party_by_code(session: Session, mission: Mission, code: str) -> Party:
    """One of the mission's parties, by its code."""
    party = session.execute(
        select(Party).where(Party.mission_id == mission.id, Party.code == code)
    ).scalar_one_or_none()
    if party is None:
        raise NotFound(Message("mission %(mission)s has no party %(party)r", mission=mission.slug, party=code))
    return party


def create_party(session: Session, mission: Mission, data: PartyIn, *, actor: Actor) -> Party:
    """Add a party to the mission."""
    policy.require(actor, "mission.write", mission.id)
    if data.kind not in PARTY_KINDS:
        raise Invalid(Message("must be one of %(choices)s", choices=", ".join(PARTY_KINDS)), "kind")
    _unique(session, Party, mission, data.code)
    party = Party(mission_id=mission.id, **data.model_dump())
    session.add(party)
    ledger.record(session, actor, "party.create", party)
    return party


def delegations(session: Session, mission: Mission) -> list[Delegation]:
    """The mission's delegations, by code."""
    query = select(Delegation).where(Delegation.mission_id == mission.id).order_by(Delegation.code)
    return list(session.execute(query).scalars())


def delegation_by_code(session: Session, mission: Mission, code: str) -> Delegation:
    """One of the mission's delegations, by its code."""
    delegation = session.execute(
        select(Delegation).where(Delegation.mission_id == mission.id, Delegation.code == code)
    ).scalar_one_or_none()
    if delegation is None:
        raise NotFound(Message("mission %(mission)s has no delegation %(code)r", mission=mission.slug, code=code))
    return delegation


def check_restricted_to(
    session: Session, mission: Mission, classification: str, codes: list[str], field: str = "restricted_to"
) -> None:
    """Only a restricted record names delegations, and only delegations of its mission."""
    if classification != "restricted" and codes:
        raise Invalid(Message("only restricted records name delegations"), field, code="delegations_unrestricted")
    if not codes:
        return  # nothing to look up: most records name no delegation
    unknown = sorted(set(codes) - {d.code for d in delegations(session, mission)})
    if unknown:
        raise Invalid(
            Message("unknown delegation codes %(codes)s", codes=", ".join(unknown)), field, code="delegations_unknown"
        )


def create_delegation(session: Session, mission: Mission, data: DelegationIn, *, actor: Actor) -> Delegation:
    """Add a delegation, belonging to one of the mission's parties."""
    policy.require(actor, "mission.write", mission.id)
    party = party_by_code(session, mission, data.party)
    _unique(session, Delegation, mission, data.code)
    delegation = Delegation(
        mission_id=mission.id, party_id=party.id, code=data.code, name=data.name, translations=data.translations
    )
    session.add(delegation)
    ledger.record(session, actor, "delegation.create", delegation)
    return delegation


def _unique(session: Session, model: type[Party] | type[Delegation], mission: Mission, code: str) -> None:
    found = session.execute(
        select(model.id).where(model.mission_id == mission.id, model.code == code)
    ).scalar_one_or_none()
    if found is not None:
        raise Conflict(Message(ALREADY_CODED[model.__tablename__], mission=mission.slug, code=code))


def record_deployment(session: Session, mission: Mission, data: DeploymentIn, *, actor: Actor) -> Deployment:
    """Record personnel and vehicles at a site (or mission-wide) on a date."""
    policy.require(actor, "deployment.write", mission.id)
    if data.site_id is not None:
        site = session.get(Site, data.site_id)
        if site is None or site.mission_id != mission.id:
            raise Invalid(
                Message("mission %(mission)s has no site %(id)s", mission=mission.slug, id=data.site_id), "site_id"
            )
    deployment = Deployment(mission_id=mission.id, **data.model_dump())
    session.add(deployment)
    ledger.record(session, actor, "deployment.create", deployment)
    return deployment


def deployments(session: Session, mission: Mission, *, actor: Actor) -> list[Deployment]:
    """Every deployment record of the mission, by date."""
    if not policy.allowed(actor, "deployment.read", mission.id):
        raise NotFound(Message("deployments not found"))
    query = select(Deployment).where(Deployment.mission_id == mission.id)
    return list(session.execute(query.order_by(Deployment.on_date, Deployment.id)).scalars())


def strength_on(session: Session, mission: Mission, on: date, *, actor: Actor) -> dict[str, object]:
    """The force's strength on a date, summed over sites, against the mandate's ceilings."""
    rows = [d for d in deployments(session, mission, actor=actor) if d.on_date == on]
    wide = [d for d in rows if d.site_id is None]
    # A mission-wide figure, when given, is the total; otherwise the sites add up to it.
    counted = wide or rows
    totals = {
        "personnel": sum(d.personnel for d in counted),
        "armoured_vehicles": sum(d.armoured_vehicles for d in counted),
        "other_vehicles": sum(d.other_vehicles for d in counted),
    }
    ceilings = {
        "personnel": mission.ceiling_personnel,
        "armoured_vehicles": mission.ceiling_armoured_vehicles,
        "other_vehicles": mission.ceiling_other_vehicles,
    }
    exceeded = [k for k, v in totals.items() if ceilings[k] is not None and v > (ceilings[k] or 0)]
    return {"date": on.isoformat(), "totals": totals, "ceilings": ceilings, "exceeded": exceeded}
