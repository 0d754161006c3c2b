"""Restrictions and UAV flights as GeoJSON Features, and verdicts, as the API and the map show them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from truce.restrictions.models import Restriction, RestrictionVerdict, UavFlight


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def minutes_between(start: datetime | None, end: datetime | None) -> float | None:
    """Minutes from `start` to `end`, when both are known."""
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / 60.0, 1)


def restriction_feature(restriction: Restriction) -> dict[str, Any]:
    """A restriction as a GeoJSON Feature, with its duration and the escalation's response time derived."""
    r = restriction
    informed = r.centre_informed_at or r.liaison_informed_at
    return {
        "type": "Feature",
        "id": r.id,
        "geometry": orjson.loads(r.geometry),
        "properties": {
            "id": r.id,
            "category": r.category,
            "kind": r.kind,
            "start": _iso(r.start),
            "end": _iso(r.end),
            "duration_min": minutes_between(r.start, r.end),
            "site_id": r.site_id,
            "zone_id": r.zone_id,
            "controlled_by": r.controlled_by,
            "patrol_id": r.patrol_id,
            "uav_flight_id": r.uav_flight_id,
            "reason_given": r.reason_given,
            "liaison_informed_at": _iso(r.liaison_informed_at),
            "centre_informed_at": _iso(r.centre_informed_at),
            "answer": r.answer,
            "answered_at": _iso(r.answered_at),
            "resolved_at": _iso(r.resolved_at),
            "response_min": minutes_between(informed, r.answered_at),
            "narrative": r.narrative,
            "status": r.status,
            "classification": r.classification,
            "restricted_to": r.restricted_to,
            "author_delegation": r.author_delegation,
            "reported_at": _iso(r.reported_at),
        },
    }


def verdict_view(verdict: RestrictionVerdict) -> dict[str, Any]:
    return {
        "id": verdict.id,
        "delegation": verdict.delegation,
        "verdict": verdict.verdict,
        "note": verdict.note,
        "created_at": verdict.created_at.isoformat(),
    }


def flight_feature(flight: UavFlight) -> dict[str, Any]:
    """A UAV flight as a Feature whose geometry is the area flown over."""
    return {
        "type": "Feature",
        "id": flight.id,
        "geometry": orjson.loads(flight.area),
        "properties": {
            "id": flight.id,
            "name": flight.name,
            "aircraft": flight.aircraft,
            "announced": flight.announced,
            "announced_at": _iso(flight.announced_at),
            "start": _iso(flight.start),
            "end": _iso(flight.end),
            "patrol_id": flight.patrol_id,
            "episodes": flight.episodes,
            "interference_min": round(sum(_episode_minutes(e) for e in flight.episodes), 1),
            "note": flight.note,
            "classification": flight.classification,
            "restricted_to": flight.restricted_to,
            "author_delegation": flight.author_delegation,
        },
    }


def _episode_minutes(episode: dict[str, Any]) -> float:
    return minutes_between(datetime.fromisoformat(episode["start"]), datetime.fromisoformat(episode["end"])) or 0.0
