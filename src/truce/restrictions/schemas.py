"""What the API accepts for restrictions and UAV flights."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from truce import limits
from truce.errors import Inconsistent, Message
from truce.missions.schemas import CODE_PATTERN, StrictModel
from truce.numbers import Id, Int64
from truce.policy import Classification
from truce.restrictions.models import CATEGORIES, INTERFERENCE_TYPES, KINDS
from truce.text import Paragraph

Category = Literal[CATEGORIES]  # type: ignore[valid-type]
Kind = Literal[KINDS]  # type: ignore[valid-type]
InterferenceType = Literal[INTERFERENCE_TYPES]  # type: ignore[valid-type]
PartyCode = Field(max_length=32, pattern=CODE_PATTERN)


class RestrictionProperties(StrictModel):
    category: Category
    kind: Kind
    start: limits.Moment
    end: limits.Moment | None = Field(default=None, description="when passage was granted or the restriction ended")
    site_id: Id | None = Field(default=None, description="the checkpoint (or other site) where it happened")
    controlled_by: str | None = Field(default=None, max_length=32, description="the controlling party's code")
    patrol_id: Id | None = None
    uav_flight_id: Id | None = None
    reason_given: Paragraph = Field(default="", max_length=5_000)
    liaison_informed_at: limits.Moment | None = None
    centre_informed_at: limits.Moment | None = Field(default=None, description="when the joint centre was told")
    answer: Paragraph = Field(default="", max_length=5_000, description="the liaison officers' or centre's answer")
    answered_at: limits.Moment | None = None
    resolved_at: limits.Moment | None = None
    narrative: Paragraph = Field(default="", max_length=20_000)
    classification: Classification = "parties"
    restricted_to: list[str] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _in_order(self) -> RestrictionProperties:
        for name in ("end", "liaison_informed_at", "centre_informed_at", "answered_at", "resolved_at"):
            moment = getattr(self, name)
            if moment is not None and moment < self.start:
                # Named, so that the pages put it on that moment's field, in the reader's language.
                raise Inconsistent(Message("%(name)s is before start", name=name), field=name, code="before_start")
        return self


class RestrictionIn(StrictModel):
    """A restriction: a Feature with a Point, or with no geometry and `site_id` (the site's position is used)."""

    type: Literal["Feature"]
    geometry: dict[str, Any] | None = None
    properties: RestrictionProperties
    id: Int64 | str | None = None

    @model_validator(mode="after")
    def _placed(self) -> RestrictionIn:
        if self.geometry is None and self.properties.site_id is None:
            raise Inconsistent(
                Message("give a Point geometry, or properties.site_id"), field="geometry", code="geometry_missing"
            )
        return self


class Episode(StrictModel):
    """A spell of interference with a UAV's signals, and what it was assessed to be."""

    start: limits.Moment
    end: limits.Moment
    type: InterferenceType
    note: str = Field(default="", max_length=1_000)

    @model_validator(mode="after")
    def _in_order(self) -> Episode:
        if self.end < self.start:
            raise ValueError(Message("end is before start"))
        return self


class UavFlightProperties(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    aircraft: str = Field(default="", max_length=100)
    announced: bool = False
    announced_at: limits.Moment | None = None
    start: limits.Moment
    end: limits.Moment | None = None
    patrol_id: Id | None = None
    episodes: list[Episode] = Field(default_factory=list, max_length=100)
    note: Paragraph = Field(default="", max_length=10_000)
    classification: Classification = "mission"
    restricted_to: list[str] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _consistent(self) -> UavFlightProperties:
        if self.end is not None and self.end < self.start:
            raise ValueError(Message("end is before start"))
        if self.announced_at is not None and not self.announced:
            raise ValueError(Message("announced_at is given but announced is false"))
        for index, episode in enumerate(self.episodes):
            if episode.start < self.start or (self.end is not None and episode.end > self.end):
                raise ValueError(Message("episodes.%(index)s lies outside the flight's start and end", index=index))
        return self


class UavFlightIn(StrictModel):
    """A UAV flight: a Feature whose geometry is the area flown over (Polygon or MultiPolygon)."""

    type: Literal["Feature"]
    geometry: dict[str, Any]
    properties: UavFlightProperties
    id: Int64 | str | None = None


# --- what the API answers ---------------------------------------------------------------------------------------


class RestrictionPropertiesOut(BaseModel):
    id: int
    category: str
    kind: str
    start: str
    end: str | None
    duration_min: float | None
    site_id: int | None
    zone_id: int | None
    controlled_by: str | None
    patrol_id: int | None
    uav_flight_id: int | None
    reason_given: str
    liaison_informed_at: str | None
    centre_informed_at: str | None
    answer: str
    answered_at: str | None
    resolved_at: str | None
    response_min: float | None = Field(description="from the centre (or liaison officers) being told to the answer")
    narrative: str
    status: str
    classification: str
    restricted_to: list[str]
    author_delegation: str | None
    reported_at: str


class RestrictionFeatureOut(BaseModel):
    type: Literal["Feature"]
    id: int
    geometry: dict[str, Any] = Field(description="a GeoJSON Point")
    properties: RestrictionPropertiesOut


class RestrictionCollectionOut(BaseModel):
    type: Literal["FeatureCollection"]
    features: list[RestrictionFeatureOut]


class RestrictionVerdictOut(BaseModel):
    id: int
    delegation: str
    verdict: str
    note: str
    created_at: str


class RestrictionVerdictGivenOut(RestrictionVerdictOut):
    status: str = Field(description="the restriction's status after this verdict")


class StatisticsRowOut(BaseModel):
    period: str
    party: str
    category: str
    area: str
    restrictions: int
    confirmed: int
    median_duration_min: float | None
    median_response_min: float | None


class UavFlightPropertiesOut(BaseModel):
    id: int
    name: str
    aircraft: str
    announced: bool
    announced_at: str | None
    start: str
    end: str | None
    patrol_id: int | None
    episodes: list[dict[str, Any]] = Field(description="start, end, type, note")
    interference_min: float
    note: str
    classification: str
    restricted_to: list[str]
    author_delegation: str | None


class UavFlightFeatureOut(BaseModel):
    type: Literal["Feature"]
    id: int
    geometry: dict[str, Any] = Field(description="the area flown over, a GeoJSON Polygon or MultiPolygon")
    properties: UavFlightPropertiesOut


class UavFlightCollectionOut(BaseModel):
    type: Literal["FeatureCollection"]
    features: list[UavFlightFeatureOut]
