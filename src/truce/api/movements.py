"""Movements through checkpoints, returns, checkpoint counters, and two-sided exchanges."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, status

from truce import limits
from truce.api import paging
from truce.api.paging import Page
from truce.api.problems import CONFLICT
from truce.deps import MissionScope, ReadScope, ReportScope, WriteScope
from truce.movements import service, summaries, views
from truce.movements.models import DIRECTIONS, MOVEMENT_KINDS, Exchange, Movement
from truce.movements.schemas import (
    ConfirmIn,
    ExchangeIn,
    ExchangeListIn,
    ExchangeListOut,
    HandoverIn,
    MovementIn,
    MovementOut,
)
from truce.numbers import Id, Position
from truce.places import presenters as place_presenters
from truce.routers import DeclaredRouter

router = DeclaredRouter(tags=["movements"])
PATH = "/missions/{slug}/movements"
EXCHANGES = "/missions/{slug}/exchanges"
KindQuery = Annotated[str | None, Query(pattern="^(" + "|".join(MOVEMENT_KINDS) + ")$")]
DirectionQuery = Annotated[str | None, Query(pattern="^(" + "|".join(DIRECTIONS) + ")$")]


def _movement(movement: Movement, names: dict[int, str]) -> MovementOut:
    return views.movement_view(movement, names)


def _names(scope: MissionScope) -> dict[int, str]:
    return place_presenters.site_names(scope.session, scope.mission, scope.actor)


@router.get(PATH)
def list_movements(
    scope: ReadScope,
    since: limits.DayParam = None,
    until: limits.DayParam = None,
    kind: KindQuery = None,
    direction: DirectionQuery = None,
    site: Id | None = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE, description=paging.FEATURES)] = 1000,
    offset: Position = 0,
) -> list[MovementOut]:
    """Crossings the caller may read, by date; `since` and `until` are days, both included."""
    rows = service.list_movements(
        scope.session,
        scope.mission,
        actor=scope.actor,
        since=since,
        until=until,
        kind=kind,
        direction=direction,
        site_id=site,
        limit=limit,
        offset=offset,
    )
    names = _names(scope)
    return [_movement(m, names) for m in rows]


@router.post(PATH, status_code=status.HTTP_201_CREATED)
def create_movement(scope: WriteScope, body: MovementIn) -> MovementOut:
    """Record a crossing at a checkpoint (monitors, verifiers, humanitarian officers, administrators)."""
    return _movement(service.create(scope.session, scope.mission, body, actor=scope.actor), _names(scope))


@router.get(PATH + "/returns")
def returns(scope: ReportScope, since: limits.DayParam = None, until: limits.DayParam = None) -> dict[str, Any]:
    """Returns per day with the running total, and per settlement; a convoy counts once, at its first crossing.

    The series has one entry per day from `since` to `until`: at most 3,660 days (422 beyond).
    """
    return summaries.returns(scope.session, scope.mission, actor=scope.actor, since=since, until=until)


@router.get(PATH + "/checkpoints")
def checkpoint_counters(
    scope: ReportScope, since: limits.DayParam = None, until: limits.DayParam = None
) -> list[dict[str, Any]]:
    """Crossings and individuals counted at each checkpoint, per direction and kind."""
    return summaries.checkpoint_counters(scope.session, scope.mission, actor=scope.actor, since=since, until=until)


@router.get(PATH + "/{movement_id}")
def get_movement(scope: ReadScope, movement_id: Id) -> MovementOut:
    """One movement."""
    return _movement(service.get(scope.session, scope.mission, movement_id, actor=scope.actor), _names(scope))


# --- exchanges ------------------------------------------------------------------------------------


def _exchange(scope: MissionScope, exchange: Exchange) -> dict[str, Any]:
    return views.exchange_view(scope.session, scope.mission, exchange, actor=scope.actor)


@router.get(EXCHANGES)
def list_exchanges(scope: ReadScope, paging: Page) -> list[dict[str, Any]]:
    """Exchanges of detainees and bodies the caller may read, newest first, each with its lists matched."""
    rows = service.list_exchanges(scope.session, scope.mission, actor=scope.actor)
    return [_exchange(scope, e) for e in paging.page(rows)]


@router.post(EXCHANGES, status_code=status.HTTP_201_CREATED)
def create_exchange(scope: WriteScope, body: ExchangeIn) -> dict[str, Any]:
    """Open an exchange between two sides through an intermediary (humanitarian officers, administrators)."""
    return _exchange(scope, service.create_exchange(scope.session, scope.mission, body, actor=scope.actor))


@router.get(EXCHANGES + "/{exchange_id}")
def get_exchange(scope: ReadScope, exchange_id: Id) -> dict[str, Any]:
    """One exchange with both lists matched; identifiers appear only for the sides and the intermediary."""
    return _exchange(scope, service.get_exchange(scope.session, scope.mission, exchange_id, actor=scope.actor))


@router.get(EXCHANGES + "/{exchange_id}/lists")
def list_lists(scope: ReadScope, exchange_id: Id, paging: Page) -> list[ExchangeListOut]:
    """The sides' lists with personal identifiers: empty for anyone but the sides and the intermediary."""
    rows = service.list_lists(scope.session, scope.mission, exchange_id, actor=scope.actor)
    return [ExchangeListOut.model_validate(row) for row in paging.page(rows)]


@router.post(EXCHANGES + "/{exchange_id}/lists", status_code=status.HTTP_201_CREATED, responses=CONFLICT)
def submit_list(scope: WriteScope, exchange_id: Id, body: ExchangeListIn) -> ExchangeListOut:
    """Submit (or replace, before the handover) a side's list; only that side or the intermediary may."""
    row = service.submit_list(scope.session, scope.mission, exchange_id, body, actor=scope.actor)
    return ExchangeListOut.model_validate(row)


@router.post(EXCHANGES + "/{exchange_id}/handover", responses=CONFLICT)
def record_handover(scope: WriteScope, exchange_id: Id, body: HandoverIn) -> dict[str, Any]:
    """Record what was handed over each way (humanitarian officers, administrators)."""
    exchange = service.record_handover(scope.session, scope.mission, exchange_id, body, actor=scope.actor)
    return _exchange(scope, exchange)


@router.post(EXCHANGES + "/{exchange_id}/confirm", responses=CONFLICT)
def confirm_exchange(scope: WriteScope, exchange_id: Id, body: ConfirmIn) -> dict[str, Any]:
    """A side's liaison officer confirms the handover; differences must be acknowledged and stay on the record."""
    exchange = service.confirm(scope.session, scope.mission, exchange_id, body, actor=scope.actor)
    return _exchange(scope, exchange)
