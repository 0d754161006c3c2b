"""Attach evidence files to incidents, list them and hand them out, keeping the chain of custody."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from truce import policy
from truce.errors import Forbidden, Message, NotFound
from truce.evidence import media, store, stores
from truce.evidence.models import Custody, Evidence
from truce.evidence.stores import EvidenceStore
from truce.incidents import service as incidents_service
from truce.incidents.models import Incident
from truce.ledger import service as ledger
from truce.missions.models import Mission
from truce.policy import Actor

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Download:
    """What to send: the stored file on this machine's disk, a copy stripped of metadata, or the stored file as a
    stream of chunks (from a store elsewhere, the database)."""

    evidence: Evidence
    path: Path | None
    stripped: bytes | None
    chunks: Iterator[bytes] | None = None


def attach(
    session: Session,
    mission: Mission,
    incident_id: int | Incident,
    stored: store.StoredFile,
    filename: str | None,
    *,
    actor: Actor,
    address: str | None = None,
    at: datetime | None = None,
) -> Evidence:
    """Attach a stored file to an incident; the same file twice is one record with two custody links.

    The incident is named by its id, or handed in loaded (a caller that just filed it saves reading it again).
    `at` back-dates the upload for a trusted loader of past records (the demo); the API never passes it.
    """
    incident = _readable(session, mission, incident_id, actor)
    policy.require(actor, "evidence.create", mission.id)
    if not policy.adds_evidence_to(actor, incident.author_delegation):
        raise Forbidden(Message("a liaison officer adds evidence to their own side's allegations only"))
    # A file this save added to the store is in no record yet (records are written after their file): no lookup.
    # Nor one that a new incident, not yet flushed, cannot have.
    fresh = stored.created or incident.id is None
    evidence = None if fresh else _existing(session, incident, stored.sha256)
    if evidence is None:
        evidence = Evidence(
            mission_id=mission.id,
            incident=incident,  # a new incident has no id before its flush, which writes both
            sha256=stored.sha256,
            size=stored.size,
            media_type=stored.media_type,
            filename=store.safe_filename(filename),
            photo_metadata=_photo_metadata(stored),
            uploaded_by=actor.username or "system",
            delegation=actor.delegation_code,
        )
        if at is not None:
            evidence.uploaded_at = at
        session.add(evidence)
        ledger.record(session, actor, "evidence.add", evidence, evidence=[stored.sha256])
    _custody(session, evidence, "upload", actor, address, at)
    return evidence


def _readable(session: Session, mission: Mission, incident: int | Incident, actor: Actor) -> Incident:
    if not isinstance(incident, Incident):
        return incidents_service.get(session, mission, incident, actor=actor)
    return policy.require_read_in(actor, incident, mission, "incident")


def _existing(session: Session, incident: Incident, sha256: str) -> Evidence | None:
    stmt = select(Evidence).where(Evidence.incident_id == incident.id, Evidence.sha256 == sha256)
    return session.execute(stmt).scalar_one_or_none()


def _photo_metadata(stored: store.StoredFile) -> dict[str, object]:
    if media.kind_of(stored.media_type) != "photo":
        return {}
    with stored.open() as handle:
        return dict(media.photo_metadata(handle))


def _custody(
    session: Session,
    evidence: Evidence,
    action: str,
    actor: Actor,
    address: str | None,
    at: datetime | None = None,
) -> None:
    link = Custody(
        mission_id=evidence.mission_id,
        evidence=evidence,  # one flush writes a new evidence record and its first link
        action=action,
        actor=actor.username or "public",
        delegation=actor.delegation_code,
        address=address,
    )
    if at is not None:
        link.at = at
    session.add(link)
    ledger.record(session, actor, f"custody.{action}", link, evidence=[evidence.sha256])


def list_for(session: Session, mission: Mission, incident_id: int, *, actor: Actor) -> Sequence[Evidence]:
    """The evidence of an incident the actor may read."""
    incident = incidents_service.get(session, mission, incident_id, actor=actor)
    stmt = select(Evidence).where(Evidence.incident_id == incident.id).order_by(Evidence.id)
    return session.execute(stmt).scalars().all()


def custody(session: Session, evidence: Evidence) -> Sequence[Custody]:
    """The chain of custody of one evidence record, oldest first."""
    stmt = select(Custody).where(Custody.evidence_id == evidence.id).order_by(Custody.id)
    return session.execute(stmt).scalars().all()


def fetch(
    session: Session,
    mission: Mission,
    incident_id: int,
    sha256: str,
    root: Path | EvidenceStore,
    *,
    actor: Actor,
    address: str | None = None,
) -> Download:
    """Hand out one evidence file, recording who took it; outsiders get photos without EXIF."""
    found = [e for e in list_for(session, mission, incident_id, actor=actor) if e.sha256 == sha256]
    if not found:
        raise NotFound(Message("evidence not found"))
    evidence = found[0]
    kept = stores.as_store(root)
    if not kept.has(sha256):
        raise NotFound(Message("the evidence file is missing from the store; run `truce log verify`"))
    if not stores.verify(kept, sha256):
        # Never hand out bytes other than the ones the log vouches for; the operator must look at the store.
        LOG.error(
            "evidence %s (evidence %s of incident %s) no longer matches its hash", sha256, evidence.id, incident_id
        )
        raise store.Damaged(
            Message(
                "the stored file of evidence %(id)s no longer matches its SHA-256 %(sha256)s: it was changed on "
                "disk, so it is not served; the operator was told (run `truce log verify`)",
                id=evidence.id,
                sha256=sha256,
            )
        )
    _custody(session, evidence, "download", actor, address)
    if media.kind_of(evidence.media_type) == "photo" and not policy.reads_photo_metadata(actor):
        with kept.open(sha256) as handle:
            return Download(evidence, None, media.strip_metadata(handle))
    path = kept.local_path(sha256)
    if path is not None:
        return Download(evidence, path, None)
    return Download(evidence, None, None, kept.read_chunks(sha256))


def incident_holding(session: Session, mission: Mission, sha256: str, *, actor: Actor) -> int:
    """The id of an incident the actor may read that holds this file; 404 when there is none."""
    stmt = select(Evidence.incident_id).where(Evidence.mission_id == mission.id, Evidence.sha256 == sha256)
    for incident_id in session.execute(stmt.order_by(Evidence.id)).scalars():
        try:
            incidents_service.get(session, mission, incident_id, actor=actor)
        except NotFound:
            continue
        return int(incident_id)
    raise NotFound(Message("evidence not found"))
