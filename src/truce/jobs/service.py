"""Jobs: asked for in a request (which only stores the job and queues it), run by `truce worker`, downloaded by
their requester with their access checked again.

A job's work and its `done` state commit in one transaction: a worker killed mid-job leaves nothing behind, and
the job runs again whole (procrastinate gives a dead worker's job to another; SQLite's worker takes back on start
what the last one left running).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from truce import policy
from truce.db import Database, utcnow
from truce.errors import Conflict, Invalid, Message, NotFound, TruceError
from truce.jobs import queue
from truce.jobs.models import Job
from truce.missions.models import Mission
from truce.policy import Actor
from truce.reports import service as reports
from truce.reports.models import REPORT_FORMATS
from truce.translation import LOCALES
from truce.users import service as users_service
from truce.users.models import User

log = logging.getLogger("truce.jobs")
# Each kind: the action its requester must be allowed, when asked and again when the result is downloaded.
ACTIONS = {"report.daily": "report.create", "export": "export.create"}
EXPORT_MEDIA = {
    "geojson": ("application/geo+json", "geojson"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "acled": ("text/csv; charset=utf-8", "csv"),
    "hxl": ("text/csv; charset=utf-8", "csv"),
}


@dataclass(frozen=True)
class Download:
    content: bytes
    media_type: str
    filename: str


def request(session: Session, mission: Mission, kind: str, params: dict[str, Any], *, actor: Actor) -> Job:
    """Store a job for the worker and queue it (in this transaction); nothing heavy happens here."""
    if kind not in ACTIONS:
        raise Invalid(Message("choose a job kind from %(kinds)s", kinds=", ".join(ACTIONS)), "kind")
    policy.require(actor, ACTIONS[kind], mission.id)
    if actor.user_id is None:
        raise Invalid(Message("only a user can ask for a job"), "kind")
    checked = _daily_params(mission, params) if kind == "report.daily" else _export_params(params)
    job = Job(mission_id=mission.id, kind=kind, params=checked, user_id=actor.user_id, state="queued")
    session.add(job)
    session.flush()
    queue.enqueue(session, job.id)
    return job


def _language(params: dict[str, Any]) -> str:
    language = str(params.get("language") or "en")
    if language not in LOCALES:
        raise Invalid(Message("choose a language from %(languages)s", languages=", ".join(LOCALES)), "language")
    return language


def _daily_params(mission: Mission, params: dict[str, Any]) -> dict[str, Any]:
    try:
        on = date.fromisoformat(str(params.get("date") or ""))
    except ValueError:
        raise Invalid(Message("give a day as YYYY-MM-DD"), "date") from None
    reports.check_day(mission, on)
    file_format = str(params.get("format") or "pdf")
    if file_format not in REPORT_FORMATS:
        raise Invalid(Message("choose a format from %(formats)s", formats=", ".join(REPORT_FORMATS)), "format")
    return {"date": on.isoformat(), "format": file_format, "language": _language(params)}


def _export_params(params: dict[str, Any]) -> dict[str, Any]:
    file_format = str(params.get("format") or "")
    if file_format not in EXPORT_MEDIA:
        raise Invalid(Message("choose a format from %(formats)s", formats=", ".join(EXPORT_MEDIA)), "format")
    return {"format": file_format, "language": _language(params)}


def get(session: Session, mission: Mission, job_id: int, *, actor: Actor) -> Job:
    """The job, to its requester only."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(Message("job not found"))
    policy.require_own_job(actor, job.user_id, job.mission_id)
    if job.mission_id != mission.id:
        raise NotFound(Message("job not found"))
    return job


def download(session: Session, mission: Mission, job_id: int, *, actor: Actor) -> Download:
    """A finished job's result, if its requester may still have it: the job's action, and the report's own rules."""
    job = get(session, mission, job_id, actor=actor)
    if job.state != "done":
        raise Conflict(Message("the job is %(state)s; its result is not ready", state=job.state))
    policy.require(actor, ACTIONS[job.kind], mission.id)
    if job.report_id is not None:
        report = reports.get(session, mission, job.report_id, actor=actor)
        return Download(report.content, report.media_type, f"{mission.slug}-{report.filename}")
    return Download(job.result or b"", job.media_type, job.filename)


# --- the worker's side -----------------------------------------------------------------------------------------


def take_back(db: Database) -> int:
    """SQLite's single worker, on start: jobs the last one left running (it died) are queued again."""
    with db.session() as session:
        taken = session.execute(update(Job).where(Job.state == "running").values(state="queued"))
        return int(getattr(taken, "rowcount", 0) or 0)


def queued(db: Database, limit: int, busy: set[int]) -> list[int]:
    """SQLite: the oldest queued jobs not in hand."""
    with db.session(write=False) as session:
        ids = session.execute(
            select(Job.id).where(Job.state == "queued").order_by(Job.created_at, Job.id).limit(limit + len(busy))
        ).scalars()
        return [int(i) for i in ids if i not in busy][:limit]


def run(db: Database, job_id: int) -> str:
    """Run a job: its work and its `done` state in one transaction; a refusal or bad input makes it `failed`."""
    with db.session() as session:
        started = session.execute(
            update(Job)
            .where(Job.id == job_id, or_(Job.state == "queued", Job.state == "running"))
            .values(state="running", attempts=Job.attempts + 1, started_at=utcnow())
            .returning(Job.id)
        ).scalar()
    if started is None:
        return "skipped"
    try:
        with db.session() as session:
            perform(session, session.get_one(Job, job_id), db.report_session)
        return "done"
    except TruceError as exc:
        with db.session() as session:
            session.execute(
                update(Job).where(Job.id == job_id).values(state="failed", error=str(exc)[:2000], finished_at=utcnow())
            )
        log.warning("job %s failed: %s", job_id, exc)
        return "failed"


def perform(session: Session, job: Job, reading: Callable[[], AbstractContextManager[Session]] | None = None) -> None:
    """Do the job's work in `session` and mark it done (an export reads in a `reading` session if given)."""
    _work(session, job, reading)
    job.state, job.finished_at = "done", utcnow()


def _work(session: Session, job: Job, reading: Callable[[], AbstractContextManager[Session]] | None) -> None:
    mission = session.get_one(Mission, job.mission_id)
    # The requester as they stand now: a role taken away since the request refuses the work.
    actor = users_service.actor_for(session, session.get(User, job.user_id), mission)
    params = job.params
    if job.kind == "report.daily":
        on = date.fromisoformat(params["date"])
        report = reports.create_daily(session, mission, on, params["format"], actor=actor, locale=params["language"])
        job.report_id = report.id
        return
    policy.require(actor, ACTIONS[job.kind], mission.id)
    if reading is None:
        content = _export(session, mission, actor, params["format"], params["language"])
    else:
        with reading() as reader:
            content = _export(reader, reader.get_one(Mission, mission.id), actor, params["format"], params["language"])
    media_type, suffix = EXPORT_MEDIA[params["format"]]
    job.result, job.media_type = content, media_type
    job.filename = f"{mission.slug}-{params['format']}-{job.id}.{suffix}"


def _export(session: Session, mission: Mission, actor: Actor, file_format: str, language: str) -> bytes:
    """The export's bytes (on the report session in the worker: the replica when one keeps up)."""
    from truce.interop.export import view_for
    from truce.interop.formats import EXPORTS

    write, _ = EXPORTS[file_format]
    view = view_for(session, mission, actor, locale=language)
    stream = io.StringIO()
    write(session, view, stream, lambda _n: None)
    return stream.getvalue().encode("utf-8")
