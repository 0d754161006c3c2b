"""Reports in the pages: staff generate and download a day's report (in either language), verifiers publish the
bulletin, everyone reads the published bulletins with their checkpoint; bad forms answer in the reader's language."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mission_examples import Scene
from support import ACCOUNTS, STAFF, Login
from truce import policy
from truce.incidents.models import Incident
from truce.jobs import service as jobs_service
from truce.jobs.models import Job
from truce.missions.models import Mission
from truce.policy import Actor
from truce.reports.models import Report
from truce.reports.service import bulletin_languages
from web.conftest import WebClient

GENERATORS = {"admin", "verifier-ru", "verifier-tr", "analyst-ru"}
PUBLISHERS = {"verifier-ru", "verifier-tr"}


# A language by its own name, as the bulletins' links give it.
LANGUAGES = {"en": "English", "ru": "Русский"}


def made_public(client: TestClient, login: Login, mission: Mission) -> None:
    """Bulletins are published for a public mission only: the demo is one; the example mission is made one here."""
    if not mission.public:
        answer = client.patch(f"/api/v1/missions/{mission.slug}", json={"public": True}, headers=login("admin"))
        assert answer.status_code == 200, answer.text


def run_jobs(session: Session) -> None:
    """What `truce worker` does with the queued jobs, here in the test's own session (tests/jobs runs the worker)."""
    for job in session.execute(select(Job).where(Job.state == "queued")).scalars().all():
        jobs_service.perform(session, job)
    session.flush()


def test_staff_generate_and_download_the_report_of_a_day(web: WebClient, session: Session, scene: Scene) -> None:
    base = scene.pages
    web.login("analyst-ru")
    answer = web.post_form(f"{base}/reports", {"date": str(scene.day), "format": "html", "language": "en"})
    assert answer.status_code == 303, answer.text[:2000]
    # The request only queued a job: no report exists until the worker makes it.
    assert session.execute(select(Report).where(Report.kind == "daily")).scalar_one_or_none() is None
    job_page = answer.headers["location"]
    page = web.get(job_page).text
    assert f"The report of {scene.day} is being made." in page
    assert 'data-state="queued"' in page
    assert 'http-equiv="refresh"' in page
    run_jobs(session)
    report = session.execute(select(Report).where(Report.kind == "daily")).scalar_one()
    page = web.get(job_page).text
    assert 'data-state="done"' in page
    assert 'http-equiv="refresh"' not in page
    assert web.get(job_page + "/file").content == report.content
    assert f'id="report-{report.id}"' in web.get(f"{base}/reports").text
    download = web.get(f"{base}/reports/{report.id}/file")
    assert download.status_code == 200
    assert download.headers["x-content-sha256"] == report.sha256
    assert download.content == report.content
    assert b"<h1>" in download.content


def test_the_forms_suggest_the_latest_day_with_incidents(
    web: WebClient,
    session: Session,
    scene: Scene,
    mission: Mission,
    member: Callable[[str], Actor],
    client: TestClient,
    login: Login,
) -> None:
    """The demo ended in 2020: today's report would be empty, so the forms offer the last day anything happened."""
    made_public(client, login, mission)  # the bulletin's form too
    readable = policy.readable(member("verifier-ru"), Incident)
    latest = session.execute(select(func.max(Incident.start)).where(readable)).scalar()
    assert latest is not None
    expected = latest.astimezone(ZoneInfo(mission.time_zone)).date().isoformat()
    assert expected.startswith(f"{scene.day.year}-")
    page = web.login("verifier-ru").get(f"{scene.pages}/reports").text
    for name in ("date", "day"):
        field = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
        assert field, name
        assert f'value="{expected}"' in field.group(0), field.group(0)


def test_the_report_in_russian_is_another_document(web: WebClient, session: Session, scene: Scene) -> None:
    web.login("analyst-ru")
    for language in ("en", "ru", "ru"):
        form = {"date": str(scene.day), "format": "html", "language": language}
        answer = web.post_form(f"{scene.pages}/reports", form)
        assert answer.status_code == 303
        run_jobs(session)
    reports = session.execute(select(Report).where(Report.kind == "daily")).scalars().all()
    # The same day in the same language is the same bytes, stored once; Russian is a document of its own.
    assert len(reports) == 2
    russian = next(r for r in reports if b'<html lang="ru">' in r.content)
    assert russian.sha256 != next(r for r in reports if r is not russian).sha256


@pytest.mark.parametrize(
    ("data", "field", "english", "russian"),
    [
        ({"date": ""}, "date", "This field is required.", "Это поле обязательно"),
        # Nine days before the mission's start, whichever mission it is.
        ({"date": "start-9"}, "date", "before mission {slug} began on {start}", "раньше начала миссии"),
        ({"date": "2150-01-01"}, "date", "is in the future", "ещё не наступило"),
        ({"date": "day", "format": "docx"}, "format", "Choose a format from the list.", "Выберите формат"),
    ],
)
def test_a_bad_request_names_its_field_in_the_readers_language(
    web: WebClient,
    session: Session,
    scene: Scene,
    mission: Mission,
    data: dict[str, str],
    field: str,
    english: str,
    russian: str,
) -> None:
    base = scene.pages
    assert mission.starts_on is not None
    days = {"start-9": str(mission.starts_on - timedelta(days=9)), "day": str(scene.day)}
    data = {**data, "date": days.get(data["date"], data["date"])}
    english = english.format(slug=mission.slug, start=mission.starts_on)
    web.login("admin")
    answer = web.post_form(f"{base}/reports", {"format": "html", **data})
    assert answer.status_code == 422
    assert f'href="#f-{field}"' in answer.text
    assert english in answer.text
    web.client.cookies.set("truce_lang", "ru")
    answer = web.post_form(f"{base}/reports", {"format": "html", **data})
    summary = answer.text.split('class="error-summary"')[1].split("</div>")[0]
    assert russian in summary
    assert not re.search(r"\b(is|the|before|began|future|mission|choose|field)\b", summary, re.IGNORECASE)
    assert session.execute(select(Report)).first() is None


def test_verifiers_publish_and_everyone_reads_the_bulletins(
    web: WebClient, session: Session, scene: Scene, mission: Mission, client: TestClient, login: Login
) -> None:
    made_public(client, login, mission)
    base = scene.pages
    web.login("verifier-tr")
    answer = web.post_form(f"{base}/bulletins", {"day": str(scene.day)})
    assert answer.status_code == 303, answer.text[:2000]
    # One publication, a document in each of the mission's languages: English first, as its row is named.
    # The mission's languages Truce has words for: the demo's English and Russian; the example's English (its French
    # has no catalogue).
    documents = list(session.execute(select(Report).where(Report.kind == "bulletin").order_by(Report.id)).scalars())
    assert (
        [d.language for d in documents]
        == bulletin_languages(mission)
        == [lang for lang in mission.languages if lang in LANGUAGES]
    )
    bulletin = documents[0]
    assert answer.headers["location"].endswith(f"#bulletin-{bulletin.id}")
    assert f"The bulletin of {scene.day} is published." in web.get(answer.headers["location"].split("#")[0]).text
    for account in ACCOUNTS:
        web.client.cookies.clear()
        page = web.login(account).get(f"{base}/bulletins")
        assert page.status_code == 200, account
        assert page.text.count('id="bulletin-') == 1
        row = page.text.split(f'id="bulletin-{bulletin.id}"')[1].split("</tr>")[0]
        assert f"log size {bulletin.log_size:,}" in row
        assert (bulletin.log_root or "")[:16] in row
        assert 'href="/api/v1/log/checkpoint"' in row
        assert f"/api/v1/log/proof/consistency?first={bulletin.log_size}&amp;second=" in row
        for document in documents:
            language = LANGUAGES[document.language]
            assert f'href="{base}/reports/{document.id}/file" hreflang="{document.language}"' in row
            assert f'<span lang="{document.language}">{language}</span>' in row
            assert document.sha256[:16] in row
            download = web.get(f"{base}/reports/{document.id}/file")
            assert download.content == document.content
            assert download.headers["x-content-sha256"] == document.sha256
            assert document.filename in download.headers["content-disposition"]


@pytest.mark.parametrize("account", ACCOUNTS)
def test_who_may_generate_publish_and_read_daily_reports(
    web: WebClient, session: Session, scene: Scene, account: str, mission: Mission, client: TestClient, login: Login
) -> None:
    made_public(client, login, mission)
    base, day = scene.pages, str(scene.day)
    web.login(account)
    page = web.get(f"{base}/reports")
    refused = 303 if account == "public" else 403
    assert page.status_code == (200 if account in STAFF else refused)
    if account in STAFF:
        assert ('id="generate-form"' in page.text) == (account in GENERATORS)
        assert ('id="publish-form"' in page.text) == (account in PUBLISHERS)
    made = web.post_form(f"{base}/reports", {"date": day, "format": "html"})
    assert made.status_code == (303 if account in GENERATORS else refused)
    published = web.post_form(f"{base}/bulletins", {"day": day})
    assert published.status_code == (303 if account in PUBLISHERS else refused)
    daily = session.execute(select(Report.id).where(Report.kind == "daily")).scalars().first()
    if daily is not None:
        assert web.get(f"{base}/reports/{daily}/file").status_code == (200 if account in STAFF else 404)
