"""OpenRosa 1.0 endpoints for ODK Collect, KoboCollect and Enketo: form list, forms, media, submissions."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import BinaryIO, TypeVar
from xml.etree.ElementTree import Element, SubElement, tostring

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from truce.deps import Slug, client_address, database, now
from truce.errors import BadRequest, NotFound, TruceError, WrongCredentials
from truce.evidence import store
from truce.evidence.store import MB
from truce.missions.models import Mission
from truce.openrosa import address, ahead, callers, digest, intake, nonce_counts, tracks, writer, xforms
from truce.openrosa.instance import MAX_XML_BYTES
from truce.openrosa.proved import ProvedLogins
from truce.routers import DeclaredRouter
from truce.users import logins

router = DeclaredRouter(prefix="/openrosa/{slug}", tags=["openrosa"])
VERSION = "1.0"
XML = "text/xml; charset=utf-8"
FORM_LIST_NS = "http://openrosa.org/xforms/xformsList"
MANIFEST_NS = "http://openrosa.org/xforms/xformsManifest"
RESPONSE_NS = "http://openrosa.org/http/response"
XML_PART = "xml_submission_file"
MAX_PARTS = 100
CHUNK = 1024 * 1024
T = TypeVar("T")


def _headers(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {"X-OpenRosa-Version": VERSION, **(extra or {})}


def _xml(root: Element) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="unicode").encode("utf-8")


def _message(text: str, nature: str | None = None) -> bytes:
    root = Element("OpenRosaResponse", xmlns=RESPONSE_NS)
    message = SubElement(root, "message")
    if nature:
        message.set("nature", nature)
    message.text = text
    return _xml(root)


_RECEIVED = _message("Thank you: received.", "submit_success")
_RECEIVED_AGAIN = _message("Already received; any new files were added.", "submit_success")


def error_response(detail: str, status_code: int, headers: dict[str, str] | None = None) -> Response:
    """An OpenRosa error: the message in an OpenRosaResponse body, with the protocol's version header."""
    return Response(_message(detail, "error"), status_code, headers=_headers(headers), media_type=XML)


def _error(exc: TruceError, request: Request, slug: str) -> Response:
    answer = error_response(exc.detail, exc.status_code)
    if exc.retry_after is not None:
        # Refused or not stored: ODK Collect keeps the instance and sends it again.
        answer.headers["Retry-After"] = str(exc.retry_after)
    if exc.status_code == 401:
        # Basic first: ODK Collect answers the first scheme it may use, and uses Basic only over HTTPS, where
        # device tokens work; over plain HTTP it skips Basic and answers the Digest challenge, MD5 first.
        answer.headers.append("WWW-Authenticate", f'Basic realm="Truce {slug}", charset="UTF-8"')
        stale = isinstance(exc, digest.StaleNonce)
        domain = address.openrosa_path(request)
        for challenge in digest.challenges(request.app.state.secret, time.time(), domain=domain, stale=stale):
            answer.headers.append("WWW-Authenticate", challenge)
    return answer


def _answering(request: Request, slug: str, work: Callable[[], Response]) -> Response:
    try:
        return work()
    except TruceError as exc:
        return _error(exc, request, slug)


def _limited(request: Request, work: Callable[[], T]) -> T:
    """`work` under the login limits, when the request carries a person's password or Digest answer.

    The check comes before `work` hashes anything; the outcome is written in a transaction of its own, after
    `work`'s has ended, so that a refused login is counted although its request fails.
    """
    login = callers.person_login(request.headers.get("authorization"))
    if login is None:
        return work()
    username, channel = login
    db, client, at = database(request), client_address(request), now(request)
    with db.session(write=False) as session:
        pending = logins.check(session, username, client, now=at, channel=channel)
    try:
        result = work()
    except WrongCredentials:
        with db.session(write=True) as session:
            logins.record(session, username, client, now=at, channel=channel, success=False)
        raise
    if pending:
        # A phone logs in with every request: a success is written only when it clears earlier failures.
        with db.session(write=True) as session:
            logins.record(session, username, client, now=at, channel=channel, success=True)
    return result


def _digest_context(request: Request) -> digest.Context:
    query = request.scope.get("query_string", b"")
    target = request.scope.get("raw_path", request.url.path.encode()) + (b"?" + query if query else b"")
    return digest.Context(
        request.app.state.secret, request.method, target.decode("latin-1"), _nonce_counts(request), time.time()
    )


def _nonce_counts(request: Request) -> digest.NonceCounts:
    """The Digest nonce counts accepted so far, shared with every process on the same PostgreSQL database."""
    counts: digest.NonceCounts | None = getattr(request.app.state, "digest_counts", None)
    if counts is None:
        counts = request.app.state.digest_counts = nonce_counts.for_database(database(request))
    return counts


def _require_version(request: Request) -> None:
    if request.headers.get("x-openrosa-version") is None:
        raise BadRequest("this is an OpenRosa endpoint: send the header X-OpenRosa-Version: 1.0")


def _forms(request: Request, slug: str) -> tuple[Mission, list[xforms.Form]]:
    _require_version(request)

    def work() -> tuple[Mission, list[xforms.Form]]:
        with database(request).session(write=False) as session:
            authorization = request.headers.get("authorization")
            mission, caller = callers.mission_and_caller(session, slug, authorization, _digest_context(request))
            return mission, callers.forms_for(session, mission, caller)

    return _limited(request, work)


def _base(request: Request, slug: str) -> str:
    return address.openrosa_base(request, slug)


@router.get("/formList")
def form_list(request: Request, slug: Slug, formID: str | None = None) -> Response:  # noqa: N803 - OpenRosa's name
    """The forms this phone may fill in (OpenRosa form list)."""

    def work() -> Response:
        _, forms = _forms(request, slug)
        root = Element("xforms", xmlns=FORM_LIST_NS)
        for form in forms:
            if formID is not None and form.form_id != formID:
                continue
            entry = SubElement(root, "xform")
            url = f"{_base(request, slug)}/forms/{form.form_id}"
            for tag, text in (("formID", form.form_id), ("name", form.title), ("version", form.version),
                              ("hash", form.md5), ("downloadUrl", f"{url}.xml")):  # fmt: skip
                SubElement(entry, tag).text = text
            if form.media:
                SubElement(entry, "manifestUrl").text = f"{url}/manifest"
        return Response(_xml(root), headers=_headers(), media_type=XML)

    return _answering(request, slug, work)


def _form(request: Request, slug: str, form_id: str) -> xforms.Form:
    _, forms = _forms(request, slug)
    for form in forms:
        if form.form_id == form_id:
            return form
    raise NotFound(f"no form {form_id[:80]!r} for you in mission {slug}")


@router.get("/forms/{form_id}.xml")
def form_download(request: Request, slug: Slug, form_id: str) -> Response:
    """One XForm."""

    def work() -> Response:
        return Response(_form(request, slug, form_id).xml, headers=_headers(), media_type=XML)

    return _answering(request, slug, work)


@router.get("/forms/{form_id}/manifest")
def manifest(request: Request, slug: Slug, form_id: str) -> Response:
    """The media files a form needs (the sites it offers, as CSV)."""

    def work() -> Response:
        form = _form(request, slug, form_id)
        root = Element("manifest", xmlns=MANIFEST_NS)
        for name, content in sorted(form.media.items()):
            entry = SubElement(root, "mediaFile")
            SubElement(entry, "filename").text = name
            SubElement(entry, "hash").text = xforms.md5(content)
            SubElement(entry, "downloadUrl").text = f"{_base(request, slug)}/forms/{form_id}/media/{name}"
        return Response(_xml(root), headers=_headers(), media_type=XML)

    return _answering(request, slug, work)


@router.get("/forms/{form_id}/media/{filename}")
def media_file(request: Request, slug: Slug, form_id: str, filename: str) -> Response:
    """One media file of a form."""

    def work() -> Response:
        content = _form(request, slug, form_id).media.get(filename)
        if content is None:
            raise NotFound(f"form {form_id} has no media file {filename[:80]!r}")
        return Response(content, headers=_headers(), media_type="text/csv; charset=utf-8")

    return _answering(request, slug, work)


@router.head("/submission")
def submission_probe(request: Request, slug: Slug) -> Response:
    """What a phone asks before sending: may it submit here, and how large a body is accepted."""

    def work() -> Response:
        _require_version(request)
        _caller(request, slug)
        limit = _accepted_length(request)
        return Response(status_code=204, headers=_headers({"X-OpenRosa-Accept-Content-Length": limit}))

    return _answering(request, slug, work)


@router.post("/submission")
async def submission(request: Request, slug: Slug) -> Response:
    """Receive one instance and its attachments (multipart/form-data, as ODK Collect and Enketo send them)."""
    # Counted from its start: a batch about to begin waits a little for submissions on their way (writer.py).
    arrival = writer.for_database(database(request), request.app.state, intake.read_ahead).arrival()
    try:
        _require_version(request)
        # SQLite is a local file: its log-in query runs on the event loop. On PostgreSQL a device proved before
        # skips it: its batch reads the log-in again (proved.py); other log-ins read in a worker thread.
        # Either way the writes go in batches (writer.py says why and where).
        on_loop = database(request).is_sqlite
        proved = None if on_loop else _proved(request, slug)
        if proved is not None:
            mission, caller = proved.mission, proved.caller
        elif on_loop and not callers.hashes_a_password(request.headers.get("authorization")):
            mission, caller = _caller(request, slug)
        else:  # a password's hash would hold the loop for tens of milliseconds
            mission, caller = await run_in_threadpool(_caller, request, slug)
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise BadRequest(f"send multipart/form-data with a part named {XML_PART}")
        try:
            form = await request.form(max_files=MAX_PARTS, max_fields=MAX_PARTS, max_part_size=MAX_XML_BYTES)
        except StarletteHTTPException as exc:
            raise BadRequest(f"the multipart body cannot be read: {exc.detail}") from None
        try:
            parts = [(key, value) for key, value in form.multi_items() if isinstance(value, UploadFile)]
            receipt = await _receive_batched(request, mission, caller, parts, proved, arrival)
        finally:
            await form.close()
    except TruceError as exc:
        return _error(exc, request, slug)
    finally:
        arrival.done()
    # OpenRosa's submission API asks for the limit on every answer to a submission, the 201 included.
    limit = {"X-OpenRosa-Accept-Content-Length": _accepted_length(request)}
    return Response(_RECEIVED if receipt.created else _RECEIVED_AGAIN, 201, headers=_headers(limit), media_type=XML)


def _accepted_length(request: Request) -> str:
    return str(request.app.state.settings.max_upload_mb * MB)


def _caller(request: Request, slug: str) -> tuple[Mission, callers.Caller]:
    """Who is submitting, read from the database; on PostgreSQL a device's proof is kept for its next ones."""
    authorization = request.headers.get("authorization")

    def work() -> tuple[Mission, callers.Caller]:
        db = database(request)
        with db.session(write=False) as session:
            mission, caller, proved = callers.mission_and_login(session, slug, authorization, _digest_context(request))
        if proved is not None and not db.is_sqlite:
            _proved_logins(request).keep(slug, str(authorization), proved)
        return mission, caller

    return _limited(request, work)


def _proved(request: Request, slug: str) -> callers.Proved | None:
    """The kept proof of this request's device log-in, if there is one (never for a person's password or Digest)."""
    authorization = request.headers.get("authorization")
    if authorization is None or callers.person_login(authorization) is not None:
        return None
    return _proved_logins(request).get(slug, authorization)


def _proved_logins(request: Request) -> ProvedLogins:
    kept: ProvedLogins | None = getattr(request.app.state, "proved_logins", None)
    if kept is None:
        kept = request.app.state.proved_logins = ProvedLogins()
    return kept


async def _receive_batched(
    request: Request,
    mission: Mission,
    caller: callers.Caller,
    parts: list[tuple[str, UploadFile]],
    proved: callers.Proved | None,
    arrival: writer.Arrival,
) -> intake.Receipt:
    prepared, uploads = _prepared(mission, caller, parts)
    limit = request.app.state.settings.max_upload_mb * MB
    evidence = request.app.state.evidence_store
    # Files first, outside the transaction; each file's fsync (or database write) runs in a thread, off the loop.
    files = {key: await evidence.save_async(_async_chunks(upload.file), limit=limit) for key, upload in uploads}
    # One writer at a time: every submission waiting is stored in one transaction (see writer.py).
    instance = prepared.instance
    login = (proved.values["slug"], proved.values["username"]) if proved is not None else None
    wanted = ahead.Wanted(login, mission.id, instance.form_id, instance.instance_id, instance.deprecated_id)
    return await arrival.join(_storing(request, mission, caller, prepared, files, proved), wanted)


def _prepared(
    mission: Mission, caller: callers.Caller, parts: list[tuple[str, UploadFile]]
) -> tuple[intake.Prepared, list[tuple[str, UploadFile]]]:
    """The checked instance, and the uploaded files it names."""
    xml_parts = [upload for key, upload in parts if key == XML_PART]
    if len(xml_parts) != 1:
        raise BadRequest(f"send exactly one part named {XML_PART}, not {len(xml_parts)}")
    prepared = intake.prepare(mission, caller, xml_parts[0].file.read(MAX_XML_BYTES + 1))
    audit = next((upload for key, upload in parts if key == prepared.planned.audit_name), None)
    if audit is not None:
        # Read and checked before any file is stored; then stored as the other files are.
        intake.read_audit(prepared, audit.file.read(tracks.MAX_AUDIT_BYTES + 1))
        audit.file.seek(0)
    wanted = prepared.planned.file_names()
    return prepared, [(key, upload) for key, upload in parts if key != XML_PART and key in wanted]


def _storing(
    request: Request,
    mission: Mission,
    caller: callers.Caller,
    prepared: intake.Prepared,
    files: dict[str, store.StoredFile],
    proved: callers.Proved | None,
) -> Callable[[Session], intake.Receipt]:
    address = request.client.host if request.client else None
    slug, authorization = mission.slug, str(request.headers.get("authorization"))
    kept = _proved_logins(request) if proved is not None else None

    def store_it(session: Session) -> intake.Receipt:
        if proved is not None and kept is not None:
            # The kept proof was read before this transaction: the device's log-in is read again inside it.
            try:
                callers.confirm(session, proved)
            except TruceError:
                kept.forget(slug, authorization)
                raise
        here = session.merge(mission, load=False)
        return intake.receive(session, intake.Intake(here, caller, prepared, files, address))

    return store_it


async def _async_chunks(handle: BinaryIO) -> AsyncIterator[bytes]:
    # The parts are in memory, or in a local temporary file past 1 MB: reading them does not wait on anything.
    while chunk := handle.read(CHUNK):
        yield chunk
