"""CAP 1.2 alerts: a verifier's rules turn confirmed public incidents into alerts, born from the log.

`on_entries` listens to the log (registered with the outbox in `truce.events`): an incident entry that a rule
matches makes an `Alert` (first time) or an `Update` referencing the previous message; an incident that no longer
matches (retracted, no longer confirmed or public) makes a `Cancel`. Only `public` incidents ever make alerts,
and an area is drawn only when it is public too; otherwise a circle around the incident stands for the place.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import urlsplit

import shapely
from lxml import etree
from shapely.ops import nearest_points
from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from truce import policy
from truce.errors import Invalid
from truce.events import outbox
from truce.events.models import Alert, AlertRule
from truce.incidents.derive import km_between
from truce.ledger import service as ledger
from truce.missions.models import Mission
from truce.places.models import Area
from truce.policy import Actor

CAP = "urn:oasis:names:tc:emergency:cap:1.2"
RULES = cast(Table, AlertRule.__table__)
ALERTS = cast(Table, Alert.__table__)
AREAS = cast(Table, Area.__table__)
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
# Event names per language; the incident types of STANDARDS.md.
EVENT_NAMES = {
    "en": {
        "fire": "Small-arms or other fire",
        "explosion": "Explosion",
        "air": "Air or drone activity",
        "mine_uxo": "Mine or unexploded ordnance",
        "civilian_harm": "Harm to civilians",
    },
    "ru": {
        "fire": "Обстрел из стрелкового или иного оружия",
        "explosion": "Взрыв",
        "air": "Активность авиации или БПЛА",
        "mine_uxo": "Мина или неразорвавшийся боеприпас",
        "civilian_harm": "Ущерб мирному населению",
    },
}
DEFAULT_EVENT = {"en": "Confirmed ceasefire incident", "ru": "Подтверждённый инцидент нарушения перемирия"}
HEADLINE = {"en": "Confirmed: {event}", "ru": "Подтверждено: {event}"}
DESCRIPTION = {
    "en": "The joint monitoring centre confirmed this incident ({start}). Rule: {rule}. Log entry {index}.",
    "ru": "Совместный центр мониторинга подтвердил этот инцидент ({start}). Правило: {rule}. Запись журнала {index}.",
}
LANGUAGES = {"en": "en-US", "ru": "ru-RU"}


# --- rules ------------------------------------------------------------------------------------------------------


def create_rule(
    session: Session, mission: Mission, *, name: str, types: Sequence[str], area_id: int | None,
    within_km: float, severity: str, actor: Actor,
) -> AlertRule:  # fmt: skip
    """A rule for the mission's CAP alerts (verifiers, administrators); logged like every write."""
    policy.require(actor, "alert_rule.write", mission.id)
    if severity not in SEVERITIES:
        raise Invalid(f"severity must be one of {', '.join(SEVERITIES)}", "severity")
    if area_id is not None:
        area = session.get(Area, area_id)
        if area is None or area.mission_id != mission.id or not policy.can_read(actor, area):
            raise Invalid("no such area in this mission", "area_id")
    rule = AlertRule(
        mission_id=mission.id, name=name, types=list(types), area_id=area_id, within_km=within_km,
        severity=severity, created_by=actor.username or "system", active=True,
    )  # fmt: skip
    session.add(rule)
    session.flush()
    outbox.mark_sending(session, mission)
    ledger.record(session, actor, "alert_rule.create", rule)
    return rule


def list_rules(session: Session, mission: Mission, *, actor: Actor) -> list[AlertRule]:
    """The mission's rules, for those who may set them."""
    policy.require(actor, "alert_rule.write", mission.id)
    return list(session.execute(select(AlertRule).where(AlertRule.mission_id == mission.id)).scalars())


def alerts(session: Session, mission: Mission, limit: int = 100) -> list[Alert]:
    """The mission's alerts, newest first: public by construction."""
    query = select(Alert).where(Alert.mission_id == mission.id).order_by(Alert.id.desc()).limit(limit)
    return list(session.execute(query).scalars())


def alert(session: Session, mission: Mission, alert_id: int) -> Alert | None:
    found = session.get(Alert, alert_id)
    return found if found is not None and found.mission_id == mission.id else None


# --- the listener -----------------------------------------------------------------------------------------------


def on_entries(session: Session, entries: Sequence[dict[str, Any]]) -> None:
    """The ledger's listener: alerts, updates and cancels for the incident entries of this batch."""
    incidents = [e for e in entries if e["entity_type"] == "incidents" and e["mission_id"] is not None]
    # A mission that never had a subscription or a rule costs no statement (`Mission.events_out`).
    missions = outbox.sends_events(session, {e["mission_id"] for e in incidents})
    incident_entries = [e for e in incidents if e["mission_id"] in missions]
    if not incident_entries:
        return
    with session.no_autoflush:
        rules = _active_rules(session, missions)
        if not rules:
            return
        for entry in incident_entries:
            entity = json.loads(entry["data"]).get("entity")
            for rule in (r for r in rules if r.mission_id == entry["mission_id"]):
                _apply(session, rule, entry, entity)


def _active_rules(session: Session, missions: set[int]) -> list[Any]:
    """The missions' active rules, read once per transaction (until it writes a rule)."""
    wanted = tuple(sorted(missions))

    def read() -> list[Any]:
        return list(session.execute(select(RULES).where(RULES.c.mission_id.in_(wanted), RULES.c.active.is_(True))))

    return ledger.cached(session, ("events.cap_rules", wanted), read, depends_on=(AlertRule,))


def _apply(session: Session, rule: Any, entry: Mapping[str, Any], entity: dict[str, Any] | None) -> None:
    incident_id = int(entry["entity_id"])
    previous = session.execute(
        select(ALERTS.c.identifier, ALERTS.c.sent, ALERTS.c.msg_type)
        .where(ALERTS.c.rule_id == rule.id, ALERTS.c.incident_id == incident_id)
        .order_by(ALERTS.c.id.desc())
        .limit(1)
    ).one_or_none()
    live = previous is not None and previous.msg_type != "Cancel"
    if entity is not None and _matches(session, rule, entity):
        msg_type = "Update" if live else "Alert"
    elif live:
        msg_type = "Cancel"
    else:
        return
    mission = session.execute(select(Mission.slug).where(Mission.id == entry["mission_id"])).scalar_one()
    sent = datetime.now(UTC).replace(microsecond=0)
    identifier = f"truce.{mission}.rule{rule.id}.log{entry['idx']}"
    references = f"{sender()},{previous.identifier},{_cap_time(previous.sent)}" if live and previous else None
    document = build(
        identifier=identifier, sent=sent, msg_type=msg_type, references=references, rule=rule,
        entity=entity or {}, log_index=int(entry["idx"]),
        area=_public_area(session, (entity or {}).get("zone_id")) or _public_area(session, rule.area_id),
    )  # fmt: skip
    session.execute(
        insert(ALERTS).values(
            mission_id=entry["mission_id"], rule_id=rule.id, incident_id=incident_id, log_index=int(entry["idx"]),
            identifier=identifier, msg_type=msg_type, sent=sent, xml=document,
        )
    )  # fmt: skip


def _matches(session: Session, rule: Any, entity: Mapping[str, Any]) -> bool:
    if entity.get("status") != "confirmed" or not policy.in_public_feed(entity) or entity.get("merged_into_id"):
        return False
    if rule.types and entity.get("type") not in rule.types:
        return False
    if rule.area_id is None:
        return True
    geometry = session.execute(select(AREAS.c.geometry).where(AREAS.c.id == rule.area_id)).scalar_one_or_none()
    if geometry is None:
        return False
    shape = shapely.from_geojson(geometry)
    point = shapely.Point(float(entity["lon"]), float(entity["lat"]))
    if shape.covers(point):
        return True
    nearest = nearest_points(shape, point)[0]
    return km_between(point.x, point.y, nearest.x, nearest.y) <= float(rule.within_km)


def _public_area(session: Session, area_id: int | None) -> tuple[str, str] | None:
    """An area as (name, GeoJSON): the incident's zone, else the rule's area; only a public one is ever drawn."""
    if not area_id:
        return None
    row = session.execute(
        select(AREAS.c.name, AREAS.c.geometry, AREAS.c.classification).where(AREAS.c.id == area_id)
    ).one_or_none()
    if row is None or row.classification != "public":
        return None
    return str(row.name), str(row.geometry)


# --- the message ------------------------------------------------------------------------------------------------


@functools.cache
def sender() -> str:
    """Who sends the alerts: `truce@` and TRUCE_PUBLIC_URL's host (no spaces, commas or `<` `&`, as CAP asks)."""
    from truce.config import Settings

    public_url = Settings().public_url
    host = urlsplit(public_url).hostname if public_url else None
    return f"truce@{host or 'truce.invalid'}"


def _cap_time(moment: datetime) -> str:
    # CAP's dateTime: an explicit offset, never "Z", and no fraction.
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def _polygons(geojson: str) -> list[str]:
    """CAP polygons ("lat,lon" pairs, first = last) of a GeoJSON Polygon or MultiPolygon's outer rings."""
    shape = shapely.from_geojson(geojson)
    parts = list(getattr(shape, "geoms", [shape]))
    rings = [p.exterior.coords for p in parts if p.geom_type == "Polygon"]
    return [" ".join(f"{lat:.5f},{lon:.5f}" for lon, lat in ring) for ring in rings if len(ring) >= 4]


def _sub(parent: etree._Element, name: str, text: str) -> None:
    etree.SubElement(parent, f"{{{CAP}}}{name}").text = text


def build(
    *, identifier: str, sent: datetime, msg_type: str, references: str | None, rule: Any,
    entity: Mapping[str, Any], log_index: int, area: tuple[str, str] | None,
) -> str:  # fmt: skip
    """The CAP 1.2 XML of one message: one `<info>` per language, the zone's polygon or a circle in `<area>`."""
    root = etree.Element(f"{{{CAP}}}alert", nsmap={None: CAP})  # type: ignore[dict-item]  # the default namespace
    for name, text in (
        ("identifier", identifier), ("sender", sender()), ("sent", _cap_time(sent)), ("status", "Actual"),
        ("msgType", msg_type), ("scope", "Public"),
    ):  # fmt: skip
        _sub(root, name, text)
    if references:
        _sub(root, "references", references)
    kind = str(entity.get("type", ""))
    for lang, code in LANGUAGES.items():
        info = etree.SubElement(root, f"{{{CAP}}}info")
        event = EVENT_NAMES[lang].get(kind, DEFAULT_EVENT[lang])
        for name, text in (
            ("language", code), ("category", "Security"), ("event", event), ("urgency", "Immediate"),
            ("severity", rule.severity), ("certainty", "Observed"), ("senderName", "Truce"),
            ("headline", HEADLINE[lang].format(event=event)),
            ("description", DESCRIPTION[lang].format(start=entity.get("start", ""), rule=rule.name, index=log_index)),
        ):  # fmt: skip
            _sub(info, name, text)
        place = etree.SubElement(info, f"{{{CAP}}}area")
        polygons = _polygons(area[1]) if area else []
        _sub(
            place,
            "areaDesc",
            area[0] if area and polygons else f"{entity.get('lat', 0):.5f}, {entity.get('lon', 0):.5f}",
        )
        for polygon in polygons:
            _sub(place, "polygon", polygon)
        if not polygons and "lat" in entity and "lon" in entity:
            _sub(place, "circle", f"{float(entity['lat']):.5f},{float(entity['lon']):.5f} 1.0")
    return etree.tostring(root, xml_declaration=True, encoding="utf-8").decode("utf-8")
