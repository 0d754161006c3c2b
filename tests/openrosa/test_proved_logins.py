"""A device's kept log-in never outlives a change made by another process (issue 24, part 1).

On PostgreSQL a server keeps a device's proved log-in and stores its next submissions without reading the log-in
first; the batch reads it again in its own transaction. Two apps on one database stand for two processes: what
one of them (or a command) changes, the other's next submission sees at once. On SQLite nothing is kept (the
log-in is read on the loop); the same answers hold.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conftest import demo_database
from openrosa.collect import BASE, PHOTO_JPEG, basic
from openrosa.demo_phone import demo_with_device
from support import TEST_SECRET
from truce.app import create_app
from truce.config import Settings
from truce.db import Database
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.missions.schemas import MissionUpdate
from truce.openrosa import ahead, devices, intake, writer
from truce.openrosa.models import Submission
from truce.policy import Actor
from truce.users import service as users_service


def _xml(number: int) -> bytes:
    return (
        '<data id="truce-nk-2020-incident" version="1"><observed>2020-11-20T10:00:00+04:00</observed>'
        "<incident_type>explosion</incident_type><subtype>mortar</subtype><source>post</source>"
        f"<placed_by>gps</placed_by><location>39.85 46.71 0 5</location><photo>p.jpg</photo>"
        f"<meta><instanceID>uuid:00000000-0000-4000-8000-{number:012d}</instanceID></meta></data>"
    ).encode()


def _submit(client: TestClient, headers: dict[str, str], number: int) -> int:
    files = [
        ("xml_submission_file", ("s.xml", _xml(number), "text/xml")),
        ("p.jpg", ("p.jpg", PHOTO_JPEG + number.to_bytes(4, "big"), "image/jpeg")),
    ]
    return client.post(f"{BASE}/submission", files=files, headers=headers).status_code


def _stored(db: Database) -> int:
    with db.session(write=False) as session:
        return session.scalar(select(func.count()).select_from(Submission)) or 0


def _admin(session: Session) -> Actor:
    mission = session.scalars(select(Mission).where(Mission.slug == "nk-2020")).one()
    return users_service.actor_for(session, users_service.get_by_name(session, "admin"), mission)


def test_a_device_revoked_elsewhere_is_refused_by_a_process_that_kept_its_log_in(backend: str, tmp_path: Path) -> None:
    db = demo_database(backend, tmp_path, "openrosa_proved_revoked")
    try:
        mission, added, _ = demo_with_device(db, "kept-phone")
        headers = {"X-OpenRosa-Version": "1.0", **basic(added.username, added.token)}
        settings = Settings(data_dir=tmp_path / "data", secret_key=TEST_SECRET)
        with TestClient(create_app(settings, db)) as first:
            assert _submit(first, headers, 1) == 201  # logs in: the proof is kept on PostgreSQL
            assert _submit(first, headers, 2) == 201  # on the proof
            stored = _stored(db)
            # Another process (here: the service, as `truce device revoke` runs it) revokes the device.
            with db.session() as session:
                here = session.get(Mission, mission.id)
                assert here is not None
                devices.revoke_device(session, here, added.device.id, actor=_admin(session))
            answer = first.post(
                f"{BASE}/submission",
                files=[("xml_submission_file", ("s.xml", _xml(3), "text/xml"))],
                headers=headers,
            )
            assert answer.status_code == 401, answer.text
            assert "revoked" in answer.text
            assert _stored(db) == stored
            assert _submit(first, headers, 4) == 401  # and again, now read afresh
            assert _stored(db) == stored
    finally:
        db.dispose()


def test_a_disabled_account_and_a_changed_one_are_seen_at_once(backend: str, tmp_path: Path) -> None:
    db = demo_database(backend, tmp_path, "openrosa_proved_changed")
    try:
        _, added, _ = demo_with_device(db, "changing-phone")
        headers = {"X-OpenRosa-Version": "1.0", **basic(added.username, added.token)}
        settings = Settings(data_dir=tmp_path / "data", secret_key=TEST_SECRET)
        with TestClient(create_app(settings, db)) as first, TestClient(create_app(settings, db)) as second:
            assert _submit(first, headers, 11) == 201
            assert _submit(second, headers, 12) == 201
            # The mission's settings change (another process, an administrator): the device is still allowed,
            # but the kept caller was read before. One process hears of it by a 503 (nothing stored; phones send
            # again), and the next try logs in afresh and is stored.
            with db.session() as session:
                mission = session.scalars(select(Mission).where(Mission.slug == "nk-2020")).one()
                missions_service.update(session, mission, MissionUpdate(duplicate_km=2.5), actor=_admin(session))
            stored = _stored(db)
            if backend == "postgis":  # SQLite keeps no proof: it reads the log-in afresh every time
                assert _submit(first, headers, 14) == 503
                assert _stored(db) == stored
            assert _submit(first, headers, 14) == 201
            # The account is disabled (as `truce user disable` would): both processes refuse at once.
            with db.session() as session:
                mission = session.scalars(select(Mission).where(Mission.slug == "nk-2020")).one()
                users_service.set_active(session, mission, added.username, False, actor=_admin(session))
            stored = _stored(db)
            assert _submit(first, headers, 15) == 401
            assert _submit(second, headers, 16) == 401
            assert _stored(db) == stored
    finally:
        db.dispose()


def test_a_batch_reading_its_log_ins_ahead_refuses_a_revoked_device_and_stores_the_rest(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL a batch of several reads their log-ins in one query (ahead.py): a device revoked since its
    proof was kept is refused all the same, and the others' submissions in its batch are stored."""
    db = demo_database(backend, tmp_path, "openrosa_proved_batch")
    try:
        mission, revoked, _ = demo_with_device(db, "kept-phone-a")
        _, other, _ = demo_with_device(db, "kept-phone-b")
        batches: list[list[ahead.Wanted]] = []
        read_ahead = intake.read_ahead

        def reading(session: Session, wanted: list[ahead.Wanted]) -> None:
            batches.append(wanted)
            read_ahead(session, wanted)

        monkeypatch.setattr(intake, "read_ahead", reading)
        app = create_app(Settings(data_dir=tmp_path / "data", secret_key=TEST_SECRET), db)

        async def send(client: httpx.AsyncClient, device: devices.NewDevice, number: int) -> int:
            files = [
                ("xml_submission_file", ("s.xml", _xml(number), "text/xml")),
                ("p.jpg", ("p.jpg", PHOTO_JPEG + number.to_bytes(4, "big"), "image/jpeg")),
            ]
            headers = {"X-OpenRosa-Version": "1.0", **basic(device.username, device.token)}
            return (await client.post(f"{BASE}/submission", files=files, headers=headers)).status_code

        async def phones() -> list[int]:
            # A batch waits for every submission on its way: the three below are stored in one.
            writer.for_database(db, app.state, intake.read_ahead).delay = 60.0
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://truce.test", timeout=120) as client:
                assert [await send(client, revoked, 21), await send(client, other, 22)] == [201, 201]  # proofs kept
                with db.session() as session:
                    here = session.get(Mission, mission.id)
                    assert here is not None
                    devices.revoke_device(session, here, revoked.device.id, actor=_admin(session))
                stored = _stored(db)
                answers = await asyncio.gather(
                    send(client, revoked, 23), send(client, other, 24), send(client, other, 25)
                )
                assert _stored(db) == stored + 2
                return list(answers)

        assert asyncio.run(asyncio.wait_for(phones(), 60)) == [401, 201, 201]
        if backend == "postgis":
            logins = [w.login for w in batches[-1]]
            assert len(logins) == 3, "the three submissions were not stored in one batch"
            assert ("nk-2020", revoked.username) in logins
    finally:
        db.dispose()
