"""Fifty concurrent retries of one submission make one record, on both backends (a real, non-rolled-back database)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import func, select

from conftest import demo_database
from openrosa.collect import BASE, basic
from openrosa.demo_phone import demo_with_device, demo_with_phone
from support import TEST_SECRET
from truce.app import create_app
from truce.config import Settings
from truce.incidents.models import Incident
from truce.openrosa import intake
from truce.openrosa.models import Submission

XML = (
    b'<data id="truce-nk-2020-incident" version="1"><observed>2020-11-20T10:00:00+04:00</observed>'
    b"<incident_type>explosion</incident_type><subtype>mortar</subtype><source>post</source>"
    b"<placed_by>gps</placed_by><location>39.85 46.75 0 5</location>"
    b"<meta><instanceID>uuid:3b7e2f8a-9d3c-4c1e-8f1a-0a9b8c7d6e5f</instanceID></meta></data>"
)
RETRIES = 50


def test_fifty_concurrent_retries_make_one_record(backend: str, tmp_path: Path) -> None:
    db = demo_database(backend, tmp_path, "openrosa_race")
    try:
        mission, caller, incidents_before = demo_with_phone(db, "racing-phone")
        prepared = intake.prepare(mission, caller, XML)
        start = threading.Barrier(RETRIES)
        outcomes: list[bool] = []
        failures: list[BaseException] = []

        def retry() -> None:
            start.wait()
            try:
                with db.session() as session:
                    here = session.merge(mission, load=False)
                    outcomes.append(intake.receive(session, intake.Intake(here, caller, prepared)).created)
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


def test_fifty_concurrent_retries_over_http_make_one_record(backend: str, tmp_path: Path) -> None:
    """The same, through the app: on SQLite they meet in the event loop's batches, on PostgreSQL in threads."""
    db = demo_database(backend, tmp_path, "openrosa_race_http")
    try:
        _, added, incidents_before = demo_with_device(db, "racing-phone")
        app = create_app(Settings(data_dir=tmp_path / "data", secret_key=TEST_SECRET), db)
        headers = {"X-OpenRosa-Version": "1.0", **basic(added.username, added.token)}

        async def send_all() -> list[httpx.Response]:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://truce.test", timeout=120) as client:
                files = {"xml_submission_file": ("submission.xml", XML, "text/xml")}
                posts = [client.post(f"{BASE}/submission", files=files, headers=headers) for _ in range(RETRIES)]
                return list(await asyncio.gather(*posts))

        answers = asyncio.run(send_all())
        assert [a.status_code for a in answers] == [201] * RETRIES, answers[0].text
        received = sorted("Thank you: received." in a.text for a in answers)
        assert received == [False] * (RETRIES - 1) + [True]
        with db.session(write=False) as session:
            assert session.scalar(select(func.count()).select_from(Submission)) == 1
            assert session.scalar(select(func.count()).select_from(Incident)) == (incidents_before or 0) + 1
    finally:
        db.dispose()
