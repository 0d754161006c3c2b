"""A GPX file made into a track: read and checked first, kept in the evidence store only once it is good."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.orm import Session

from truce.evidence import store, stores
from truce.evidence.stores import EvidenceStore
from truce.missions.models import Mission
from truce.patrols import gpx, service
from truce.patrols.models import Track
from truce.policy import Actor

CHUNK = 1024 * 1024


def import_gpx(
    session: Session,
    mission: Mission,
    patrol_id: int,
    handle: BinaryIO,
    filename: str | None,
    *,
    evidence: Path | EvidenceStore,
    limit: int,
    actor: Actor,
) -> Track:
    """Add the track a GPX file holds to a patrol; the file itself goes to the evidence store, its hash to the log.

    Who may add it is checked before the file is read, and the file is stored only after every point passed.
    """
    service.check_track_writer(session, mission, patrol_id, actor=actor)
    found = gpx.read(handle)
    handle.seek(0)
    stored = stores.as_store(evidence).save_stream(_chunks(handle), limit=limit)
    return service.add_track(
        session, mission, patrol_id, found, source="gpx", actor=actor, file_sha256=stored.sha256,
        filename=store.safe_filename(filename),
    )  # fmt: skip


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    while chunk := handle.read(CHUNK):
        yield chunk
