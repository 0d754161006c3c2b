"""A phone cannot store a number beyond what a person would count: refused with the field named, nothing logged."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mission_examples import Scene
from openrosa.collect import Phone, fill, incident_values
from truce.incidents.models import Incident
from truce.ledger.models import LogEntry
from truce.numbers import MAX_CASUALTIES, MAX_EVENTS


def counted(session: Session) -> tuple[int, int]:
    incidents = session.scalar(select(func.count()).select_from(Incident)) or 0
    return int(incidents), int(session.scalar(select(func.count()).select_from(LogEntry)) or 0)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("counts/impacts", str(10**30)),
        ("counts/impacts", str(2**63)),
        ("counts/impacts", str(MAX_EVENTS + 1)),
        ("casualties/injured_civilian", str(10**30)),
        ("casualties/injured_civilian", str(MAX_CASUALTIES + 1)),
    ],
)
def test_a_count_beyond_its_bound_is_refused(
    phone: Phone, session: Session, scene: Scene, field: str, value: str
) -> None:
    before = counted(session)
    answer = phone.submit(fill(phone.form("incident"), incident_values(scene, **{field: value})))
    assert 400 <= answer.status_code < 500, answer.text
    # The phone is told which field: Collect shows the message to the monitor.
    assert field.split("/")[-1].split("_")[0] in answer.text, answer.text
    assert counted(session) == before


def test_a_count_at_its_bound_is_kept_exactly(phone: Phone, session: Session, scene: Scene) -> None:
    values = incident_values(scene, **{"counts/impacts": str(MAX_EVENTS)})
    answer = phone.submit(fill(phone.form("incident"), values))
    assert answer.status_code == 201, answer.text
    newest = session.execute(select(Incident).order_by(Incident.id.desc()).limit(1)).scalar_one()
    session.expire(newest)
    assert newest.counts == {"impacts": MAX_EVENTS}
