"""Restriction, RestrictionVerdict and UavFlight tables: the freedom of movement a mission did not have."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from truce.db import Base, DeviceTimes, utcnow
from truce.incidents.taxonomy import STATUSES, VERDICTS
from truce.ledger.models import Logged
from truce.places.models import in_values
from truce.policy import CLASSIFICATIONS

# The OSCE Special Monitoring Mission's categories and kinds of restriction (its thematic reports on them).
CATEGORIES = ("denial", "delay", "conditional_access", "other_impediment")
KINDS = (
    "checkpoint",
    "mines_uxo",
    "threat",
    "gunfire",
    "information_refused",
    "camera_obstructed",
    "uav_signal_interference",
    "uav_fired_upon",
    "uav_lost",
)
INTERFERENCE_TYPES = ("jamming", "probable_jamming", "spoofing")


class Restriction(DeviceTimes, Logged, Base):
    """A restriction of the mission's freedom of movement, as reported; `status` follows the joint verification."""

    __tablename__ = "restrictions"
    __table_args__ = (
        CheckConstraint(in_values("category", CATEGORIES), name="category"),
        CheckConstraint(in_values("kind", KINDS), name="kind"),
        CheckConstraint(in_values("status", STATUSES), name="status"),
        CheckConstraint(in_values("classification", CLASSIFICATIONS), name="classification"),
        Index("ix_restrictions_mission_start", "mission_id", "start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    category: Mapped[str] = mapped_column(String(24))
    kind: Mapped[str] = mapped_column(String(32))
    start: Mapped[datetime]
    end: Mapped[datetime | None]
    # Where: a GeoJSON Point (given, or the checkpoint's) and the zone it lies in, derived as for incidents.
    geometry: Mapped[str] = mapped_column(Text)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    # The party that controls the place or the checkpoint (its code), as reported or derived from the zone.
    controlled_by: Mapped[str | None] = mapped_column(String(32), index=True)
    patrol_id: Mapped[int | None] = mapped_column(ForeignKey("patrols.id"), index=True)
    uav_flight_id: Mapped[int | None] = mapped_column(ForeignKey("uav_flights.id"), index=True)
    reason_given: Mapped[str] = mapped_column(Text, default="")
    # The escalation: when the parties' liaison officers and the joint centre were told, their answer, the end.
    liaison_informed_at: Mapped[datetime | None]
    centre_informed_at: Mapped[datetime | None]
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    narrative: Mapped[str] = mapped_column(Text, default="")
    classification: Mapped[str] = mapped_column(String(16), default="parties")
    restricted_to: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(24), default="reported", index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_delegation: Mapped[str | None] = mapped_column(String(32))
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)


class RestrictionVerdict(Logged, Base):
    """One verifier's verdict on a restriction; a change of mind is a newer verdict, never an edit."""

    __tablename__ = "restriction_verdicts"
    __table_args__ = (CheckConstraint(in_values("verdict", VERDICTS), name="verdict"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    restriction_id: Mapped[int] = mapped_column(ForeignKey("restrictions.id"), index=True)
    verifier_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    delegation: Mapped[str] = mapped_column(String(32))
    verdict: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UavFlight(Logged, Base):
    """A flight of the mission's unmanned aircraft: announced or not, its area and times, the interference met.

    `episodes`: [{"start", "end", "type": jamming | probable_jamming | spoofing, "note"}].
    """

    __tablename__ = "uav_flights"
    __table_args__ = (
        CheckConstraint(in_values("classification", CLASSIFICATIONS), name="classification"),
        Index("ix_uav_flights_mission_start", "mission_id", "start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    aircraft: Mapped[str] = mapped_column(String(100), default="")
    announced: Mapped[bool] = mapped_column(default=False)
    announced_at: Mapped[datetime | None]
    # The area flown over: a GeoJSON Polygon or MultiPolygon, and its bounding box.
    area: Mapped[str] = mapped_column(Text)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    start: Mapped[datetime]
    end: Mapped[datetime | None]
    patrol_id: Mapped[int | None] = mapped_column(ForeignKey("patrols.id"))
    episodes: Mapped[list[Any]] = mapped_column(default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    classification: Mapped[str] = mapped_column(String(16), default="mission")
    restricted_to: Mapped[list[Any]] = mapped_column(default=list)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_delegation: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
