"""Daily reports and exports as jobs: asked for here (202 and a status URL), run by `truce worker`, downloaded by
their requester only."""

from __future__ import annotations

from fastapi import Response, status

from truce.api.problems import CONFLICT
from truce.deps import ReadScope, WriteScope
from truce.disposition import attachment
from truce.jobs import service
from truce.jobs.models import Job
from truce.jobs.schemas import JobIn, JobOut
from truce.numbers import Id
from truce.routers import DeclaredRouter

router = DeclaredRouter(tags=["jobs"])
PATH = "/missions/{slug}/jobs"


def _out(slug: str, job: Job) -> JobOut:
    base = f"/api/v1/missions/{slug}/jobs/{job.id}"
    return JobOut(
        id=job.id,
        kind=job.kind,
        state=job.state,
        params=job.params,
        error=job.error,
        attempts=job.attempts,
        created_at=job.created_at,
        finished_at=job.finished_at,
        status_url=base,
        download=f"{base}/result" if job.state == "done" else None,
    )


@router.post(PATH, status_code=status.HTTP_202_ACCEPTED)
def request_job(scope: WriteScope, body: JobIn, response: Response) -> JobOut:
    """Ask for a daily report or an export; `truce worker` makes it. Follow `status_url` (also `Location`)."""
    params = body.model_dump(exclude={"kind"}, exclude_none=True)
    job = service.request(scope.session, scope.mission, body.kind, params, actor=scope.actor)
    out = _out(scope.mission.slug, job)
    response.headers["Location"] = out.status_url
    return out


@router.get(PATH + "/{job_id}")
def get_job(scope: ReadScope, job_id: Id) -> JobOut:
    """A job's state, to its requester only."""
    return _out(scope.mission.slug, service.get(scope.session, scope.mission, job_id, actor=scope.actor))


RESULT = {200: {"content": {"application/octet-stream": {}}, "description": "the result's bytes"}, **CONFLICT}


@router.get(PATH + "/{job_id}/result", response_class=Response, responses=RESULT)
def job_result(scope: ReadScope, job_id: Id) -> Response:
    """A finished job's result, to its requester while they may still have it (409 until it is done)."""
    found = service.download(scope.session, scope.mission, job_id, actor=scope.actor)
    return Response(content=found.content, media_type=found.media_type, headers=attachment(found.filename))
