"""How the pages show an incident's evidence: the file's facts, and for mission staff its EXIF and custody."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy.orm import Session

from truce import policy
from truce.evidence import media
from truce.evidence import service as evidence_service
from truce.evidence.models import Custody, Evidence
from truce.incidents.derive import km_between
from truce.incidents.models import Incident
from truce.policy import Actor

# A photo's position further than this from the incident's, or its time further than this, is called into question.
AGREE_KM = 2.0
AGREE_HOURS = 6.0
# The time an incident's start covers at its precision: a photo taken within it agrees.
SPANS = {"minute": timedelta(0), "hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(days=7),
         "month": timedelta(days=31)}  # fmt: skip


@dataclass(frozen=True)
class EvidenceView:
    """One evidence file as a page shows it to one reader."""

    evidence: Evidence
    kind: str
    metadata: dict[str, Any]  # empty for readers who may not see EXIF
    km_from_incident: float | None
    hours_from_incident: float | None
    custody: list[Custody]

    @property
    def place_disagrees(self) -> bool:
        return self.km_from_incident is not None and self.km_from_incident > AGREE_KM

    @property
    def time_disagrees(self) -> bool:
        return self.hours_from_incident is not None and self.hours_from_incident > AGREE_HOURS


def _hours_apart(taken_at: str | None, incident: Incident, zone: tzinfo) -> float | None:
    if not taken_at:
        return None
    try:
        taken = datetime.fromisoformat(taken_at)
    except ValueError:
        return None
    if taken.tzinfo is None:
        # A camera without its offset wrote its own local time: read it in the mission's time zone.
        taken = taken.replace(tzinfo=zone)
    end = incident.start + SPANS.get(incident.time_precision, timedelta(0))
    if incident.start <= taken <= end:
        return 0.0
    nearest = incident.start if taken < incident.start else end
    return round(abs((taken - nearest).total_seconds()) / 3600, 1)


def views(
    session: Session, incident: Incident, evidence: list[Evidence], actor: Actor, zone: tzinfo
) -> list[EvidenceView]:
    """The incident's evidence for this reader: EXIF, distances and custody only for those who may see them."""
    staff = policy.reads_photo_metadata(actor)
    shown = []
    for item in evidence:
        metadata = dict(item.photo_metadata or {}) if staff else {}
        km = None
        if "latitude" in metadata and "longitude" in metadata:
            km = km_between(metadata["longitude"], metadata["latitude"], incident.lon, incident.lat)
        shown.append(
            EvidenceView(
                evidence=item,
                kind=media.kind_of(item.media_type),
                metadata=metadata,
                km_from_incident=km,
                hours_from_incident=_hours_apart(metadata.get("taken_at"), incident, zone) if staff else None,
                custody=list(evidence_service.custody(session, item)) if staff else [],
            )
        )
    return shown
