"""GeoJSON: incidents out as a streamed FeatureCollection; areas, lines and sites in from one.

Export: each incident is `truce.incidents.presenters.feature`, written as soon as it is read. A reader is
never pointed at a place hidden from them: `observer_site` (with the bearing and distance that would locate
it), `nearest_site` (with its distance) and `zone` are emptied unless the reader may see that site or area.
`zone_name` is added beside `zone`.

Import: a feature is an area, a line or a site by its `place` property when it has one, else by its geometry
(Polygon/MultiPolygon, LineString/MultiLineString, Point). The `id` and `place` properties are set aside, so
the API's own place collections import as they are. A place with the same name as one of its kind already in
the mission is taken to be that place and left alone, so importing a file twice changes nothing.
"""

from __future__ import annotations

import json
from typing import Any, BinaryIO, TextIO

from sqlalchemy.orm import Session

from truce.errors import Invalid
from truce.incidents import presenters as incident_presenters
from truce.interop.export import CHUNK, YIELD_PER, Progress, View, selection
from truce.interop.reading import NOTHING_IMPORTED, RowError

PLACE_BY_GEOMETRY = {
    "Polygon": "area", "MultiPolygon": "area", "LineString": "line", "MultiLineString": "line", "Point": "site",
}  # fmt: skip
PLACE_KINDS = ("area", "line", "site")
# Maps are small; a larger file is refused rather than parsed whole into memory.
MAX_BYTES = 50_000_000
SET_ASIDE = ("id", "place")


def write(session: Session, view: View, out: TextIO, progress: Progress) -> int:
    """Write the reader's incidents as a GeoJSON FeatureCollection, one feature at a time; how many."""
    stmt = selection(view, events_only=False).execution_options(yield_per=YIELD_PER)
    out.write('{"type":"FeatureCollection","features":[\n')
    written = 0
    for incident in session.execute(stmt).scalars():
        if written:
            out.write(",\n")
        shown = incident_presenters.feature(incident, site_names=view.site_names, local=view.mission.taxonomy)
        feature = redact(view, shown)
        out.write(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
        written += 1
        if written % CHUNK == 0:
            progress(written)
    out.write("\n]}\n")
    progress(written)
    return written


def redact(view: View, feature: dict[str, Any]) -> dict[str, Any]:
    """Empty the properties that point at sites and areas the reader may not see."""
    props = feature["properties"]
    if props["observer_site"] is not None and props["observer_site"] not in view.site_names:
        props.update(observer_site=None, bearing_deg=None, distance_km=None)
    if props["nearest_site"] is not None and props["nearest_site"] not in view.site_names:
        props.update(nearest_site=None, nearest_site_name=None, nearest_site_km=None)
    if props["zone"] is not None and props["zone"] not in view.zone_names:
        props["zone"] = None
    props["zone_name"] = view.zone_names.get(props["zone"]) if props["zone"] is not None else None
    return feature


def read_features(stream: BinaryIO, name: str) -> list[Any]:
    """The features of a GeoJSON FeatureCollection file; fails at once on a file that is not one."""
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise Invalid(f"{name} is larger than {MAX_BYTES // 1_000_000} MB; split it; {NOTHING_IMPORTED}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise Invalid(f"{name} line {line} is not UTF-8 text; save it as UTF-8; {NOTHING_IMPORTED}") from None
    try:
        collection = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Invalid(f"{name} line {exc.lineno} column {exc.colno}: {exc.msg}; {NOTHING_IMPORTED}") from None
    except RecursionError:
        raise Invalid(f"{name} is nested too deeply to be GeoJSON; {NOTHING_IMPORTED}") from None
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise Invalid(f"{name} is not a GeoJSON FeatureCollection; {NOTHING_IMPORTED}")
    features = collection.get("features")
    if not isinstance(features, list):
        raise Invalid(f"{name}: `features` is not a list; {NOTHING_IMPORTED}")
    return features


def place_of(feature: Any) -> tuple[str, dict[str, Any]]:
    """Whether a feature is an area, a line or a site, and the feature as the places service takes it."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise RowError("is not a GeoJSON Feature")
    properties = feature.get("properties")
    if not isinstance(properties, dict):
        raise RowError("has no properties object")
    geometry = feature.get("geometry")
    geometry_type = geometry.get("type") if isinstance(geometry, dict) else None
    place = properties.get("place") or PLACE_BY_GEOMETRY.get(str(geometry_type))
    if place not in PLACE_KINDS:
        if "place" in properties:
            raise RowError(f"place {str(properties['place'])[:40]!r} is not one of {', '.join(PLACE_KINDS)}")
        raise RowError(f"a {str(geometry_type)[:40]} geometry is not an area, a line or a site")
    kept = {k: v for k, v in properties.items() if k not in SET_ASIDE}
    return str(place), {"type": "Feature", "geometry": geometry, "properties": kept}
