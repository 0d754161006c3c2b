"""Patrol and Track tables: the plan (route, time window, notifications) and the patrol as conducted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from truce.db import Base, utcnow
from truce.ledger.models import Logged
from truce.places.models import in_values
from truce.policy import CLASSIFICATIONS

PATROL_STATUSES = ("planned", "under_way", "completed", "cancelled")
TRACK_SOURCES = ("gpx", "odk_geotrace", "odk_audit", "page")


class Patrol(Logged, Base):
    """A planned patrol (team, vehicles, route, time window, the parties told) and, once done, when it ran."""

    __tablename__ = "patrols"
    __table_args__ = (
        CheckConstraint(in_values("status", PATROL_STATUSES), name="status"),
        CheckConstraint(in_values("classification", CLASSIFICATIONS), name="classification"),
        CheckConstraint("buffer_m > 0", name="buffer_m"),
        Index("ix_patrols_mission_planned_start", "mission_id", "planned_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    team: Mapped[str] = mapped_column(String(200), default="")
    # Delegation codes of the monitors in the team.
    delegations: Mapped[list[Any]] = mapped_column(default=list)
    vehicles: Mapped[list[Any]] = mapped_column(default=list)
    # The planned route: a GeoJSON LineString or MultiLineString, and its bounding box.
    route: Mapped[str] = mapped_column(Text)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    # How far from the route a track may go before it counts as a deviation.
    buffer_m: Mapped[float] = mapped_column(Float, default=200.0)
    # Sites (checkpoints, settlements) the patrol plans to reach, in order.
    checkpoints: Mapped[list[Any]] = mapped_column(default=list)
    planned_start: Mapped[datetime]
    planned_end: Mapped[datetime]
    # The parties told in advance: [{"party", "notified_at", "acknowledged_at", "note"}].
    notifications: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(16), default="planned")
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")
    classification: Mapped[str] = mapped_column(String(16), default="mission")
    restricted_to: Mapped[list[Any]] = mapped_column(default=list)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_delegation: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Track(Logged, Base):
    """The points a patrol went through, as recorded by one device; read with its patrol's classification.

    The points are packed (`patrols.points`): the log keeps their digest, and the original file, when there is one,
    lies in the evidence store under `file_sha256`.
    """

    __tablename__ = "patrol_tracks"
    __table_args__ = (
        CheckConstraint(in_values("source", TRACK_SOURCES), name="source"),
        CheckConstraint(in_values("classification", CLASSIFICATIONS), name="classification"),
        CheckConstraint("point_count >= 0", name="point_count"),
    )
    __log_redact__ = frozenset({"points"})

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    patrol_id: Mapped[int] = mapped_column(ForeignKey("patrols.id"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    point_count: Mapped[int]
    # Whether every point has a time; an untimed track gives distances but no durations.
    timed: Mapped[bool]
    first_time: Mapped[datetime | None]
    last_time: Mapped[datetime | None]
    length_m: Mapped[float] = mapped_column(Float)
    min_lon: Mapped[float] = mapped_column(Float)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    points: Mapped[bytes] = mapped_column(LargeBinary)
    points_sha256: Mapped[str] = mapped_column(String(64))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200), default="")
    classification: Mapped[str] = mapped_column(String(16), default="mission")
    restricted_to: Mapped[list[Any]] = mapped_column(default=list)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_delegation: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
