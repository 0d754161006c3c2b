"""Fifty concurrent retries of one submission make one record, on both backends (a real, non-rolled-back database)."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import func, select

from conftest import fresh_database
from openrosa.demo_phone import demo_with_phone
from truce.incidents.models import Incident
from truce.openrosa import service
from truce.openrosa.models import Submission

XML = (
    b'<data id="truce-nk-2020-incident" version="1"><observed>2020-11-20T10:00:00+04:00</observed>'
    b"<incident_type>explosion</incident_type><subtype>mortar</subtype><source>post</source>"
    b"<placed_by>gps</placed_by><location>39.85 46.75 0 5</location>"
    b"<meta><instanceID>uuid:3b7e2f8a-9d3c-4c1e-8f1a-0a9b8c7d6e5f</instanceID></meta></data>"
)
RETRIES = 50


def test_fifty_concurrent_retries_make_one_record(backend: str, tmp_path: Path) -> None:
    db = fresh_database(backend, tmp_path, "openrosa_race")
    try:
        mission, caller, incidents_before = demo_with_phone(db, "racing-phone")
        prepared = service.prepare(mission, caller, XML)
        start = threading.Barrier(RETRIES)
        outcomes: list[bool] = []
        failures: list[BaseException] = []

        def retry() -> None:
            start.wait()
            try:
                with db.session() as session:
                    here = session.merge(mission, load=False)
                    outcomes.append(service.receive(session, here, prepared, {}, caller=caller).created)
            except BaseException as exc:  # every failure is reported by the assertion below
                failures.append(exc)

        threads = [threading.Thread(target=retry) for _ in range(RETRIES)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert sorted(outcomes) == [False] * (RETRIES - 1) + [True]
        with db.session(write=False) as session:
            assert session.scalar(select(func.count()).select_from(Submission)) == 1
            assert session.scalar(select(func.count()).select_from(Incident)) == incidents_before + 1
    finally:
        db.dispose()
