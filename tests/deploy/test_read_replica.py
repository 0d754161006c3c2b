"""A real PostgreSQL streaming replica for reports, statistics and the log's reads (issue 23, part 3).

Needs TRUCE_TEST_REPLICA_URL: a hot standby of the server TRUCE_TEST_DATABASE_URL names, made with
`pg_basebackup -R` (.ci/run starts one on a spare port and sets it, so in CI these tests run and fail loudly).
Replay on the standby is paused to make it fall behind for real: what the API then answers shows which database
each read came from.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from conftest import PG_URL, demo_database
from support import TEST_SECRET, point_feature
from truce.app import create_app
from truce.config import Settings
from truce.db import connect
from truce.ledger import service as ledger

REPLICA_URL = os.environ.get("TRUCE_TEST_REPLICA_URL", "")
pytestmark = pytest.mark.skipif(
    not (REPLICA_URL and PG_URL),
    reason="needs TRUCE_TEST_REPLICA_URL, a streaming replica of TRUCE_TEST_DATABASE_URL's server (.ci/run starts one)",
)
INCIDENTS = "/api/v1/missions/nk-2020/incidents"
# How long to wait for the replica to replay the primary: near the end of a CI run it may have minutes of the
# other workers' WAL (each database copied from a template is written to the WAL whole) to replay first. The
# wait ends as soon as it has caught up; the bound only stops a broken replica from hanging the run.
WAIT_S = 600
SHELLING = point_feature(46.80, 39.90, type="explosion", subtype="mortar", start="2020-11-20T14:30:00+04:00",
                         source="post", means="seen_and_heard", narrative="Impacts near the post.")  # fmt: skip


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """The demo in a database of its own on the primary, and the same database's address on the replica."""
    primary = demo_database("postgis", tmp_path_factory.mktemp("replica"), "replica_demo")
    primary_url = primary.engine.url.render_as_string(hide_password=False)
    primary.dispose()
    replica_url = make_url(REPLICA_URL).set(database=make_url(primary_url).database)
    replica = replica_url.render_as_string(hide_password=False)
    wait_until_replayed(primary_url, replica)
    return primary_url, replica


def wait_until_replayed(primary_url: str, replica_url: str) -> None:
    """Until the replica has replayed what the primary has written (the new database included)."""
    engine = create_engine(primary_url)
    with engine.connect() as connection:
        position = connection.execute(text("SELECT CAST(pg_current_wal_lsn() AS text)")).scalar_one()
    engine.dispose()
    deadline = time.monotonic() + WAIT_S
    while True:
        engine = create_engine(replica_url)
        try:
            with engine.connect() as connection:
                done = connection.execute(
                    text("SELECT pg_last_wal_replay_lsn() >= CAST(:p AS pg_lsn)"), {"p": position}
                ).scalar_one()
                if done:
                    return
        except OperationalError:
            pass  # the database is not there yet
        finally:
            engine.dispose()
        assert time.monotonic() < deadline, "the replica did not catch up within ten minutes"
        time.sleep(0.2)


@contextmanager
def replay_paused(replica_url: str) -> Iterator[None]:
    """The replica stops applying what the primary sends, as one that has fallen behind."""
    engine = create_engine(replica_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_wal_replay_pause()"))
    try:
        yield
    finally:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_wal_replay_resume()"))
        engine.dispose()


def client_for(primary_url: str, replica_url: str, data_dir: Path, max_lag_s: float) -> TestClient:
    settings = Settings(
        data_dir=data_dir, secret_key=TEST_SECRET, database_url=primary_url,
        replica_url=replica_url, replica_max_lag_s=max_lag_s,
    )  # fmt: skip
    return TestClient(create_app(settings), raise_server_exceptions=False)


def log_size(url: str) -> int:
    db = connect(url)
    try:
        with db.session(write=False) as session:
            return ledger.size(session)
    finally:
        db.dispose()


def bearer(client: TestClient, username: str) -> dict[str, str]:
    answer = client.post("/api/v1/auth/token", data={"username": username, "password": "truce-demo"})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_reads_for_reports_and_the_log_come_from_the_replica_and_fall_back_to_the_primary_when_it_lags(
    databases: tuple[str, str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """One test, not two: pausing replay affects the whole replica, and xdist may run tests side by side."""
    primary_url, replica_url = databases
    with client_for(primary_url, replica_url, tmp_path / "data", max_lag_s=3600) as client:
        headers = bearer(client, "monitor-ru")
        health = client.get("/healthz").json()
        assert health["status"] == "ok"
        assert health["replica"]["readers_on"] == "replica"
        assert health["replica"]["lag_s"] is not None
        with replay_paused(replica_url):
            filed = client.post(INCIDENTS, json=SHELLING, headers=headers)
            # The request that wrote answers with what it wrote: its reads were the primary's.
            assert filed.status_code == 201, filed.text
            newest = log_size(primary_url) - 1
            on_replica = client.get(f"/api/v1/log/entries?start={newest}&end={newest + 1}", headers=headers)
            assert on_replica.status_code == 200, on_replica.text
            assert on_replica.json() == []  # the replica has not replayed the write yet
            # A proof for a tree the replica lacks comes from the primary instead of failing.
            proof = client.get(f"/api/v1/log/proof/inclusion?index={newest}&size={newest + 1}", headers=headers)
            assert proof.status_code == 200, proof.text
        wait_until_replayed(primary_url, replica_url)
        caught_up = client.get(f"/api/v1/log/entries?start={newest}&end={newest + 1}", headers=headers)
        assert [entry["index"] for entry in caught_up.json()] == [newest]

    # Behind by more than the limit: readers use the primary, /healthz and the log say so.
    with client_for(primary_url, replica_url, tmp_path / "data", max_lag_s=1) as client:
        headers = bearer(client, "monitor-ru")
        with replay_paused(replica_url), caplog.at_level(logging.WARNING, logger="truce.standby"):
            filed = client.post(INCIDENTS, json=SHELLING, headers=headers)
            assert filed.status_code == 201, filed.text
            time.sleep(2.5)  # behind by more than the limit, and past the once-a-second measurement
            newest = log_size(primary_url) - 1
            answer = client.get(f"/api/v1/log/entries?start={newest}&end={newest + 1}", headers=headers)
            assert [entry["index"] for entry in answer.json()] == [newest]  # read from the primary
            health = client.get("/healthz").json()["replica"]
            assert health["readers_on"] == "primary"
            assert health["lag_s"] is None or health["lag_s"] > 1
        assert "reports, exports and proofs read from the primary" in caplog.text
        wait_until_replayed(primary_url, replica_url)
