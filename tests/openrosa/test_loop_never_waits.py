"""Issue S on SQLite: the phones' batch never waits for the write lock on the event loop (a real database file).

A worker thread's request holds SQLite's write lock from its first flush to its commit, and FastAPI needs the loop
in between; another process may hold the lock too. Each test here keeps a ticker on the loop and times its gaps.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx2 as httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conftest import fresh_database
from openrosa.collect import BASE, basic
from openrosa.demo_phone import demo_with_phone
from support import TEST_SECRET
from truce.app import create_app
from truce.config import Settings
from truce.db import Database
from truce.errors import Unavailable
from truce.missions.models import Mission
from truce.openrosa import callers, devices, intake, writer
from truce.openrosa.models import Submission
from truce.openrosa.writer import GroupWriter
from truce.policy import Actor
from truce.users import service as users_service

T = TypeVar("T")
# A loop that turns is late by milliseconds, even on a loaded machine; one frozen in SQLite's busy wait by seconds.
LOOP_LATE_S = 1.0
# How long the API request below waits for the loop before it gives up and commits (the old code froze 30 s).
PATIENCE_S = 5.0


def instance(instance_id: str) -> bytes:
    return (
        f'<data id="truce-nk-2020-incident" version="1"><observed>2020-11-20T10:00:00+04:00</observed>'
        f"<incident_type>explosion</incident_type><subtype>mortar</subtype><source>post</source>"
        f"<placed_by>gps</placed_by><location>39.85 46.75 0 5</location>"
        f"<meta><instanceID>uuid:{instance_id}</instanceID></meta></data>"
    ).encode()


@dataclass
class Demo:
    db: Database
    path: Path
    mission: Mission
    caller: callers.Caller

    def submission(self) -> Callable[[Session], intake.Receipt]:
        """A phone's new submission, as the route hands it to the group writer."""
        prepared = intake.prepare(self.mission, self.caller, instance(str(uuid.uuid4())))

        def store_it(session: Session) -> intake.Receipt:
            here = session.merge(self.mission, load=False)
            return intake.receive(session, intake.Intake(here, self.caller, prepared))

        return store_it

    def submissions(self) -> int:
        with self.db.session(write=False) as session:
            return session.scalar(select(func.count()).select_from(Submission)) or 0


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo in a SQLite file of this module's own, with a phone; every write really commits."""
    directory = tmp_path_factory.mktemp("loop-never-waits")
    db = fresh_database("sqlite", directory)
    try:
        mission, caller, _ = demo_with_phone(db, "loop-phone")
        yield Demo(db, directory / "truce.db", mission, caller)
    finally:
        db.dispose()


async def watching_the_loop(work: Awaitable[T]) -> tuple[T, float]:
    """`work`'s result, and the longest the loop was late for a 10 ms tick while it ran."""
    latest = 0.0

    async def tick() -> None:
        nonlocal latest
        while True:
            began = time.monotonic()
            await asyncio.sleep(0.01)
            latest = max(latest, time.monotonic() - began - 0.01)

    ticker = asyncio.ensure_future(tick())
    try:
        result = await work
    finally:
        ticker.cancel()
    return result, latest


def test_a_batch_waits_off_the_loop_for_a_thread_that_needs_the_loop_to_commit(demo: Demo) -> None:
    """The deadlock of issue S in miniature: a thread holds the lock and needs the loop before it commits."""
    group = GroupWriter(demo.db)
    before = demo.submissions()

    async def scenario() -> tuple[intake.Receipt, bool]:
        loop = asyncio.get_running_loop()
        writing, submitting, heard = threading.Event(), threading.Event(), threading.Event()

        def api_request() -> bool:
            # As FastAPI runs a write: the flush in one thread, the commit after a round trip through the loop.
            with demo.db.session() as session:
                session.connection()  # BEGIN IMMEDIATE: this thread holds the write lock now
                writing.set()
                submitting.wait(PATIENCE_S)
                time.sleep(0.3)  # the loop has turned to the batch by now
                loop.call_soon_threadsafe(heard.set)
                return heard.wait(PATIENCE_S)

        request = loop.run_in_executor(None, api_request)
        await asyncio.to_thread(writing.wait)
        submitting.set()
        receipt = await group.run(demo.submission())
        return receipt, await request

    (receipt, loop_answered), late = asyncio.run(watching_the_loop(scenario()))
    assert loop_answered, "the loop did not answer the thread holding the write lock"
    assert late < LOOP_LATE_S
    assert receipt.created
    assert demo.submissions() == before + 1


@contextmanager
def another_process_writing(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection outside this process's writer lock, as another process's would be, holding the write lock."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield other
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()


def test_another_process_writing_delays_the_batch_but_never_holds_the_loop(demo: Demo) -> None:
    group = GroupWriter(demo.db)
    before = demo.submissions()

    async def scenario(other_process: sqlite3.Connection) -> intake.Receipt:
        stored = asyncio.ensure_future(group.run(demo.submission()))
        await asyncio.sleep(0.5)
        assert not stored.done()
        other_process.execute("COMMIT")
        return await stored

    with another_process_writing(demo.path) as other_process:
        receipt, late = asyncio.run(watching_the_loop(scenario(other_process)))
    assert late < LOOP_LATE_S
    assert receipt.created
    assert demo.submissions() == before + 1


def test_a_submission_that_cannot_be_written_in_time_is_unavailable_and_not_stored(demo: Demo) -> None:
    group = GroupWriter(demo.db, wait=0.5)
    before = demo.submissions()

    async def scenario() -> None:
        with pytest.raises(Unavailable):
            await group.run(demo.submission())

    with another_process_writing(demo.path):
        _, late = asyncio.run(watching_the_loop(scenario()))
    assert late < LOOP_LATE_S
    assert demo.submissions() == before
    assert demo.db.writer_lock is not None
    assert not demo.db.writer_lock.held


def test_the_phone_hears_503_with_retry_after_and_its_retry_is_stored(demo: Demo, tmp_path: Path) -> None:
    """Over HTTP: ODK Collect keeps an instance answered 503 and sends it again; the retry gets 201."""
    with demo.db.session() as session:
        mission = session.merge(demo.mission, load=False)
        added = devices.add_device(session, mission, f"retry-{uuid.uuid4().hex[:8]}", delegation_code="ru",
                                   actor=_admin(session, mission))  # fmt: skip
    app = create_app(Settings(data_dir=tmp_path / "data", secret_key=TEST_SECRET), demo.db)
    headers = {"X-OpenRosa-Version": "1.0", **basic(added.username, added.token)}
    files = {"xml_submission_file": ("submission.xml", instance(str(uuid.uuid4())), "text/xml")}
    before = demo.submissions()

    async def send_twice(other_process: sqlite3.Connection) -> tuple[httpx.Response, httpx.Response]:
        # This loop's group writer, made impatient so that the test does not wait the full ten seconds.
        writer.for_database(demo.db, app.state)
        app.state.openrosa_writers[asyncio.get_running_loop()] = GroupWriter(demo.db, wait=0.5)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://truce.test", timeout=60) as client:
            refused = await client.post(f"{BASE}/submission", files=files, headers=headers)
            other_process.execute("COMMIT")
            return refused, await client.post(f"{BASE}/submission", files=files, headers=headers)

    with another_process_writing(demo.path) as other_process:
        refused, retried = asyncio.run(send_twice(other_process))
    assert refused.status_code == 503, refused.text
    assert int(refused.headers["Retry-After"]) > 0
    assert "try again" in refused.text
    assert retried.status_code == 201, retried.text
    assert "Thank you: received." in retried.text
    assert demo.submissions() == before + 1


def _admin(session: Session, mission: Mission) -> Actor:
    return users_service.actor_for(session, users_service.get_by_name(session, "admin"), mission)
