"""On SQLite, an API or page request awaits its turn for the writer lock on the event loop (deps.writer_turn).

Its session's first write transaction takes the lock over and releases it when it ends; a turn never taken over
is given back when the request is done, whatever became of it: no request ever leaves the lock held.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import TimeoutError as PoolTimeout

from conftest import fresh_database
from support import TEST_SECRET
from truce import deps
from truce.app import create_app
from truce.config import Settings
from truce.db import Database, check_reachable, connect
from truce.deps import WriteSession
from truce.writelock import Turn, WriterLock

PROMPT_S = 2.0  # generous for a loaded machine; a wait for the lock would take the busy timeout, 30 s


@pytest.fixture(scope="module")
def sqlite_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = fresh_database("sqlite", tmp_path_factory.mktemp("writer-turn"))
    with db.session() as session:
        session.execute(text("CREATE TABLE IF NOT EXISTS turn_probe (n INTEGER)"))
    yield db
    db.dispose()


@pytest.fixture(scope="module")
def client(sqlite_db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("writer-turn-data"), secret_key=TEST_SECRET)
    app = create_app(settings, sqlite_db)
    _probe_routes(app)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _probe_routes(app: FastAPI) -> None:
    def insert(session: WriteSession) -> None:
        session.execute(text("INSERT INTO turn_probe (n) VALUES (1)"))

    @app.get("/probe/write")
    def write(session: WriteSession) -> dict[str, str]:
        insert(session)
        return {"status": "ok"}

    @app.get("/probe/write-twice")
    def write_twice(session: WriteSession) -> dict[str, str]:
        insert(session)
        session.commit()
        insert(session)  # a second transaction: it takes the lock as any thread does
        return {"status": "ok"}

    @app.get("/probe/fail-after-writing")
    def fail_after_writing(session: WriteSession) -> None:
        insert(session)
        raise RuntimeError("the route failed after its first write")

    @app.get("/probe/fail-before-writing")
    def fail_before_writing(session: WriteSession) -> None:
        raise RuntimeError("the route failed before it wrote")

    @app.get("/probe/no-connection")
    def no_connection(session: WriteSession) -> None:
        raise PoolTimeout("QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00")


def _rows(db: Database) -> int:
    with db.session(write=False) as session:
        return int(session.scalar(text("SELECT count(*) FROM turn_probe")) or 0)


def test_a_turn_is_handed_over_once_and_given_back_only_if_it_was_not() -> None:
    lock = WriterLock()
    assert lock.try_acquire()
    turn = Turn(lock)
    assert turn.hand_over()
    assert not turn.hand_over()
    turn.give_back()
    assert lock.held  # the one it was handed to releases it
    lock.release()
    assert lock.try_acquire()
    unused = Turn(lock)
    unused.give_back()
    unused.give_back()
    assert not lock.held


@pytest.mark.parametrize(
    ("path", "status", "stored"),
    [
        ("/probe/write", 200, 1),
        ("/probe/write-twice", 200, 2),
        ("/probe/fail-after-writing", 500, 0),
        ("/probe/fail-before-writing", 500, 0),
    ],
)
def test_no_request_leaves_the_lock_held(
    client: TestClient, sqlite_db: Database, path: str, status: int, stored: int
) -> None:
    lock = sqlite_db.writer_lock
    assert lock is not None
    before = _rows(sqlite_db)
    began = time.monotonic()
    answer = client.get(path)
    assert answer.status_code == status, answer.text
    assert time.monotonic() - began < PROMPT_S
    assert not lock.held
    assert _rows(sqlite_db) == before + stored


def test_a_request_waits_for_its_turn_while_another_writer_holds_the_lock(
    client: TestClient, sqlite_db: Database
) -> None:
    lock = sqlite_db.writer_lock
    assert lock is not None
    assert lock.acquire(timeout=PROMPT_S)
    threading.Timer(0.3, lock.release).start()
    before = _rows(sqlite_db)
    answer = client.get("/probe/write")
    assert answer.status_code == 200, answer.text
    assert not lock.held
    assert _rows(sqlite_db) == before + 1


def test_a_turn_that_does_not_come_in_time_is_503_with_retry_after_and_nothing_stored(
    client: TestClient, sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deps, "BUSY_TIMEOUT_S", 0.2)
    lock = sqlite_db.writer_lock
    assert lock is not None
    assert lock.acquire(timeout=PROMPT_S)
    before = _rows(sqlite_db)
    try:
        answer = client.get("/probe/write")
    finally:
        lock.release()
    assert answer.status_code == 503, answer.text
    assert int(answer.headers["Retry-After"]) > 0
    assert "try again" in answer.json()["detail"]
    assert _rows(sqlite_db) == before
    assert not lock.held


def test_a_pool_that_has_no_connection_in_time_answers_503_with_retry_after(client: TestClient) -> None:
    answer = client.get("/probe/no-connection")
    assert answer.status_code == 503, answer.text
    assert int(answer.headers["Retry-After"]) > 0
    assert "try again" in answer.json()["detail"]


def test_the_start_up_check_reads_without_the_writer_lock_or_sqlite_s(sqlite_db: Database, tmp_path: Path) -> None:
    """`check_reachable` (every `connect`) neither waits for this process's writers nor for another process's."""
    lock = sqlite_db.writer_lock
    database = sqlite_db.engine.url.database
    assert lock is not None
    assert database is not None
    other = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    assert lock.acquire(timeout=PROMPT_S)
    try:
        other.execute("BEGIN IMMEDIATE")
        began = time.monotonic()
        check_reachable(sqlite_db.engine)
        again = connect(f"sqlite:///{database}")
        again.dispose()
        assert time.monotonic() - began < PROMPT_S
    finally:
        lock.release()
        other.execute("ROLLBACK")
        other.close()
