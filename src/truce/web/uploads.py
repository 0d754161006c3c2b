"""Evidence files sent with a page's form: stored by the same store and attached by the same service as the API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from fastapi import Request
from sqlalchemy.orm import Session

from truce.evidence import service as evidence_service
from truce.evidence.models import Evidence
from truce.evidence.store import MB
from truce.incidents.models import Incident
from truce.missions.models import Mission
from truce.policy import Actor
from truce.web.forms import Form

CHUNK = 1024 * 1024
FIELD = "evidence"
# What the file chooser offers: photos, video, audio and documents (the store still reads each file's real type).
ACCEPT = "image/*,video/*,audio/*,application/pdf,text/plain"


def limit_bytes(request: Request) -> int:
    """The most one upload may hold (TRUCE_MAX_UPLOAD_MB), stated on the form before anything is sent."""
    return int(request.app.state.settings.max_upload_mb) * MB


def chosen(form: Form) -> list[tuple[str, BinaryIO]]:
    """The files picked in the form's evidence field (an empty picker sends one nameless, empty part)."""
    return [(upload.filename or "", upload.file) for upload in form.file_list(FIELD) if upload.filename]


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    handle.seek(0)
    while chunk := handle.read(CHUNK):
        yield chunk


def attach_all(
    request: Request,
    session: Session,
    mission: Mission,
    incident: Incident,
    files: list[tuple[str, BinaryIO]],
    *,
    actor: Actor,
) -> list[Evidence]:
    """Store and attach each file; a refusal (too large, empty) raises, and the page's savepoint takes the form back."""
    evidence = request.app.state.evidence_store
    address = request.client.host if request.client else None
    attached = []
    for filename, handle in files:
        stored = evidence.save_stream(_chunks(handle), limit=limit_bytes(request))
        attached.append(
            evidence_service.attach(session, mission, incident, stored, filename, actor=actor, address=address)
        )
    return attached
