"""Movements through checkpoints, and exchanges of detainees and bodies between two sides."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from truce import policy
from truce.errors import Conflict, Forbidden, Invalid, Message, worded
from truce.ledger import service as ledger
from truce.missions import service as missions_service
from truce.missions.models import Delegation, Mission, Party
from truce.movements import matching
from truce.movements.models import CROSSING_SITE_KINDS, Exchange, ExchangeList, Movement
from truce.movements.schemas import ConfirmIn, ExchangeIn, ExchangeListIn, HandoverIn, MovementIn
from truce.places.models import SITE_KINDS, Site, site_kind_word, site_kinds_either
from truce.policy import Actor

MAX_PAGE = 10_000


def create(session: Session, mission: Mission, data: MovementIn, *, actor: Actor) -> Movement:
    """Record a crossing at a checkpoint (monitors, verifiers, humanitarian officers, administrators)."""
    policy.require(actor, "movement.write", mission.id)
    _check(session, mission, data, actor)
    movement = Movement(
        mission_id=mission.id, author_id=actor.user_id, author_delegation=actor.delegation_code, **data.model_dump()
    )
    session.add(movement)
    ledger.record(session, actor, "movement.create", movement)
    return movement


def update(session: Session, mission: Mission, movement_id: int, data: MovementIn, *, actor: Actor) -> Movement:
    """Correct a recorded crossing: only its author, checked as a new one is; the log keeps both versions."""
    movement = get(session, mission, movement_id, actor=actor)
    policy.require(actor, "movement.write", mission.id)
    if movement.author_id is None or movement.author_id != actor.user_id:
        raise Forbidden(Message("only the account that recorded a movement may correct it"))
    _check(session, mission, data, actor)
    for name, value in data.model_dump().items():
        setattr(movement, name, value)
    ledger.record(session, actor, "movement.update", movement)
    return movement


def _check(session: Session, mission: Mission, data: MovementIn, actor: Actor) -> None:
    """What a movement must satisfy whether new or corrected: its day, its places, its readers."""
    missions_service.check_day(mission, data.on_date, "on_date")
    site_of_kind(session, mission, data.site_id, CROSSING_SITE_KINDS, "site_id", actor)
    for field in ("origin_site_id", "destination_site_id"):
        place_id = getattr(data, field)
        if place_id is not None:
            site_of_kind(session, mission, place_id, ("settlement",), field, actor)
    missions_service.check_restricted_to(session, mission, data.classification, data.restricted_to)


def site_of_kind(
    session: Session, mission: Mission, site_id: int, kinds: tuple[str, ...], field: str, actor: Actor
) -> Site:
    """The mission's site `site_id` if the actor may read it and it is of one of `kinds`."""
    found = session.get(Site, site_id)
    if found is None or found.mission_id != mission.id or not policy.can_read(actor, found):
        raise Invalid(Message("mission %(mission)s has no site %(id)s", mission=mission.slug, id=site_id), field)
    if found.kind not in kinds:
        raise Invalid(
            worded(
                f"site {site_id} ({found.name}) is a {found.kind}, not a {' or '.join(kinds)}",
                "site %(id)s (%(name)s) is a %(kind)s, not a %(kinds)s",
                id=site_id,
                name=found.name,
                kind=site_kind_word(found.kind),
                kinds=site_kinds_either(kinds),
            ),
            field,
        )
    return found


def list_movements(
    session: Session,
    mission: Mission,
    *,
    actor: Actor,
    since: date | None = None,
    until: date | None = None,
    kind: str | None = None,
    direction: str | None = None,
    site_id: int | None = None,
    limit: int = MAX_PAGE,
    offset: int = 0,
) -> list[Movement]:
    """The movements the actor may read, by date (`until` included), filtered."""
    stmt = select(Movement).where(Movement.mission_id == mission.id, policy.readable(actor, Movement))
    if since is not None:
        stmt = stmt.where(Movement.on_date >= since)
    if until is not None:
        stmt = stmt.where(Movement.on_date <= until)
    if kind is not None:
        stmt = stmt.where(Movement.kind == kind)
    if direction is not None:
        stmt = stmt.where(Movement.direction == direction)
    if site_id is not None:
        stmt = stmt.where(Movement.site_id == site_id)
    stmt = stmt.order_by(Movement.on_date, Movement.id).limit(min(limit, MAX_PAGE)).offset(offset)
    return list(session.execute(stmt).scalars())


def get(session: Session, mission: Mission, movement_id: int, *, actor: Actor) -> Movement:
    """One movement, if the actor may read it."""
    return policy.get_readable(session, Movement, mission, movement_id, actor, "movement")


# --- exchanges ------------------------------------------------------------------------------------


def create_exchange(session: Session, mission: Mission, data: ExchangeIn, *, actor: Actor) -> Exchange:
    """Open an exchange between two sides, carried out by an intermediary (humanitarian officers, administrators)."""
    policy.require(actor, "exchange.write", mission.id)
    codes = {p.code for p in missions_service.parties(session, mission)}
    for field in ("side_a", "side_b", "intermediary"):
        code = getattr(data, field)
        if code is not None and code not in codes:
            raise Invalid(
                Message("mission %(mission)s has no party %(party)r", mission=mission.slug, party=code), field
            )
    if data.planned_on is not None:
        missions_service.check_day(mission, data.planned_on, "planned_on")
    if data.site_id is not None:
        site_of_kind(session, mission, data.site_id, SITE_KINDS, "site_id", actor)
    missions_service.check_restricted_to(session, mission, data.classification, data.restricted_to)
    exchange = Exchange(
        mission_id=mission.id, author_id=actor.user_id, author_delegation=actor.delegation_code, **data.model_dump()
    )
    session.add(exchange)
    ledger.record(session, actor, "exchange.create", exchange)
    return exchange


def list_exchanges(session: Session, mission: Mission, *, actor: Actor) -> list[Exchange]:
    """The exchanges the actor may read, newest first."""
    stmt = select(Exchange).where(Exchange.mission_id == mission.id, policy.readable(actor, Exchange))
    return list(session.execute(stmt.order_by(Exchange.id.desc())).scalars())


def get_exchange(session: Session, mission: Mission, exchange_id: int, *, actor: Actor) -> Exchange:
    """One exchange, if the actor may read it."""
    return policy.get_readable(session, Exchange, mission, exchange_id, actor, "exchange")


def party_of(session: Session, actor: Actor) -> str | None:
    """The code of the party the actor's delegation belongs to."""
    if actor.delegation_id is None:
        return None
    delegation = session.get(Delegation, actor.delegation_id)
    party = session.get(Party, delegation.party_id) if delegation is not None else None
    return party.code if party is not None else None


def submit_list(
    session: Session, mission: Mission, exchange_id: int, data: ExchangeListIn, *, actor: Actor
) -> ExchangeList:
    """A side's list of whom it hands over and whom it expects; a new list replaces the side's last one."""
    exchange = get_exchange(session, mission, exchange_id, actor=actor)
    policy.require(actor, "exchange.list", mission.id)
    if data.side not in (exchange.side_a, exchange.side_b):
        raise Invalid(Message("%(side)r is not a side of exchange %(id)s", side=data.side, id=exchange.id), "side")
    party = party_of(session, actor)
    if not policy.submits_list_for(actor, party, data.side, exchange.intermediary):
        raise Forbidden(Message("only %(side)s or the intermediary may submit %(side)s's list", side=data.side))
    if exchange.handed_over_on is not None:
        raise Conflict(Message("the handover is recorded; the lists can no longer change"))
    row = _lists(session, exchange).get(data.side)
    action = "exchange.list.replace"
    if row is None:
        row = ExchangeList(mission_id=mission.id, exchange_id=exchange.id, side=data.side)
        session.add(row)
        action = "exchange.list.submit"
    row.hands_over_detainees, row.hands_over_bodies = data.hands_over.detainees, data.hands_over.bodies
    row.receives_detainees, row.receives_bodies = data.receives.detainees, data.receives.bodies
    row.hands_over_ids, row.receives_ids = list(data.hands_over.identifiers), list(data.receives.identifiers)
    row.classification, row.restricted_to = "restricted", _list_readers(session, mission, exchange)
    row.author_id, row.author_delegation = actor.user_id, actor.delegation_code
    ledger.record(session, actor, action, row)
    _restate(session, exchange, actor)
    return row


def _list_readers(session: Session, mission: Mission, exchange: Exchange) -> list[str]:
    """Delegation codes of the two sides and the intermediary: the only ones who see the identifiers."""
    codes = {p.id: p.code for p in missions_service.parties(session, mission)}
    parties = {exchange.side_a, exchange.side_b, exchange.intermediary}
    return sorted(d.code for d in missions_service.delegations(session, mission) if codes[d.party_id] in parties)


def _lists(session: Session, exchange: Exchange) -> dict[str, ExchangeList]:
    stmt = select(ExchangeList).where(ExchangeList.exchange_id == exchange.id).order_by(ExchangeList.side)
    return {row.side: row for row in session.execute(stmt).scalars()}


def _restate(session: Session, exchange: Exchange, actor: Actor) -> None:
    status = matching.status(exchange, matching.compare(exchange, _lists(session, exchange), show_identifiers=False))
    if status != exchange.status:
        exchange.status = status
        ledger.record(session, actor, "exchange.status", exchange)


def list_lists(session: Session, mission: Mission, exchange_id: int, *, actor: Actor) -> list[ExchangeList]:
    """The lists of an exchange the actor may read: only the sides and the intermediary see them."""
    exchange = get_exchange(session, mission, exchange_id, actor=actor)
    return [row for row in _lists(session, exchange).values() if _sees_identifiers(actor, row)]


def _sees_identifiers(actor: Actor, row: ExchangeList) -> bool:
    return policy.can_read(actor, row) and policy.sees_personal_identifiers(actor, row.restricted_to or [])


def comparison(session: Session, mission: Mission, exchange_id: int, *, actor: Actor) -> dict[str, Any]:
    """The lists matched against each other and the handover; identifiers only for those who may read the lists."""
    exchange = get_exchange(session, mission, exchange_id, actor=actor)
    lists = _lists(session, exchange)
    show = all(_sees_identifiers(actor, row) for row in lists.values())
    return matching.compare(exchange, lists, show_identifiers=show)


def record_handover(
    session: Session, mission: Mission, exchange_id: int, data: HandoverIn, *, actor: Actor
) -> Exchange:
    """Record what was handed over each way, when and where (humanitarian officers, administrators)."""
    exchange = get_exchange(session, mission, exchange_id, actor=actor)
    policy.require(actor, "exchange.write", mission.id)
    if exchange.handed_over_on is not None:
        raise Conflict(Message("the handover of exchange %(id)s is recorded already", id=exchange.id))
    missing = [side for side in (exchange.side_a, exchange.side_b) if side not in _lists(session, exchange)]
    if missing:
        raise Conflict(
            Message(
                "waiting for the list of %(sides)s; both sides submit theirs before the handover",
                sides=", ".join(missing),
            )
        )
    missions_service.check_day(mission, data.on_date, "on_date")
    if data.site_id is not None:
        site_of_kind(session, mission, data.site_id, SITE_KINDS, "site_id", actor)
        exchange.site_id = data.site_id
    if data.place is not None:
        exchange.place = data.place
    exchange.handed_over_on = data.on_date
    exchange.handed_over = {"a_to_b": data.a_to_b.model_dump(), "b_to_a": data.b_to_a.model_dump()}
    if data.note:
        exchange.note = f"{exchange.note}\n{data.note}".strip()
    exchange.status = "handed_over"
    ledger.record(session, actor, "exchange.handover", exchange)
    return exchange


def confirm(session: Session, mission: Mission, exchange_id: int, data: ConfirmIn, *, actor: Actor) -> Exchange:
    """A side confirms the handover; differences stay on the record and must be acknowledged, never hidden."""
    exchange = get_exchange(session, mission, exchange_id, actor=actor)
    policy.require(actor, "exchange.confirm", mission.id)
    party = party_of(session, actor)
    if party not in (exchange.side_a, exchange.side_b):
        if party is None:
            raise Forbidden(
                Message("this account is not a side of exchange %(id)s; only its sides confirm", id=exchange.id)
            )
        raise Forbidden(
            Message("%(party)s is not a side of exchange %(id)s; only its sides confirm", party=party, id=exchange.id)
        )
    if exchange.handed_over_on is None:
        raise Conflict(Message("nothing to confirm yet: the handover is not recorded"))
    if party in exchange.confirmations:
        raise Conflict(Message("%(party)s confirmed this exchange already", party=party))
    differences = comparison(session, mission, exchange.id, actor=actor)["differences"]
    if differences and not data.acknowledge_differences:
        details = "; ".join(d["detail"] for d in differences)
        raise Conflict(
            Message(
                "the exchange has differences (%(details)s); confirm with acknowledge_differences to accept them",
                details=details,
            ),
            "acknowledge_differences",
        )
    confirmation = {
        "by": actor.username,
        "at": datetime.now(UTC).isoformat(),
        "note": data.note,
        "differences": [d["detail"] for d in differences],
    }
    exchange.confirmations = {**exchange.confirmations, party: confirmation}
    both = {exchange.side_a, exchange.side_b} <= set(exchange.confirmations)
    exchange.status = "confirmed" if both else "handed_over"
    ledger.record(session, actor, "exchange.confirm", exchange)
    return exchange
