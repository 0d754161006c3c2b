"""Plug the pages into the application: static files and every page module's router."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from fastapi.staticfiles import StaticFiles

from truce.routers import DeclaredRouter
from truce.web import cap, feeds
from truce.web.pages import (
    account,
    admin,
    amend,
    auth,
    claims,
    detail,
    entry,
    exchanges,
    freedom,
    home,
    incidents,
    jobs,
    mapview,
    missions_setup,
    movementmap,
    offline,
    patrols,
    phones,
    provisions,
    reports,
    restrictions,
    returns,
    verify,
    webhooks,
)

# A new page module adds its router here (and its nav entry in nav.NAV).
ROUTERS: list[DeclaredRouter] = [
    auth.router,
    account.router,
    home.router,
    mapview.router,
    movementmap.router,
    patrols.router,
    # Before freedom's `/restrictions/{id}`: `/restrictions/new` is the form.
    restrictions.router,
    freedom.router,
    incidents.router,
    entry.router,
    amend.router,
    detail.router,
    verify.router,
    provisions.router,
    returns.router,
    exchanges.router,
    claims.router,
    reports.router,
    jobs.router,
    admin.router,
    phones.router,
    missions_setup.router,
    webhooks.router,
    feeds.router,
    cap.router,
    offline.router,
]


def install(routes: APIRouter) -> None:
    """Serve the pages and their static files through `routes`."""
    static = resources.files("truce.web").joinpath("static")
    routes.mount("/static", StaticFiles(directory=str(static)), name="static")
    for router in ROUTERS:
        router.build_into(routes)
