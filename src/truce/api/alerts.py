"""CAP alert rules of a mission (verifiers and administrators set them)."""

from __future__ import annotations

from fastapi import status

from truce.deps import ReadScope, WriteScope
from truce.events import cap
from truce.events.models import AlertRule
from truce.events.schemas import AlertRuleIn, AlertRuleOut
from truce.routers import DeclaredRouter

router = DeclaredRouter(tags=["alerts"])
PATH = "/missions/{slug}/alert-rules"


def _out(rule: AlertRule) -> AlertRuleOut:
    return AlertRuleOut(
        id=rule.id, name=rule.name, types=list(rule.types), area_id=rule.area_id, within_km=rule.within_km,
        severity=rule.severity, active=rule.active,
    )  # fmt: skip


@router.get(PATH)
def list_alert_rules(scope: ReadScope) -> list[AlertRuleOut]:
    """The mission's CAP alert rules."""
    return [_out(r) for r in cap.list_rules(scope.session, scope.mission, actor=scope.actor)]


@router.post(PATH, status_code=status.HTTP_201_CREATED)
def create_alert_rule(scope: WriteScope, body: AlertRuleIn) -> AlertRuleOut:
    """A rule: confirmed public incidents of these types within `within_km` of an area become CAP alerts."""
    rule = cap.create_rule(
        scope.session, scope.mission, name=body.name, types=body.types, area_id=body.area_id,
        within_km=body.within_km, severity=body.severity, actor=scope.actor,
    )  # fmt: skip
    return _out(rule)
