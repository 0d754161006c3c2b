"""GeoJSON Features the API accepts for areas, lines and sites."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from truce import limits
from truce.errors import Message
from truce.missions.schemas import StrictModel, Translations
from truce.numbers import Int64
from truce.policy import Classification
from truce.text import Paragraph


class PlaceProperties(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    translations: Translations = None
    classification: Classification = "mission"
    restricted_to: list[str] = Field(default_factory=list, description="delegation codes for restricted records")
    valid_from: limits.Day | None = None
    valid_until: limits.Day | None = None
    note: Paragraph = Field(default="", max_length=10_000)

    @model_validator(mode="after")
    def _dates_in_order(self) -> PlaceProperties:
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValueError(Message("valid_until is before valid_from"))
        return self


class AreaProperties(PlaceProperties):
    kind: Literal["zone_of_control", "separation_zone", "buffer_zone", "corridor", "area_of_responsibility"]
    controlled_by: str | None = Field(default=None, description="code of the controlling party")


class LineProperties(PlaceProperties):
    kind: Literal["line_of_contact", "patrol_route", "road", "border"]


class AltName(StrictModel):
    name: str = Field(min_length=1, max_length=200)
    lang: str = Field(default="", max_length=16)
    used_by: str = Field(default="", max_length=200)


class SiteProperties(PlaceProperties):
    kind: Literal["post", "checkpoint", "command_post", "observation_centre", "settlement", "crossing_point"]
    code: str | None = Field(default=None, max_length=32)
    alt_names: list[AltName] = Field(default_factory=list)
    status: Literal["planned", "active", "closed"] = "active"
    operated_by: str | None = Field(default=None, description="code of the delegation that runs the site")


class FeatureIn(StrictModel):
    type: Literal["Feature"]
    geometry: dict[str, Any]
    id: Int64 | str | None = None


class AreaIn(FeatureIn):
    properties: AreaProperties


class LineIn(FeatureIn):
    properties: LineProperties


class SiteIn(FeatureIn):
    properties: SiteProperties


# --- what the API answers ---------------------------------------------------------------------------------------


class PlacePropertiesOut(BaseModel):
    """A place's properties; an area adds `controlled_by`, a site its code, other names, status and operator."""

    id: int
    name: str
    kind: str | None
    classification: str
    valid_from: str | None
    valid_until: str | None
    note: str
    restricted_to: list[str] | None = Field(default=None, description="only on restricted places")
    controlled_by: str | None = Field(default=None, description="areas: the controlling party's code")
    code: str | None = Field(default=None, description="sites")
    alt_names: list[dict[str, str]] | None = Field(default=None, description="sites: the names others use")
    status: str | None = Field(default=None, description="sites")
    operated_by: str | None = Field(default=None, description="sites: the operating delegation's code")


class PlaceFeatureOut(BaseModel):
    type: Literal["Feature"]
    id: int
    geometry: dict[str, Any] = Field(description="a GeoJSON geometry")
    properties: PlacePropertiesOut


class PlaceCollectionOut(BaseModel):
    type: Literal["FeatureCollection"]
    features: list[PlaceFeatureOut]
