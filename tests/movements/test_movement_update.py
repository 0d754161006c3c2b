"""Correcting a recorded movement: its author only, checked as a new one is, logged as a new version."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mission_examples import DEMO_SLUG, EXAMPLE_SLUG, Scene
from truce.errors import Forbidden, Invalid
from truce.ledger import service as ledger
from truce.missions.models import Mission
from truce.movements import service as movements_service
from truce.movements.schemas import MovementIn
from truce.places.models import Site
from truce.policy import Actor

# Each mission's checkpoint where people cross: the demo's corridor checkpoint, the example's Mill crossing.
CHECKPOINT = {DEMO_SLUG: "CHK-1", EXAMPLE_SLUG: "X-1"}


def site(session: Session, mission: Mission, code: str) -> int:
    found = select(Site.id).where(Site.mission_id == mission.id, Site.code == code)
    return int(session.execute(found).scalar_one())


def crossing(session: Session, mission: Mission, scene: Scene, **extra: Any) -> MovementIn:
    data = {"site_id": site(session, mission, CHECKPOINT[scene.slug]), "direction": "incoming", "kind": "return",
            "on_date": scene.shifted(date(2020, 12, 2)), "individuals": 40, **extra}  # fmt: skip
    return MovementIn.model_validate(data)


def test_the_author_corrects_a_movement_and_the_log_keeps_both_versions(
    session: Session, mission: Mission, scene: Scene, member: Callable[[str], Actor]
) -> None:
    monitor = member("monitor-ru")
    movement = movements_service.create(session, mission, crossing(session, mission, scene), actor=monitor)
    correction = crossing(session, mission, scene, individuals=45, kind="humanitarian")
    corrected = movements_service.update(session, mission, movement.id, correction, actor=monitor)
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
    session: Session, mission: Mission, scene: Scene, member: Callable[[str], Actor], account: str,
    change: dict[str, Any], error: type[Exception], phrase: str,
) -> None:  # fmt: skip
    movement = movements_service.create(session, mission, crossing(session, mission, scene), actor=member("monitor-ru"))
    before = ledger.size(session)
    extra = dict(change)
    if extra.pop("site_code", None):
        extra["site_id"] = 999_999
    with pytest.raises(error, match=phrase):
        movements_service.update(
            session, mission, movement.id, crossing(session, mission, scene, individuals=1, **extra),
            actor=member(account),
        )  # fmt: skip
    session.refresh(movement)
    assert (movement.individuals, ledger.size(session)) == (40, before)
