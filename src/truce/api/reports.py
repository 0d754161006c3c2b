"""Stored daily reports and public bulletins: list, describe, download; verifiers publish bulletins."""

from __future__ import annotations

from fastapi import Response, status

from truce.api.paging import Page
from truce.api.problems import CONFLICT
from truce.deps import ReportScope, WriteScope
from truce.disposition import attachment
from truce.numbers import Id
from truce.reports import service
from truce.reports.models import Report
from truce.reports.schemas import BulletinIn, ReportOut
from truce.routers import DeclaredRouter

router = DeclaredRouter(tags=["reports"])
PATH = "/missions/{slug}/reports"


def _out(slug: str, report: Report) -> ReportOut:
    return ReportOut(
        id=report.id,
        kind=report.kind,
        on_date=report.on_date,
        format=report.format,
        media_type=report.media_type,
        classification=report.classification,
        sha256=report.sha256,
        size=report.size,
        log_size=report.log_size,
        log_root=report.log_root,
        delegation=report.delegation,
        created_at=report.created_at,
        download=f"/api/v1/missions/{slug}/reports/{report.id}/content",
        language=report.language,
    )


@router.get(PATH)
def list_reports(scope: ReportScope, paging: Page) -> list[ReportOut]:
    """The stored reports the caller may read: bulletins for everyone, daily reports for mission staff."""
    reports = service.list_reports(scope.session, scope.mission, actor=scope.actor)
    return [_out(scope.mission.slug, r) for r in paging.page(reports)]


@router.get(PATH + "/{report_id}")
def get_report(scope: ReportScope, report_id: Id) -> ReportOut:
    """One stored report's description."""
    return _out(scope.mission.slug, service.get(scope.session, scope.mission, report_id, actor=scope.actor))


@router.get(PATH + "/{report_id}/content")
def download_report(scope: ReportScope, report_id: Id) -> Response:
    """The report's bytes, exactly as stored and hashed."""
    report = service.get(scope.session, scope.mission, report_id, actor=scope.actor)
    headers = {
        **attachment(f"{scope.mission.slug}-{report.filename}"),
        "X-Content-SHA256": report.sha256,
    }
    return Response(content=report.content, media_type=report.media_type, headers=headers)


@router.post("/missions/{slug}/bulletins", status_code=status.HTTP_201_CREATED, responses=CONFLICT)
def publish_bulletin(scope: WriteScope, body: BulletinIn) -> ReportOut:
    """Publish the public bulletin of a day (verifiers), built from public records as the log holds them now."""
    report = service.publish_bulletin(scope.session, scope.mission, body.date, actor=scope.actor)
    return _out(scope.mission.slug, report)
