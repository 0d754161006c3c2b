"""What the API accepts and answers for movements and exchanges."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from truce import limits
from truce.errors import Message
from truce.missions.schemas import PartyCode, StrictModel
from truce.movements.models import DIRECTIONS, EXCHANGE_KINDS, MOVEMENT_KINDS, TRANSPORT_MODES
from truce.numbers import Id, PeopleCount
from truce.policy import Classification
from truce.text import Paragraph

Direction = Literal[DIRECTIONS]  # type: ignore[valid-type]
MovementKind = Literal[MOVEMENT_KINDS]  # type: ignore[valid-type]
TransportMode = Literal[TRANSPORT_MODES]  # type: ignore[valid-type]
ExchangeKind = Literal[EXCHANGE_KINDS]  # type: ignore[valid-type]
Count = PeopleCount
Identifier = Annotated[str, Field(min_length=1, max_length=64)]


class MovementIn(StrictModel):
    site_id: Id = Field(description="the checkpoint or crossing point where the movement was counted")
    direction: Direction
    kind: MovementKind
    on_date: limits.Day
    individuals: Count
    families: Count | None = None
    adults_male: Count | None = None
    adults_female: Count | None = None
    children_male: Count | None = None
    children_female: Count | None = None
    unaccompanied_children: Count | None = None
    vehicles: Count | None = None
    transport_mode: TransportMode | None = None
    origin_site_id: Id | None = Field(default=None, description="a settlement site, where there is one")
    origin: str = Field(default="", max_length=200)
    destination_site_id: Id | None = None
    destination: str = Field(default="", max_length=200)
    convoy: str | None = Field(default=None, max_length=64, description="the convoy's id, shared by its crossings")
    escort: str = Field(default="", max_length=200)
    note: Paragraph = Field(default="", max_length=10_000)
    classification: Classification = "parties"
    restricted_to: list[str] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _groups_fit(self) -> MovementIn:
        groups = [self.adults_male, self.adults_female, self.children_male, self.children_female]
        if sum(g or 0 for g in groups) > self.individuals:
            raise ValueError(Message("the sex and age groups add up to more than the individuals counted"))
        children = [self.children_male, self.children_female]
        known = None not in children and self.unaccompanied_children is not None
        if known and (self.unaccompanied_children or 0) > sum(c or 0 for c in children):
            raise ValueError(Message("more unaccompanied children than children"))
        if self.unaccompanied_children is not None and self.unaccompanied_children > self.individuals:
            raise ValueError(Message("more unaccompanied children than individuals"))
        if self.families is not None and self.families > self.individuals:
            raise ValueError(Message("more families than individuals"))
        return self


class PlaceRef(BaseModel):
    id: int | None
    name: str


class MovementOut(BaseModel):
    id: int
    site: PlaceRef
    direction: str
    kind: str
    on_date: date
    individuals: int
    families: int | None
    adults_male: int | None
    adults_female: int | None
    children_male: int | None
    children_female: int | None
    unaccompanied_children: int | None
    vehicles: int | None
    transport_mode: str | None
    origin: PlaceRef
    destination: PlaceRef
    convoy: str | None
    escort: str
    note: str
    classification: str
    author_delegation: str | None
    created_at: datetime


class ExchangeIn(StrictModel):
    kind: ExchangeKind
    side_a: PartyCode
    side_b: PartyCode
    intermediary: PartyCode | None = Field(default=None, description="the party that carries the exchange out")
    planned_on: limits.Day | None = None
    site_id: Id | None = None
    place: str = Field(default="", max_length=200)
    note: Paragraph = Field(default="", max_length=10_000)
    classification: Classification = "parties"
    restricted_to: list[str] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _distinct(self) -> ExchangeIn:
        if self.side_a == self.side_b:
            raise ValueError(Message("an exchange is between two different parties"))
        if self.intermediary in (self.side_a, self.side_b):
            raise ValueError(Message("the intermediary cannot be one of the sides"))
        return self


class Persons(StrictModel):
    detainees: Count = 0
    bodies: Count = 0
    identifiers: list[Identifier] = Field(
        default_factory=list, max_length=10_000, description="personal identifiers, seen only by the sides"
    )

    @model_validator(mode="after")
    def _identifiers_fit(self) -> Persons:
        if len(self.identifiers) > self.detainees + self.bodies:
            raise ValueError(Message("more identifiers than persons counted"))
        if len({_key(i) for i in self.identifiers}) != len(self.identifiers):
            raise ValueError(Message("an identifier is listed twice"))
        return self


def _key(identifier: str) -> str:
    return "".join(identifier.split()).upper()


class ExchangeListIn(StrictModel):
    side: PartyCode = Field(description="the side whose list this is")
    hands_over: Persons = Field(default_factory=Persons)
    receives: Persons = Field(default_factory=Persons)


class Transferred(StrictModel):
    detainees: Count = 0
    bodies: Count = 0


class HandoverIn(StrictModel):
    on_date: limits.Day
    a_to_b: Transferred = Field(description="handed over by side A to side B")
    b_to_a: Transferred = Field(description="handed over by side B to side A")
    site_id: Id | None = None
    place: str | None = Field(default=None, max_length=200)
    note: Paragraph = Field(default="", max_length=10_000)


class ConfirmIn(StrictModel):
    note: Paragraph = Field(default="", max_length=10_000)
    acknowledge_differences: bool = Field(
        default=False, description="confirm although the lists or the handover differ; the differences are recorded"
    )


class ExchangeListOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    side: str
    hands_over_detainees: int
    hands_over_bodies: int
    receives_detainees: int
    receives_bodies: int
    hands_over_ids: list[str]
    receives_ids: list[str]
    restricted_to: list[str]
    author_delegation: str | None
    submitted_at: datetime
