"""The pages as an installable app that works offline: the manifest, the service worker, the outbox's token."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from importlib import resources

from fastapi import Request, Response
from fastapi.responses import FileResponse, JSONResponse

from truce import __version__, auth
from truce.db import utcnow
from truce.errors import Message, NotFound, Unauthorized
from truce.web import basemap, security
from truce.web.context import PlainPage, ReadPage
from truce.web.i18n import N_, gettext_for, negotiate
from truce.web.routing import page_router

router = page_router()
# What the shell's cache version is made of: a new release or a changed file gives a new service worker.
SHELL = ("js/sw.js", "js/outbox-store.js", "js/outbox.js", "js/entry.js", "js/basemap.js", "js/map.js", "css/truce.css")


def shell_version(revision: str) -> str:
    """The service worker's version: Truce's version, the shell files' digest and the operator's revision."""
    static = resources.files("truce.web").joinpath("static")
    digest = hashlib.sha256(__version__.encode())
    for name in SHELL:
        digest.update(static.joinpath(name).read_bytes())
    digest.update(revision.encode())
    return digest.hexdigest()[:16]


@router.get("/manifest.webmanifest", name="manifest")
def manifest(request: Request) -> Response:
    """The web app manifest: Truce installs as an app that opens on the missions."""
    translate = gettext_for(negotiate(request))
    body = {
        "name": "Truce",
        "short_name": "Truce",
        "description": translate(N_("Ceasefire monitoring: report incidents and crossings, online or offline.")),
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1d3557",
        "icons": [{"src": "/static/icons/truce.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"}],
    }
    return JSONResponse(body, media_type="application/manifest+json", headers={"Cache-Control": "no-cache"})


@router.get("/sw.js", name="service_worker")
def service_worker(request: Request) -> Response:
    """The service worker, served from the root so that its scope is every page; its version names its caches."""
    version = getattr(request.app.state, "shell_version", None)
    if version is None:
        version = request.app.state.shell_version = shell_version(request.app.state.settings.shell_revision)
    script = resources.files("truce.web").joinpath("static", "js", "sw.js").read_text(encoding="utf-8")
    script = script.replace("__SHELL_VERSION__", version)
    headers = {"Service-Worker-Allowed": "/", "Cache-Control": "no-cache"}
    return Response(script, media_type="text/javascript", headers=headers)


@router.get("/outbox/token", name="outbox_token")
def outbox_token(request: Request, page: PlainPage) -> Response:
    """A token the page's outbox keeps on the device to send queued records for `offline_days` days.

    The server checks the user, their password and their role again when each record arrives.
    """
    if page.user is None:
        raise Unauthorized(Message("log in first"))
    security.require_same_origin(request)
    days = request.app.state.settings.offline_days
    token = auth.issue_token(request.app.state.secret, page.user, offline=True)
    expires = utcnow() + timedelta(days=days)
    body = {"token": token, "user": page.user.username, "offline_days": days, "expires_at": expires.isoformat()}
    return JSONResponse(body)


@router.get("/m/{slug}/basemap.pmtiles", name="basemap", response_model=None)
def basemap_file(request: Request, page: ReadPage) -> Response:
    """The mission's PMTiles basemap, to whoever may open its map, by ranges (206; 416 for a range beyond it).

    Starlette's FileResponse reads ranges from the file in chunks (at most 100 ranges a request), so no
    request holds more than a chunk in memory whatever it asks for.
    """
    page.mission_or_404()
    found = basemap.path(request.app.state.settings)
    if found is None:
        raise NotFound(Message("this server has no basemap (TRUCE_BASEMAP_PMTILES)"))
    # Versioned by its URL (?v=size-mtime): a browser may keep a range for a day; the page's own headers do not apply.
    headers = {"Cache-Control": "private, max-age=86400", "Content-Security-Policy": "default-src 'none'"}
    return FileResponse(found, media_type=basemap.MEDIA_TYPE, headers=headers)
