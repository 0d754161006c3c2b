"""Routes of the pages: errors become pages (or a redirect to the login), never JSON or a stack trace."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import ClientDisconnect

from truce import limits
from truce.errors import Message, TruceError
from truce.routers import DeclaredRouter
from truce.web import security
from truce.web.i18n import N_
from truce.web.rendering import redirect, render

log = logging.getLogger("truce.web")

TITLES = {
    400: N_("That request was not understood"),
    401: N_("Please log in"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    409: N_("That conflicts with the record"),
    413: N_("Too large"),
    422: N_("Please check what you entered"),
    500: N_("Something went wrong"),
}


def error_page(request: Request, status_code: int, detail: str) -> Response:
    if status_code == 401:
        target = security.safe_next(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return redirect("/login?next=" + quote(target, safe=""))
    title = TITLES.get(status_code, TITLES[500])
    return render(request, "error.html", {"title": title, "detail": detail}, status_code=status_code)


class PageRoute(APIRoute):
    """An APIRoute whose failures answer as pages, with the security headers of every page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                response = await original(request)
            except TruceError as exc:
                # A service's Message is said in the reader's language (error.html translates it).
                shown = exc.message if isinstance(exc.message, Message) else exc.detail
                response = error_page(request, exc.status_code, shown)
                if exc.retry_after is not None:
                    response.headers["Retry-After"] = str(exc.retry_after)
            except ClientDisconnect:
                # The gate cut the body off and has answered 413 already (gate.py); nothing more to say.
                response = Response(status_code=413)
            except RequestValidationError as exc:
                if _out_of_range_path(exc):
                    # A whole number no record can have (0, -1, beyond INTEGER) is a page that does not exist.
                    response = error_page(request, 404, "")
                else:
                    # The first few fields only: a body of many bad keys gives as many errors (docs/limits.md).
                    named = exc.errors()[: limits.MAX_REPORTED_ERRORS]
                    fields = ", ".join(".".join(str(p) for p in e.get("loc", ())[1:]) for e in named)[:500]
                    response = error_page(request, 400, f"invalid {fields or 'request'}")
            except Exception:
                log.exception("unhandled error on a page")
                response = error_page(request, 500, "")
            security.finish(request, response)
            return response

        return handler


def _out_of_range_path(exc: RequestValidationError) -> bool:
    bounds = {"greater_than_equal", "less_than_equal"}
    errors = exc.errors()
    return bool(errors) and all(e.get("loc", ("",))[0] == "path" and e.get("type") in bounds for e in errors)


def page_router() -> DeclaredRouter:
    """A router for page modules: HTML answers, kept out of the OpenAPI document."""
    return DeclaredRouter(route_class=PageRoute, include_in_schema=False)
