"""What the API and the demo loader accept and answer for missions and their parties."""

from __future__ import annotations

import functools
from datetime import date
from typing import Annotated, Any, Literal, Self, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from truce import limits
from truce.errors import Message
from truce.numbers import Id, PersonnelCount, VehicleCount
from truce.policy import Classification
from truce.text import MultiLine, Paragraph, clean_all

# A party's (or delegation's) code, the word every domain uses to name a side: `ru`, `az`, `icrc`.
CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"
Code = Field(pattern=CODE_PATTERN, description="short lower-case code")
PartyCode = Annotated[str, Field(pattern=CODE_PATTERN)]
# A delegation's code is matched against records' `restricted_to` and named in usernames and phones' files:
# a letter, then letters, digits and hyphens only, so that no code holds a pattern or quoting character.
DELEGATION_CODE = r"^[a-z][a-z0-9-]{0,31}$"
# A record's name and description in other languages, by ISO 639 code: {"ru": {"name": "...", "description": "..."}}.
TranslationLanguage = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
TranslatedText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Translations = Annotated[
    dict[TranslationLanguage, Annotated[dict[Literal["name", "description"], TranslatedText], Field(max_length=2)]]
    | None,
    Field(default=None, max_length=8, description='name and description per language, e.g. {"ru": {"name": ...}}'),
]


class StrictModel(BaseModel):
    """What every input schema shares: no unknown fields, and text checked once here for every field."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _few_unknown_keys(cls, data: Any) -> Any:
        # extra="forbid" reports every unknown key, each with its input: a million keys cost seconds and
        # a gigabyte. Past a few, one error names the first of them and counts the rest.
        unknown = limits.unknown_keys(data, _accepted_keys(cls))
        if len(unknown) > limits.MAX_REPORTED_ERRORS:
            named = ", ".join(limits.shortened(repr(k), 40) for k in unknown[:5])
            raise PydanticCustomError(
                "extra_forbidden", "{count} unknown fields, such as {named}", {"count": len(unknown), "named": named}
            )
        return data

    @model_validator(mode="after")
    def _clean_text(self) -> Self:
        # Every text field of every input schema (and its lists and mappings), so that none is forgotten; one
        # call per model, not per field: a validator per field doubled the cost of validating an incident.
        values = self.__dict__
        for name, multiline in _text_fields(type(self)):
            value = values[name]
            if value is None:
                continue
            try:
                values[name] = clean_all(value, multiline=multiline)
            except ValueError as exc:
                raise ValueError(Message("%(field)s: %(problem)s", field=name, problem=exc.args[0])) from None
        return self


@functools.cache
def _accepted_keys(model: type[BaseModel]) -> frozenset[str]:
    """The names and aliases of `model`'s fields."""
    return frozenset(
        name for field, info in model.model_fields.items() for name in (field, info.alias) if name is not None
    )


@functools.cache
def _text_fields(model: type[BaseModel]) -> tuple[tuple[str, bool], ...]:
    """The fields of `model` typed as text (`str`, `list[str]`, ...), each with whether it is a `Paragraph`.

    Fields of nested models check themselves; geometries and other `Any` values are not text and are not walked.
    """
    return tuple(
        (name, any(isinstance(m, MultiLine) for m in field.metadata) or _marked(field.annotation))
        for name, field in model.model_fields.items()
        if _names(field.annotation, str)
    )


def _names(annotation: Any, wanted: type) -> bool:
    if annotation is wanted:
        return True
    origin, inner = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        return False  # one of a fixed set of values
    if origin is dict:
        inner = inner[1:]  # the values; keys are names, not text (a geometry is dict[str, Any])
    return any(_names(each, wanted) for each in inner)


def _marked(annotation: Any) -> bool:
    if isinstance(annotation, MultiLine):
        return True
    return any(_marked(inner) for inner in get_args(annotation))


Language = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")]


class MissionIn(StrictModel):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")
    name: str = Field(min_length=1, max_length=200)
    names: dict[Language, str] = Field(default_factory=dict, description="the name in each language")
    languages: list[Language] = Field(default_factory=lambda: ["en"], min_length=1, max_length=10)
    description: Paragraph = ""
    illustrative: bool = False
    translations: Translations = None
    time_zone: str = "UTC"
    public: bool = False
    starts_on: limits.Day | None = None
    ends_on: limits.Day | None = None
    default_classification: Classification = "mission"
    taxonomy: list[dict[str, Any]] = Field(default_factory=list, max_length=200)
    quorum_delegations: int = Field(default=2, ge=1, le=20)
    quorum_required: list[str] = Field(default_factory=list)
    allow_self_verification: bool = True
    duplicate_km: float = Field(default=2.0, gt=0, le=100)
    duplicate_minutes: int = Field(default=60, gt=0, le=60 * 24 * 7)
    ceiling_personnel: PersonnelCount | None = None
    ceiling_armoured_vehicles: VehicleCount | None = None
    ceiling_other_vehicles: VehicleCount | None = None


class MissionUpdate(StrictModel):
    """The settings an administrator may change; omitted fields stay as they are."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: Paragraph | None = None
    public: bool | None = None
    quorum_delegations: int | None = Field(default=None, ge=1, le=20)
    quorum_required: list[str] | None = None
    allow_self_verification: bool | None = None
    duplicate_km: float | None = Field(default=None, gt=0, le=100)
    duplicate_minutes: int | None = Field(default=None, gt=0, le=60 * 24 * 7)


class MissionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    slug: str
    name: str
    description: str
    time_zone: str
    public: bool
    starts_on: date | None


class PartyIn(StrictModel):
    code: str = Code
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["side", "guarantor", "mediator", "agency", "observer"]
    translations: Translations = None


class PartyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    kind: str


class DelegationIn(StrictModel):
    code: str = Field(pattern=DELEGATION_CODE, description="a lower-case letter, then letters, digits or hyphens")
    name: str = Field(min_length=1, max_length=200)
    party: str = Field(description="the code of the party the delegation belongs to")
    translations: Translations = None


class DelegationOut(BaseModel):
    id: int
    code: str
    name: str
    party: str


class DeploymentIn(StrictModel):
    on_date: limits.Day
    site_id: Id | None = None
    personnel: PersonnelCount = 0
    armoured_vehicles: VehicleCount = 0
    other_vehicles: VehicleCount = 0
    note: Paragraph = ""


class DeploymentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    on_date: date
    site_id: int | None
    personnel: int
    armoured_vehicles: int
    other_vehicles: int
    note: str


class StrengthOut(BaseModel):
    """The force's strength on a date against the mandate's ceilings (none: no ceiling set)."""

    date: str
    totals: dict[str, int]
    ceilings: dict[str, int | None]
    exceeded: list[str] = Field(description="what is above its ceiling")
