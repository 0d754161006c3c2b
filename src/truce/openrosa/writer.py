"""Group commit on SQLite: one thread stores every submission waiting, in one transaction, a savepoint each.

SQLite takes one writer at a time, and a commit, the log head and the map's stamp cost the same for one
submission as for twenty. So the thread that finds nobody writing takes every job waiting and runs each in its
own savepoint of one transaction: a job that fails rolls back only its savepoint and gets its own error, the
others go on. Each caller gets its answer only after the commit that holds its job, so nothing answered as
stored can be lost by the process dying. While a batch commits, the next jobs queue; the first of them then
leads the next batch, so nobody waits on others' batches after their own has committed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

from sqlalchemy.orm import Session

from truce.db import Database
from truce.ledger import service as ledger

T = TypeVar("T")
MAX_BATCH = 64


class _Job(Generic[T]):
    """One caller's work, and what became of it."""

    def __init__(self, work: Callable[[Session], T]) -> None:
        self.work = work
        self.woken = threading.Event()
        self.finished = False
        self.result: T | None = None
        self.error: BaseException | None = None


class GroupWriter:
    """Runs write jobs a batch per transaction and a savepoint per job; each answer waits for its commit."""

    def __init__(self, db: Database, max_batch: int = MAX_BATCH) -> None:
        self.db, self.max_batch = db, max_batch
        self._lock = threading.Lock()
        self._waiting: list[_Job[Any]] = []
        self._writing = False

    @property
    def waiting(self) -> int:
        """How many jobs wait for a batch to take them."""
        with self._lock:
            return len(self._waiting)

    def run(self, work: Callable[[Session], T]) -> T:
        """Run `work(session)` inside a savepoint of a shared transaction; its result once that has committed."""
        job = _Job(work)
        with self._lock:
            self._waiting.append(job)
            lead = not self._writing
            self._writing = True
        if not lead:
            job.woken.wait()
        if not job.finished:  # woken to lead the next batch, which holds this job
            self._lead()
        if job.error is not None:
            raise job.error
        return cast(T, job.result)

    def _lead(self) -> None:
        with self._lock:
            batch, self._waiting = self._waiting[: self.max_batch], self._waiting[self.max_batch :]
        try:
            self._write(batch)
        finally:
            with self._lock:
                following = self._waiting[0] if self._waiting else None
                self._writing = following is not None
            for job in batch:
                job.finished = True
                job.woken.set()
            if following is not None:
                following.woken.set()

    def _write(self, batch: list[_Job[Any]]) -> None:
        try:
            with self.db.session() as session:
                if len(batch) == 1:
                    # Alone, a job needs no savepoint: if it fails, the whole transaction rolls back.
                    batch[0].result = batch[0].work(session)
                    return
                for job in batch:
                    _run_one(session, job)
        except BaseException as exc:
            # The job alone failed, or the commit (or the transaction itself): nothing of the batch is stored.
            for job in batch:
                if job.error is None:
                    job.result, job.error = None, exc


def _run_one(session: Session, job: _Job[Any]) -> None:
    # The log's guard counts changed and logged records per transaction; a job rolled back is neither.
    changed = set(session.info.get(ledger.CHANGED, ()))
    logged = set(session.info.get(ledger.LOGGED_KEYS, ()))
    try:
        with session.begin_nested():
            job.result = job.work(session)
    except Exception as exc:
        job.error = exc
        session.info[ledger.CHANGED], session.info[ledger.LOGGED_KEYS] = changed, logged
        # A row the job loaded (an INSERT ... RETURNING) stays in the identity map after the rollback, and the
        # next job's row can get its freed id: it would be handed the stale object. Earlier jobs are flushed.
        session.expunge_all()


_writers_lock = threading.Lock()


def for_database(db: Database, holder: Any) -> GroupWriter:
    """The one group writer of `db`, kept on `holder` (the app's state): made on first use."""
    with _writers_lock:
        writer: GroupWriter | None = getattr(holder, "openrosa_writer", None)
        if writer is None or writer.db is not db:
            writer = GroupWriter(db)
            holder.openrosa_writer = writer
        return writer
