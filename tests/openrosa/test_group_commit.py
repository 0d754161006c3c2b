"""Group commit: submissions waiting together share one transaction, and a bad one spoils none of the others."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from conftest import demo_database
from openrosa.collect import PHOTO_JPEG
from openrosa.demo_phone import demo_with_phone
from truce import driver
from truce.db import Database
from truce.errors import Invalid
from truce.evidence import store
from truce.evidence.models import Custody, Evidence
from truce.incidents.models import Incident
from truce.integrity.verify import verify
from truce.ledger import keys
from truce.missions.models import Mission
from truce.models import LOGGED
from truce.openrosa import ahead, callers, intake
from truce.openrosa.models import Submission
from truce.openrosa.writer import GroupWriter

GOOD = "<placed_by>gps</placed_by><location>39.85 46.75 0 5</location><photo>p.jpg</photo>"
# Parses and validates, but names a site the mission lacks: it fails inside its transaction, after its row is in.
BAD = "<placed_by>bearing</placed_by><observer_site>999999</observer_site><bearing_deg>10</bearing_deg>"
BAD += "<distance_km>1</distance_km>"
TOGETHER = 6


def _xml(instance: str, placed: str, edits: str | None = None) -> bytes:
    deprecated = f"<deprecatedID>uuid:{edits}</deprecatedID>" if edits else ""
    return (
        '<data id="truce-nk-2020-incident" version="1"><observed>2020-11-20T10:00:00+04:00</observed>'
        "<incident_type>explosion</incident_type><subtype>mortar</subtype><source>post</source>"
        f"{placed}<meta><instanceID>uuid:{instance}</instanceID>{deprecated}</meta></data>"
    ).encode()


@dataclass
class Phone:
    """A phone's database, mission and account, and what a batch of its submissions came to."""

    db: Database
    mission: Mission
    caller: callers.Caller
    incidents_before: int
    root: Path
    sessions: set[int] = field(default_factory=set)
    statements: list[str] = field(default_factory=list)
    flushes: int = 0

    def store_together(self, submissions: list[tuple[str, bytes]]) -> list[object]:
        """Store (instance, XML) pairs, each with its own photo, through one writer; each one's answer.

        As the submission route does, the writer may read what they read ahead (on PostgreSQL).
        """
        writer = GroupWriter(self.db, read_ahead=intake.read_ahead)
        prepared = [intake.prepare(self.mission, self.caller, xml) for _, xml in submissions]
        photos = [
            store.save_stream([PHOTO_JPEG + instance.encode()], self.root, limit=store.MB)
            for instance, _ in submissions
        ]

        async def one(position: int) -> object:
            def work(session: Session) -> intake.Receipt:
                self.sessions.add(id(session))
                here = session.merge(self.mission, load=False)
                files = {"p.jpg": photos[position]}
                return intake.receive(session, intake.Intake(here, self.caller, prepared[position], files))

            instance = prepared[position].instance
            wanted = ahead.Wanted(None, self.mission.id, instance.form_id, instance.instance_id, instance.deprecated_id)
            try:
                return (await writer.run(work, wanted)).created
            except Exception as exc:  # a bad one's error is its own answer
                return exc

        async def all_of_them() -> list[object]:
            # Every task reaches its write before the loop turns to the batch: all of them are stored together.
            return list(await asyncio.gather(*(one(n) for n in range(len(submissions)))))

        def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            self.statements.append(statement)

        def flushed(session: Session, _context: Any) -> None:
            if id(session) in self.sessions:
                self.flushes += 1

        run = driver.Cursor._run

        def run_seen(cursor: driver.Cursor, method: Any, sql: str, parameters: Any) -> None:
            self.statements.append(sql)  # the driver's own statements (the log's, the look-ups) skip the events
            run(cursor, method, sql, parameters)

        event.listen(self.db.engine, "before_cursor_execute", seen)
        event.listen(Session, "after_flush", flushed)
        driver.Cursor._run = run_seen  # type: ignore[method-assign]
        try:
            return asyncio.run(all_of_them())
        finally:
            driver.Cursor._run = run  # type: ignore[method-assign]
            event.remove(self.db.engine, "before_cursor_execute", seen)
            event.remove(Session, "after_flush", flushed)

    def count(self, model: type[Any]) -> int:
        with self.db.session(write=False) as session:
            return session.scalar(select(func.count()).select_from(model)) or 0

    def instances(self) -> set[str]:
        with self.db.session(write=False) as session:
            return set(session.scalars(select(Submission.instance_id)))

    def log_intact(self) -> bool:
        with self.db.session(write=False) as session:
            return verify(session, keys.load_or_create(self.root).verifier(), LOGGED).intact

    def savepoints(self) -> int:
        return sum(1 for s in self.statements if s.lstrip().upper().startswith("SAVEPOINT"))

    def inserts_into(self, table: str) -> int:
        return sum(1 for s in self.statements if s.lstrip().upper().startswith(f"INSERT INTO {table.upper()} "))

    def runs(self, statement: Any) -> int:
        """How many times `statement` was sent, as this database's dialect compiles it."""
        sql = str(statement.compile(dialect=self.db.engine.dialect))
        return self.statements.count(sql)


@pytest.fixture
def phone(backend: str, tmp_path: Path) -> Iterator[Phone]:
    db = demo_database(backend, tmp_path, "openrosa_group")
    try:
        mission, caller, incidents = demo_with_phone(db, "batch-phone")
        yield Phone(db, mission, caller, incidents, tmp_path)
    finally:
        db.dispose()


def _ids(count: int) -> list[str]:
    return [f"00000000-0000-4000-8000-{n:012d}" for n in range(count)]


def test_waiting_submissions_go_in_together_with_one_flush(phone: Phone, backend: str) -> None:
    ids = _ids(TOGETHER)
    answers = phone.store_together([(i, _xml(i, GOOD)) for i in ids])

    assert answers == [True] * TOGETHER
    assert len(phone.sessions) == 1, "the waiting submissions were not stored together"
    # One flush at the end wrote the whole batch (and a second its submissions' record ids), with no savepoint.
    assert phone.flushes == 2
    assert not phone.savepoints()
    # PostgreSQL takes each table's rows in one INSERT; on SQLite, whose RETURNING order is not guaranteed,
    # SQLAlchemy inserts them one by one.
    per_table = 1 if backend == "postgis" else TOGETHER
    assert [phone.inserts_into(t) for t in ("incidents", "evidence", "custody", "submissions")] == [per_table] * 4
    assert phone.instances() == {f"uuid:{i}" for i in ids}
    assert phone.count(Incident) == phone.incidents_before + TOGETHER
    assert phone.count(Evidence) == phone.count(Custody) == TOGETHER
    # Each submission's look-up of its earlier versions: on PostgreSQL one statement for the batch (ahead.py).
    if backend == "postgis":
        assert (phone.runs(intake.RELATED_AHEAD), phone.runs(intake.RELATED_IDS)) == (1, 0)
    else:
        assert phone.runs(intake.RELATED_IDS) == TOGETHER
    with phone.db.session(write=False) as session:
        rows = session.scalars(select(Submission)).all()
        evidence = {e.incident_id: e.sha256 for e in session.scalars(select(Evidence))}
    for row in rows:
        # Each submission names its own incident, which holds the photo the submission lists.
        [incident_id] = row.record_ids
        assert [a["sha256"] for a in row.attachments] == [evidence[incident_id]]
    assert phone.log_intact()


def test_a_bad_submission_is_rolled_back_alone(phone: Phone) -> None:
    ids = _ids(TOGETHER)
    bad = ids[2]
    answers = dict(zip(ids, phone.store_together([(i, _xml(i, BAD if i == bad else GOOD)) for i in ids]), strict=True))

    assert isinstance(answers[bad], Invalid)
    assert "999999" in str(answers[bad])
    # The batch failed as a whole and was stored again, a savepoint each (PostgreSQL adds one around each row).
    assert phone.savepoints() >= TOGETHER
    assert {i: answers[i] for i in ids if i != bad} == {i: True for i in ids if i != bad}
    assert phone.instances() == {f"uuid:{i}" for i in ids if i != bad}
    assert phone.count(Incident) == phone.incidents_before + TOGETHER - 1
    assert phone.count(Evidence) == phone.count(Custody) == TOGETHER - 1
    assert phone.log_intact()


def test_a_retry_in_the_same_batch_becomes_one_record(phone: Phone) -> None:
    [first, other] = _ids(2)
    answers = phone.store_together([(first, _xml(first, GOOD)), (other, _xml(other, GOOD)), (first, _xml(first, GOOD))])

    # The duplicate fails the batch's flush on the unique key; stored one by one, it is a retry of the first.
    assert answers == [True, True, False]
    assert phone.instances() == {f"uuid:{first}", f"uuid:{other}"}
    assert phone.count(Incident) == phone.incidents_before + 2
    assert phone.log_intact()
    if not phone.db.is_sqlite:
        # What one of them stores changes what another reads: the batch read nothing ahead.
        assert phone.runs(intake.RELATED_AHEAD) == 0


def test_what_a_batch_reads_ahead_is_what_each_submission_would_read(phone: Phone) -> None:
    """A retry, an edit, an early edit and a new report in one batch come to what each would come to alone."""
    [stored, edited, fresh, edit, early_edit, late_original] = _ids(6)
    assert phone.store_together([(stored, _xml(stored, GOOD)), (edited, _xml(edited, GOOD))]) == [True, True]
    incidents = phone.count(Incident)
    read_ahead = phone.runs(intake.RELATED_AHEAD) if not phone.db.is_sqlite else 0

    answers = phone.store_together(
        [
            (stored, _xml(stored, GOOD)),  # a retry: received again
            (edit, _xml(edit, GOOD, edits=edited)),  # a new version of the same incident
            (fresh, _xml(fresh, GOOD)),
            (early_edit, _xml(early_edit, GOOD, edits=late_original)),  # its original has not come yet
        ]
    )

    assert answers == [False, True, True, True]
    assert phone.count(Incident) == incidents + 2  # the new report's, and the early edit's standing in
    with phone.db.session(write=False) as session:
        rows = {row.instance_id: row for row in session.scalars(select(Submission))}
    assert rows[f"uuid:{edit}"].record_ids == rows[f"uuid:{edited}"].record_ids
    assert not phone.savepoints(), "the batch was stored again a savepoint each"
    if not phone.db.is_sqlite:
        assert phone.runs(intake.RELATED_AHEAD) == read_ahead + 1
    # The original that comes after its own edit is kept, superseded by it (the reads now find the edit).
    assert phone.store_together([(late_original, _xml(late_original, GOOD)), (stored, _xml(stored, GOOD))]) == [
        True,
        False,
    ]
    with phone.db.session(write=False) as session:
        late = session.scalars(select(Submission).where(Submission.instance_id == f"uuid:{late_original}")).one()
    assert late.superseded
    assert late.record_ids == rows[f"uuid:{early_edit}"].record_ids
    assert phone.count(Incident) == incidents + 2
    assert phone.log_intact()


def _session(session: Session) -> Session:
    return session


def test_a_batch_about_to_begin_waits_for_a_submission_on_its_way(phone: Phone) -> None:
    """PostgreSQL's commit delay: a submission still being received joins the batch of the one already waiting."""
    if phone.db.is_sqlite:
        pytest.skip("SQLite's batches run on the loop and form while it is busy; only PostgreSQL's wait (writer.py)")
    # A delay far longer than the test: the batch begins when the arrival joins, not when the delay runs out.
    writer = GroupWriter(phone.db, delay=60.0)

    async def both() -> tuple[Session, Session]:
        on_its_way = writer.arrival()
        first = asyncio.ensure_future(writer.run(_session))
        for _ in range(5):
            await asyncio.sleep(0)
        assert not first.done()
        on_its_way.done()  # as the route does: it joins the queue in the same step
        second = await writer.run(_session)
        return await first, second

    first, second = asyncio.run(asyncio.wait_for(both(), 30))
    assert first is second, "the submission on its way was stored in a transaction of its own"


def test_a_batch_waits_for_no_submission_that_is_not_coming(phone: Phone) -> None:
    """Nothing on its way, or an arrival that fails before it joins: the batch begins without waiting out the delay."""
    writer = GroupWriter(phone.db, delay=60.0)

    async def alone() -> Session:
        return await writer.run(_session)

    async def after_a_failed_arrival() -> Session:
        failing = writer.arrival()
        first = asyncio.ensure_future(writer.run(_session))
        for _ in range(5):
            await asyncio.sleep(0)
        failing.done()  # refused (a bad form, say): it never joins
        return await first

    # Each would take the full 60 s if the batch waited for what is not coming.
    assert isinstance(asyncio.run(asyncio.wait_for(alone(), 30)), Session)
    assert isinstance(asyncio.run(asyncio.wait_for(after_a_failed_arrival(), 30)), Session)


def test_the_next_batch_waits_for_the_phones_the_last_one_answered(phone: Phone) -> None:
    """Phones answered by one batch are expected back: the batch that begins as it ends waits for them.

    Without that, a batch waiting when the last one ends goes without them, and two halves of the phones take
    turns in batches half the size.
    """
    if phone.db.is_sqlite:
        pytest.skip("SQLite's batches run on the loop and form while it is busy; only PostgreSQL's wait (writer.py)")
    writer = GroupWriter(phone.db, delay=60.0)

    async def in_turns() -> tuple[Session, Session, Session]:
        first = await writer.run(_session)  # phone 1's batch; phone 1 is now expected back
        other = asyncio.ensure_future(writer.run(_session))  # phone 2's, waiting as the first batch ended
        for _ in range(5):
            await asyncio.sleep(0)
        assert not other.done(), "the batch began without waiting for the phone it had just answered"
        back = writer.arrival()  # phone 1 sends again
        back.done()
        again = await writer.run(_session)
        return first, await other, again

    first, other, again = asyncio.run(asyncio.wait_for(in_turns(), 30))
    assert other is again, "the phone that came back was stored in a transaction of its own"
    assert first is not other


def test_a_phone_expected_back_is_not_waited_for_once_a_submission_has_come(phone: Phone) -> None:
    """Any submission arriving counts for one phone expected back: the batch then waits for nobody else."""
    writer = GroupWriter(phone.db, delay=60.0)

    async def one_came() -> Session:
        await writer.run(_session)  # one phone answered, expected back
        came = writer.arrival()  # a submission comes (from it or from another phone)
        came.done()
        return await writer.run(_session)

    # It would take the full 60 s if the batch still waited for the phone expected back.
    assert isinstance(asyncio.run(asyncio.wait_for(one_came(), 30)), Session)


def test_a_postgresql_batch_keeps_generic_plans_and_nothing_else_does(phone: Phone) -> None:
    """Planning the batch's same few look-ups and INSERTs every time cost PostgreSQL more than running them."""
    if phone.db.is_sqlite:
        pytest.skip("PostgreSQL's plan cache mode; SQLite has no such setting")

    def mode(session: Session) -> str:
        return str(session.execute(text("SHOW plan_cache_mode")).scalar_one())

    assert asyncio.run(GroupWriter(phone.db).run(mode)) == "auto"
    with phone.db.session() as session:
        assert mode(session) == "force_custom_plan", "the batch's setting ended with its transaction"
