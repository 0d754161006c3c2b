"""Build the ASGI application: API, pages and error handling over one database."""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute

from truce import __version__, api, limits, standby
from truce.api import docs as docs_api
from truce.api import problems
from truce.api.problems import FieldProblem, ValidationProblem, validation_problem
from truce.config import Settings, prepare_data_dir, resolve_secret
from truce.db import Database, connect, utcnow
from truce.errors import ConfigError, Invalid, TruceError, Unavailable
from truce.evidence import stores
from truce.gate import RequestGate
from truce.idempotency.middleware import IdempotencyGate
from truce.ledger import keys
from truce.openrosa import routes as openrosa_routes
from truce.web import setup as web_setup

log = logging.getLogger("truce")
POOL_BUSY = "the database is busy: no connection came free in time; try again in a few seconds"

DESCRIPTION = (
    "Ceasefire monitoring: the system of record.\n\n"
    "Limits (docs/limits.md): a write needs a bearer token, checked before its body is read (401); a JSON body "
    "is at most TRUCE_MAX_JSON_MB (1 MB; an incident batch 20 MB), an upload TRUCE_MAX_UPLOAD_MB (200 MB), a login "
    "form 8 KB (413); at most 20 validation errors are listed, with their count; days lie in 1900-2199 and a "
    "day-by-day series spans at most 3,660 days; a geometry has at most 20,000 positions, 1,000 parts and 1,000 "
    "rings; a list answers at most 10,000 items per page, with X-Total-Count and a Link to the next page."
)


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    """The Truce web application; opens the database unless one is handed in."""
    settings = settings or Settings()
    prepare_data_dir(settings)
    # FastAPI's /docs and /redoc load their scripts from CDNs: /docs is served from the package instead (api/docs.py).
    app = FastAPI(
        title="Truce",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        lifespan=None if db is not None else _closes_its_database,
    )
    app.state.settings = settings
    app.state.secret = resolve_secret(settings)
    app.state.db = db or connect(settings.effective_database_url())
    standby.from_settings(app.state.db, settings)
    app.state.evidence_store = stores.for_settings(settings, app.state.db)
    app.state.log_signer = keys.load_or_create(settings.data_dir, settings.log_origin)
    # What the login limits read the time from; tests replace it to move time on without sleeping.
    app.state.clock = utcnow
    # A repeated Idempotency-Key answers the original record (idempotency/); inside the gate, which runs first.
    app.add_middleware(IdempotencyGate, secret=lambda: app.state.secret)
    # Credentials and the body's size are checked before any body is read (gate.py).
    app.add_middleware(RequestGate, settings=lambda: app.state.settings, secret=lambda: app.state.secret)
    _add_error_handlers(app)
    problems.install(app)
    app.router.routes.extend(_routes())
    return app


@functools.cache
def _routes() -> tuple[BaseRoute, ...]:
    """Every route of the application, built once per process and shared by every app made in it.

    FastAPI works out an included route's parameters, dependencies and response model on the first request
    that reaches its router, once per app. An app of its own routers spent that on its first requests: the
    test suite, which makes an app per test, spent up to half its time there. The routes hold nothing of an
    app (requests reach their app through the ASGI scope); their include has no dependency-overrides
    provider, so `app.dependency_overrides` has no effect, and Truce uses none.
    """
    router = APIRouter()
    # Routes are tried in order: phones' submissions, the busiest endpoint, are matched first.
    openrosa_routes.router.build_into(router)
    for api_router in api.ROUTERS:
        api_router.build_into(router, api.PREFIX)
    docs_api.router.build_into(router)
    web_setup.install(router)
    router.add_api_route("/healthz", healthz, methods=["GET"], tags=["health"])
    return tuple(router.routes)


@asynccontextmanager
async def _closes_its_database(app: FastAPI) -> AsyncIterator[None]:
    """An app that opened its own database closes its connections when it stops (one handed in is the caller's)."""
    yield
    app.state.db.dispose()


def healthz(request: Request) -> dict[str, Any]:
    """Liveness: the process answers; with a read replica, how far behind it is and who readers use."""
    # A module-level function reading the app from the request, not a closure over it: FastAPI keeps every
    # endpoint it has classified in a module-level cache of 4,096 callables, so a closure there would keep its
    # app, and everything the app holds, alive long after the app is gone.
    found: dict[str, Any] = {"status": "ok"}
    replica = request.app.state.db.standby
    if replica is not None:
        found["replica"] = replica.health()
    return found


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TruceError)
    def truce_error(_request: Request, exc: TruceError) -> JSONResponse:
        if isinstance(exc, ConfigError):
            log.error("configuration error: %s", exc.detail)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        if exc.retry_after is not None:
            headers = {"Retry-After": str(exc.retry_after)}
        if isinstance(exc, Invalid):
            # Every 422 has the one shape the OpenAPI document gives it, whether Pydantic or a service refused.
            message = exc.detail.removeprefix(f"{exc.field}: ") if exc.field else exc.detail
            problem = ValidationProblem(
                detail=exc.detail, errors=[FieldProblem(field=exc.field or "body", message=message)], error_count=1
            )
            return JSONResponse(problem.model_dump(), status_code=422)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(PoolTimeout)
    def pool_timeout(request: Request, exc: PoolTimeout) -> JSONResponse:
        # Every pooled connection stayed in use for the pool's timeout: busy, not broken. The transaction that
        # asked for the connection never began; the client may try again, as after any 503.
        log.warning("no database connection came in time: %s", exc)
        return truce_error(request, Unavailable(POOL_BUSY))

    @app.exception_handler(RequestValidationError)
    def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        found = exc.errors()
        # A body of many bad keys gives as many errors: list the first few, count the rest, echo no input.
        errors = [_plain_error(e) for e in found[: limits.MAX_REPORTED_ERRORS]]
        return JSONResponse(validation_problem(errors, len(found)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse({"detail": "internal error; the operator's log has the details"}, status_code=500)


def _plain_error(error: Any) -> FieldProblem:
    location = [str(part) for part in error.get("loc", ()) if part != "body"]
    field = limits.shortened(".".join(location) or "body", 200)
    message = limits.shortened(str(error.get("msg", "invalid")))
    if error.get("type") == "json_invalid":
        field, message = "body", f"malformed JSON ({error.get('ctx', {}).get('error', 'cannot parse')})"
    return FieldProblem(field=field, message=message)
