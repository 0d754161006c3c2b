"""The ASGI middleware that answers a repeated `Idempotency-Key` with the original answer.

A POST carrying the header is read whole first (into a spooled file: memory up to SPOOL_BYTES, then disk), and
fingerprinted. A key the sender used before answers its stored answer (same request) or 422 (another request);
a new key goes on to the route, whose write session inserts it in the same transaction as the record
(`deps._session`), and the answer is kept just before it is sent. A refused request (4xx, 5xx) rolled back its
transaction and its key with it: the sender may correct the record and send it again under the same key.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from datetime import datetime
from typing import IO, Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from truce import auth
from truce.idempotency import store
from truce.idempotency.store import Claim

HEADER = b"idempotency-key"
# When the device made the record, and the device's clock when it sent it (the offset from ours is kept).
DEVICE_TIME = b"x-device-time"
DEVICE_CLOCK = b"x-device-clock"
# Printable ASCII without spaces, as a UUID or any opaque token the client makes.
KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
SPOOL_BYTES = 1024 * 1024
CHUNK = 64 * 1024
SESSION_COOKIE = "truce_session"
REPLAYED = "idempotent-replayed"
# The kinds of record whose address `<POST path>/<id>` is a plain read of the record (an evidence file's address
# is its download, which joins the chain of custody: never fetched on the sender's behalf).
READ_BY_ID = frozenset({"incidents", "movements", "restrictions", "exchanges"})
LOST = (
    "the request was carried out once before, but its answer was lost (the server stopped before sending it); "
    "this is the record it made"
)
RECEIVED = "x-received-at"


class IdempotencyGate:
    """Answer a repeated POST with the stored answer; refuse a reused key with another request (422)."""

    def __init__(self, app: ASGIApp, secret: Any) -> None:
        self.app = app
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or []) if scope["type"] == "http" else {}
        raw_key = headers.get(HEADER)
        if scope["type"] != "http" or scope["method"] != "POST" or raw_key is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1").strip()
        if not KEY.match(key):
            await _problem(400, "Idempotency-Key must be 1 to 200 printable characters without spaces")(
                scope, receive, send
            )
            return
        principal = await run_in_threadpool(self._principal, scope, headers)
        if principal is None:
            # No one to keep the key for: the gate or the route refuses the caller.
            await self.app(scope, receive, send)
            return
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as body:
            if not await _spool(receive, body):
                return
            fingerprint = await run_in_threadpool(_fingerprint, scope, headers, body)
            db = scope["app"].state.db
            seen = await run_in_threadpool(store.find, db, principal, key)
            if seen is not None and seen.fingerprint == fingerprint and seen.unanswered():
                seen = await self._recover(scope, headers, principal, key, seen)
            if seen is not None:
                await _answer_seen(seen, fingerprint)(scope, receive, send)
                return
            claim = Claim(principal, key, fingerprint, _moment(headers, DEVICE_TIME))
            clock = _moment(headers, DEVICE_CLOCK)
            if clock is not None:
                claim.clock_offset_s = round((clock - claim.received_at).total_seconds())
            scope.setdefault("state", {})["idempotency"] = claim
            await self._carry_out(scope, body, receive, send, claim)

    async def _carry_out(self, scope: Scope, body: IO[bytes], receive: Receive, send: Send, claim: Claim) -> None:
        body.seek(0)
        done = False

        async def replay() -> Message:
            nonlocal done
            if done:
                # The body was given; what comes next from the client is its leaving.
                return await receive()
            chunk = await run_in_threadpool(body.read, CHUNK)
            more = len(chunk) == CHUNK
            done = not more
            return {"type": "http.request", "body": chunk, "more_body": more}

        start: Message | None = None
        parts: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))

        await self.app(scope, replay, capture)
        if start is None:
            return
        answer = b"".join(parts)
        status = int(start["status"])
        headers = list(start.get("headers") or [])
        if claim.claimed and 200 <= status < 300:
            media_type = _header(headers, b"content-type")
            await run_in_threadpool(store.finish, scope["app"].state.db, claim, status, media_type, answer)
            headers.append((RECEIVED.encode(), claim.received_at.isoformat().encode()))
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": answer})

    async def _recover(
        self, scope: Scope, headers: dict[bytes, bytes], principal: str, key: str, seen: store.Seen
    ) -> store.Seen:
        """The answer of a request whose process died after its commit and before its answer was kept.

        The record it made is named on its key (`store.note`); the answer is that record as its own address
        (`<path>/<id>`) reads it now, asked of the routes with the sender's own credentials, for the kinds whose
        address is a plain read. Otherwise the answer names the record. Kept, so that every later retry agrees.
        """
        status, media_type, answer = 200, "application/json", b""
        if seen.record_type in READ_BY_ID and seen.record_id:
            got = await _get(self.app, scope, headers, f"{scope['path'].rstrip('/')}/{seen.record_id}")
            if got is not None:
                media_type, answer = got
        if not answer:
            named: dict[str, Any] = {"detail": LOST, "record_type": seen.record_type, "record_id": seen.record_id}
            if seen.record_id is not None and seen.record_id.isdigit():
                named["id"] = int(seen.record_id)
            answer = json.dumps(named).encode()
        claim = Claim(principal, key, seen.fingerprint, None, received_at=seen.received_at)
        await run_in_threadpool(store.finish, scope["app"].state.db, claim, status, media_type, answer)
        found = await run_in_threadpool(store.find, scope["app"].state.db, principal, key)
        return found if found is not None else seen

    def _principal(self, scope: Scope, headers: dict[bytes, bytes]) -> str | None:
        """`user:<id>` of the bearer token or the page session; None when there is neither."""
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            try:
                # The gate checked the signature and the age already; this only reads whose token it is.
                payload = URLSafeTimedSerializer(self.secret(), salt=auth.SALT).loads(token.strip())
            except BadSignature:
                return None
            user = payload.get("u") if isinstance(payload, dict) else None
            return f"user:{user}" if isinstance(user, int) else None
        cookie = _cookie(headers, SESSION_COOKIE)
        if cookie is None:
            return None
        # Imported here: the pages' session store sits above this module.
        from truce.web import sessions

        with scope["app"].state.db.session(write=False) as session:
            found = sessions.user_for(session, cookie)
            return f"user:{found.id}" if found is not None else None


async def _get(app: ASGIApp, scope: Scope, headers: dict[bytes, bytes], path: str) -> tuple[str, bytes] | None:
    """GET `path` from the routes as the original request's sender; its media type and body when 200."""
    kept = [(name, value) for name, value in headers.items() if name in (b"authorization", b"cookie", b"host")]
    inner: Scope = {
        **{
            name: scope[name]
            for name in ("type", "asgi", "http_version", "scheme", "server", "client", "app")
            if name in scope
        },
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "root_path": scope.get("root_path", ""),
        "query_string": b"",
        "headers": [*kept, (b"accept", b"application/json")],
        "state": {},
    }
    start: Message | None = None
    parts: list[bytes] = []

    async def nothing() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def capture(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
        elif message["type"] == "http.response.body":
            parts.append(message.get("body", b""))

    await app(inner, nothing, capture)
    if start is None or int(start["status"]) != 200:
        return None
    return _header(list(start.get("headers") or []), b"content-type") or "application/json", b"".join(parts)


async def _spool(receive: Receive, body: IO[bytes]) -> bool:
    """Copy the request body into `body`; False when the client left (or the gate cut the body off) first."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return False
        chunk = message.get("body", b"")
        if chunk:
            await run_in_threadpool(body.write, chunk)
        if not message.get("more_body", False):
            return True


def _fingerprint(scope: Scope, headers: dict[bytes, bytes], body: IO[bytes]) -> str:
    """SHA-256 of the method, path, query and body; a multipart body's random boundary does not count."""
    digest = hashlib.sha256()
    for part in (scope["method"], scope["path"], scope.get("query_string", b"").decode("latin-1")):
        digest.update(part.encode() + b"\0")
    content_type = headers.get(b"content-type", b"").decode("latin-1")
    boundary = _boundary(content_type)
    digest.update(content_type.split(";")[0].strip().lower().encode() + b"\0")
    body.seek(0)
    keep = len(boundary) - 1 if boundary else 0
    tail = b""
    while chunk := body.read(CHUNK):
        data = tail + chunk
        if boundary:
            data = data.replace(boundary, b"\0")
        # Keep the last bytes back: a boundary may straddle two chunks.
        if len(data) <= keep:
            tail = data
            continue
        cut = len(data) - keep
        digest.update(data[:cut])
        tail = data[cut:]
    digest.update(tail)
    return digest.hexdigest()


def _boundary(content_type: str) -> bytes:
    if not content_type.lower().startswith("multipart/"):
        return b""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.strip().partition("=")
        if name.lower() == "boundary" and value:
            return b"--" + value.strip('"').encode("latin-1")
    return b""


def _moment(headers: dict[bytes, bytes], name: bytes) -> datetime | None:
    """A header's ISO 8601 time with its offset; None when absent, unreadable, naive or out of any sane range."""
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.decode("latin-1").strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None or not 2000 <= moment.year <= 2200:
        return None
    return moment


def _answer_seen(seen: store.Seen, fingerprint: str) -> Response:
    received = {RECEIVED: seen.received_at.isoformat()}
    if seen.fingerprint != fingerprint:
        return _problem(
            422,
            "Idempotency-Key: this key was already used for another request (a different record or address); "
            "the record sent first is kept, this one was not stored",
            field="Idempotency-Key",
            headers=received,
        )
    if seen.status is None:
        # Committed without naming its record: a key kept before migration 0020 (`store.note`).
        return _problem(409, store.BUSY, headers={**received, "Retry-After": "1"})
    if seen.answer is None:
        detail = "the request was carried out once before; its answer was too long to keep"
        return JSONResponse({"detail": detail}, seen.status, headers={REPLAYED: "true", **received})
    media_type = seen.media_type or "application/json"
    return Response(seen.answer, seen.status, media_type=media_type, headers={REPLAYED: "true", **received})


def _problem(status: int, detail: str, *, field: str | None = None, headers: dict[str, str] | None = None) -> Response:
    content: dict[str, Any] = {"detail": detail}
    if status == 422:
        # The shape of every other 422 (api/problems.py).
        content.update(errors=[{"field": field or "body", "message": detail}], error_count=1)
    return JSONResponse(content, status, headers=headers)


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")[:100]
    return None


def _cookie(headers: dict[bytes, bytes], name: str) -> str | None:
    for pair in headers.get(b"cookie", b"").decode("latin-1").split(";"):
        key, _, value = pair.strip().partition("=")
        if key == name and value:
            return value
    return None
