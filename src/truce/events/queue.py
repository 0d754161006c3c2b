"""The job queue: procrastinate's tables on PostgreSQL, filled in the transaction that makes the events.

On SQLite there is no queue: `truce worker` reads the due events from the outbox itself (worker.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, text, update
from sqlalchemy.orm import Session

from truce.events.models import Event

QUEUE = "truce_deliveries"
DELIVER = "truce.deliver"
HAS_QUEUE = "truce_has_procrastinate"

# procrastinate's own function for deferring jobs (its versioned SQL API), given the ids of the events.
_DEFER = text(
    "SELECT procrastinate_defer_jobs_v1(ARRAY("
    " SELECT ROW(CAST(:queue AS varchar), CAST(:task AS varchar), 0, CAST(NULL AS text), CAST(NULL AS text),"
    " jsonb_build_object('event_id', e), CAST(:at AS timestamptz))::procrastinate_job_to_defer_v1"
    " FROM unnest(CAST(:ids AS bigint[])) AS e))"
)


def _has_queue(connection: Connection) -> bool:
    if connection.dialect.name != "postgresql":
        return False
    known = connection.info.get(HAS_QUEUE)
    if known is None:
        found = connection.exec_driver_sql("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").scalar()
        known = connection.info[HAS_QUEUE] = bool(found)
    return bool(known)


def enqueue(session: Session, event_ids: Sequence[int], at: datetime | None = None) -> None:
    """On PostgreSQL, a delivery job for each event (at `at`, or now), in the session's transaction."""
    if not event_ids:
        return
    connection = session.connection()
    if not _has_queue(connection):
        return
    params: dict[str, Any] = {"queue": QUEUE, "task": DELIVER, "at": at, "ids": list(event_ids)}
    connection.execute(_DEFER, params)
    with session.no_autoflush:
        session.execute(update(Event).where(Event.id.in_(list(event_ids))).values(queued=True))


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
