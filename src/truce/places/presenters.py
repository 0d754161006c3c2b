"""Places as the API and the map show them: GeoJSON Features naming parties and delegations by code.

The API answers the stored names; the map's layers (`locale` given) answer each place's name in the reader's
language, and each site's `label`: that name with the other names the place goes by.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from truce import policy, translation
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.places.models import Area, Placed, Site
from truce.policy import Actor


def feature(
    record: Placed, *, party_codes: dict[int, str], delegation_codes: dict[int, str], locale: str | None = None
) -> dict[str, Any]:
    """A place as a GeoJSON Feature (named in `locale` when given, else by its stored name)."""
    properties: dict[str, Any] = {
        "id": record.id,
        "name": record.name if locale is None else translation.localized(record, locale),
        "kind": getattr(record, "kind", None),
        "classification": record.classification,
        "valid_from": record.valid_from.isoformat() if record.valid_from else None,
        "valid_until": record.valid_until.isoformat() if record.valid_until else None,
        "note": record.note,
    }
    if record.classification == "restricted":
        properties["restricted_to"] = record.restricted_to
    if isinstance(record, Area):
        properties["controlled_by"] = party_codes.get(record.controlled_by_id or 0)
    if isinstance(record, Site):
        properties.update(
            code=record.code,
            alt_names=record.alt_names,
            status=record.status,
            operated_by=delegation_codes.get(record.operated_by_id or 0),
        )
        if locale is not None:
            properties["label"] = label(record, locale)
    return {"type": "Feature", "id": record.id, "geometry": json.loads(record.geometry), "properties": properties}


def feature_collection(
    session: Session, mission: Mission, records: list[Any], locale: str | None = None
) -> dict[str, Any]:
    """Places as a GeoJSON FeatureCollection (named in `locale` when given)."""
    party_codes = {p.id: p.code for p in missions_service.parties(session, mission)}
    delegation_codes = {d.id: d.code for d in missions_service.delegations(session, mission)}
    features = [feature(r, party_codes=party_codes, delegation_codes=delegation_codes, locale=locale) for r in records]
    return {"type": "FeatureCollection", "features": features}


def label(site: Site, locale: str) -> str:
    """The site's name in `locale` with its other names, each once: "Степанакерт / Ханкенди".

    A translation already renders the names the stored one gives (Stepanakert / Khankendi), so beside it only
    the other names written in `locale` are added; without one, every other name is, as the stored name reads.
    """
    shown = translation.localized(site, locale)
    names = shown.split(" / ")
    translated = shown != site.name
    for other in site.alt_names or []:
        name = other.get("name") if isinstance(other, dict) else other
        written_in = other.get("lang") if isinstance(other, dict) else None
        if not isinstance(name, str) or not name or name in names:
            continue
        if translated and written_in != locale:
            continue
        names.append(name)
    return " / ".join(names)


def site_names(session: Session, mission: Mission, actor: Actor, locale: str | None = None) -> dict[int, str]:
    """Names of the mission's sites the actor may read, by id (in `locale` when given, else as stored)."""
    stmt = select(Site.id, Site.name, Site.translations).where(
        Site.mission_id == mission.id, policy.readable(actor, Site)
    )
    if locale is None:
        return {site_id: name for site_id, name, _ in session.execute(stmt)}
    return {site_id: _in(locale, name, translations) for site_id, name, translations in session.execute(stmt)}


def area_names(session: Session, mission: Mission, actor: Actor, locale: str) -> dict[str, str]:
    """The mission's readable areas' stored names, each to its name in `locale` (tables that keep the stored name)."""
    stmt = select(Area.name, Area.translations).where(Area.mission_id == mission.id, policy.readable(actor, Area))
    return {name: _in(locale, name, translations) for name, translations in session.execute(stmt)}


def _in(locale: str, name: str, translations: dict[str, Any] | None) -> str:
    """A name in `locale` from its record's stored name and `translations` (as `translation.localized` reads)."""
    entry = (translations or {}).get(locale) if isinstance(translations, dict) else None
    return str(entry["name"]) if isinstance(entry, dict) and entry.get("name") else name
