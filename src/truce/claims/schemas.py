"""What the API accepts and answers for claims."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from truce import limits
from truce.agreement.schemas import Sha256
from truce.claims.models import CLAIM_STATUSES, QUALIFIERS
from truce.errors import Message
from truce.missions.schemas import PartyCode, StrictModel
from truce.numbers import MAX_STATED, Id, StatedFigure
from truce.policy import Classification
from truce.text import Paragraph

ClaimStatus = Literal[CLAIM_STATUSES]  # type: ignore[valid-type]
Qualifier = Literal[QUALIFIERS]  # type: ignore[valid-type]
Ids = list[Id]


class StatedNumber(StrictModel):
    value: StatedFigure = Field(description=f"the number as stated, at most {MAX_STATED:,}")
    counts: str = Field(pattern=r"^[a-z][a-z _-]{0,63}$", description="what it counts, e.g. returnees, fighters")
    as_of: limits.Day | None = Field(
        default=None, description="the day the number refers to; the claim's date if empty"
    )
    cumulative: bool = Field(default=True, description="a running total (true) or that day's figure (false)")
    qualifier: Qualifier = "exactly"


class ClaimLinks(StrictModel):
    provisions: Ids = Field(default_factory=list, max_length=100)
    movements: Ids = Field(default_factory=list, max_length=100)
    incidents: Ids = Field(default_factory=list, max_length=100)
    exchanges: Ids = Field(default_factory=list, max_length=100)


class ClaimIn(StrictModel):
    speaker: str = Field(min_length=1, max_length=200)
    affiliation: PartyCode | None = Field(default=None, description="the speaker's party, by code")
    affiliation_text: str = Field(default="", max_length=200, description="the affiliation in words")
    said_on: limits.Day
    source_title: str = Field(min_length=1, max_length=300)
    source_url: str = Field(default="", max_length=2000, pattern=r"^(https?://\S+)?$")
    summary: Paragraph = Field(min_length=1, max_length=10_000, description="the claim in our words")
    numbers: list[StatedNumber] = Field(default_factory=list, max_length=50)
    links: ClaimLinks = Field(default_factory=ClaimLinks)
    classification: Classification = "mission"
    restricted_to: list[str] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _affiliated(self) -> ClaimIn:
        if self.affiliation is None and not self.affiliation_text:
            raise ValueError(Message("give the speaker's affiliation: a party code or words"))
        return self


class AssessmentIn(StrictModel):
    status: ClaimStatus
    note: Paragraph = Field(min_length=1, max_length=10_000, description="why the record bears the claim out, or not")
    evidence: list[Sha256] = Field(default_factory=list, max_length=50)
    links: ClaimLinks = Field(default_factory=ClaimLinks, description="records to link in support")


class ClaimOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    speaker: str
    affiliation: str | None
    affiliation_text: str
    said_on: date
    source_title: str
    source_url: str
    summary: str
    numbers: list[dict[str, Any]]
    links: dict[str, Any]
    status: str
    status_note: str
    status_evidence: list[str]
    status_by: str | None
    status_on: date | None
    classification: str
    author_delegation: str | None
    created_at: datetime
