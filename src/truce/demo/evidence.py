"""A few generated photos for the demo's incidents: plainly labelled as illustrations, with EXIF time and place.

Uploads are dated half an hour after the filing (in 2020, like the incidents). A few photos on reports still
waiting for verification carry EXIF that disagrees with the report (taken kilometres away, hours apart), so
that verifiers see the pages' warning.
"""

from __future__ import annotations

import io
from datetime import UTC, timedelta
from pathlib import Path

from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from truce.evidence import service as evidence_service
from truce.evidence import store, stores
from truce.evidence.models import Evidence
from truce.evidence.stores import EvidenceStore
from truce.incidents.models import Incident
from truce.missions.models import Mission
from truce.users import service as users_service

PHOTOS = 8
# Open reports that get a photo whose EXIF disagrees with them: so many km north, so many hours later.
DISAGREEING = 3
OFF_KM, OFF_HOURS = 8.0, 5
EXIF_IFD, GPS_IFD, DATE_TIME_ORIGINAL, OFFSET_TIME_ORIGINAL = 0x8769, 0x8825, 0x9003, 0x9011


def load(session: Session, mission: Mission, root: Path | EvidenceStore) -> int:
    """Attach a generated photo to the first few verified monitor reports, and a misleading one to a few open
    ones, where they lack one."""
    monitor = users_service.actor_for(session, users_service.get_by_name(session, "monitor-ru"), mission)
    mine = select(Incident).where(Incident.mission_id == mission.id, Incident.source != "party")
    confirmed = mine.where(Incident.status == "confirmed").order_by(Incident.external_id).limit(PHOTOS)
    waiting = mine.where(Incident.status == "reported").order_by(Incident.external_id).limit(DISAGREEING)
    evidence = stores.as_store(root)
    attached = 0
    for stmt, misleading in ((confirmed, False), (waiting, True)):
        for incident in session.execute(stmt).scalars().all():
            if session.scalar(select(Evidence.id).where(Evidence.incident_id == incident.id).limit(1)):
                continue
            stored = evidence.save_stream([photo(incident, misleading=misleading)], limit=10 * store.MB)
            name = f"{incident.external_id}.jpg"
            at = incident.reported_at + timedelta(minutes=30)
            evidence_service.attach(session, mission, incident.id, stored, name, actor=monitor, at=at)
            attached += 1
    return attached


def photo(incident: Incident, *, misleading: bool = False) -> bytes:
    """A labelled illustration standing in for a monitor's photo of the incident."""
    image = Image.new("RGB", (640, 400), (142, 128, 104))
    draw = ImageDraw.Draw(image)
    draw.ellipse((250, 150, 390, 250), fill=(84, 72, 58), outline=(60, 50, 40), width=4)
    draw.rectangle((0, 340, 640, 400), fill=(20, 20, 20))
    label = f"ILLUSTRATION - Truce demo - {incident.type}/{incident.subtype} - {incident.start:%Y-%m-%d %H:%M} UTC"
    draw.text((12, 360), label, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80, exif=_exif(incident, misleading))
    return out.getvalue()


def _exif(incident: Incident, misleading: bool) -> Image.Exif:
    taken = incident.start + timedelta(hours=OFF_HOURS if misleading else 0)
    # A degree of latitude is about 111 km.
    lat = incident.lat + (OFF_KM / 111.0 if misleading else 0.0)
    exif = Image.Exif()
    exif.get_ifd(EXIF_IFD)[DATE_TIME_ORIGINAL] = taken.astimezone(UTC).strftime("%Y:%m:%d %H:%M:%S")
    exif.get_ifd(EXIF_IFD)[OFFSET_TIME_ORIGINAL] = "+00:00"
    exif.get_ifd(GPS_IFD).update(
        {1: "N" if lat >= 0 else "S", 2: _dms(lat), 3: "E" if incident.lon >= 0 else "W", 4: _dms(incident.lon)}
    )
    return exif


def _dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    return float(degrees), float(minutes), round((value - degrees - minutes / 60) * 3600, 2)
