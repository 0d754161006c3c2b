"""The gate every request passes before its body is read: credentials first, then the body's size.

FastAPI reads and parses a route's body before it resolves the dependencies that find the caller,
so a 150 MB multipart body or a JSON object of a million keys used to be parsed before a missing
login was noticed. Here a write to the API needs a bearer token whose signature holds, a write to
a page needs a live session cookie, and each route has the body limit it needs (docs/limits.md);
a declared Content-Length over it is refused at once, and a body without one is counted as it streams.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from truce import auth, limits
from truce.config import Settings
from truce.errors import Unauthorized

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Forms anyone may post, each a few fields long.
OPEN_FORMS = frozenset({"/login", "/logout", "/language", "/api/v1/auth/token"})
# A cosignature is its own credential (api/log.py).
OPEN_API = frozenset({"/api/v1/log/cosignatures"})
UPLOADS = re.compile(r"^/api/v1/missions/[^/]+/(incidents/[^/]+/evidence|patrols/[^/]+/track)$")
# The pages' forms that carry evidence files: the incident form and an incident's "Add evidence".
PAGE_UPLOADS = re.compile(r"^/m/[^/]+/incidents/(new|[^/]+/evidence)$")
BATCHES = re.compile(r"^/api/v1/missions/[^/]+/incidents/batch$")
SESSION_COOKIE = "truce_session"


@dataclass(frozen=True)
class Rule:
    """What a request to one path must show before its body is read, and how large that body may be."""

    limit: int
    login: str | None  # "bearer" for the API, "session" for the pages, None when anyone may post


def rule_for(path: str, method: str, content_type: str, settings: Settings) -> Rule:
    """The rule for a request; the body limits are those of docs/limits.md."""
    upload = settings.max_upload_mb * limits.MB
    body = settings.max_json_mb * limits.MB
    writes = method in WRITES
    if path in OPEN_FORMS:
        return Rule(limits.LOGIN_FORM_BYTES, None)
    if path in OPEN_API:
        return Rule(limits.COSIGNATURE_BYTES, None)
    if path.startswith("/openrosa/"):
        # The OpenRosa routes check the phone's credentials themselves before reading (openrosa/routes.py),
        # and answer a missing one with the Digest challenge phones expect.
        return Rule(upload, None)
    multipart = content_type.startswith("multipart/")
    if path.startswith("/api/"):
        if multipart and UPLOADS.match(path):
            limit = upload
        elif BATCHES.match(path):
            limit = max(body, limits.BATCH_JSON_MB * limits.MB)
        else:
            limit = body
        return Rule(limit, "bearer" if writes else None)
    if multipart and PAGE_UPLOADS.match(path):
        return Rule(upload, "session" if writes else None)
    return Rule(body, "session" if writes else None)


class RequestGate:
    """Refuse a write without credentials (401), or a body over its route's limit (413), before reading it."""

    def __init__(self, app: ASGIApp, settings: Callable[[], Settings], secret: Callable[[], str]) -> None:
        self.app = app
        # Read on every request, so that a test or an operator may change the setting without a new app.
        self.settings = settings
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        path, method = scope["path"], scope["method"]
        rule = rule_for(path, method, content_type, self.settings())
        refusal = await self._credentials_refused(scope, headers, rule)
        if refusal is not None:
            await refusal(scope, _no_receive, send)
            return
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > rule.limit:
            await _too_large(scope, send, rule.limit)
            return
        await _counted(self.app, scope, receive, send, rule.limit)

    async def _credentials_refused(self, scope: Scope, headers: dict[bytes, bytes], rule: Rule) -> Response | None:
        if rule.login == "bearer":
            return self._bearer_refused(headers)
        if rule.login == "session":
            cookie = _cookie(headers, SESSION_COOKIE)
            if cookie is not None and await run_in_threadpool(_session_alive, scope, cookie):
                return None
            return RedirectResponse("/login", status_code=303)
        return None

    def _bearer_refused(self, headers: dict[bytes, bytes]) -> Response | None:
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _unauthorized("log in first: this request needs a bearer token (POST /api/v1/auth/token)")
        config = self.settings()
        try:
            # The signature and age only; the dependency that finds the user checks the rest.
            auth.read_token(self.secret(), token.strip(), config.token_hours * 3600, config.offline_days * 86400)
        except Unauthorized as exc:
            return _unauthorized(exc.detail)
        return None


def _session_alive(scope: Scope, token: str) -> bool:
    # Imported here: the pages' session store sits above this foundation module.
    from truce.web import sessions

    with scope["app"].state.db.session(write=False) as session:
        return sessions.user_for(session, token) is not None


def _cookie(headers: dict[bytes, bytes], name: str) -> str | None:
    for pair in headers.get(b"cookie", b"").decode("latin-1").split(";"):
        key, _, value = pair.strip().partition("=")
        if key == name and value:
            return value
    return None


async def _counted(app: ASGIApp, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    """Run `app`, cutting the body off with 413 as soon as more than `limit` bytes have come in."""
    received = 0
    refused = False

    async def limited_receive() -> Message:
        nonlocal received, refused
        if refused:
            return {"type": "http.disconnect"}
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                # Answer now and tell the app the client left: parsers would turn an error into a 400.
                refused = True
                await _too_large(scope, send, limit)
                return {"type": "http.disconnect"}
        return message

    async def guarded_send(message: Message) -> None:
        if not refused:
            await send(message)

    try:
        await app(scope, limited_receive, guarded_send)
    except Exception:
        if not refused:
            raise


def _unauthorized(detail: str) -> Response:
    return JSONResponse({"detail": detail}, status_code=401, headers={"WWW-Authenticate": "Bearer"})


def _size(limit: int) -> str:
    return f"{limit // limits.MB} MB" if limit >= limits.MB else f"{limit // limits.KB} KB"


async def _too_large(scope: Scope, send: Send, limit: int) -> None:
    detail = f"the request body is larger than the limit of {_size(limit)}"
    response: Response
    if str(scope.get("path", "")).startswith("/openrosa/"):
        # A phone reads only OpenRosa's XML answers. Imported here: the OpenRosa routes sit above this module.
        from truce.openrosa.routes import error_response

        response = error_response(detail, 413, {"X-OpenRosa-Accept-Content-Length": str(limit)})
    else:
        response = JSONResponse({"detail": detail}, 413)
    await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
