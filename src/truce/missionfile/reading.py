"""Reading a mission file (YAML or JSON) and checking it against the JSON Schema shipped beside this module."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from truce import limits
from truce.errors import Message
from truce.missionfile.problems import MissionFileInvalid, Problem, joined, path_of

FORMAT = "truce-mission/1"
# A mission file, or a GeoJSON file it names: the areas of a large mission fit many times over.
MAX_FILE_BYTES = 20 * limits.MB
SCHEMA_FILE = "mission.schema.json"

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError


@functools.cache
def schema() -> dict[str, Any]:
    """The JSON Schema of mission files (format 1), as shipped in the package."""
    loaded: dict[str, Any] = json.loads((files("truce.missionfile") / SCHEMA_FILE).read_text(encoding="utf-8"))
    return loaded


@functools.cache
def _validator() -> Draft202012Validator:
    # jsonschema loads when a mission file is read, not in every process that starts the app (0.1 s each).
    from jsonschema import Draft202012Validator, FormatChecker

    return Draft202012Validator(schema(), format_checker=FormatChecker(formats=("date",)))


@functools.cache
def _places_validator(kind: str) -> Draft202012Validator:
    """The schema of one inline FeatureCollection of `places`, for a GeoJSON file the mission file names."""
    from jsonschema import Draft202012Validator, FormatChecker

    inline = schema()["properties"]["places"]["properties"][kind]["oneOf"][1]
    return Draft202012Validator({**inline, "$defs": schema()["$defs"]}, format_checker=FormatChecker(("date",)))


class _Loader(yaml.SafeLoader):
    """YAML without its surprises: dates stay text (as in JSON), no aliases, no duplicate keys."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.MarkedYAMLError("", None, "aliases (*name) are not accepted in a mission file", event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.MarkedYAMLError("", None, f"the key {key!r} appears twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


# Timestamps stay strings, so that a YAML file and a JSON file say the same thing to the schema.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_text(path: Path) -> str:
    """The text of a file, bounded in size; a problem naming the file when it cannot be read."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise MissionFileInvalid([Problem("", f"cannot read {path}: {exc.strerror or exc}")]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise MissionFileInvalid([Problem("", f"{path} is over {MAX_FILE_BYTES // limits.MB} MB")])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MissionFileInvalid([Problem("", f"{path} is not UTF-8 text (byte {exc.start})")]) from None


def parse(text: str, name: str = "the file") -> Any:
    """A mission file's content: YAML (of which JSON is a part); a problem with the line when it is malformed."""
    if len(text) > MAX_FILE_BYTES:
        raise MissionFileInvalid([Problem("", f"{name} is over {MAX_FILE_BYTES // limits.MB} MB")])
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "somewhere"
        what = " ".join(part for part in (exc.context, exc.problem) if part) or "malformed"
        raise MissionFileInvalid([Problem("", f"{name}, {where}: {what}")]) from None
    except yaml.YAMLError as exc:
        raise MissionFileInvalid([Problem("", f"{name}: {exc}")]) from None


def check_schema(data: Any) -> list[Problem]:
    """Every way `data` breaks the JSON Schema, each at its path in the file."""
    return sorted({problem for error in _validator().iter_errors(data) for problem in _problems(error, "")})


def check_places_file(kind: str, data: Any, where: str) -> list[Problem]:
    """Every way the GeoJSON of a places file breaks the schema; paths begin with `where`."""
    errors = _places_validator(kind).iter_errors(data)
    return sorted({problem for error in errors for problem in _problems(error, where)})


def _problems(error: ValidationError, prefix: str) -> Iterator[Problem]:
    """One schema error as problems a person can act on (a `oneOf` is explained by the branch that was meant)."""
    path = joined(prefix, *error.absolute_path) if prefix else path_of(error.absolute_path)
    if error.validator in ("oneOf", "anyOf") and error.context:
        meant = _meant_branch(error)
        if meant:
            for inner in meant:
                yield from _problems(inner, prefix)
            return
    yield from _messages(error, path)


def _meant_branch(error: ValidationError) -> list[ValidationError]:
    """The errors of the branch whose type matches the value (a string path or an inline collection)."""
    branches: dict[int, list[ValidationError]] = {}
    for inner in error.context or []:
        branches.setdefault(int(inner.schema_path[0]), []).append(inner)
    for _number, errors in sorted(branches.items()):
        if not any(e.validator == "type" and not e.relative_path for e in errors):
            return errors
    return []


def _messages(error: ValidationError, path: str) -> Iterator[Problem]:
    value, rule = error.instance, error.validator
    schema_part: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    if rule == "required":
        for name in error.validator_value if isinstance(error.validator_value, list) else []:
            if isinstance(value, dict) and name not in value:
                yield Problem(joined(path, name), Message("is required"))
        return
    if rule == "additionalProperties" and isinstance(value, dict):
        known = list(schema_part.get("properties", {}))
        for name in value:
            if name not in known:
                said = Message("unknown key; expected one of %(keys)s", keys=", ".join(known)) if known else None
                yield Problem(joined(path, str(name)), said or Message("unknown key"))
        return
    yield Problem(path, _message(error))


def _message(error: ValidationError) -> str:
    value, rule, rule_value = error.instance, error.validator, error.validator_value
    described = error.schema.get("description") if isinstance(error.schema, dict) else None
    shown = limits.shortened(repr(value), 80)
    if rule == "enum":
        choices = rule_value if isinstance(rule_value, list) else []
        return f"{shown} is not one of {', '.join(str(v) for v in choices)}"
    if rule == "const":
        return f"must be {rule_value!r}, not {shown}"
    if rule == "type":
        return f"must be {_type_words(rule_value)}, not {_type_words(_json_type(value))}"
    if rule == "pattern":
        return f"{shown} does not fit: {described}" if described else f"{shown} does not match {rule_value}"
    if rule == "format":
        return f"{shown} is not a real date (YYYY-MM-DD)" if rule_value == "date" else f"{shown} is not a {rule_value}"
    if rule == "propertyNames":
        return f"{limits.shortened(repr(value), 80)}: a key is not {_describe(rule_value) or 'allowed'}"
    if rule == "uniqueItems":
        return "lists the same item twice"
    return limits.shortened(error.message, 200)


def _describe(rule_value: Any) -> str:
    if isinstance(rule_value, dict) and "$ref" in rule_value:
        target = schema()["$defs"].get(rule_value["$ref"].rsplit("/", 1)[-1], {})
        return str(target.get("description", ""))
    return ""


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _type_words(kind: Any) -> str:
    words = {"object": "a mapping", "array": "a list", "string": "text", "integer": "a whole number",
             "number": "a number", "boolean": "true or false", "null": "empty"}  # fmt: skip
    kinds = kind if isinstance(kind, list) else [kind]
    return " or ".join(words.get(k, str(k)) for k in kinds)
