"""Round trips per submission through the app, on both backends (issue 24, part 2).

A phone's submission costs a fixed, small number of statements: its log-in read, and its share of a batch (the
batch writes each table's rows together, so the share shrinks as more phones send at once). Counted are the
statements SQLAlchemy sends on every engine (the readers' included) and those `truce.driver` sends on the
driver's own cursor (the log's append, the log-in query), an executemany on PostgreSQL once per row (psycopg sends
each row's statement by itself). On PostgreSQL each is a round trip to the server, BEGIN and COMMIT aside; the
transactions are counted too. The bounds are the ones docs/field-collection.md states.
"""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.engine.interfaces import ExecuteStyle

from conftest import demo_database, fresh_database
from mission_examples import DEMO_SLUG, SCENES, Scene
from openrosa.collect import PHOTO_JPEG, basic, odk_time
from openrosa.demo_phone import demo_with_device
from support import TEST_SECRET
from truce import driver
from truce.app import create_app
from truce.config import Settings
from truce.incidents.models import Incident

PHONES = 8
# What one submission costs on its own. On SQLite: its log-in read and the reader's BEGIN, the look-up of its earlier
# versions, and one INSERT for each of its four rows (SQLite gives no RETURNING order, so SQLAlchemy inserts its rows
# one by one). On PostgreSQL nothing: a batch takes each table's rows in one INSERT, and reads its submissions'
# log-ins (a phone it has seen before) and earlier versions for all of them at once (openrosa/ahead.py).
OWN = {"sqlite": 7, "postgis": 0}
# What one batch costs, however many submissions it holds: BEGIN IMMEDIATE (SQLite); the plan cache's mode, the
# log-ins and versions read ahead (a batch of one reads its own: as many statements) and the four tables' INSERTs
# (PostgreSQL); the places' version, the log's head read and update, its entries and nodes, and the events' checks.
PER_BATCH = {"sqlite": 8, "postgis": 14}


def _xml(scene: Scene, number: int) -> bytes:
    lon, lat = scene.at(46.70 + (number % 10) / 100, 39.85)
    return (
        f'<data id="truce-{scene.slug}-incident" version="1">'
        f"<observed>{odk_time(scene, date(2020, 11, 20), 10)}</observed>"
        "<incident_type>explosion</incident_type><subtype>mortar</subtype><source>post</source>"
        f"<placed_by>gps</placed_by><location>{lat} {lon} 0 5</location><photo>p.jpg</photo>"
        f"<meta><instanceID>uuid:00000000-0000-4000-8000-{number:012d}</instanceID></meta></data>"
    ).encode()


def test_a_submission_costs_a_few_statements_on_every_backend(
    backend: str, mission_slug: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene = SCENES[mission_slug]
    name = "openrosa_round_trips"
    db = demo_database(backend, tmp_path, name) if scene.slug == DEMO_SLUG else fresh_database(backend, tmp_path, name)
    try:
        _, added, incidents_before = demo_with_device(db, "counted-phone", scene.slug)
        app = create_app(Settings(data_dir=tmp_path / "data", secret_key=TEST_SECRET), db)
        headers = {"X-OpenRosa-Version": "1.0", **basic(added.username, added.token)}
        statements: list[str] = []
        transactions: list[object] = []
        appends: list[str] = []
        pipelined = backend == "postgis"

        def count(statement: str, rows: int) -> None:
            statements.extend([statement] * rows)
            if statement.lstrip().upper().startswith("INSERT INTO LOG_ENTRIES"):
                appends.append(statement)

        # On PostgreSQL an executemany is counted once per row: psycopg sends a statement for each and waits on
        # the socket before sending the next (a pipeline). sqlite3 runs one in its own C loop, in process. (The
        # ORM's INSERT of several rows with RETURNING is one statement: SQLAlchemy's "insertmanyvalues".)
        def executed(_conn: Any, _cursor: Any, statement: str, parameters: Any, context: Any, _many: bool) -> None:
            many = pipelined and context.execute_style is ExecuteStyle.EXECUTEMANY
            count(statement, len(parameters) if many else 1)

        def began(connection: Any) -> None:
            transactions.append(connection)

        run = driver.Cursor._run

        def run_counted(cursor: driver.Cursor, method: Any, sql: str, parameters: Any) -> None:
            many = pipelined and method == cursor.cursor.executemany
            count(sql, len(parameters) if many else 1)
            run(cursor, method, sql, parameters)

        async def send(client: httpx.AsyncClient, number: int) -> int:
            photo = PHOTO_JPEG + number.to_bytes(4, "big")
            files = [
                ("xml_submission_file", ("s.xml", _xml(scene, number), "text/xml")),
                ("p.jpg", ("p.jpg", photo, "image/jpeg")),
            ]
            return (await client.post(f"/openrosa/{scene.slug}/submission", files=files, headers=headers)).status_code

        async def phones() -> list[int]:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://truce.test", timeout=120) as client:
                assert await send(client, 0) == 201  # warm: the forms and caches are built once, uncounted
                event.listen(Engine, "before_cursor_execute", executed)
                event.listen(Engine, "begin", began)
                monkeypatch.setattr(driver.Cursor, "_run", run_counted)
                try:
                    return list(await asyncio.gather(*(send(client, n) for n in range(1, PHONES + 1))))
                finally:
                    monkeypatch.undo()
                    event.remove(Engine, "before_cursor_execute", executed)
                    event.remove(Engine, "begin", began)

        assert asyncio.run(phones()) == [201] * PHONES
        with db.session(write=False) as session:
            assert session.scalar(select(func.count()).select_from(Incident)) == incidents_before + PHONES + 1
        batches = len(appends)
        most = OWN[backend] * PHONES + PER_BATCH[backend] * batches
        listing = "\n".join(s.split("\n")[0][:100] for s in statements)
        assert 1 <= batches <= PHONES
        assert len(statements) <= most, f"{len(statements)} statements, {batches} batches:\n{listing}"
        # On SQLite a transaction for each log-in read and one for each batch; on PostgreSQL the batches' only: the
        # phone logged in before, and each batch reads its submissions' log-ins again inside it (proved.py).
        most_transactions = batches + (PHONES if backend == "sqlite" else 0)
        assert len(transactions) <= most_transactions, f"{len(transactions)} transactions, {batches} batches"
    finally:
        db.dispose()
