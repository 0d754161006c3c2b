"""Evidence files of incidents: multipart upload, listing, download."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, BinaryIO

from fastapi import File, Form, Request, UploadFile, status
from fastapi.responses import FileResponse, Response, StreamingResponse

from truce import policy
from truce.api.paging import Page
from truce.deps import MissionScope, ReadScope, WriteScope
from truce.disposition import attachment
from truce.errors import Invalid
from truce.evidence import service
from truce.evidence.models import Evidence
from truce.evidence.store import MB
from truce.numbers import Id
from truce.routers import DeclaredRouter

router = DeclaredRouter(tags=["evidence"])
PATH = "/missions/{slug}/incidents/{incident_id}/evidence"
CHUNK = 1024 * 1024
DEVICE_HASH = "the file's SHA-256 as the sending device computed it (hex); a file that arrives otherwise is refused"
SAFE_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox"}


def _view(scope: MissionScope, evidence: Evidence) -> dict[str, Any]:
    view: dict[str, Any] = {
        "sha256": evidence.sha256,
        "size": evidence.size,
        "media_type": evidence.media_type,
        "filename": evidence.filename,
        "uploaded_by": evidence.uploaded_by,
        "delegation": evidence.delegation,
        "uploaded_at": evidence.uploaded_at.isoformat(),
    }
    if policy.reads_photo_metadata(scope.actor):
        view["photo_metadata"] = evidence.photo_metadata
        view["custody"] = [
            {"action": c.action, "actor": c.actor, "delegation": c.delegation, "at": c.at.isoformat()}
            for c in service.custody(scope.session, evidence)
        ]
    return view


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    while chunk := handle.read(CHUNK):
        yield chunk


@router.post(PATH, status_code=status.HTTP_201_CREATED)
def upload(
    request: Request,
    scope: WriteScope,
    incident_id: Id,
    file: Annotated[UploadFile, File()],
    sha256: Annotated[str | None, Form(pattern="^[0-9a-f]{64}$", description=DEVICE_HASH)] = None,
) -> dict[str, Any]:
    """Attach a file; its type is read from its content, and it is stored once by SHA-256."""
    # Refuse before storing anything if the incident is not one the caller may add to.
    service.list_for(scope.session, scope.mission, incident_id, actor=scope.actor)
    settings = request.app.state.settings
    evidence_store = request.app.state.evidence_store
    stored = evidence_store.save_stream(_chunks(file.file), limit=settings.max_upload_mb * MB)
    if sha256 is not None and stored.sha256 != sha256:
        # The store keeps files by their hash, so the bytes that came are harmless there; no record points at them.
        detail = f"the file that arrived has SHA-256 {stored.sha256}, not the {sha256} the device computed"
        raise Invalid(detail, "sha256")
    address = request.client.host if request.client else None
    evidence = service.attach(
        scope.session, scope.mission, incident_id, stored, file.filename, actor=scope.actor, address=address
    )
    return _view(scope, evidence)


@router.get(PATH)
def list_evidence(scope: ReadScope, incident_id: Id, paging: Page) -> list[dict[str, Any]]:
    """The incident's evidence files."""
    rows = service.list_for(scope.session, scope.mission, incident_id, actor=scope.actor)
    return [_view(scope, e) for e in paging.page(rows)]


@router.get(PATH + "/{sha256}", response_model=None)
def download(request: Request, scope: WriteScope, incident_id: Id, sha256: str) -> Response:
    """The file itself, to those who may read the incident; each download joins the chain of custody."""
    address = request.client.host if request.client else None
    kept = request.app.state.evidence_store
    sent = service.fetch(scope.session, scope.mission, incident_id, sha256, kept, actor=scope.actor, address=address)
    disposition = {**attachment(sent.evidence.filename), **SAFE_HEADERS}
    if sent.stripped is not None:
        return Response(sent.stripped, media_type=sent.evidence.media_type, headers=disposition)
    if sent.path is None:
        # From the database, chunk by chunk: the response never holds more than one in memory.
        length = {"Content-Length": str(sent.evidence.size)}
        chunks = sent.chunks or iter(())
        return StreamingResponse(chunks, media_type=sent.evidence.media_type, headers={**disposition, **length})
    return FileResponse(str(sent.path), media_type=sent.evidence.media_type, headers=disposition)


@router.get("/missions/{slug}/evidence/{sha256}", response_model=None)
def download_by_hash(request: Request, scope: WriteScope, sha256: str) -> Response:
    """A file by its hash alone, if it belongs to an incident the caller may read."""
    incident_id = service.incident_holding(scope.session, scope.mission, sha256, actor=scope.actor)
    return download(request, scope, incident_id, sha256)
