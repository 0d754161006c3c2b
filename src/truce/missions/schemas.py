"""What the API and the demo loader accept and answer for missions and their parties."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from truce import limits

Code = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$", description="short lower-case code")


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _few_unknown_keys(cls, data: Any) -> Any:
        # extra="forbid" reports every unknown key, each with its input: a million keys cost seconds and
        # a gigabyte. Past a few, one error names the first of them and counts the rest.
        accepted = frozenset(
            name for field, info in cls.model_fields.items() for name in (field, info.alias) if name is not None
        )
        unknown = limits.unknown_keys(data, accepted)
        if len(unknown) > limits.MAX_REPORTED_ERRORS:
            named = ", ".join(limits.shortened(repr(k), 40) for k in unknown[:5])
            raise PydanticCustomError(
                "extra_forbidden", "{count} unknown fields, such as {named}", {"count": len(unknown), "named": named}
            )
        return data


class MissionIn(StrictModel):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    time_zone: str = "UTC"
    public: bool = False
    starts_on: limits.Day | None = None
    quorum_delegations: int = Field(default=2, ge=1, le=20)
    quorum_required: list[str] = Field(default_factory=list)
    allow_self_verification: bool = True
    duplicate_km: float = Field(default=2.0, gt=0, le=100)
    duplicate_minutes: int = Field(default=60, gt=0, le=60 * 24 * 7)
    ceiling_personnel: int | None = Field(default=None, ge=0)
    ceiling_armoured_vehicles: int | None = Field(default=None, ge=0)
    ceiling_other_vehicles: int | None = Field(default=None, ge=0)


class MissionUpdate(StrictModel):
    """The settings an administrator may change; omitted fields stay as they are."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = None
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


class PartyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    kind: str


class DelegationIn(StrictModel):
    code: str = Code
    name: str = Field(min_length=1, max_length=200)
    party: str = Field(description="the code of the party the delegation belongs to")


class DelegationOut(BaseModel):
    id: int
    code: str
    name: str
    party: str


class DeploymentIn(StrictModel):
    on_date: limits.Day
    site_id: int | None = None
    personnel: int = Field(default=0, ge=0)
    armoured_vehicles: int = Field(default=0, ge=0)
    other_vehicles: int = Field(default=0, ge=0)
    note: str = ""


class DeploymentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    on_date: date
    site_id: int | None
    personnel: int
    armoured_vehicles: int
    other_vehicles: int
    note: str
