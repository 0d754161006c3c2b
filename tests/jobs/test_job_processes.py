"""Daily reports and exports as jobs with a real `truce worker` process, on both backends: the request answers 202
at once and makes nothing; the worker makes the result; only the requester reads the job and downloads it, and
only while still allowed; a worker killed mid-job leaves the job to the next one, which does it once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from events.processes import api_client, database_url, demo_data_dir, start_worker, stop, token, wait_until
from truce.db import connect
from truce.jobs.models import Job
from truce.reports.models import Report
from truce.users.models import Membership

MISSION = "/api/v1/missions/nk-2020"
JOBS = f"{MISSION}/jobs"


@pytest.fixture
def data_dir(backend: str, tmp_path: Path) -> Path:
    return demo_data_dir(backend, tmp_path, "jobs", incidents=40)


@pytest.fixture
def api(data_dir: Path) -> Iterator[TestClient]:
    with api_client(data_dir) as client:
        yield client


def ask(api: TestClient, username: str, **body: Any) -> dict[str, Any]:
    answer = api.post(JOBS, json=body, headers=token(api, username))
    assert answer.status_code == 202, answer.text
    job: dict[str, Any] = answer.json()
    assert answer.headers["location"] == job["status_url"] == f"{JOBS}/{job['id']}"
    assert job["state"] == "queued"
    assert job["download"] is None
    return job


def state(api: TestClient, username: str, job: dict[str, Any]) -> dict[str, Any]:
    answer = api.get(job["status_url"], headers=token(api, username))
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def done(api: TestClient, username: str, job: dict[str, Any]) -> dict[str, Any]:
    return wait_until(  # type: ignore[no-any-return]
        lambda: (found := state(api, username, job))["state"] in ("done", "failed") and found,
        timeout=120,
        message=f"job {job['id']} done",
    )


def test_a_report_and_an_export_are_made_by_the_worker_for_their_requester_only(
    api: TestClient, data_dir: Path, tmp_path: Path
) -> None:
    db = connect(database_url(data_dir))
    try:
        report_job = ask(api, "analyst-ru", kind="report.daily", date="2020-11-21", format="html", language="ru")
        export_job = ask(api, "liaison-am", kind="export", format="geojson")
        with db.session(write=False) as session:
            # The requests made nothing but the jobs: the report waits for the worker.
            assert session.execute(select(func.count()).select_from(Report)).scalar_one() == 0
        # Before it is done there is nothing to download.
        early = api.get(f"{export_job['status_url']}/result", headers=token(api, "liaison-am"))
        assert early.status_code == 409, early.text
        worker = start_worker(None, tmp_path / "worker.txt", {"TRUCE_DATABASE_URL": database_url(data_dir)})
        try:
            made = done(api, "analyst-ru", report_job)
            exported = done(api, "liaison-am", export_job)
        finally:
            output = stop(worker)
        assert "Traceback" not in output, output
        assert made["state"] == "done", made
        assert exported["state"] == "done", exported
        report = api.get(made["download"], headers=token(api, "analyst-ru"))
        assert report.status_code == 200
        assert b'<html lang="ru">' in report.content
        features = json.loads(api.get(exported["download"], headers=token(api, "liaison-am")).content)
        assert features["type"] == "FeatureCollection"
        # The export holds what the requester may read, as the API's list shows them.
        listed = api.get(f"{MISSION}/incidents", params={"limit": 1000}, headers=token(api, "liaison-am")).json()
        assert {f["id"] for f in features["features"]} == {f["id"] for f in listed["features"]}
        # Another account, of the same mission and even an administrator, finds no such job.
        for other in ("admin", "analyst-ru", "public"):
            headers = {} if other == "public" else token(api, other)
            assert api.get(export_job["status_url"], headers=headers).status_code in (401, 404)
            assert api.get(exported["download"], headers=headers).status_code in (401, 404)
        # The requester's access is checked again at download: without a role here, nothing.
        with db.session() as session:
            session.execute(
                update(Membership).where(Membership.user_id == made_user(db, "analyst-ru")).values(role="humanitarian")
            )
        assert api.get(made["download"], headers=token(api, "analyst-ru")).status_code == 403
    finally:
        db.dispose()


def job_state(db: Any, job_id: int) -> str:
    with db.session(write=False) as session:
        return str(session.execute(select(Job.state).where(Job.id == job_id)).scalar_one())


def made_user(db: Any, username: str) -> int:
    from truce.users.models import User

    with db.session(write=False) as session:
        return int(session.execute(select(User.id).where(User.username == username)).scalar_one())


def test_who_may_ask_for_which_job(api: TestClient) -> None:
    day = {"kind": "report.daily", "date": "2020-11-21", "format": "pdf"}
    assert api.post(JOBS, json=day).status_code == 401
    assert api.post(JOBS, json=day, headers=token(api, "liaison-am")).status_code == 403
    assert api.post(JOBS, json=day, headers=token(api, "analyst-ru")).status_code == 202
    bad = api.post(JOBS, json={**day, "format": "docx"}, headers=token(api, "analyst-ru"))
    assert bad.status_code == 422
    assert "format" in bad.text
    late = api.post(JOBS, json={**day, "date": "2150-01-01"}, headers=token(api, "analyst-ru"))
    assert late.status_code == 422
    assert "future" in late.text
    export = {"kind": "export", "format": "hxl"}
    assert api.post(JOBS, json=export).status_code == 401
    for username in ("humanitarian-unhcr", "monitor-ru", "liaison-az"):
        assert api.post(JOBS, json=export, headers=token(api, username)).status_code == 202


def test_a_worker_killed_mid_job_leaves_it_to_the_next_which_does_it_once(
    api: TestClient, data_dir: Path, tmp_path: Path
) -> None:
    db = connect(database_url(data_dir))
    env = {
        "TRUCE_DATABASE_URL": database_url(data_dir),
        "TRUCE_WEBHOOK_HEARTBEAT_S": "0.5",
        "TRUCE_WEBHOOK_STALLED_S": "2",
    }
    try:
        # A PDF with its map and charts: long enough to be caught running.
        job = ask(api, "verifier-ru", kind="report.daily", date="2020-11-21", format="pdf")
        first = start_worker(None, tmp_path / "first.txt", env)
        try:
            # Read straight from the database (the API's login per call is slow): kill as soon as it runs.
            wait_until(lambda: job_state(db, job["id"]) != "queued", timeout=120, message="running")
            first.process.kill()  # SIGKILL mid-job: the report and `done` commit together, so neither is there
            first.process.wait(10)
        finally:
            stop(first)
        assert state(api, "verifier-ru", job)["state"] == "running"
        with db.session(write=False) as session:
            assert session.execute(select(func.count()).select_from(Report)).scalar_one() == 0
        second = start_worker(None, tmp_path / "second.txt", env)
        try:
            finished = done(api, "verifier-ru", job)
        finally:
            output = stop(second)
        assert "Traceback" not in output, output
        assert finished["state"] == "done", finished
        assert finished["attempts"] == 2
        with db.session(write=False) as session:
            assert session.execute(select(func.count()).select_from(Report)).scalar_one() == 1, "made once"
    finally:
        db.dispose()
