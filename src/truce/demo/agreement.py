"""The agreement's provisions, the returns through the corridor, exchanges and claims for the nk-2020 demo,
recorded through the same services (and so access-checked and logged) as anything a person enters.

Loading again creates only what is missing. The data is in nk_2020.records.yaml, marked where it is illustrative.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from truce.agreement import service as agreement_service
from truce.agreement.models import Provision
from truce.agreement.schemas import ExtensionIn, LinkIn, StatusIn
from truce.claims import service as claims_service
from truce.claims.models import Claim
from truce.claims.schemas import AssessmentIn, ClaimIn
from truce.incidents.models import Incident
from truce.missions.models import Mission
from truce.movements import service as movements_service
from truce.movements.models import Exchange, Movement
from truce.movements.schemas import ConfirmIn, ExchangeIn, ExchangeListIn, HandoverIn, MovementIn
from truce.places.models import Site
from truce.policy import Actor
from truce.users import service as users_service


def load(session: Session, mission: Mission, data: dict[str, Any]) -> list[str]:
    """Record whatever part of the agreement, returns, exchanges and claims is missing; what was created."""
    created: list[str] = []
    system = Actor.system(mission.id)
    provisions = _provisions(session, mission, data["provisions"], system, created)
    _movements(session, mission, data["returns"], created)
    _exchanges(session, mission, data["exchanges"], created)
    _claims(session, mission, data["claims"], provisions, created)
    _links(session, mission, data["provisions"], provisions, system)
    return created


def _actor(session: Session, mission: Mission, username: str) -> Actor:
    return users_service.actor_for(session, users_service.get_by_name(session, username), mission)


def _sites(session: Session, mission: Mission) -> dict[str, Site]:
    """The mission's sites by code and by the first of their names."""
    found: dict[str, Site] = {}
    for site in session.execute(select(Site).where(Site.mission_id == mission.id)).scalars():
        found[site.name.split(" / ")[0]] = site
        if site.code:
            found[site.code] = site
    return found


def _provisions(
    session: Session, mission: Mission, specs: list[dict[str, Any]], system: Actor, created: list[str]
) -> dict[str, Provision]:
    # The provisions themselves come with the mission file (nk_2020.yaml); here, what happened to them.
    have = {p.number: p for p in agreement_service.list_provisions(session, mission, actor=system)}
    for spec in specs:
        provision = have[spec["number"]]
        extension = spec.get("extension")
        if extension is not None and provision.deadline != extension["new_deadline"]:
            agreement_service.extend_deadline(session, mission, provision.id, ExtensionIn(**extension), actor=system)
            created.append("1 deadline extension")
        recorded = {(s.as_of, s.level, s.delegation) for s in agreement_service.statuses(session, provision)}
        for status in spec.get("statuses", []):
            assessor = _actor(session, mission, status["by"])
            if (status["as_of"], status["level"], assessor.delegation_code) in recorded:
                continue
            body = StatusIn(level=status["level"], as_of=status["as_of"], note=status["note"])
            agreement_service.assess(session, mission, provision.id, body, actor=assessor)
            created.append("1 status assessment")
    return have


def _movements(session: Session, mission: Mission, spec: dict[str, Any], created: list[str]) -> None:
    recorder = _actor(session, mission, spec["recorded_by"])
    sites = _sites(session, mission)
    have = set(
        session.execute(select(Movement.convoy, Movement.site_id).where(Movement.mission_id == mission.id)).tuples()
    )
    common = {"classification": spec["classification"], "escort": spec["escort"]}
    for body in _crossings(spec, sites):
        movement = MovementIn(**common, **body)
        if (movement.convoy, movement.site_id) in have:
            continue
        movements_service.create(session, mission, movement, actor=recorder)
        created.append("1 movement")


def _crossings(spec: dict[str, Any], sites: dict[str, Site]) -> list[dict[str, Any]]:
    """Every demo crossing: each return convoy at CHK-1 then CHK-2, aid convoys in and departures out."""
    first, second, origin = sites["CHK-1"].id, sites["CHK-2"].id, sites[spec["origin"]].id
    destinations = spec["destinations"]
    bodies: list[dict[str, Any]] = []
    turn = 0
    for day, sizes in sorted(spec["convoys"].items()):
        for number, size in enumerate(sizes, start=1):
            convoy = f"R{day:%m%d}-{number}"
            destination = sites[destinations[turn % len(destinations)]].id
            turn += 1
            common = {"direction": "incoming", "kind": "return", "on_date": day, "individuals": size,
                      "transport_mode": "bus", "vehicles": size // 40 + 1, "origin_site_id": origin,
                      "destination_site_id": destination, "convoy": convoy}  # fmt: skip
            # UNHCR registers returnees at the first checkpoint, by sex and age.
            bodies.append({**common, "site_id": first, **_groups(size)})
            bodies.append({**common, "site_id": second})
    for day, (people, trucks) in sorted(spec["humanitarian"].items()):
        bodies.append({"site_id": first, "direction": "incoming", "kind": "humanitarian", "on_date": day,
                       "individuals": people, "vehicles": trucks, "transport_mode": "truck",
                       "destination_site_id": sites["Stepanakert"].id, "convoy": f"H{day:%m%d}"})  # fmt: skip
    for day, people in sorted(spec["departures"].items()):
        bodies.append({"site_id": first, "direction": "outgoing", "kind": "departure", "on_date": day,
                       "individuals": people, "origin": "Lachin district", "destination_site_id": sites["Goris"].id,
                       "transport_mode": "car", "convoy": f"D{day:%m%d}"})  # fmt: skip
    return bodies


def _groups(size: int) -> dict[str, int]:
    """An illustrative split of a convoy: 30% men, 40% women, 30% children, a few unaccompanied."""
    men, women = size * 3 // 10, size * 4 // 10
    boys = (size - men - women) // 2
    return {"adults_male": men, "adults_female": women, "children_male": boys,
            "children_female": size - men - women - boys, "unaccompanied_children": size // 300}  # fmt: skip


def _exchanges(session: Session, mission: Mission, specs: list[dict[str, Any]], created: list[str]) -> None:
    recorder = _actor(session, mission, "humanitarian-unhcr")
    sites = _sites(session, mission)
    for spec in specs:
        exchange = session.execute(
            select(Exchange).where(
                Exchange.mission_id == mission.id,
                Exchange.side_a == spec["side_a"],
                Exchange.side_b == spec["side_b"],
                Exchange.planned_on == spec["planned_on"],
            )
        ).scalar_one_or_none()
        if exchange is None:
            fields = {k: v for k, v in spec.items() if k in ExchangeIn.model_fields}
            site_id = sites[spec["site"]].id if "site" in spec else None
            body = ExchangeIn(**fields, site_id=site_id)
            exchange = movements_service.create_exchange(session, mission, body, actor=recorder)
            created.append("1 exchange")
        _exchange_steps(session, mission, exchange, spec, recorder, created)


def _exchange_steps(
    session: Session, mission: Mission, exchange: Exchange, spec: dict[str, Any], recorder: Actor, created: list[str]
) -> None:
    system = Actor.system(mission.id)
    submitted = {row.side for row in movements_service.list_lists(session, mission, exchange.id, actor=system)}
    for side, lists in spec.get("lists", {}).items():
        if side not in submitted:
            body = ExchangeListIn.model_validate(
                {"side": side, "hands_over": _persons(lists["hands_over"]), "receives": _persons(lists["receives"])}
            )
            movements_service.submit_list(
                session, mission, exchange.id, body, actor=_actor(session, mission, f"liaison-{side}")
            )
            created.append("1 exchange list")
    if "handover" in spec and exchange.handed_over_on is None:
        movements_service.record_handover(session, mission, exchange.id, HandoverIn(**spec["handover"]), actor=recorder)
    for side, note in spec.get("confirm", {}).items():
        if side not in exchange.confirmations:
            confirmation = ConfirmIn(note=note, acknowledge_differences=True)
            movements_service.confirm(
                session, mission, exchange.id, confirmation, actor=_actor(session, mission, f"liaison-{side}")
            )


def _persons(spec: dict[str, Any]) -> dict[str, Any]:
    """Counts with synthetic identifiers (prefix-001, prefix-002, ...): no real person is named."""
    identifiers = [f"{spec['prefix']}-{n:03d}" for n in range(1, spec["ids"] + 1)]
    return {"detainees": spec.get("detainees", 0), "bodies": spec.get("bodies", 0), "identifiers": identifiers}


def _claims(
    session: Session,
    mission: Mission,
    specs: list[dict[str, Any]],
    provisions: dict[str, Provision],
    created: list[str],
) -> None:
    have = {
        (c.speaker, c.said_on, c.summary): c
        for c in session.execute(select(Claim).where(Claim.mission_id == mission.id)).scalars()
    }
    for spec in specs:
        claim = have.get((spec["speaker"], spec["said_on"], spec["summary"]))
        if claim is None:
            fields = {k: v for k, v in spec.items() if k in ClaimIn.model_fields}
            links = {"provisions": [provisions[n].id for n in spec.get("link_provisions", [])]}
            filer = _actor(session, mission, spec["filed_by"])
            claim = claims_service.create(session, mission, ClaimIn(**fields, links=links), actor=filer)
            created.append("1 claim")
        assessment = spec.get("assessment")
        if assessment is not None and claim.status != assessment["status"]:
            links = {"provisions": [provisions[n].id for n in assessment.get("link_provisions", [])]}
            body = AssessmentIn(status=assessment["status"], note=assessment["note"], links=links)
            claims_service.assess(session, mission, claim.id, body, actor=_actor(session, mission, assessment["by"]))


def _links(
    session: Session, mission: Mission, specs: list[dict[str, Any]], provisions: dict[str, Provision], system: Actor
) -> None:
    """Tie provisions to the records that bear on them: incidents, the first convoy, the exchanges."""
    for spec in specs:
        provision = provisions[spec["number"]]
        targets: list[LinkIn] = []
        if spec.get("link_incidents"):
            confirmed = session.execute(
                select(Incident.id)
                .where(Incident.mission_id == mission.id, Incident.status == "confirmed", Incident.type == "fire")
                .order_by(Incident.start)
                .limit(spec["link_incidents"])
            ).scalars()
            targets += [LinkIn(kind="incidents", id=i) for i in confirmed]
        if spec.get("link_first_convoy"):
            first = session.scalar(
                select(Movement.id)
                .where(Movement.mission_id == mission.id, Movement.kind == "return")
                .order_by(Movement.id)
            )
            targets += [LinkIn(kind="movements", id=first)] if first is not None else []
        if spec.get("link_exchanges"):
            exchanges = session.execute(select(Exchange.id).where(Exchange.mission_id == mission.id)).scalars()
            targets += [LinkIn(kind="exchanges", id=e) for e in exchanges]
        for target in targets:
            agreement_service.link(session, mission, provision.id, target, actor=system)
