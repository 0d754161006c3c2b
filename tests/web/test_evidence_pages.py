"""Evidence in the pages (issue 17, part 1): files sent with the incident form and added on the incident's page,
each through the evidence service; mission staff see the photo's EXIF time and position, its distance from the
incident with a warning when they disagree, the file's facts and its chain of custody; others do not."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from truce.config import Settings
from truce.evidence.models import Custody, Evidence
from truce.incidents.models import Incident
from truce.ledger.models import LogEntry
from web.conftest import WebClient
from web.exif_photo import jpeg_with_gps

BASE = "/m/nk-2020"
ENTRY = {
    "type": "explosion", "subtype": "mortar", "date": "2020-11-25", "time": "06:40", "source": "post",
    "narrative": "Evidence test.", "classification": "parties", "placement": "map", "lat": "39.9", "lon": "46.8",
}  # fmt: skip
# About 11 km north of the reported position: the photo's EXIF disagrees with the report.
FAR_PHOTO = jpeg_with_gps(40.0, 46.8)
NEAR_PHOTO = jpeg_with_gps(39.9005, 46.8005, taken="2020:11:25 06:45:00")


def file_with(web: WebClient, session: Session, files: list[tuple[str, tuple[str, bytes, str]]]) -> Incident:
    answer = web.post_form(f"{BASE}/incidents/new", ENTRY, files=files)
    assert answer.status_code == 303, answer.text[:1500]
    incident = session.get(Incident, int(answer.headers["location"].split("?")[0].rsplit("/", 1)[1]))
    assert incident is not None
    return incident


def evidence_of(session: Session, incident: Incident) -> list[Evidence]:
    return list(session.execute(select(Evidence).where(Evidence.incident_id == incident.id)).scalars())


def test_photos_sent_with_the_form_are_attached_with_their_exif(web: WebClient, session: Session) -> None:
    web.login("monitor-ru")
    files = [("evidence", ("far.jpg", FAR_PHOTO, "image/jpeg")), ("evidence", ("near.jpg", NEAR_PHOTO, "image/jpeg"))]
    incident = file_with(web, session, files)
    stored = {e.filename: e for e in evidence_of(session, incident)}
    assert set(stored) == {"far.jpg", "near.jpg"}
    assert stored["far.jpg"].photo_metadata["latitude"] == 40.0
    assert stored["far.jpg"].photo_metadata["taken_at"] == "2020-11-25T06:42:00+04:00"
    # Each file and its custody link are logged in the same transaction as the incident.
    actions = set(session.execute(select(LogEntry.action).where(LogEntry.entity_type == "evidence")).scalars())
    assert "evidence.add" in actions
    page = web.get(f"{BASE}/incidents/{incident.id}?filed=1").text
    assert "Evidence files attached: 2." in page
    items = {part.split('"', 1)[0]: part for part in page.split('data-sha256="')[1:]}
    far, near = items[stored["far.jpg"].sha256], items[stored["near.jpg"].sha256]
    assert "40.00000, 46.80000" in far
    assert "11.1 km from the incident" in far
    assert "metadata disagrees with the report" in far
    assert "disagrees" not in near
    assert stored["far.jpg"].sha256 in far  # the SHA-256 is shown in full
    assert 'data-custody="upload"' in far


def test_others_see_the_file_but_not_its_metadata_or_custody(web: WebClient, session: Session) -> None:
    web.login("monitor-ru")
    incident = file_with(web, session, [("evidence", ("far.jpg", FAR_PHOTO, "image/jpeg"))])
    web.client.cookies.clear()
    page = web.login("liaison-az").get(f"{BASE}/incidents/{incident.id}").text
    assert "far.jpg" in page
    assert "Photos are shown without their metadata." in page
    assert "40.00000" not in page
    assert "disagrees" not in page
    assert "data-custody" not in page


def test_add_evidence_on_the_incident_page_and_downloads_join_the_custody(web: WebClient, session: Session) -> None:
    web.login("monitor-ru")
    incident = file_with(web, session, [])
    files: list[Any] = [
        ("evidence", ("near.jpg", NEAR_PHOTO, "image/jpeg")),
        ("evidence", ("notes.txt", b"Crater measured at 1.2 m.\n", "text/plain")),
    ]
    answer = web.post_form(f"{BASE}/incidents/{incident.id}/evidence", {}, files=files)
    assert answer.status_code == 303, answer.text[:1500]
    assert answer.headers["location"].endswith("?added=2#evidence-h")
    items = evidence_of(session, incident)
    assert sorted(e.media_type for e in items) == ["image/jpeg", "text/plain"]
    photo = next(e for e in items if e.media_type == "image/jpeg")
    url = f"{BASE}/incidents/{incident.id}/evidence/{photo.sha256}"
    assert web.get(url, headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200
    links = session.execute(select(Custody.action).where(Custody.evidence_id == photo.id)).scalars().all()
    assert list(links) == ["upload", "download"]
    page = web.get(f"{BASE}/incidents/{incident.id}?added=2").text
    assert "Evidence files added: 2." in page
    assert 'data-custody="download"' in page


def test_add_evidence_without_a_file_or_too_large_is_refused(
    web: WebClient, session: Session, settings: Settings
) -> None:
    web.login("monitor-ru")
    incident = file_with(web, session, [])
    empty = web.post_form(
        f"{BASE}/incidents/{incident.id}/evidence", {}, files=[("evidence", ("", b"", "application/octet-stream"))]
    )
    assert empty.status_code == 422
    assert "Choose at least one file." in empty.text
    settings.max_upload_mb = 1
    big = web.post_form(
        f"{BASE}/incidents/{incident.id}/evidence",
        {},
        files=[("evidence", ("big.txt", b"x" * (1024 * 1024 + 10), "text/plain"))],
    )
    assert big.status_code == 413  # the gate refuses the body before it is read
    assert evidence_of(session, incident) == []
    assert "together at most 1 MB" in web.get(f"{BASE}/incidents/{incident.id}").text


def test_a_liaison_adds_evidence_only_to_their_own_side(web: WebClient, session: Session) -> None:
    web.login("monitor-ru")
    incident = file_with(web, session, [])
    web.client.cookies.clear()
    web.login("liaison-am")
    page = web.get(f"{BASE}/incidents/{incident.id}").text
    assert "Add evidence" not in page
    refused = web.post_form(
        f"{BASE}/incidents/{incident.id}/evidence", {}, files=[("evidence", ("a.jpg", NEAR_PHOTO, "image/jpeg"))]
    )
    assert refused.status_code == 403
    assert evidence_of(session, incident) == []
