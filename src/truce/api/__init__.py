"""The JSON API under /api/v1: every router of it is assembled here, one thin router per domain."""

from truce.api import (
    agreement,
    alerts,
    auth,
    claims,
    devices,
    evidence,
    incidents,
    jobs,
    log,
    log_tiles,
    missions,
    movements,
    patrols,
    places,
    reports,
    restrictions,
    webhooks,
)
from truce.routers import DeclaredRouter

PREFIX = "/api/v1"
# Each router's routes go straight into the application's own under PREFIX (app.py, routers.py).
ROUTERS: tuple[DeclaredRouter, ...] = (
    auth.router,
    missions.router,
    places.router,
    incidents.router,
    evidence.router,
    log.router,
    log_tiles.router,
    log.history_router,
    agreement.router,
    movements.router,
    claims.router,
    reports.router,
    jobs.router,
    # The administrators' phones: registered, listed and revoked.
    devices.router,
    webhooks.router,
    alerts.router,
    patrols.router,
    restrictions.router,
)
