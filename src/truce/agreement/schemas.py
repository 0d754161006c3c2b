"""What the API accepts and answers for provisions, their status assessments and deadline extensions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from truce import limits
from truce.agreement.models import LINK_KINDS, PAM_CATEGORIES
from truce.missions.schemas import PartyCode, StrictModel
from truce.numbers import Id
from truce.policy import Classification
from truce.text import Paragraph

Category = Literal[PAM_CATEGORIES]  # type: ignore[valid-type]
LinkKind = Literal[LINK_KINDS]  # type: ignore[valid-type]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of an evidence file, in hex")]


class ProvisionIn(StrictModel):
    number: str = Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z.-]{0,15}$", description="the point's number, e.g. 6.1")
    summary: Paragraph = Field(min_length=1, max_length=2_000)
    text: Paragraph = Field(default="", max_length=20_000, description="the agreement's own words")
    category: Category
    responsible: list[PartyCode] = Field(default_factory=list, max_length=20)
    deadline: limits.Day | None = None
    classification: Classification = "mission"
    restricted_to: list[str] = Field(default_factory=list, max_length=20)


class StatusIn(StrictModel):
    level: int = Field(ge=0, le=3, description="Peace Accords Matrix scale: 0 none, 1 minimal, 2 intermediate, 3 full")
    as_of: limits.Day
    note: Paragraph = Field(default="", max_length=10_000)
    evidence: list[Sha256] = Field(default_factory=list, max_length=50)


class ExtensionIn(StrictModel):
    new_deadline: limits.Day
    decided_on: limits.Day = Field(description="when the parties agreed to the new deadline")
    note: Paragraph = Field(default="", max_length=10_000)


class LinkIn(StrictModel):
    kind: LinkKind
    id: Id


class StatusOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    level: int
    label: str = ""
    as_of: date
    delegation: str | None
    note: str
    evidence: list[str]
    created_at: datetime


class ExtensionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    previous_deadline: date
    new_deadline: date
    decided_on: date
    delegation: str | None
    note: str
    created_at: datetime


class ProvisionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    summary: str
    text: str
    category: str
    responsible: list[str]
    original_deadline: date | None
    deadline: date | None
    extended: bool = False
    level: int
    label: str = ""
    level_as_of: date | None
    level_on: int | None = Field(default=None, description="the level on the day asked about (today by default)")
    overdue: bool = False
    links: dict[str, Any]
    classification: str
    statuses: list[StatusOut] | None = None
    extensions: list[ExtensionOut] | None = None
