"""What the API accepts for incidents, verdicts and merges."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from truce import limits
from truce.errors import Inconsistent, Message
from truce.incidents.taxonomy import COUNT_KEYS, LOCAL_SUBTYPE, MEANS, SOURCES, TAXONOMY, TIME_PRECISIONS
from truce.missions.schemas import StrictModel
from truce.numbers import MAX_EVENTS, CasualtyCount, EventCount, Id, Int64
from truce.policy import Classification
from truce.text import Paragraph

Source = Literal[SOURCES]  # type: ignore[valid-type]
Means = Literal[MEANS]  # type: ignore[valid-type]
TimePrecision = Literal[TIME_PRECISIONS]  # type: ignore[valid-type]


class CasualtyGroups(StrictModel):
    civilian: CasualtyCount = 0
    combatant: CasualtyCount = 0
    unknown: CasualtyCount = 0


class Casualties(StrictModel):
    killed: CasualtyGroups = Field(default_factory=CasualtyGroups)
    injured: CasualtyGroups = Field(default_factory=CasualtyGroups)


class AllegedActor(StrictModel):
    party: str = Field(max_length=32, description="the code of the party the actor is said to belong to")
    actor: str = Field(default="", max_length=200)


class IncidentProperties(StrictModel):
    type: str = Field(max_length=32)
    subtype: str = Field(max_length=48)
    start: limits.Moment
    end: limits.Moment | None = None
    time_precision: TimePrecision = "minute"
    source: Source
    means: Means | None = None
    narrative: Paragraph = Field(default="", max_length=20_000)
    classification: Classification = Field(
        default="mission", description="when left out, the mission's default (its file's classification.default)"
    )
    restricted_to: list[str] = Field(default_factory=list, max_length=20)
    observer_site: Id | None = Field(default=None, description="id of the site the observation was made from")
    bearing_deg: float | None = Field(default=None, ge=0, lt=360)
    distance_km: float | None = Field(default=None, ge=0, le=100)
    geo_precision: int = Field(default=1, ge=1, le=3)
    counts: dict[str, EventCount] = Field(
        default_factory=dict, max_length=len(COUNT_KEYS), description=f"at most {MAX_EVENTS:,} each"
    )
    casualties: Casualties = Field(default_factory=Casualties)
    alleged_actors: list[AllegedActor] = Field(default_factory=list, max_length=10)
    external_id: str | None = Field(default=None, max_length=128)
    confirm_outside_area: bool = Field(
        default=False, description="the filer confirms a position far outside the mission's area; not stored"
    )

    @model_validator(mode="after")
    def _consistent(self) -> IncidentProperties:
        if self.type not in TAXONOMY:
            said = Message("type must be one of %(choices)s", choices=", ".join(TAXONOMY))
            raise Inconsistent(said, field="type", code="type_unknown")
        # A mission may add subtypes of its own (its file's taxonomy): the service checks those against the mission.
        if self.subtype not in TAXONOMY[self.type] and not LOCAL_SUBTYPE.match(self.subtype):
            raise Inconsistent(
                Message(
                    "subtype of %(type)s must be one of %(choices)s",
                    type=self.type,
                    choices=", ".join(TAXONOMY[self.type]),
                ),
                field="subtype",
                code="subtype_unknown",
            )
        if self.end is not None and self.end < self.start:
            raise Inconsistent(Message("end is before start"), field="end", code="end_before_start")
        unknown = sorted(set(self.counts) - set(COUNT_KEYS))
        if unknown:
            raise Inconsistent(
                Message(
                    "counts may hold %(keys)s; not %(unknown)s", keys=", ".join(COUNT_KEYS), unknown=", ".join(unknown)
                ),
                field="counts",
                code="counts_unknown",
            )
        return self


class IncidentIn(StrictModel):
    type: Literal["Feature"]
    geometry: dict[str, Any] | None = None
    properties: IncidentProperties
    id: Int64 | str | None = None

    @model_validator(mode="after")
    def _placed(self) -> IncidentIn:
        p = self.properties
        by_bearing = p.observer_site is not None and p.bearing_deg is not None and p.distance_km is not None
        if self.geometry is None and not by_bearing:
            raise Inconsistent(
                Message("give a geometry, or observer_site with bearing_deg and distance_km"),
                field="geometry",
                code="geometry_missing",
            )
        return self


class IncidentBatchIn(StrictModel):
    type: Literal["FeatureCollection"]
    features: list[dict[str, Any]] = Field(max_length=10_000)


class VerdictIn(StrictModel):
    verdict: Literal["confirm", "reject", "inconclusive"]
    note: Paragraph = Field(default="", max_length=10_000)


class MergeIn(StrictModel):
    into: Id = Field(description="the id of the incident this one duplicates")


# --- what the API answers ---------------------------------------------------------------------------------------


class IncidentPropertiesOut(BaseModel):
    """An incident's properties as the API shows them; sites the reader may not see are left out (null)."""

    id: int
    status: str
    allegation: bool = Field(description="filed by a party's liaison officer: a claim until verified")
    type: str
    subtype: str
    acled_event_type: str
    acled_sub_event_type: str
    start: str
    end: str | None
    time_precision: str
    geo_precision: int
    source: str
    means: str | None
    observer_site: int | None
    bearing_deg: float | None
    distance_km: float | None
    counts: dict[str, int]
    casualties: dict[str, dict[str, int]]
    alleged_actors: list[dict[str, str]]
    narrative: str
    classification: str
    restricted_to: list[str] | None = Field(default=None, description="only on restricted incidents")
    author_delegation: str | None
    reported_at: str
    device_time: str | None = Field(
        default=None, description="only on records sent with X-Device-Time: when the device made it, by its clock"
    )
    device_clock_offset_s: int | None = Field(
        default=None, description="the device's clock minus the server's when it sent (X-Device-Clock), seconds"
    )
    device_clock_skewed: bool | None = Field(default=None, description="the device's clock was over 5 minutes off")
    zone: int | None
    controlled_by: str | None
    nearest_site: int | None
    nearest_site_name: str | None
    nearest_site_km: float | None
    line_of_contact_km: float | None
    in_corridor: bool | None
    merged_into: int | None
    external_id: str | None


class VerdictOut(BaseModel):
    id: int
    delegation: str
    verdict: str
    note: str
    created_at: str


class VerdictGivenOut(VerdictOut):
    incident_status: str = Field(description="the incident's status after this verdict")


class IncidentDetailPropertiesOut(IncidentPropertiesOut):
    verifications: list[VerdictOut]


class IncidentFeatureOut(BaseModel):
    type: Literal["Feature"]
    id: int
    geometry: dict[str, Any] = Field(description="a GeoJSON geometry")
    properties: IncidentPropertiesOut


class IncidentDetailOut(IncidentFeatureOut):
    properties: IncidentDetailPropertiesOut


class IncidentCollectionOut(BaseModel):
    type: Literal["FeatureCollection"]
    features: list[IncidentFeatureOut]
    limit: int | None = None
    offset: int | None = None


class BatchError(BaseModel):
    index: int = Field(description="the position of the refused feature in the batch")
    detail: str


class BatchOut(BaseModel):
    created: list[int]
    errors: list[BatchError]
