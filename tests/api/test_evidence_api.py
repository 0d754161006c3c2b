"""Evidence through the API: stored once by hash, typed by content, EXIF kept from outsiders, custody kept."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from mission_examples import DEMO_DAY, Scene
from support import Login, point_feature
from truce.config import Settings
from truce.db import Database
from truce.evidence.models import Evidence
from truce.integrity.verify import verify
from truce.ledger import keys
from truce.models import LOGGED

DAY = DEMO_DAY - timedelta(days=1)  # the incidents' demo day (20 November 2020), moved into the scene's mission


def incidents_url(scene: Scene) -> str:
    return f"{scene.api}/incidents"


def photo(gps: tuple[float, float] | None = (46.8, 39.9)) -> bytes:
    """A small JPEG with EXIF time and, optionally, a GPS position (longitude, latitude; north and east, whole
    minutes)."""
    image = Image.new("RGB", (64, 48), (120, 90, 60))
    exif = Image.Exif()
    exif[0x9003] = "2020:11:20 14:31:00"  # DateTimeOriginal lives in the Exif IFD
    exif.get_ifd(0x8769)[0x9003] = "2020:11:20 14:31:00"
    if gps:
        lon, lat = (divmod(round(degrees * 60), 60) for degrees in gps)
        exif.get_ifd(0x8825).update({1: "N", 2: (lat[0], lat[1], 0.0), 3: "E", 4: (lon[0], lon[1], 0.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 0, 255)).save(out, "PNG")
    return out.getvalue()


def incident(client: TestClient, login: Login, scene: Scene, account: str = "monitor-ru", **extra: Any) -> int:
    """An incident at the scene's point, the day before its day, filed by `account` (or its counterpart)."""
    properties = {"type": "explosion", "subtype": "mortar", "start": scene.moment(14, 30, day=scene.shifted(DAY)),
                  "source": "post", "classification": "parties", **extra}  # fmt: skip
    body = point_feature(*scene.point, **properties)
    answer = client.post(incidents_url(scene), json=body, headers=login(account))
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def upload(
    client: TestClient, login: Login, scene: Scene, account: str, incident_id: int, name: str, data: bytes
) -> Any:
    url = f"{incidents_url(scene)}/{incident_id}/evidence"
    return client.post(url, files={"file": (name, data)}, headers=login(account))


def test_upload_is_stored_once_by_content(client: TestClient, login: Login, scene: Scene, settings: Settings) -> None:
    incident_id = incident(client, login, scene)
    data = photo(scene.point)
    first = upload(client, login, scene, "monitor-ru", incident_id, "crater.jpg", data)
    assert first.status_code == 201, first.text
    sha = hashlib.sha256(data).hexdigest()
    assert first.json()["sha256"] == sha
    assert first.json()["media_type"] == "image/jpeg"
    again = upload(client, login, scene, "verifier-ru", incident_id, "same.jpg", data)
    assert again.status_code == 201
    stored = settings.data_dir / "evidence" / "sha256" / sha[:2] / sha
    assert stored.read_bytes() == data
    listing = client.get(f"{incidents_url(scene)}/{incident_id}/evidence", headers=login("verifier-tr")).json()
    assert len(listing) == 1
    assert [c["action"] for c in listing[0]["custody"]] == ["upload", "upload"]
    assert listing[0]["photo_metadata"]["latitude"] == pytest.approx(scene.point[1])


def test_outsiders_get_photos_without_exif(client: TestClient, login: Login, scene: Scene) -> None:
    incident_id = incident(client, login, scene)
    sha = upload(client, login, scene, "monitor-ru", incident_id, "c.jpg", photo(scene.point)).json()["sha256"]
    for account, keeps_gps in [("verifier-ru", True), ("liaison-am", False)]:
        answer = client.get(f"{incidents_url(scene)}/{incident_id}/evidence/{sha}", headers=login(account))
        assert answer.status_code == 200
        assert answer.headers["x-content-type-options"] == "nosniff"
        exif = Image.open(io.BytesIO(answer.content)).getexif()
        assert (0x8825 in exif) == keeps_gps, account
    by_hash = client.get(f"{scene.api}/evidence/{sha}", headers=login("liaison-am"))
    assert by_hash.status_code == 200
    assert client.get(f"{scene.api}/evidence/{sha}").status_code == 404
    liaison_view = client.get(f"{incidents_url(scene)}/{incident_id}/evidence", headers=login("liaison-am")).json()[0]
    assert "photo_metadata" not in liaison_view
    custody = client.get(f"{incidents_url(scene)}/{incident_id}/evidence", headers=login("admin")).json()[0]["custody"]
    expected = [("upload", "monitor-ru"), ("download", "verifier-ru"), ("download", "liaison-am"),
                ("download", "liaison-am")]  # fmt: skip
    assert [(c["action"], c["actor"]) for c in custody] == [(action, scene.account(a)) for action, a in expected]


def test_the_type_comes_from_the_content(client: TestClient, login: Login, scene: Scene) -> None:
    incident_id = incident(client, login, scene)
    mislabelled = upload(client, login, scene, "monitor-ru", incident_id, "photo.jpg", png())
    assert mislabelled.json()["media_type"] == "image/png"
    program = upload(client, login, scene, "monitor-ru", incident_id, "photo.jpg", b"MZ\x90\x00" + b"\0" * 100)
    assert not program.json()["media_type"].startswith("image/")


@pytest.mark.parametrize("name", ["../../etc/passwd", "C:\\evil\\..\\x.jpg", "a\x00b.jpg", "/abs/path.jpg", ""])
def test_file_names_never_become_paths(
    client: TestClient, login: Login, scene: Scene, name: str, settings: Settings
) -> None:
    incident_id = incident(client, login, scene)
    answer = upload(
        client, login, scene, "monitor-ru", incident_id, name or "x", png() + name.encode("utf-8", "replace")
    )
    assert answer.status_code == 201
    stored = answer.json()["filename"]
    assert "/" not in stored
    assert "\\" not in stored
    assert "\x00" not in stored
    assert not (settings.data_dir.parent / "etc").exists()


def test_empty_and_oversized_uploads(client: TestClient, login: Login, scene: Scene, settings: Settings) -> None:
    incident_id = incident(client, login, scene)
    empty = upload(client, login, scene, "monitor-ru", incident_id, "empty.jpg", b"")
    assert empty.status_code == 422
    assert "empty" in empty.json()["detail"]
    settings.max_upload_mb = 1
    big = upload(client, login, scene, "monitor-ru", incident_id, "big.bin", b"\0" * (2 * 1024 * 1024))
    assert big.status_code == 413
    assert client.get(f"{incidents_url(scene)}/{incident_id}/evidence", headers=login("admin")).json() == []
    leftovers = list((settings.data_dir / "evidence").rglob("*")) if (settings.data_dir / "evidence").exists() else []
    assert [p for p in leftovers if p.is_file()] == []


def test_who_may_add_and_take_evidence(client: TestClient, login: Login, scene: Scene) -> None:
    monitors = incident(client, login, scene, classification="mission")
    assert upload(client, login, scene, "liaison-am", monitors, "x.png", png()).status_code == 404
    assert upload(client, login, scene, "analyst-ru", monitors, "x.png", png()).status_code == 403
    allegation = incident(
        client,
        login,
        scene,
        "liaison-am",
        source="party",
        alleged_actors=[{"party": scene.delegation("az"), "actor": ""}],
    )
    assert upload(client, login, scene, "liaison-am", allegation, "x.png", png()).status_code == 201
    assert upload(client, login, scene, "liaison-az", allegation, "x.png", png()).status_code in (403, 404)
    sha = hashlib.sha256(png()).hexdigest()
    assert (
        client.get(f"{incidents_url(scene)}/{monitors}/evidence/{sha}", headers=login("liaison-am")).status_code == 404
    )
    assert (
        client.get(f"{incidents_url(scene)}/{allegation}/evidence/{'0' * 64}", headers=login("admin")).status_code
        == 404
    )
    assert (
        client.get(f"{incidents_url(scene)}/{allegation}/evidence/..%2F..%2Fx", headers=login("admin")).status_code
        == 404
    )


def test_verify_notices_a_swapped_file_and_it_is_never_served(
    client: TestClient, login: Login, scene: Scene, settings: Settings, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    incident_id = incident(client, login, scene)
    stored = upload(client, login, scene, "monitor-ru", incident_id, "c.png", png()).json()
    sha = stored["sha256"]
    with db.session(write=False) as session:
        evidence_id = session.execute(select(Evidence.id).where(Evidence.sha256 == sha)).scalar_one()
    path: Path = settings.data_dir / "evidence" / "sha256" / sha[:2] / sha
    server = keys.load_or_create(settings.data_dir).verifier()
    with db.session(write=False) as session:
        assert verify(session, server, LOGGED, evidence_root=settings.data_dir).intact
    path.chmod(0o644)
    path.write_bytes(png()[:-4] + b"\0\0\0\0")
    with db.session(write=False) as session:
        report = verify(session, server, LOGGED, evidence_root=settings.data_dir)
    named = f"evidence file {sha} (evidence {evidence_id} of incident {incident_id})"
    assert report.problems == [f"{named}: its content no longer matches its hash (swapped or edited)"]
    downloads = [f"{incidents_url(scene)}/{incident_id}/evidence/{sha}", f"{scene.api}/evidence/{sha}"]
    for url in downloads:
        with caplog.at_level("ERROR", logger="truce.evidence.service"):
            refused = client.get(url, headers=login("monitor-ru"))
        assert refused.status_code == 500
        assert refused.json()["detail"].startswith(f"the stored file of evidence {evidence_id} no longer matches")
        assert f"evidence {sha} (evidence {evidence_id} of incident {incident_id})" in caplog.text
    path.unlink()
    with db.session(write=False) as session:
        report = verify(session, server, LOGGED, evidence_root=settings.data_dir)
    assert report.problems == [f"{named}: missing from the store"]
