"""The JSON API under /api/v1: every router of it is assembled here, one thin router per domain."""

from fastapi import APIRouter

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

router = APIRouter(prefix="/api/v1")
router.include_router(auth.router)
router.include_router(missions.router)
router.include_router(places.router)
router.include_router(incidents.router)
router.include_router(evidence.router)
router.include_router(log.router)
router.include_router(log_tiles.router)
router.include_router(log.history_router)
router.include_router(agreement.router)
router.include_router(movements.router)
router.include_router(claims.router)
router.include_router(reports.router)
router.include_router(jobs.router)
# The administrators' phones: registered, listed and revoked.
router.include_router(devices.router)
router.include_router(webhooks.router)
router.include_router(alerts.router)
router.include_router(patrols.router)
router.include_router(restrictions.router)
