"""What the API accepts for patrols: the plan as a GeoJSON Feature whose geometry is the route."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from truce import limits
from truce.missions.schemas import StrictModel
from truce.numbers import Id, Int64
from truce.patrols.models import PATROL_STATUSES
from truce.places.schemas import Classification
from truce.text import Paragraph

PatrolStatus = Literal[PATROL_STATUSES]  # type: ignore[valid-type]
Code = Field(max_length=32, pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")


class Notification(StrictModel):
    """A party told of the patrol in advance, and when it acknowledged."""

    party: str = Field(max_length=32, pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$", description="the party's code")
    notified_at: limits.Moment
    acknowledged_at: limits.Moment | None = None
    note: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _in_order(self) -> Notification:
        if self.acknowledged_at is not None and self.acknowledged_at < self.notified_at:
            raise ValueError("acknowledged_at is before notified_at")
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

    @model_validator(mode="after")
    def _in_order(self) -> PatrolProperties:
        if self.planned_end < self.planned_start:
            raise ValueError("planned_end is before planned_start")
        if self.started_at and self.ended_at and self.ended_at < self.started_at:
            raise ValueError("ended_at is before started_at")
        return self


class PatrolIn(StrictModel):
    """A planned patrol: a Feature whose geometry is the route (LineString or MultiLineString)."""

    type: Literal["Feature"]
    geometry: dict[str, Any]
    properties: PatrolProperties
    id: Int64 | str | None = None
