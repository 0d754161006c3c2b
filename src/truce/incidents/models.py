"""Incident and Verification tables (evidence files and their custody are `evidence/models.py`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from truce.db import Base, DeviceTimes, utcnow
from truce.incidents.taxonomy import SOURCES, STATUSES, TIME_PRECISIONS, VERDICTS
from truce.ledger.models import Logged
from truce.places.models import in_values
from truce.policy import CLASSIFICATIONS


class Incident(DeviceTimes, Logged, Base):
    """Something that happened, as reported; `status` follows the joint verification."""

    __tablename__ = "incidents"
    __table_args__ = (
        CheckConstraint(in_values("status", STATUSES), name="status"),
        CheckConstraint(in_values("source", SOURCES), name="source"),
        CheckConstraint(in_values("time_precision", TIME_PRECISIONS), name="time_precision"),
        CheckConstraint(in_values("classification", CLASSIFICATIONS), name="classification"),
        Index("ix_incidents_mission_start", "mission_id", "start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    type: Mapped[str] = mapped_column(String(32))
    subtype: Mapped[str] = mapped_column(String(48))
    start: Mapped[datetime]
    end: Mapped[datetime | None]
    time_precision: Mapped[str] = mapped_column(String(8), default="minute")
    # Where: a GeoJSON geometry (usually a Point) and its bounding box for the spatial index.
    geometry: Mapped[str] = mapped_column(Text)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    geo_precision: Mapped[int] = mapped_column(default=1)
    observer_site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    bearing_deg: Mapped[float | None] = mapped_column(Float)
    distance_km: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(16))
    means: Mapped[str | None] = mapped_column(String(32))
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    casualties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Who each side is said to have been: [{"party": code, "actor": text}].
    alleged_actors: Mapped[list[Any]] = mapped_column(default=list)
    narrative: Mapped[str] = mapped_column(Text, default="")
    classification: Mapped[str] = mapped_column(String(16), default="mission")
    restricted_to: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(24), default="reported", index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_delegation: Mapped[str | None] = mapped_column(String(32))
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)
    external_id: Mapped[str | None] = mapped_column(String(128))
    # Derived on write from the mission's map; recomputed when the map changes.
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    controlled_by: Mapped[str | None] = mapped_column(String(32))
    nearest_site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    nearest_site_km: Mapped[float | None] = mapped_column(Float)
    line_of_contact_km: Mapped[float | None] = mapped_column(Float)
    in_corridor: Mapped[bool] = mapped_column(default=False)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))


class IncidentView(NamedTuple):
    """The columns of an incident that its GeoJSON Feature shows: what a page of the list or the map reads.

    A tuple, not a mapped object: a page holds up to thousands, and building, tracking and later collecting as
    many ORM objects cost as much as the query itself (benchmarks/incidents_map_query.py).
    """

    id: int
    type: str
    subtype: str
    start: datetime
    end: datetime | None
    time_precision: str
    geometry: str
    geo_precision: int
    observer_site_id: int | None
    bearing_deg: float | None
    distance_km: float | None
    source: str
    means: str | None
    counts: dict[str, Any]
    casualties: dict[str, Any]
    alleged_actors: list[Any]
    narrative: str
    classification: str
    restricted_to: list[Any]
    status: str
    author_delegation: str | None
    reported_at: datetime
    external_id: str | None
    zone_id: int | None
    controlled_by: str | None
    nearest_site_id: int | None
    nearest_site_km: float | None
    line_of_contact_km: float | None
    in_corridor: bool
    merged_into_id: int | None


class Verification(Logged, Base):
    """One verifier's verdict; a change of mind is a newer verdict, never an edit."""

    __tablename__ = "verifications"
    __table_args__ = (CheckConstraint(in_values("verdict", VERDICTS), name="verdict"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    verifier_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    delegation: Mapped[str] = mapped_column(String(32))
    verdict: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
