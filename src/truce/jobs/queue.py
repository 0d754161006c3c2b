"""On PostgreSQL, a job is also a procrastinate job (queue `truce_jobs`), deferred in the request's transaction;
on SQLite, `truce worker` reads the queued rows of the jobs table itself."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from truce.events.queue import has_queue

QUEUE = "truce_jobs"
RUN = "truce.run_job"

_DEFER = text(
    "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW(CAST(:queue AS varchar), CAST(:task AS varchar), 0,"
    " CAST(NULL AS text), CAST(NULL AS text), jsonb_build_object('job_id', CAST(:id AS bigint)),"
    " CAST(NULL AS timestamptz))::procrastinate_job_to_defer_v1])"
)


def enqueue(session: Session, job_id: int) -> None:
    """On PostgreSQL, the job's procrastinate job, committed with the job's row or not at all."""
    if has_queue(session):
        session.connection().execute(_DEFER, {"queue": QUEUE, "task": RUN, "id": job_id})
