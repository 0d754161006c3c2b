"""Fifty concurrent retries of one submission make one record, on both backends (a real, non-rolled-back database)."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import func, select

from conftest import fresh_database
from truce.demo import loader
from truce.incidents.models import Incident
from truce.missions import service as missions_service
from truce.openrosa import service
from truce.openrosa.models import Submission
from truce.users import service as users_service

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
        with db.session() as session:
            loader.load(session)
            mission = missions_service.get_by_slug(session, "nk-2020")
            assert mission is not None
            admin = users_service.actor_for(session, users_service.get_by_name(session, "admin"), mission)
            added = service.add_device(session, mission, "racing-phone", delegation_code="ru", actor=admin)
            incidents_before = session.scalar(select(func.count()).select_from(Incident))
        with db.session(write=False) as session:
            caller = service.caller_for(session, mission, _basic(added.username, added.token))
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
            assert session.scalar(select(func.count()).select_from(Incident)) == (incidents_before or 0) + 1
    finally:
        db.dispose()


def _basic(username: str, token: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{username}:{token}".encode()).decode()
