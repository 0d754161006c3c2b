"""The one written form of a mission: what `export` writes and what a checked file means, key by key.

Export writes it from the database; `of_spec` gives it for a checked file. Creating a mission from a file and
exporting it gives back `of_spec` of that file: the same file, less its comments and the defaults it left out.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import yaml

from truce import geo
from truce.missionfile.reading import FORMAT
from truce.missionfile.spec import MissionSpec
from truce.missions.schemas import MissionIn

PLACE_ORDER = ("name", "translations", "kind", "code", "alt_names", "status", "controlled_by", "operated_by",
               "classification", "restricted_to", "valid_from", "valid_until", "note")  # fmt: skip
PROVISION_ORDER = ("number", "category", "responsible", "deadline", "summary", "text", "classification",
                   "restricted_to")  # fmt: skip


def mission_part(mission: MissionIn | Any) -> dict[str, Any]:
    """The mission's own settings (a `MissionIn` or a stored `Mission`), in the file's order."""
    # JSON columns on PostgreSQL (JSONB) keep no key order: the file's order is the languages' order.
    languages = list(mission.languages)
    names = _by_language(dict(mission.names), languages) or {languages[0] if languages else "en": mission.name}
    mandate = {
        "personnel": mission.ceiling_personnel,
        "armoured_vehicles": mission.ceiling_armoured_vehicles,
        "other_vehicles": mission.ceiling_other_vehicles,
    }
    return _kept(
        {
            "format": FORMAT,
            "slug": mission.slug,
            "illustrative": mission.illustrative or None,
            "name": names,
            "description": _description(mission, languages),
            "languages": list(mission.languages),
            "time_zone": mission.time_zone,
            "starts_on": _day(mission.starts_on),
            "ends_on": _day(mission.ends_on),
            "public": mission.public,
        }
    ) | {
        "verification": {
            "quorum": mission.quorum_delegations,
            "required": list(mission.quorum_required),
            "self_verification": mission.allow_self_verification,
            "duplicate_km": float(mission.duplicate_km),
            "duplicate_minutes": mission.duplicate_minutes,
        },
        "classification": {"default": mission.default_classification},
        **({"mandate": _kept(mandate)} if _kept(mandate) else {}),
        **({"taxonomy": {"subtypes": [_subtype(s, languages) for s in mission.taxonomy]}} if mission.taxonomy else {}),
    }


def _description(mission: MissionIn | Any, languages: list[str]) -> str | dict[str, str]:
    """The description: plain text, or by language when it is given in more than one."""
    translated = mission.translations or {}
    others = {lang: entry["description"] for lang, entry in translated.items() if "description" in entry}
    if not others:
        return str(mission.description or "")
    first = {languages[0]: mission.description} if mission.description else {}
    return _by_language({**first, **others}, languages)


def translations(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """A record's `translations` as the file writes them: languages in order, name before description."""
    if not value:
        return None
    return {lang: _kept({k: value[lang].get(k) for k in ("name", "description")}) for lang in sorted(value)}


def party(values: dict[str, Any]) -> dict[str, Any]:
    """A party as the file writes it."""
    return _kept({"code": values["code"], "name": values["name"], "kind": values["kind"],
                  "translations": translations(values.get("translations"))})  # fmt: skip


def delegation(values: dict[str, Any]) -> dict[str, Any]:
    """A delegation as the file writes it."""
    return _kept({"code": values["code"], "party": values["party"], "name": values["name"],
                  "translations": translations(values.get("translations"))})  # fmt: skip


def _by_language(values: dict[str, Any], languages: list[str]) -> dict[str, Any]:
    """`values` by language, in the mission's order of languages, any others after them."""
    order = languages + sorted(set(values) - set(languages))
    return {lang: values[lang] for lang in order if lang in values}


def _subtype(entry: Any, languages: list[str]) -> dict[str, Any]:
    """A local subtype, its keys in the file's order."""
    ordered = {
        "type": entry["type"],
        "subtype": entry["subtype"],
        "acled": {"event_type": entry["acled"]["event_type"], "sub_event_type": entry["acled"]["sub_event_type"]},
    }
    if entry.get("labels"):
        ordered["labels"] = _by_language(dict(entry["labels"]), languages)
    return ordered


def assemble(
    mission: dict[str, Any],
    parties: list[dict[str, Any]],
    delegations: list[dict[str, Any]],
    provisions: list[dict[str, Any]],
    places: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    """The whole file, its parts in the documented order."""
    verification: dict[str, Any] = {
        k: mission.pop(k) for k in ("verification", "classification", "mandate", "taxonomy") if k in mission
    }
    document: dict[str, Any] = {**mission, "parties": parties, "delegations": delegations, **verification}
    if provisions:
        document["agreement"] = {"provisions": provisions}
    kept = {kind: {"type": "FeatureCollection", "features": places[kind]} for kind in ("lines", "areas", "sites")
            if places.get(kind)}  # fmt: skip
    if kept:
        document["places"] = kept
    return document


def place(properties: dict[str, Any], geometry: dict[str, Any]) -> dict[str, Any]:
    """A place as a Feature: its properties in order, empty ones left out."""
    ordered = {k: _plain(properties.get(k)) for k in PLACE_ORDER}
    ordered["translations"] = translations(properties.get("translations"))
    if ordered.get("alt_names"):
        ordered["alt_names"] = [
            _kept({k: name.get(k) for k in ("name", "lang", "used_by")}) for name in ordered["alt_names"]
        ]
    return {"type": "Feature", "properties": _kept(ordered), "geometry": geometry}


def provision(values: dict[str, Any]) -> dict[str, Any]:
    """A provision as the file writes it, empty fields left out."""
    return _kept({k: _plain(values.get(k)) for k in PROVISION_ORDER})


def of_spec(spec: MissionSpec) -> dict[str, Any]:
    """The written form of a checked mission file."""
    places: dict[str, list[dict[str, Any]]] = {}
    for kind, items in spec.places.items():
        allowed = {"areas": geo.POLYGONS, "lines": geo.LINES, "sites": geo.POINTS}[kind]
        places[kind] = [
            place(item.feature.properties.model_dump(mode="json"), _stored(item.feature.geometry, allowed))
            for item in items
        ]
    return assemble(
        mission_part(spec.mission),
        [party(p.model_dump(mode="json")) for p in spec.parties],
        [delegation(d.model_dump(mode="json")) for d in spec.delegations],
        [provision(p.model_dump(mode="json")) for p in spec.provisions],
        places,
    )


def stored_geometry(geometry: dict[str, Any], kind: str) -> dict[str, Any]:
    """A geometry of `kind` (areas, lines, sites) as Truce stores it."""
    return _stored(geometry, {"areas": geo.POLYGONS, "lines": geo.LINES, "sites": geo.POINTS}[kind])


def _stored(geometry: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    """A geometry as Truce stores it (and so exports it)."""
    stored: dict[str, Any] = json.loads(geo.dumps(geo.parse_geometry(geometry, allowed)))
    return stored


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v not in (None, "")}
    return value


def _kept(values: dict[str, Any]) -> dict[str, Any]:
    """`values` without the empty ones (None, "", [])."""
    return {k: v for k, v in values.items() if v is not None and v != "" and v != []}


# --- writing ---------------------------------------------------------------------------------------------------


class _Flow(list[Any]):
    """A list written on one line: coordinates, codes."""


class _FlowMap(dict[str, Any]):
    """A small mapping written on one line: a party, a delegation, a point."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))
_Dumper.add_representer(_FlowMap, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True))
# A mapping on one line when it is this short (and holds no mapping and no list of lists).
FLOW_CHARS = 100


def _flowing(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        inner = {k: _flowing(v, k) for k, v in value.items()}
        simple = not any(_nested(v) for v in value.values())
        if simple and len(json.dumps(value, ensure_ascii=False)) <= FLOW_CHARS:
            return _FlowMap(inner)
        return inner
    if isinstance(value, list):
        if key == "coordinates" or all(not isinstance(v, dict | list) for v in value):
            return _Flow(value)
        return [_flowing(v) for v in value]
    return value


def _nested(value: Any) -> bool:
    """Whether a value holds a mapping, or is a list holding lists or mappings."""
    return isinstance(value, dict) or (isinstance(value, list) and any(isinstance(i, dict | list) for i in value))


def dump_yaml(document: dict[str, Any], header: str = "") -> str:
    """The file as YAML: keys in the documented order, coordinates and codes on one line."""
    text = yaml.dump(_flowing(document), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
    return header + text


def dump_json(document: dict[str, Any]) -> str:
    """The file as JSON."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
