"""A mission file checked in full: the schema, then what it means (references, places, times), before anything
is created. `read` answers a `MissionSpec` of service inputs, or raises `MissionFileInvalid` with every problem."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ValidationError

from truce.agreement.schemas import ProvisionIn
from truce.errors import Message
from truce.missionfile import places as file_places
from truce.missionfile.problems import MissionFileInvalid, Problem, joined, undeclared, undeclared_one
from truce.missionfile.reading import check_schema, parse, read_text
from truce.missionfile.taxonomy import check_subtypes
from truce.missions.schemas import DelegationIn, MissionIn, PartyIn
from truce.places.schemas import AreaIn, LineIn, SiteIn

Model = TypeVar("Model", bound=BaseModel)
PLACE_KINDS = ("lines", "areas", "sites")
PlaceModel = type[AreaIn] | type[LineIn] | type[SiteIn]
PLACE_MODELS: dict[str, PlaceModel] = {"areas": AreaIn, "lines": LineIn, "sites": SiteIn}


@dataclass
class PlaceSpec:
    """One place of the file: what the service takes, and where it is in the file."""

    path: str
    feature: AreaIn | LineIn | SiteIn


@dataclass
class MissionSpec:
    """Everything a mission file says, as the services take it, each item with its path in the file."""

    mission: MissionIn
    parties: list[PartyIn] = field(default_factory=list)
    delegations: list[DelegationIn] = field(default_factory=list)
    places: dict[str, list[PlaceSpec]] = field(default_factory=dict)
    provisions: list[ProvisionIn] = field(default_factory=list)


def read(path: Path) -> MissionSpec:
    """The mission file at `path`; GeoJSON files it names are read relative to it."""
    return from_text(read_text(path), base=path.parent, name=str(path))


def from_text(text: str, *, base: Path | None, name: str = "the file") -> MissionSpec:
    """A mission file's text; with `base` None (an upload), places must be inline."""
    return from_data(parse(text, name), base=base)


def from_data(data: Any, *, base: Path | None) -> MissionSpec:
    """A mission file's content, checked in full; raises MissionFileInvalid listing every problem."""
    problems = check_schema(data)
    if problems:
        raise MissionFileInvalid(problems)
    collections, problems = file_places.resolve(data.get("places", {}), base)
    if problems:
        raise MissionFileInvalid(problems)
    builder = _Builder(data)
    spec = builder.build(collections)
    problems = builder.problems + _meaning(data, spec)
    if problems:
        raise MissionFileInvalid(sorted(set(problems)))
    return spec


class _Builder:
    """The service inputs of a schema-valid file; what the services' own checks refuse becomes a problem."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.problems: list[Problem] = []

    def model(self, model: type[Model], value: dict[str, Any], path: str, rename: Callable[[str], str] = str) -> Model:
        try:
            return model.model_validate(value)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                loc = [rename(str(p)) if isinstance(p, str) else p for p in error["loc"]]
                self.problems.append(Problem(joined(path, *loc), error["msg"]))
            return model.model_construct(**value)

    def build(self, collections: dict[str, file_places.Collection]) -> MissionSpec:
        data = self.data
        default = data.get("classification", {}).get("default", "mission")
        spec = MissionSpec(mission=self.model(MissionIn, mission_fields(data), "", _mission_key))
        spec.parties = [self.model(PartyIn, p, f"parties[{i}]") for i, p in enumerate(data["parties"])]
        spec.delegations = [self.model(DelegationIn, d, f"delegations[{i}]") for i, d in enumerate(data["delegations"])]
        for kind in PLACE_KINDS:
            model: PlaceModel = PLACE_MODELS[kind]
            collection = collections.get(kind)
            spec.places[kind] = []
            for number, feature in enumerate(collection.features if collection else []):
                path = joined(collection.where if collection else "", "features", number)
                body = {**feature, "properties": {"classification": default, **feature["properties"]}}
                body.pop("id", None)
                spec.places[kind].append(PlaceSpec(path, self.model(model, body, path)))
        provisions = data.get("agreement", {}).get("provisions", [])
        spec.provisions = [
            self.model(ProvisionIn, {"classification": default, **p}, f"agreement.provisions[{i}]")
            for i, p in enumerate(provisions)
        ]
        return spec


def mission_fields(data: dict[str, Any]) -> dict[str, Any]:
    """What the file says of the mission itself, as `MissionIn` takes it."""
    names: dict[str, str] = data["name"]
    languages = data.get("languages") or list(names)[:1]
    verification, mandate = data["verification"], data.get("mandate", {})
    described = _described(data.get("description", ""), languages)
    fields = {
        "slug": data["slug"],
        "name": names.get(languages[0]) or next(iter(names.values())),
        "names": names,
        "languages": languages,
        "description": described.get(languages[0], ""),
        "translations": _translations(names, described, languages),
        "illustrative": data.get("illustrative", False),
        "time_zone": data["time_zone"],
        "public": data.get("public", False),
        "starts_on": data["starts_on"],
        "ends_on": data.get("ends_on"),
        "default_classification": data.get("classification", {}).get("default", "mission"),
        "quorum_delegations": verification["quorum"],
        "quorum_required": verification.get("required", []),
        "allow_self_verification": verification.get("self_verification", True),
        "duplicate_km": verification.get("duplicate_km", 2.0),
        "duplicate_minutes": verification.get("duplicate_minutes", 60),
        "ceiling_personnel": mandate.get("personnel"),
        "ceiling_armoured_vehicles": mandate.get("armoured_vehicles"),
        "ceiling_other_vehicles": mandate.get("other_vehicles"),
        "taxonomy": data.get("taxonomy", {}).get("subtypes", []),
    }
    return fields


def _described(description: str | dict[str, str], languages: list[str]) -> dict[str, str]:
    """The description by language: a plain text is the first language's."""
    if isinstance(description, dict):
        return {language: text for language, text in description.items() if text}
    return {languages[0]: description} if description else {}


def _translations(names: dict[str, str], described: dict[str, str], languages: list[str]) -> dict[str, Any] | None:
    """The mission's name and description in its other languages, as every record keeps them (`translations`)."""
    result: dict[str, dict[str, str]] = {}
    for language in languages[1:]:
        entry = {"name": names.get(language, ""), "description": described.get(language, "")}
        if kept := {key: text for key, text in entry.items() if text}:
            result[language] = kept
    return result or None


MISSION_KEYS = {
    "names": "name", "quorum_delegations": "verification.quorum", "quorum_required": "verification.required",
    "allow_self_verification": "verification.self_verification", "duplicate_km": "verification.duplicate_km",
    "duplicate_minutes": "verification.duplicate_minutes", "ceiling_personnel": "mandate.personnel",
    "ceiling_armoured_vehicles": "mandate.armoured_vehicles", "ceiling_other_vehicles": "mandate.other_vehicles",
    "default_classification": "classification.default", "taxonomy": "taxonomy.subtypes",
    "translations": "description",
}  # fmt: skip


def _mission_key(name: str) -> str:
    return MISSION_KEYS.get(name, name)


def _meaning(data: dict[str, Any], spec: MissionSpec) -> list[Problem]:
    """What the schema cannot say: references between parts, times, languages, geometry."""
    problems: list[Problem] = []
    problems += _mission(data, spec.mission)
    parties = _declared(problems, "parties", [p.code for p in spec.parties])
    delegations = _declared(problems, "delegations", [d.code for d in spec.delegations])
    for i, delegation in enumerate(spec.delegations):
        undeclared_one(problems, f"delegations[{i}].party", delegation.party, parties, "party")
    verification = data["verification"]
    undeclared(problems, "verification.required", verification.get("required", []), delegations, "delegation")
    if verification["quorum"] > len(delegations):
        problems.append(
            Problem(
                "verification.quorum",
                Message(
                    "%(quorum)s delegations, but only %(count)s exist",
                    quorum=verification["quorum"],
                    count=len(delegations),
                ),
            )
        )
    problems += check_subtypes(data.get("taxonomy", {}).get("subtypes", []), spec.mission.languages)
    problems += _translated(data, spec)
    problems += _provisions(spec, parties, delegations)
    problems += file_places.check(spec.places, parties, delegations)
    return problems


def _mission(data: dict[str, Any], mission: MissionIn) -> list[Problem]:
    problems: list[Problem] = []
    try:
        ZoneInfo(mission.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(
            Problem("time_zone", Message("%(zone)r is not a time zone (IANA names: Asia/Baku)", zone=mission.time_zone))
        )
    if mission.starts_on and mission.ends_on and mission.ends_on < mission.starts_on:
        problems.append(Problem("ends_on", _before_start(mission.ends_on, mission.starts_on)))
    names = data["name"]
    for language in mission.languages:
        if language not in names:
            problems.append(
                Problem(
                    f"name.{language}",
                    Message("missing: the mission works in %(languages)s", languages=", ".join(mission.languages)),
                )
            )
    for language in names:
        if language not in mission.languages:
            problems.append(Problem(f"name.{language}", _not_among(language, mission.languages)))
    return problems


def _before_start(day: date, starts: date) -> Message:
    return Message("%(day)s is before the mission starts (%(start)s)", day=day.isoformat(), start=starts.isoformat())


def _not_among(language: str, languages: list[str]) -> Message:
    return Message(
        "%(language)s is not among the languages (%(languages)s)", language=language, languages=", ".join(languages)
    )


def _translated(data: dict[str, Any], spec: MissionSpec) -> list[Problem]:
    """Translations and descriptions name only the mission's languages (translations: its other languages)."""
    languages = spec.mission.languages
    problems: list[Problem] = []
    description = data.get("description")
    if isinstance(description, dict):
        problems += [
            Problem(f"description.{language}", _not_among(language, languages))
            for language in description
            if language not in languages
        ]
    named: list[tuple[str, Any]] = [(f"parties[{i}]", p.translations) for i, p in enumerate(spec.parties)]
    named += [(f"delegations[{i}]", d.translations) for i, d in enumerate(spec.delegations)]
    named += [
        (joined(item.path, "properties"), item.feature.properties.translations)
        for kind in PLACE_KINDS
        for item in spec.places.get(kind, [])
    ]
    for path, translations in named:
        for language in translations or {}:
            if language not in languages[1:]:
                problems.append(
                    Problem(
                        f"{path}.translations.{language}",
                        Message(
                            "%(language)s is not one of the mission's other languages (%(others)s)",
                            language=language,
                            others=", ".join(languages[1:]),
                        )
                        if languages[1:]
                        else Message(
                            "%(language)s is not one of the mission's other languages (none)", language=language
                        ),
                    )
                )
    return problems


def _declared(problems: list[Problem], where: str, codes: list[str]) -> set[str]:
    """The codes declared under `where`; each one declared twice is a problem."""
    first: dict[str, int] = {}
    for i, code in enumerate(codes):
        if code in first:
            twice = Message("%(code)r is declared twice (also %(other)s)", code=code, other=f"{where}[{first[code]}]")
            problems.append(Problem(f"{where}[{i}].code", twice))
        first.setdefault(code, i)
    return set(first)


def _provisions(spec: MissionSpec, parties: set[str], delegations: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    starts: date | None = spec.mission.starts_on
    for i, provision in enumerate(spec.provisions):
        path = f"agreement.provisions[{i}]"
        if provision.number in seen:
            problems.append(
                Problem(
                    f"{path}.number",
                    Message(
                        "%(number)r appears twice (also %(other)s)",
                        number=provision.number,
                        other=f"agreement.provisions[{seen[provision.number]}]",
                    ),
                )
            )
        seen.setdefault(provision.number, i)
        undeclared(problems, f"{path}.responsible", list(provision.responsible), parties, "party")
        undeclared(problems, f"{path}.restricted_to", list(provision.restricted_to), delegations, "delegation")
        if provision.restricted_to and provision.classification != "restricted":
            problems.append(Problem(f"{path}.restricted_to", Message("only a restricted provision names delegations")))
        if provision.deadline is not None and starts is not None and provision.deadline < starts:
            problems.append(Problem(f"{path}.deadline", _before_start(provision.deadline, starts)))
    return problems
