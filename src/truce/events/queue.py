"""The job queue: procrastinate's tables on PostgreSQL, filled in the transaction that makes the events.

A job is one receiver's (one subscription's): it takes that receiver's due events in batches (delivery.py). Two
kinds of job per receiver, at most one of each waiting at any time (procrastinate's `queueing_lock`):

- `sub<id>`, deferred by every transaction that makes events for the receiver; it also carries procrastinate's
  `lock`, so no two of them run at once anywhere, and the one that waits takes everything that came meanwhile;
- `sub<id>.later`, deferred by a job that leaves events for later (a retry, a lease to run out), at the earliest
  of their times.

On SQLite there is no queue: `truce worker` reads the due events from the outbox itself (worker.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

QUEUE = "truce_deliveries"
DELIVER = "truce.deliver"
DELIVER_RECEIVER = "truce.deliver_receiver"
HAS_QUEUE = "truce_has_procrastinate"

# Straight into procrastinate's job table (the columns its `procrastinate_defer_jobs_v1` fills; its triggers
# notify the workers as for any job), because its function cannot skip a job whose `queueing_lock` is taken:
# the unique violation would abort the write transaction that made the events.
_DEFER_NOW = text(
    "INSERT INTO procrastinate_jobs (queue_name, task_name, priority, lock, queueing_lock, args, scheduled_at)"
    " SELECT CAST(:queue AS varchar), CAST(:task AS varchar), 0, 'sub' || s, 'sub' || s,"
    " jsonb_build_object('subscription_id', s), NULL"
    " FROM unnest(CAST(:ids AS bigint[])) AS s"
    " ON CONFLICT (queueing_lock) WHERE status = 'todo' DO NOTHING"
)
_DEFER_LATER = text(
    "INSERT INTO procrastinate_jobs (queue_name, task_name, priority, lock, queueing_lock, args, scheduled_at)"
    " VALUES (CAST(:queue AS varchar), CAST(:task AS varchar), 0, NULL, 'sub' || CAST(:id AS bigint) || '.later',"
    " jsonb_build_object('subscription_id', CAST(:id AS bigint)), CAST(:at AS timestamptz))"
    " ON CONFLICT (queueing_lock) WHERE status = 'todo'"
    " DO UPDATE SET scheduled_at = LEAST(procrastinate_jobs.scheduled_at, EXCLUDED.scheduled_at)"
)


def _has_queue(connection: Connection) -> bool:
    if connection.dialect.name != "postgresql":
        return False
    known = connection.info.get(HAS_QUEUE)
    if known is None:
        found = connection.exec_driver_sql("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").scalar()
        known = connection.info[HAS_QUEUE] = bool(found)
    return bool(known)


def has_queue(session: Session) -> bool:
    """Whether the session's database has procrastinate's queue (PostgreSQL with its schema applied)."""
    return _has_queue(session.connection())


def enqueue(session: Session, subscription_ids: Iterable[int]) -> None:
    """On PostgreSQL, a job now for each receiver (unless one waits already), in the session's transaction."""
    ids = sorted(set(subscription_ids))
    if not ids or not has_queue(session):
        return
    session.connection().execute(_DEFER_NOW, {"queue": QUEUE, "task": DELIVER_RECEIVER, "ids": ids})


def enqueue_later(session: Session, subscription_id: int, at: datetime) -> None:
    """On PostgreSQL, a job for the receiver at `at` (or sooner, if one waits already for an earlier time)."""
    if not has_queue(session):
        return
    params: dict[str, Any] = {"queue": QUEUE, "task": DELIVER_RECEIVER, "id": subscription_id, "at": at}
    session.connection().execute(_DEFER_LATER, params)


def drop_stalled(engine: Engine, job_id: int) -> None:
    """End a dead worker's job that cannot go back to the queue because its receiver has a job waiting already.

    Only while it is still `doing` (another worker may have given it back meanwhile); without this it would
    keep its receiver's `lock`, and no later job of the receiver would run.
    """
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE procrastinate_jobs SET status = 'failed' WHERE id = :id AND status = 'doing'"),
            {"id": job_id},
        )


def prepare(engine: Engine) -> None:
    """On PostgreSQL, create procrastinate's tables and functions when they are absent (its own schema file)."""
    if engine.dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager

    with engine.begin() as connection:
        # One installer at a time: two `truce db upgrade` at once would both find the tables missing.
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(22022022)")
        if connection.exec_driver_sql("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").scalar():
            return
        # Straight to psycopg, without parameters: the schema's PL/pgSQL has `%` of its own.
        cursor = connection.connection.cursor()
        try:
            cursor.execute(SchemaManager.get_schema())
        finally:
            cursor.close()


def is_queue_object(name: str | None) -> bool:
    """Whether a table or index name is procrastinate's, which the models do not describe."""
    return bool(name) and str(name).startswith("procrastinate_")
