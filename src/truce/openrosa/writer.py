"""Group commit on SQLite: the event loop stores every submission waiting in one transaction, with one flush.

SQLite takes one writer at a time, and a flush, a commit, the log head and the map's stamp cost the same for one
submission as for twenty. So the submissions that reach this point together are stored in one transaction with
one flush and one log append for all of them (the log's journal appends at the commit). If any of them fails,
the transaction rolls back and the batch is stored again with a savepoint each: a job that fails rolls back only
its savepoint and gets its own error, the others go on. Each caller gets its answer only after the commit that
holds its job, so nothing answered as stored can be lost by the process dying.

The batch runs on the event loop itself, not in a worker thread. A thread per request cost more than the work:
every SQLite call hands the interpreter lock to the loop thread parsing the next upload and waits to get it
back, and the server's CPU time per submission rose with every phone sending at once. A batch holds the loop
for a few milliseconds of local disk work; requests keep arriving in the socket buffers meanwhile, and their
jobs form the next batch.

PostgreSQL is a server over the network, and its batches are the same but run in a worker thread, one batch at a
time per process: a round trip must not hold the loop. The jobs that arrive while a batch is being written form
the next one. A transaction per submission cost about four times as many round trips, each with its statement
compiled and executed by SQLAlchemy, and twice the SQLite path's CPU per submission (issue 24, measured by
benchmarks/phone_profile.py); the log's head (`FOR UPDATE`) took those transactions one at a time anyway. The
batch on the loop, without the thread hop, was measured too (benchmarks/phone_cpu.py, BENCHMARKS.md): it costs
more CPU per submission, not less, because no request reaches its write while the loop waits for the round
trips, so batches shrink and each pays its statements again; and a batch waiting on the loop for a row that an
API request's open transaction holds would freeze the loop that request needs to commit.

A PostgreSQL batch about to begin also waits, up to `COMMIT_DELAY_S`, for the submissions already on their way
(counted from their request's start, by `arrival`) while it has room: as PostgreSQL's `commit_delay` does with
`commit_siblings`, it trades a few milliseconds for fewer, larger transactions. With eight phones on two server
processes, batches held one or two submissions and each paid its ten statements; with the delay the stack spent
about a tenth less CPU per submission and took more of them (benchmarks/odk_side_by_side.py; 8 ms beat 4 ms in
alternating sittings, BENCHMARKS.md). The phones a batch has just answered count as on their way too, until a
submission arrives for each or the delay has passed: a batch that begins as the last one ends would otherwise go
without them, and the phones would settle into halves taking turns in batches of half the size (with sixteen
phones on two processes, 4.5-5 submissions per batch instead of 7-8; session 17, BENCHMARKS.md). With nothing on
its way a batch waits for nothing, so a lone phone's answer is not delayed.

The loop never waits for the write lock, because whoever holds it may need the loop to let go of it: an API or
page request holds SQLite's lock from its first flush until its commit, and FastAPI hands that commit to a worker
thread from the loop. A batch that waited for the lock in SQLite's busy handler froze the loop, and with it the
holder's commit, until the 30-second busy timeout failed the batch and lost the phones' submissions (issue S).
So the process has one writer lock per SQLite file (`truce.writelock`), which every writer takes before
`BEGIN IMMEDIATE`: worker threads wait for it where they are; a batch runs at once when the lock is free, and
otherwise awaits it while the loop goes on (more submissions join the batch meanwhile). Another process writing
the same file (a command, or a second server, which SQLite deployments do not support) makes the batch's
`BEGIN IMMEDIATE` fail at once rather than wait; the batch tries again a little later, off the loop's back. A
submission that cannot be stored within `WAIT_S` is answered `Unavailable` (503 with Retry-After, which phones
retry), with nothing of it stored: never an error after which a phone would think it lost.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from truce.db import BUSY, Database, plan_generically
from truce.errors import Unavailable
from truce.ledger import service as ledger

T = TypeVar("T")
MAX_BATCH = 64
# How long a submission may wait for its turn to be written before the phone is told to try again (503).
WAIT_S = 10.0
# After another process was found writing: the first pause before trying again, and the longest.
FIRST_PAUSE_S, LONGEST_PAUSE_S = 0.005, 0.2
# PostgreSQL: how long a batch about to begin waits for submissions already on their way to it (commit delay).
COMMIT_DELAY_S = 0.008
# What a batch's jobs read, read for all of them at once: `read_ahead(session, wanted)` (openrosa/ahead.py).
ReadAhead = Callable[[Session, list[Any]], None]


class _Job:
    """One caller's work, what it reads (for the batch to read ahead), its future, when it stops waiting, and what
    became of it."""

    def __init__(
        self, work: Callable[[Session], Any], wanted: Any, answer: asyncio.Future[Any], deadline: float
    ) -> None:
        self.work, self.wanted, self.answer, self.deadline = work, wanted, answer, deadline
        self.result: Any = None
        self.error: BaseException | None = None


class _Busy(Exception):
    """The batch's transaction could not begin: another process holds SQLite's lock. Nothing of it ran."""


class GroupWriter:
    """Runs write jobs on the event loop, a batch per transaction and a savepoint per job.

    On PostgreSQL a batch of jobs that say what they read (`run`'s `wanted`) begins with `read_ahead(session,
    wanted)`, which may read it for all of them at once (openrosa/ahead.py).
    """

    def __init__(
        self,
        db: Database,
        max_batch: int = MAX_BATCH,
        wait: float = WAIT_S,
        delay: float = COMMIT_DELAY_S,
        read_ahead: ReadAhead | None = None,
    ) -> None:
        self.db, self.max_batch, self.wait, self.delay = db, max_batch, wait, delay
        self.read_ahead = read_ahead
        self._waiting: list[_Job] = []
        # Submissions being received and checked, not yet waiting here; and a signal when one arrives or gives up.
        self._arriving = 0
        self._moved = asyncio.Event()
        # PostgreSQL: how many phones the last batch answered have not come back yet, and until when the next
        # batch waits for them (see `_gather`).
        self._expected = 0
        self._expected_until = 0.0
        self._scheduled = False
        self._pause = 0.0
        # The task awaiting the writer lock, if any: the loop keeps only a weak reference to its tasks.
        self._leader: asyncio.Task[None] | None = None

    @property
    def waiting(self) -> int:
        """How many jobs wait for a batch to take them."""
        return len(self._waiting)

    def arrival(self) -> Arrival:
        """Count a submission on its way here until it joins the queue (or fails): a batch may wait for it."""
        self._arriving += 1
        if self._expected:
            self._expected -= 1
        self._moved.set()
        return Arrival(self)

    def arrived(self) -> None:
        """One submission counted by `arrival` joined the queue or failed."""
        self._arriving -= 1
        self._moved.set()

    async def _gather(self, loop: asyncio.AbstractEventLoop) -> None:
        """Wait up to `delay` while submissions are on their way and the batch has room: one transaction then
        stores them all, instead of one now and another for them (PostgreSQL's commit_delay, for the batch).

        The phones the last batch answered count as on their way until they send again or `delay` has passed
        since that answer: without them, a batch that begins as the last one ends waits for nobody, and two
        halves of the phones take turns in batches half the size, each paying a batch's statements.
        """
        deadline = loop.time() + self.delay
        while len(self._waiting) < self.max_batch and self._on_their_way(loop):
            # Only phones expected back: no longer than until they are no longer expected.
            until = deadline if self._arriving else min(deadline, self._expected_until)
            left = until - loop.time()
            if left <= 0:
                return
            self._moved.clear()
            try:
                await asyncio.wait_for(self._moved.wait(), left)
            except TimeoutError:
                return

    def _on_their_way(self, loop: asyncio.AbstractEventLoop) -> bool:
        """Whether a submission is arriving, or a phone the last batch answered is still expected back."""
        return bool(self._arriving) or (self._expected > 0 and loop.time() < self._expected_until)

    async def run(self, work: Callable[[Session], T], wanted: Any = None) -> T:
        """Run `work(session)` inside a savepoint of a shared transaction; its result once that has committed.

        `Unavailable` when the database stayed busy for `wait` seconds; nothing of the work is stored then.
        """
        loop = asyncio.get_running_loop()
        job = _Job(work, wanted, loop.create_future(), loop.time() + self.wait)
        self._waiting.append(job)
        self._schedule(loop)
        result: T = await job.answer
        return result

    def _schedule(self, loop: asyncio.AbstractEventLoop, pause: float = 0.0) -> None:
        # After the callbacks already due: every request that reaches its write in this turn joins the batch.
        if not self._scheduled:
            self._scheduled = True
            if pause:
                loop.call_later(pause, self._lead, loop)
            else:
                loop.call_soon(self._lead, loop)

    def _lead(self, loop: asyncio.AbstractEventLoop) -> None:
        lock = self.db.writer_lock
        if not self.db.is_sqlite:
            # `_scheduled` stays set while the batch is written: the jobs arriving meanwhile wait for the next.
            self._leader = loop.create_task(self._store_in_thread(loop))
        elif lock is None or lock.try_acquire():
            self._scheduled = False
            self._store(loop)
        else:
            # A worker thread is writing (and may need the loop to finish): wait for it without holding the loop.
            self._leader = loop.create_task(self._lead_when_free(loop))

    async def _lead_when_free(self, loop: asyncio.AbstractEventLoop) -> None:
        lock = self.db.writer_lock
        assert lock is not None
        patience = min((job.deadline for job in self._waiting), default=loop.time()) - loop.time()
        try:
            acquired = await lock.acquire_async(max(patience, 0.0))
        finally:
            self._scheduled, self._leader = False, None
        if acquired:
            self._store(loop)
        else:
            self._give_up_overdue(loop)
            if self._waiting:
                self._schedule(loop)

    def _store(self, loop: asyncio.AbstractEventLoop) -> None:
        """Store the next batch; the writer lock, if any, is held and is released here."""
        batch, self._waiting = self._waiting[: self.max_batch], self._waiting[self.max_batch :]
        lock = self.db.writer_lock
        busy = False
        try:
            if lock is None:
                self._write(batch)
            else:
                with lock.lent():
                    self._write(batch)
        except _Busy:
            busy = True
        finally:
            if lock is not None:
                lock.release()
            if busy:
                # Another process writes the file: try again shortly, off the loop's back, until the jobs' time is up.
                self._waiting[:0] = batch
                self._give_up_overdue(loop)
                self._pause = min(max(self._pause * 2, FIRST_PAUSE_S), LONGEST_PAUSE_S)
            else:
                _answer(batch)
                self._pause = 0.0
            if self._waiting:
                self._schedule(loop, self._pause)

    async def _store_in_thread(self, loop: asyncio.AbstractEventLoop) -> None:
        """Store the next batch in a worker thread (PostgreSQL), then lead the jobs that came meanwhile."""
        batch: list[_Job] = []
        try:
            if self.delay:
                await self._gather(loop)
            batch, self._waiting = self._waiting[: self.max_batch], self._waiting[self.max_batch :]
            await loop.run_in_executor(None, self._write, batch)
        except asyncio.CancelledError:
            # The loop is closing: whether the thread's commit happened is unknown, so each phone is told to
            # send again, which its instanceID makes harmless (a stored one answers 201 again).
            if not batch:  # cancelled while gathering: nothing went to the database
                batch, self._waiting = self._waiting, []
            for job in batch:
                job.result, job.error = None, Unavailable(BUSY)
            raise
        except BaseException as exc:
            for job in batch:
                if job.error is None:
                    job.result, job.error = None, exc
        finally:
            _answer(batch)
            self._expected, self._expected_until = len(batch), loop.time() + self.delay
            self._scheduled, self._leader = False, None
            if self._waiting:
                self._schedule(loop)

    def _give_up_overdue(self, loop: asyncio.AbstractEventLoop) -> None:
        """Answer the jobs that waited their full time `Unavailable`: nothing of them was stored."""
        now = loop.time()
        overdue = [job for job in self._waiting if job.deadline <= now]
        if overdue:
            self._waiting = [job for job in self._waiting if job.deadline > now]
            for job in overdue:
                job.error = Unavailable(BUSY)
            _answer(overdue)

    def _write(self, batch: list[_Job]) -> None:
        failure = self._write_together(batch)
        if failure is None:
            return
        if len(batch) == 1 or not isinstance(failure, Exception):
            # Alone, a job's failure is its own answer: its transaction rolled back, nothing of it is stored.
            # An interrupt (not an Exception) ends the batch unstored; every caller hears of it.
            for job in batch:
                job.error = failure
            if not isinstance(failure, Exception):
                raise failure
            return
        try:
            with self.db.session() as session:
                self._plan(session)
                for job in batch:
                    _run_one(session, job)
        except Exception as exc:
            # The commit failed (or the transaction itself): nothing of the batch is stored.
            for job in batch:
                if job.error is None:
                    job.result, job.error = None, exc

    def _plan(self, session: Session) -> None:
        if not self.db.is_sqlite:
            plan_generically(session)

    def _read_ahead(self, session: Session, batch: list[_Job]) -> None:
        # SQLite's reads are calls into a local library: nothing to save by reading ahead.
        if self.read_ahead is None or self.db.is_sqlite:
            return
        wanted = [job.wanted for job in batch if job.wanted is not None]
        if len(wanted) == len(batch):
            self.read_ahead(session, wanted)

    def _write_together(self, batch: list[_Job]) -> BaseException | None:
        """Store the batch with one flush and one log append for all; what failed, with nothing stored, if any.

        The usual case, every job good, costs one flush instead of several per job, however many jobs there
        are. A job that fails, or a duplicate instance in the batch (the unique key refuses the flush), rolls
        the whole transaction back; a batch of several is then stored again a savepoint per job, so that each
        gets its own answer. `_Busy` when the transaction cannot begin (another process is writing).
        """
        try:
            with self.db.session() as session:
                try:
                    session.connection()  # BEGIN IMMEDIATE here, before any job: a busy file fails with none run
                except Unavailable as exc:
                    raise _Busy() from exc
                self._plan(session)
                self._read_ahead(session, batch)
                # No flush before the end: a query would otherwise write what the jobs before it added. The
                # journal appends every job's entries in one batch at the commit.
                with session.no_autoflush:
                    results = [job.work(session) for job in batch]
        except _Busy:
            raise
        except BaseException as exc:
            return exc
        for job, result in zip(batch, results, strict=True):
            job.result = result
        return None


class Arrival:
    """A submission counted as on its way to its group writer, until it joins the queue (`join`) or fails (`done`)."""

    def __init__(self, writer: GroupWriter) -> None:
        self.writer = writer
        self._counted = True

    def done(self) -> None:
        if self._counted:
            self._counted = False
            self.writer.arrived()

    async def join(self, work: Callable[[Session], T], wanted: Any = None) -> T:
        """No longer on its way: `work` waits in the writer's queue (`GroupWriter.run`)."""
        self.done()
        return await self.writer.run(work, wanted)


def _answer(batch: list[_Job]) -> None:
    for job in batch:
        if job.answer.done():  # the caller went away; its job was stored or not all the same
            continue
        if job.error is not None:
            job.answer.set_exception(job.error)
        else:
            job.answer.set_result(job.result)


def _run_one(session: Session, job: _Job) -> None:
    try:
        # The journal drops what a job recorded when its savepoint rolls back, and settles it before release.
        with ledger.savepoint(session):
            job.result = job.work(session)
    except Exception as exc:
        job.error = exc
        # A row the job loaded (an INSERT ... RETURNING) stays in the identity map after the rollback, and the
        # next job's row can get its freed id: it would be handed the stale object. Earlier jobs are flushed.
        session.expunge_all()


def for_database(db: Database, holder: Any, read_ahead: ReadAhead | None = None) -> GroupWriter:
    """The group writer of `db` for the running loop, kept on `holder` (the app's state): made on first use.

    One per loop: a writer's queue and futures belong to the loop that runs its batches (a server has one; test
    clients may each run their own).
    """
    writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, GroupWriter] | None
    writers = getattr(holder, "openrosa_writers", None)
    if writers is None:
        writers = holder.openrosa_writers = weakref.WeakKeyDictionary()
    loop = asyncio.get_running_loop()
    writer = writers.get(loop)
    if writer is None or writer.db is not db:
        writer = writers[loop] = GroupWriter(db, read_ahead=read_ahead)
    return writer
