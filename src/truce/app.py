"""Build the ASGI application: API, pages and error handling over one database."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from truce import __version__, api
from truce.api import problems
from truce.api import reports as reports_api
from truce.api.problems import FieldProblem, ValidationProblem, validation_problem
from truce.config import Settings, prepare_data_dir, resolve_secret
from truce.db import Database, connect
from truce.errors import ConfigError, Invalid, TruceError
from truce.ledger import keys
from truce.openrosa import routes as openrosa_routes
from truce.web import setup as web_setup

log = logging.getLogger("truce")
JSON_BODY_LIMIT = 32 * 1024 * 1024


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    """The Truce web application; opens the database unless one is handed in."""
    settings = settings or Settings()
    prepare_data_dir(settings)
    app = FastAPI(title="Truce", version=__version__, description="Ceasefire monitoring: the system of record.")
    app.state.settings = settings
    app.state.secret = resolve_secret(settings)
    app.state.db = db or connect(settings.effective_database_url())
    app.state.log_signer = keys.load_or_create(settings.data_dir, settings.log_origin)
    app.add_middleware(BodyLimit, upload_limit=lambda: settings.max_upload_mb * 1024 * 1024)
    _add_error_handlers(app)
    problems.install(app)
    # Routes are tried in order: phones' submissions, the busiest endpoint, are matched first.
    app.include_router(openrosa_routes.app_router)
    app.include_router(api.router)
    app.include_router(reports_api.router)
    web_setup.install(app)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    return app


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TruceError)
    def truce_error(_request: Request, exc: TruceError) -> JSONResponse:
        if isinstance(exc, ConfigError):
            log.error("configuration error: %s", exc.detail)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        if isinstance(exc, Invalid):
            # Every 422 has the one shape the OpenAPI document gives it, whether Pydantic or a service refused.
            message = exc.detail.removeprefix(f"{exc.field}: ") if exc.field else exc.detail
            problem = ValidationProblem(
                detail=exc.detail, errors=[FieldProblem(field=exc.field or "body", message=message)]
            )
            return JSONResponse(problem.model_dump(), status_code=422)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(validation_problem([_plain_error(e) for e in exc.errors()]), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse({"detail": "internal error; the operator's log has the details"}, status_code=500)


def _plain_error(error: Any) -> FieldProblem:
    location = [str(part) for part in error.get("loc", ()) if part != "body"]
    field = ".".join(location) or "body"
    message = str(error.get("msg", "invalid"))
    if error.get("type") == "json_invalid":
        field, message = "body", f"malformed JSON ({error.get('ctx', {}).get('error', 'cannot parse')})"
    return FieldProblem(field=field, message=message)


class BodyLimit:
    """Refuse request bodies over the limit with 413, before and while they stream in."""

    def __init__(self, app: ASGIApp, upload_limit: Callable[[], int]) -> None:
        self.app = app
        # Read on every request, so that the setting can change without rebuilding the app.
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1")
        upload_limit = self.upload_limit()
        limit = upload_limit if content_type.startswith("multipart/") else min(upload_limit, JSON_BODY_LIMIT)
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
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
                    await _too_large(send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:
                await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not refused:
                raise


async def _too_large(send: Send, limit: int) -> None:
    response = JSONResponse(
        {"detail": f"the request body is larger than the limit of {limit // (1024 * 1024)} MB"}, status_code=413
    )
    await response({"type": "http"}, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
