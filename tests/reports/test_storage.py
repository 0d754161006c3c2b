"""A stored report is logged by its hash: generating it again stores nothing, and editing its bytes is caught."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from truce.integrity.verify import verify
from truce.ledger import keys
from truce.ledger import service as ledger
from truce.ledger.models import LogEntry
from truce.missions.models import Mission
from truce.models import LOGGED
from truce.policy import Actor
from truce.reports import service
from truce.reports.models import Report


def test_stored_once_and_logged_by_hash(session: Session, mission: Mission, day: date) -> None:
    actor = Actor.system(mission.id)
    first = service.create_daily(session, mission, day, "html", actor=actor)
    entries = ledger.size(session)
    again = service.create_daily(session, mission, day, "html", actor=actor)
    assert again.id == first.id
    assert ledger.size(session) == entries
    assert first.sha256 == hashlib.sha256(first.content).hexdigest()
    assert first.classification == "mission"
    logged = session.execute(
        select(LogEntry.data).where(LogEntry.entity_type == "reports", LogEntry.entity_id == str(first.id))
    ).scalar_one()
    assert f'"sha256":"{first.sha256}"' in logged
    assert first.content.decode("utf-8")[:200] not in logged, "the log holds the hash, not the document"


def test_log_verify_catches_edited_report_bytes(session: Session, mission: Mission, tmp_path: Path, day: date) -> None:
    report = service.create_daily(session, mission, day, "html", actor=Actor.system(mission.id))
    session.commit()  # the request ends; the check reads what it committed
    key = keys.load_or_create(tmp_path, "truce.test/log").verifier()
    assert not [p for p in verify(session, key, LOGGED).problems if p.startswith("reports ")]
    session.execute(update(Report).where(Report.id == report.id).values(content=b"<html>forged</html>"))
    session.expire_all()
    problems = [p for p in verify(session, key, LOGGED).problems if p.startswith("reports ")]
    assert problems == [p for p in problems if f"reports {report.id}: field 'content'" in p]
    assert len(problems) == 1
