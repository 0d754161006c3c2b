"""Evidence in the pages (issue 17, part 1): files sent with the incident form and added on the incident's page,
each through the evidence service; mission staff see the photo's EXIF time and position, its distance from the
incident with a warning when they disagree, the file's facts and its chain of custody; others do not."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mission_examples import Scene
from truce.config import Settings
from truce.evidence.models import Custody, Evidence
from truce.incidents.models import Incident
from truce.ledger.models import LogEntry
from web.conftest import WebClient
from web.exif_photo import jpeg_with_gps


def entry(scene: Scene) -> dict[str, str]:
    """A mortar seen from a post at 06:40 on a day of the scene's mission, at its point."""
    lon, lat = scene.point
    return {
        "type": "explosion", "subtype": "mortar", "date": str(day(scene)), "time": "06:40", "source": "post",
        "narrative": "Evidence test.", "classification": "parties", "placement": "map", "lat": str(lat),
        "lon": str(lon),
    }  # fmt: skip


def day(scene: Scene) -> date:
    return scene.shifted(date(2020, 11, 25))


def far(scene: Scene) -> tuple[float, float]:
    """About 11 km north of the reported position: the photo's EXIF disagrees with the report."""
    return round(scene.point[1] + 0.1, 6), scene.point[0]


def photo(scene: Scene, lat: float, lon: float, at: str) -> bytes:
    """A photo taken at `at` (HH:MM:SS) on the entry's day, on the mission's clock."""
    return jpeg_with_gps(lat, lon, taken=f"{day(scene):%Y:%m:%d} {at}", offset=scene.offset_text)


def far_photo(scene: Scene) -> bytes:
    return photo(scene, *far(scene), "06:42:00")


def near_photo(scene: Scene) -> bytes:
    return photo(scene, scene.point[1] + 0.0005, scene.point[0] + 0.0005, "06:45:00")


def file_with(web: WebClient, session: Session, files: list[tuple[str, tuple[str, bytes, str]]]) -> Incident:
    answer = web.post_form(f"{web.scene.pages}/incidents/new", entry(web.scene), files=files)
    assert answer.status_code == 303, answer.text[:1500]
    incident = session.get(Incident, int(answer.headers["location"].split("?")[0].rsplit("/", 1)[1]))
    assert incident is not None
    return incident


def evidence_of(session: Session, incident: Incident) -> list[Evidence]:
    return list(session.execute(select(Evidence).where(Evidence.incident_id == incident.id)).scalars())


def test_photos_sent_with_the_form_are_attached_with_their_exif(web: WebClient, session: Session, scene: Scene) -> None:
    base = scene.pages
    web.login("monitor-ru")
    files = [("evidence", ("far.jpg", far_photo(scene), "image/jpeg")),
             ("evidence", ("near.jpg", near_photo(scene), "image/jpeg"))]  # fmt: skip
    incident = file_with(web, session, files)
    stored = {e.filename: e for e in evidence_of(session, incident)}
    assert set(stored) == {"far.jpg", "near.jpg"}
    assert stored["far.jpg"].photo_metadata["latitude"] == far(scene)[0]
    assert stored["far.jpg"].photo_metadata["taken_at"] == scene.moment(6, 42, day=day(scene))
    # Each file and its custody link are logged in the same transaction as the incident.
    actions = set(session.execute(select(LogEntry.action).where(LogEntry.entity_type == "evidence")).scalars())
    assert "evidence.add" in actions
    page = web.get(f"{base}/incidents/{incident.id}?filed=1").text
    assert "Evidence files attached: 2." in page
    items = {part.split('"', 1)[0]: part for part in page.split('data-sha256="')[1:]}
    far_item, near = items[stored["far.jpg"].sha256], items[stored["near.jpg"].sha256]
    assert "{:.5f}, {:.5f}".format(*far(scene)) in far_item
    assert "11.1 km from the incident" in far_item
    assert "metadata disagrees with the report" in far_item
    assert "disagrees" not in near
    assert stored["far.jpg"].sha256 in far_item  # the SHA-256 is shown in full
    assert 'data-custody="upload"' in far_item


def test_others_see_the_file_but_not_its_metadata_or_custody(web: WebClient, session: Session, scene: Scene) -> None:
    base = scene.pages
    web.login("monitor-ru")
    incident = file_with(web, session, [("evidence", ("far.jpg", far_photo(scene), "image/jpeg"))])
    web.client.cookies.clear()
    page = web.login("liaison-az").get(f"{base}/incidents/{incident.id}").text
    assert "far.jpg" in page
    assert "Photos are shown without their metadata." in page
    assert f"{far(scene)[0]:.5f}" not in page
    assert "disagrees" not in page
    assert "data-custody" not in page


def test_add_evidence_on_the_incident_page_and_downloads_join_the_custody(
    web: WebClient, session: Session, scene: Scene
) -> None:
    base = scene.pages
    web.login("monitor-ru")
    incident = file_with(web, session, [])
    files: list[Any] = [
        ("evidence", ("near.jpg", near_photo(scene), "image/jpeg")),
        ("evidence", ("notes.txt", b"Crater measured at 1.2 m.\n", "text/plain")),
    ]
    answer = web.post_form(f"{base}/incidents/{incident.id}/evidence", {}, files=files)
    assert answer.status_code == 303, answer.text[:1500]
    assert answer.headers["location"].endswith("?added=2#evidence-h")
    items = evidence_of(session, incident)
    assert sorted(e.media_type for e in items) == ["image/jpeg", "text/plain"]
    photo = next(e for e in items if e.media_type == "image/jpeg")
    url = f"{base}/incidents/{incident.id}/evidence/{photo.sha256}"
    assert web.get(url, headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200
    links = session.execute(select(Custody.action).where(Custody.evidence_id == photo.id)).scalars().all()
    assert list(links) == ["upload", "download"]
    page = web.get(f"{base}/incidents/{incident.id}?added=2").text
    assert "Evidence files added: 2." in page
    assert 'data-custody="download"' in page


def test_add_evidence_without_a_file_or_too_large_is_refused(
    web: WebClient, session: Session, settings: Settings, scene: Scene
) -> None:
    base = scene.pages
    web.login("monitor-ru")
    incident = file_with(web, session, [])
    empty = web.post_form(
        f"{base}/incidents/{incident.id}/evidence", {}, files=[("evidence", ("", b"", "application/octet-stream"))]
    )
    assert empty.status_code == 422
    assert "Choose at least one file." in empty.text
    settings.max_upload_mb = 1
    big = web.post_form(
        f"{base}/incidents/{incident.id}/evidence",
        {},
        files=[("evidence", ("big.txt", b"x" * (1024 * 1024 + 10), "text/plain"))],
    )
    assert big.status_code == 413  # the gate refuses the body before it is read
    assert evidence_of(session, incident) == []
    assert "together at most 1 MB" in web.get(f"{base}/incidents/{incident.id}").text


def test_a_liaison_adds_evidence_only_to_their_own_side(web: WebClient, session: Session, scene: Scene) -> None:
    base = scene.pages
    web.login("monitor-ru")
    incident = file_with(web, session, [])
    web.client.cookies.clear()
    web.login("liaison-am")
    page = web.get(f"{base}/incidents/{incident.id}").text
    assert "Add evidence" not in page
    refused = web.post_form(
        f"{base}/incidents/{incident.id}/evidence", {}, files=[("evidence", ("a.jpg", near_photo(scene), "image/jpeg"))]
    )
    assert refused.status_code == 403
    assert evidence_of(session, incident) == []
