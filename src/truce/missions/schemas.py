"""What the API and the demo loader accept and answer for missions and their parties."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from truce.numbers import Id, PersonnelCount, VehicleCount

Code = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$", description="short lower-case code")


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MissionIn(StrictModel):
    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    time_zone: str = "UTC"
    public: bool = False
    starts_on: date | None = None
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
    on_date: date
    site_id: Id | None = None
    personnel: PersonnelCount = 0
    armoured_vehicles: VehicleCount = 0
    other_vehicles: VehicleCount = 0
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
