"""An edit (deprecatedID) that arrives before its original: it stands for the original only if the same account
sends both, and never swallows another account's report."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from mission_examples import SCENES
from openrosa.collect import Phone, fill, incident_values
from openrosa.conftest import NewDevice
from truce.incidents.models import Incident
from truce.openrosa.models import Submission


def send(phone: Phone, narrative: str, instance: str, deprecated: str | None = None) -> None:
    values = incident_values(SCENES[phone.slug], narrative=narrative)
    xml = fill(phone.form("incident"), values, instance_id=instance, deprecated_id=deprecated)
    answer = phone.submit(xml)
    assert answer.status_code == 201, answer.text


def narratives(session: Session) -> set[str]:
    return set(session.scalars(select(Incident.narrative).where(Incident.status != "retracted")))


def submission(session: Session, instance: str) -> Submission:
    found = session.scalars(select(Submission).where(Submission.instance_id == instance)).one()
    session.refresh(found)
    return found


def test_another_accounts_early_edit_does_not_swallow_the_original(session: Session, new_device: NewDevice) -> None:
    mallory, _ = new_device("phone-mallory")
    author, _ = new_device("phone-author")
    original = f"uuid:{uuid.uuid4()}"
    send(mallory, "Mallory's edit of a report she never sent", f"uuid:{uuid.uuid4()}", deprecated=original)
    send(author, "The author's own report", original)
    stored = submission(session, original)
    assert not stored.superseded
    assert stored.record_ids
    assert {"The author's own report", "Mallory's edit of a report she never sent"} <= narratives(session)
    (incident_id,) = stored.record_ids
    incident = session.get(Incident, incident_id)
    assert incident is not None
    assert incident.narrative == "The author's own report"


def test_the_same_accounts_early_edit_stands_for_its_original(session: Session, new_device: NewDevice) -> None:
    phone, _ = new_device("phone-editor")
    original, edit = f"uuid:{uuid.uuid4()}", f"uuid:{uuid.uuid4()}"
    send(phone, "Corrected: four impacts", edit, deprecated=original)
    send(phone, "First version: three impacts", original)
    stored = submission(session, original)
    assert stored.superseded
    assert stored.record_ids == submission(session, edit).record_ids
    assert "First version: three impacts" not in narratives(session)


def test_an_edit_after_its_original_is_only_from_its_author(session: Session, new_device: NewDevice) -> None:
    author, _ = new_device("phone-first")
    other, _ = new_device("phone-second")
    original = f"uuid:{uuid.uuid4()}"
    send(author, "Reported by the first phone", original)
    xml = fill(other.form("incident"), incident_values(SCENES[other.slug], narrative="Overwritten"),
               deprecated_id=original)  # fmt: skip
    assert other.submit(xml).status_code == 403
    assert "Overwritten" not in narratives(session)
