"""The demo shows what the pages can do (issue 17, part 8): its filings, verdicts and uploads are dated in
November and December 2020, a few reports are filed twice, some allegations count casualties, and a few photos
carry EXIF that disagrees with their report."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from truce.demo import incidents as demo_incidents
from truce.incidents import service as incidents_service
from truce.incidents.derive import km_between
from truce.incidents.models import Incident, Verification
from truce.missions.models import Mission
from truce.policy import Actor

FIRST = datetime(2020, 11, 9, tzinfo=UTC)
LAST = datetime(2021, 1, 1, tzinfo=UTC)


def test_filings_and_verdicts_are_dated_in_2020(session: Session, mission: Mission) -> None:
    filed = session.execute(select(Incident.reported_at, Incident.start).where(Incident.mission_id == mission.id))
    for reported_at, start in filed:
        assert FIRST <= reported_at < LAST
        assert reported_at >= start
    verdicts = session.execute(select(Verification.created_at).where(Verification.mission_id == mission.id))
    assert all(FIRST <= at < LAST for (at,) in verdicts)


def test_some_reports_have_duplicates_to_merge(session: Session, mission: Mission) -> None:
    copies = session.execute(select(Incident).where(Incident.external_id.like("%-dup"))).scalars().all()
    assert len(copies) == len(demo_incidents.DUPLICATED)
    for copy in copies:
        original = copy.external_id.removesuffix("-dup")
        found = incidents_service.duplicates(session, mission, copy.id, actor=Actor.system(mission.id))
        assert original in {d.external_id for d in found}, copy.external_id


def test_some_allegations_count_casualties(session: Session, mission: Mission) -> None:
    hurt = [
        i
        for i in session.execute(select(Incident).where(Incident.source == "party")).scalars()
        if sum(sum(group.values()) for group in (i.casualties or {}).values()) > 0
    ]
    assert len(hurt) >= 10
    assert all(i.alleged_actors for i in hurt)


def test_uploads_are_dated_and_some_photos_disagree(demo_data_dir: Path) -> None:
    with closing(sqlite3.connect(demo_data_dir / "truce.db")) as db:
        query = (
            "SELECT e.uploaded_at, e.photo_metadata, i.lat, i.lon FROM evidence e"
            " JOIN incidents i ON i.id = e.incident_id"
        )
        rows = db.execute(query).fetchall()
    assert rows
    assert all("2020-11" <= uploaded[:7] <= "2020-12" for uploaded, *_ in rows)
    far = [km_between(json.loads(m)["longitude"], json.loads(m)["latitude"], lon, lat) for _, m, lat, lon in rows]
    assert sum(1 for km in far if km > 5) >= 2
    assert sum(1 for km in far if km < 0.1) >= 5
