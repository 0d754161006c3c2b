"""The JSON API: one thin router per domain."""

from fastapi import APIRouter

from truce.api import (
    agreement,
    auth,
    claims,
    evidence,
    incidents,
    log,
    missions,
    movements,
    patrols,
    places,
    restrictions,
)

router = APIRouter(prefix="/api/v1")
router.include_router(auth.router)
router.include_router(missions.router)
router.include_router(places.router)
router.include_router(incidents.router)
router.include_router(evidence.router)
router.include_router(log.router)
router.include_router(log.history_router)
router.include_router(agreement.router)
router.include_router(movements.router)
router.include_router(claims.router)
router.include_router(patrols.router)
router.include_router(restrictions.router)
