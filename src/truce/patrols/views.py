"""Patrols, tracks and deviations as the API and the map show them (GeoJSON where there is a place)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import orjson

from truce.patrols import points
from truce.patrols.deviation import Deviation, Place, Segment
from truce.patrols.models import Patrol, Track

# A track drawn on the map or sent as GeoJSON keeps at most this many points (every n-th, the last included).
MAX_DRAWN_POINTS = 5_000


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def patrol_feature(patrol: Patrol) -> dict[str, Any]:
    """A patrol as a GeoJSON Feature whose geometry is its planned route."""
    return {
        "type": "Feature",
        "id": patrol.id,
        "geometry": orjson.loads(patrol.route),
        "properties": {
            "id": patrol.id,
            "name": patrol.name,
            "team": patrol.team,
            "delegations": patrol.delegations,
            "vehicles": patrol.vehicles,
            "planned_start": _iso(patrol.planned_start),
            "planned_end": _iso(patrol.planned_end),
            "buffer_m": patrol.buffer_m,
            "checkpoints": patrol.checkpoints,
            "notifications": patrol.notifications,
            "status": patrol.status,
            "started_at": _iso(patrol.started_at),
            "ended_at": _iso(patrol.ended_at),
            "note": patrol.note,
            "classification": patrol.classification,
            "restricted_to": patrol.restricted_to,
            "author_delegation": patrol.author_delegation,
            "created_at": _iso(patrol.created_at),
        },
    }


def track_summary(track: Track) -> dict[str, Any]:
    """What is known of a track without its points."""
    return {
        "id": track.id,
        "patrol_id": track.patrol_id,
        "source": track.source,
        "point_count": track.point_count,
        "timed": track.timed,
        "first_time": _iso(track.first_time),
        "last_time": _iso(track.last_time),
        "length_km": round(track.length_m / 1000.0, 3),
        "bbox": [track.min_lon, track.min_lat, track.max_lon, track.max_lat],
        "points_sha256": track.points_sha256,
        "file_sha256": track.file_sha256,
        "filename": track.filename,
        "author_delegation": track.author_delegation,
        "created_at": _iso(track.created_at),
    }


def track_feature(track: Track, max_points: int = MAX_DRAWN_POINTS) -> dict[str, Any]:
    """A track as a LineString Feature; `times` holds each drawn point's time (null when untimed)."""
    found = points.unpack(track.points)
    chosen = np.arange(len(found))
    if len(found) > max_points:
        chosen = np.unique(np.append(np.linspace(0, len(found) - 1, max_points).astype(int), len(found) - 1))
    coordinates = [[round(float(found.lon[i]), 6), round(float(found.lat[i]), 6)] for i in chosen]
    times = [_iso(found.moment(int(i))) for i in chosen] if track.timed else None
    return {
        "type": "Feature",
        "id": track.id,
        "geometry": {"type": "LineString", "coordinates": coordinates},
        "properties": {**track_summary(track), "drawn_points": len(chosen), "times": times},
    }


def _segment(segment: Segment) -> dict[str, Any]:
    return {
        "first_point": segment.first_point,
        "last_point": segment.last_point,
        "left_at": _iso(segment.left_at),
        "back_at": _iso(segment.back_at),
        "duration_min": None if segment.duration_min is None else round(segment.duration_min, 2),
        "distance_km": round(segment.distance_km, 3),
        "length_km": round(segment.length_km, 3),
        "farthest": list(segment.farthest),
        "left": list(segment.left),
        "back": list(segment.back),
    }


def _place(place: Place) -> dict[str, Any]:
    return {
        "site_id": place.site_id,
        "name": place.name,
        "reached": place.reached,
        "closest_km": round(place.closest_km, 3),
        "arrived_at": _iso(place.arrived_at),
        "left_at": _iso(place.left_at),
        "minutes": None if place.minutes is None else round(place.minutes, 1),
    }


def deviation_view(patrol: Patrol, compared: list[tuple[Track, Deviation]]) -> dict[str, Any]:
    """Each track of a patrol against its plan: segments outside the buffer, places reached and missed."""
    return {
        "patrol_id": patrol.id,
        "buffer_m": patrol.buffer_m,
        "tracks": [
            {
                "track_id": track.id,
                "timed": found.timed,
                "length_km": round(found.length_km, 3),
                "outside_km": round(found.outside_km, 3),
                "outside_min": None if found.outside_min is None else round(found.outside_min, 2),
                "segments": [_segment(s) for s in found.segments],
                "places": [_place(p) for p in found.places],
                "places_not_reached": [p.site_id for p in found.places if not p.reached],
            }
            for track, found in compared
        ],
    }


def segments_feature_collection(compared: list[tuple[Track, Deviation]]) -> dict[str, Any]:
    """The deviations as Features (a line from where the track left the buffer to where it came back)."""
    features = []
    for track, found in compared:
        for segment in found.segments:
            features.append({
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [list(segment.left), list(segment.farthest),
                                                                   list(segment.back)]},
                "properties": {"track_id": track.id, **_segment(segment)},
            })  # fmt: skip
    return {"type": "FeatureCollection", "features": features}
