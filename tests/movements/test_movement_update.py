"""Correcting a recorded movement: its author only, checked as a new one is, logged as a new version."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from truce.errors import Forbidden, Invalid
from truce.ledger import service as ledger
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.movements import service as movements_service
from truce.movements.schemas import MovementIn
from truce.places.models import Site
from truce.policy import Actor
from truce.users import service as users_service


def mission(session: Session) -> Mission:
    found = missions_service.get_by_slug(session, "nk-2020")
    assert found is not None
    return found


def actor(session: Session, name: str) -> Actor:
    return users_service.actor_for(session, users_service.get_by_name(session, name), mission(session))


def site(session: Session, code: str) -> int:
    return int(session.execute(select(Site.id).where(Site.code == code)).scalar_one())


def crossing(session: Session, **extra: Any) -> MovementIn:
    data = {"site_id": site(session, "CHK-1"), "direction": "incoming", "kind": "return",
            "on_date": date(2020, 12, 2), "individuals": 40, **extra}  # fmt: skip
    return MovementIn.model_validate(data)


def test_the_author_corrects_a_movement_and_the_log_keeps_both_versions(session: Session) -> None:
    monitor = actor(session, "monitor-ru")
    movement = movements_service.create(session, mission(session), crossing(session), actor=monitor)
    corrected = movements_service.update(
        session, mission(session), movement.id, crossing(session, individuals=45, kind="humanitarian"), actor=monitor
    )
    assert (corrected.id, corrected.individuals, corrected.kind) == (movement.id, 45, "humanitarian")
    history = ledger.history(session, "movements", str(movement.id))
    assert [entry.action for entry in history] == ["movement.create", "movement.update"]
    assert [json.loads(entry.data)["entity"]["individuals"] for entry in history] == [40, 45]


@pytest.mark.parametrize(
    ("account", "change", "error", "phrase"),
    [
        ("humanitarian-unhcr", {}, Forbidden, "only the account that recorded"),
        ("analyst-ru", {}, Forbidden, "movement.write"),
        ("monitor-ru", {"on_date": date(2099, 1, 1)}, Invalid, "in the future"),
        ("monitor-ru", {"site_code": "CHK-none"}, Invalid, "has no site"),
    ],
)
def test_a_refused_correction_changes_nothing(
    session: Session, account: str, change: dict[str, Any], error: type[Exception], phrase: str
) -> None:
    movement = movements_service.create(
        session, mission(session), crossing(session), actor=actor(session, "monitor-ru")
    )
    before = ledger.size(session)
    extra = dict(change)
    if extra.pop("site_code", None):
        extra["site_id"] = 999_999
    with pytest.raises(error, match=phrase):
        movements_service.update(
            session, mission(session), movement.id, crossing(session, individuals=1, **extra),
            actor=actor(session, account),
        )  # fmt: skip
    session.refresh(movement)
    assert (movement.individuals, ledger.size(session)) == (40, before)
