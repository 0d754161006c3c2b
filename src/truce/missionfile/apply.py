"""`truce mission apply`: what a changed mission file would change, then those changes.

Additions and changes that keep the record consistent are applied; a change that would orphan records (a place
incidents refer to, a party or delegation still in use, a subtype incidents carry, a provision with assessments)
is refused and listed. Places, parties, delegations and provisions are matched by name, code and number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from truce import (
    models,  # noqa: F401 - every table in the metadata, so that every reference to a place counts
    placeflow,
    policy,
)
from truce.agreement import service as agreement_service
from truce.agreement.models import DeadlineExtension, Provision, ProvisionStatus
from truce.db import Base
from truce.errors import Forbidden, Message
from truce.incidents.models import Incident
from truce.missionfile.spec import MissionSpec
from truce.missions import service as missions_service
from truce.missions.models import Delegation, Mission
from truce.places import presenters as place_presenters
from truce.places.models import Area, Line, Site
from truce.places.schemas import AreaIn, LineIn, SiteIn
from truce.policy import Actor
from truce.users.models import Membership

MODELS: dict[str, Any] = {"lines": Line, "areas": Area, "sites": Site}
# A change, made by the set-up actor; a change to the map joins the batch that re-derives incidents once.
Run = Callable[[Actor, placeflow.Batch], None]


@dataclass
class Change:
    """One change: `+` added, `~` changed, `-` removed; `run` makes it, with the set-up actor."""

    sign: str
    what: str
    run: Run

    def __str__(self) -> str:
        return f"{self.sign} {self.what}"


@dataclass
class Plan:
    """What applying a file would do, and what it refuses to."""

    changes: list[Change] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The plan as a person reads it: one line per change, then one per refusal."""
        return [str(c) for c in self.changes] + [f"! refused: {r}" for r in self.refused]


def plan(session: Session, mission: Mission, spec: MissionSpec) -> Plan:
    """The changes that would make the mission what `spec` says."""
    result = Plan()
    if spec.mission.slug != mission.slug:
        result.refused.append(
            f"the file is for mission {spec.mission.slug!r}, not {mission.slug!r} (slugs never change)"
        )
        return result
    _settings(session, mission, spec, result)
    _parties(session, mission, spec, result)
    _delegations(session, mission, spec, result)
    _places(session, mission, spec, result)
    _provisions(session, mission, spec, result)
    return result


def apply(session: Session, mission: Mission, planned: Plan, *, actor: Actor) -> None:
    """Make the plan's changes (not its refusals) in the caller's transaction."""
    if not policy.configures_mission(actor, mission.id):
        raise Forbidden(Message("only the mission's administrators or an operator change its settings"))
    setup = policy.setting_up(actor, mission.id) if policy.creates_missions(actor) else actor
    # The places' changes re-derive the incidents they touch once, after the last of them.
    with placeflow.batch(session, mission, actor=setup) as changes:
        for change in planned.changes:
            change.run(setup, changes)


def _settings(session: Session, mission: Mission, spec: MissionSpec, result: Plan) -> None:
    wanted = spec.mission
    changed = [n for n in missions_service.CONFIGURABLE if getattr(mission, n) != getattr(wanted, n)]
    if "taxonomy" in changed:
        keep = {(s["type"], s["subtype"]) for s in wanted.taxonomy}
        for entry in mission.taxonomy:
            key = (entry["type"], entry["subtype"])
            used = _count(session, Incident, Incident.mission_id == mission.id, Incident.type == key[0],
                          Incident.subtype == key[1]) if key not in keep else 0  # fmt: skip
            if used:
                result.refused.append(
                    f"subtype {key[0]}/{key[1]} is not in the file, but {_counted(used, 'incident')} carry it"
                )
                return
    if changed:
        result.changes.append(
            Change(
                "~",
                f"mission settings: {', '.join(changed)}",
                _call(missions_service.configure, session, mission, wanted),
            )
        )


def _parties(session: Session, mission: Mission, spec: MissionSpec, result: Plan) -> None:
    have = {p.code: p for p in missions_service.parties(session, mission)}
    for wanted in spec.parties:
        party = have.pop(wanted.code, None)
        if party is None:
            result.changes.append(
                Change("+", f"party {wanted.code}", _call(missions_service.create_party, session, mission, wanted))
            )
        elif (party.name, party.kind, party.translations or None) != (wanted.name, wanted.kind, wanted.translations):
            update = _call(missions_service.update_party, session, mission, party, wanted)
            result.changes.append(Change("~", f"party {wanted.code}: name or kind", update))
    for code, party in have.items():
        count = _count(session, Delegation, Delegation.party_id == party.id)
        result.refused.append(
            f"party {code} is not in the file; parties stay, since the log and records name them "
            f"({_counted(count, 'delegation')})"
        )


def _delegations(session: Session, mission: Mission, spec: MissionSpec, result: Plan) -> None:
    have = {d.code: d for d in missions_service.delegations(session, mission)}
    parties = {p.id: p.code for p in missions_service.parties(session, mission)}
    for wanted in spec.delegations:
        delegation = have.pop(wanted.code, None)
        if delegation is None:
            result.changes.append(
                Change(
                    "+",
                    f"delegation {wanted.code}",
                    _call(missions_service.create_delegation, session, mission, wanted),
                )
            )
            continue
        if parties.get(delegation.party_id) != wanted.party:
            result.refused.append(
                f"delegation {wanted.code} would move to party {wanted.party}; its records stay with its party"
            )
        elif (delegation.name, delegation.translations or None) != (wanted.name, wanted.translations):
            rename = _renaming(session, mission, delegation, wanted)
            result.changes.append(Change("~", f"delegation {wanted.code}: name", rename))
    for code, delegation in have.items():
        count = _count(session, Membership, Membership.delegation_id == delegation.id)
        result.refused.append(
            f"delegation {code} is not in the file; delegations stay, since the log and records name them "
            f"({_counted(count, 'member')})"
        )


def _renaming(session: Session, mission: Mission, delegation: Delegation, wanted: Any) -> Run:
    def run(actor: Actor, _changes: placeflow.Batch) -> None:
        missions_service.update_delegation(
            session, mission, delegation, wanted.name, actor=actor, translations=wanted.translations
        )

    return run


def _places(session: Session, mission: Mission, spec: MissionSpec, result: Plan) -> None:
    for kind, model in MODELS.items():
        have = {r.name: r for r in session.execute(select(model).where(model.mission_id == mission.id)).scalars()}
        for item in spec.places.get(kind, []):
            feature = item.feature
            record = have.pop(feature.properties.name, None)
            label = f"{kind[:-1]} {feature.properties.name!r}"
            if record is None:
                result.changes.append(Change("+", label, _add_place(session, mission, feature)))
            elif _place_differs(session, mission, record, feature):
                result.changes.append(Change("~", label, _place(placeflow.update, session, mission, record, feature)))
        for name, record in have.items():
            label = f"{kind[:-1]} {name!r}"
            used = _place_users(session, record)
            if used:
                named = ", ".join(f"{count} {table}" for table, count in used.items())
                result.refused.append(f"{label} is not in the file, but {named} refer to it (set valid_until instead)")
            else:
                result.changes.append(Change("-", label, _place(placeflow.remove, session, model, mission, record.id)))


def _add_place(session: Session, mission: Mission, feature: AreaIn | LineIn | SiteIn) -> Run:
    return _place(placeflow.create, session, mission, feature)


def _place_differs(session: Session, mission: Mission, record: Any, feature: AreaIn | LineIn | SiteIn) -> bool:
    from truce.missionfile import canonical

    party_codes = {p.id: p.code for p in missions_service.parties(session, mission)}
    delegation_codes = {d.id: d.code for d in missions_service.delegations(session, mission)}
    stored = place_presenters.feature(record, party_codes=party_codes, delegation_codes=delegation_codes)
    stored["properties"]["translations"] = record.translations
    kind = record.__tablename__
    wanted = canonical.place(
        feature.properties.model_dump(mode="json"), canonical.stored_geometry(feature.geometry, kind)
    )
    return canonical.place(stored["properties"], stored["geometry"]) != wanted


def _place_users(session: Session, record: Any) -> dict[str, int]:
    """The records that name this place, by table (incidents, deployments, patrols, movements...): every column
    of any table with a foreign key to the place's table, so that a table added later is counted too."""
    table = record.__table__
    used: dict[str, int] = {}
    for other in Base.metadata.sorted_tables:
        columns = [fk.parent for fk in other.foreign_keys if fk.column.table is table and other is not table]
        if not columns:
            continue
        query = select(func.count()).select_from(other).where(or_(*(c == record.id for c in columns)))
        count = int(session.scalar(query) or 0)
        if count:
            used[other.name] = count
    return used


def _provisions(session: Session, mission: Mission, spec: MissionSpec, result: Plan) -> None:
    from truce.missionfile import canonical

    have = {p.number: p for p in session.execute(select(Provision).where(Provision.mission_id == mission.id)).scalars()}
    for wanted in spec.provisions:
        provision = have.pop(wanted.number, None)
        if provision is None:
            result.changes.append(
                Change("+", f"provision {wanted.number}", _call(agreement_service.create, session, mission, wanted))
            )
            continue
        stored = canonical.provision({**_columns(provision), "deadline": provision.original_deadline})
        if stored == canonical.provision(wanted.model_dump(mode="json")):
            continue
        if wanted.deadline != provision.original_deadline and provision.deadline != provision.original_deadline:
            result.refused.append(
                f"provision {wanted.number}: its deadline was extended; record another extension instead"
            )
            continue
        result.changes.append(
            Change(
                "~", f"provision {wanted.number}", _call(agreement_service.revise, session, mission, provision, wanted)
            )
        )
    for number, provision in have.items():
        assessed = _count(session, ProvisionStatus, ProvisionStatus.provision_id == provision.id) + _count(
            session, DeadlineExtension, DeadlineExtension.provision_id == provision.id
        )
        result.refused.append(
            f"provision {number} is not in the file; provisions stay, since assessments and links name them "
            f"({_counted(assessed, 'assessment or extension', 'assessments and extensions')})"
        )


def _call(function: Callable[..., Any], *args: Any) -> Run:
    def run(actor: Actor, _changes: placeflow.Batch) -> None:
        function(*args, actor=actor)

    return run


def _place(function: Callable[..., Any], *args: Any) -> Run:
    """A change to the map, made within the batch whose incidents are derived again at the end."""

    def run(actor: Actor, changes: placeflow.Batch) -> None:
        function(*args, actor=actor, within=changes)

    return run


def _counted(count: int, noun: str, plural: str = "") -> str:
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def _count(session: Session, model: Any, *where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _columns(record: Any) -> dict[str, Any]:
    return {column.key: getattr(record, column.key) for column in record.__table__.columns}
