"""What the API accepts for patrols: the plan as a GeoJSON Feature whose geometry is the route."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from truce import limits
from truce.errors import Message
from truce.missions.schemas import CODE_PATTERN, StrictModel
from truce.numbers import Id, Int64
from truce.patrols.models import PATROL_STATUSES
from truce.policy import Classification
from truce.text import Paragraph

PatrolStatus = Literal[PATROL_STATUSES]  # type: ignore[valid-type]
Code = Field(max_length=32, pattern=CODE_PATTERN)


class Notification(StrictModel):
    """A party told of the patrol in advance, and when it acknowledged."""

    party: str = Field(max_length=32, pattern=CODE_PATTERN, description="the party's code")
    notified_at: limits.Moment
    acknowledged_at: limits.Moment | None = None
    note: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _in_order(self) -> Notification:
        if self.acknowledged_at is not None and self.acknowledged_at < self.notified_at:
            raise ValueError(Message("acknowledged_at is before notified_at"))
        return self


class PatrolProperties(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    team: str = Field(default="", max_length=200, description="the team's name or call sign")
    delegations: list[str] = Field(default_factory=list, max_length=20, description="delegation codes in the team")
    vehicles: list[str] = Field(default_factory=list, max_length=50, description="vehicle numbers or call signs")
    planned_start: limits.Moment
    planned_end: limits.Moment
    buffer_m: float = Field(default=200.0, gt=0, le=50_000, description="how far off the route counts as a deviation")
    checkpoints: list[Id] = Field(default_factory=list, max_length=100, description="ids of the sites to reach")
    notifications: list[Notification] = Field(default_factory=list, max_length=20)
    status: PatrolStatus = "planned"
    started_at: limits.Moment | None = None
    ended_at: limits.Moment | None = None
    note: Paragraph = Field(default="", max_length=10_000)
    classification: Classification = "mission"
    restricted_to: list[str] = Field(default_factory=list, max_length=20)

    # Checked on the later field, so that the error's location names it (the pages put it beside that field).
    @field_validator("planned_end")
    @classmethod
    def _ends_after_start(cls, planned_end: datetime, info: ValidationInfo) -> datetime:
        planned_start = info.data.get("planned_start")
        if planned_start is not None and planned_end < planned_start:
            raise ValueError(Message("planned_end is before planned_start"))
        return planned_end

    @field_validator("ended_at")
    @classmethod
    def _ended_after_start(cls, ended_at: datetime | None, info: ValidationInfo) -> datetime | None:
        started_at = info.data.get("started_at")
        if started_at and ended_at and ended_at < started_at:
            raise ValueError(Message("ended_at is before started_at"))
        return ended_at


class PatrolIn(StrictModel):
    """A planned patrol: a Feature whose geometry is the route (LineString or MultiLineString)."""

    type: Literal["Feature"]
    geometry: dict[str, Any]
    properties: PatrolProperties
    id: Int64 | str | None = None


# --- what the API answers ---------------------------------------------------------------------------------------


class PatrolPropertiesOut(BaseModel):
    id: int
    name: str
    team: str
    delegations: list[str]
    vehicles: list[str]
    planned_start: str
    planned_end: str
    buffer_m: float
    checkpoints: list[int]
    notifications: list[dict[str, Any]] = Field(description="party, notified_at, acknowledged_at, note")
    status: str
    started_at: str | None
    ended_at: str | None
    note: str
    classification: str
    restricted_to: list[str]
    author_delegation: str | None
    created_at: str


class PatrolFeatureOut(BaseModel):
    type: Literal["Feature"]
    id: int
    geometry: dict[str, Any] = Field(description="the planned route, a GeoJSON LineString or MultiLineString")
    properties: PatrolPropertiesOut


class PatrolCollectionOut(BaseModel):
    type: Literal["FeatureCollection"]
    features: list[PatrolFeatureOut]


class TrackOut(BaseModel):
    id: int
    patrol_id: int
    source: str
    point_count: int
    timed: bool
    first_time: str | None
    last_time: str | None
    length_km: float
    bbox: list[float]
    points_sha256: str
    file_sha256: str | None
    filename: str
    author_delegation: str | None
    created_at: str


class TrackPropertiesOut(TrackOut):
    drawn_points: int
    times: list[str | None] | None = Field(description="each drawn point's time; null for an untimed track")


class TrackFeatureOut(BaseModel):
    type: Literal["Feature"]
    id: int
    geometry: dict[str, Any] = Field(description="a GeoJSON LineString of at most 5,000 of the track's points")
    properties: TrackPropertiesOut


class TrackCollectionOut(BaseModel):
    type: Literal["FeatureCollection"]
    features: list[TrackFeatureOut]


class SegmentOut(BaseModel):
    first_point: int
    last_point: int
    left_at: str | None
    back_at: str | None
    duration_min: float | None
    distance_km: float = Field(description="the farthest the track went from the route")
    length_km: float = Field(description="the way travelled outside the buffer")
    farthest: list[float]
    left: list[float]
    back: list[float]


class PlaceOut(BaseModel):
    site_id: int
    name: str
    reached: bool
    closest_km: float
    arrived_at: str | None
    left_at: str | None
    minutes: float | None


class TrackDeviationOut(BaseModel):
    track_id: int
    timed: bool
    length_km: float
    outside_km: float
    outside_min: float | None
    segments: list[SegmentOut]
    places: list[PlaceOut]
    places_not_reached: list[int]


class DeviationsOut(BaseModel):
    patrol_id: int
    buffer_m: float
    tracks: list[TrackDeviationOut]
