"""Movement, Exchange and ExchangeList tables."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from truce.db import Base, DeviceTimes, utcnow
from truce.ledger.models import Logged
from truce.places.models import in_values
from truce.policy import CLASSIFICATIONS

DIRECTIONS = ("incoming", "outgoing")
MOVEMENT_KINDS = ("return", "departure", "humanitarian", "commercial", "other")
CROSSING_SITE_KINDS = ("checkpoint", "crossing_point")
TRANSPORT_MODES = ("foot", "car", "bus", "truck", "train", "air", "other")
# Sex and age groups of the IOM flow-monitoring record, each counted where known.
GROUPS = ("adults_male", "adults_female", "children_male", "children_female", "unaccompanied_children")
EXCHANGE_KINDS = ("detainees", "bodies", "detainees_and_bodies")
EXCHANGE_STATUSES = ("lists_pending", "lists_differ", "lists_match", "handed_over", "confirmed")


class Movement(DeviceTimes, Logged, Base):
    """People or goods crossing a checkpoint in one direction on one day, alone or in a convoy."""

    __tablename__ = "movements"
    __table_args__ = (
        CheckConstraint(in_values("direction", DIRECTIONS), name="direction"),
        CheckConstraint(in_values("kind", MOVEMENT_KINDS), name="kind"),
        CheckConstraint(in_values("classification", CLASSIFICATIONS), name="classification"),
        CheckConstraint("individuals >= 0", name="individuals"),
        Index("ix_movements_mission_on_date", "mission_id", "on_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    direction: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    on_date: Mapped[date] = mapped_column(Date)
    individuals: Mapped[int] = mapped_column(default=0)
    families: Mapped[int | None]
    adults_male: Mapped[int | None]
    adults_female: Mapped[int | None]
    children_male: Mapped[int | None]
    children_female: Mapped[int | None]
    unaccompanied_children: Mapped[int | None]
    vehicles: Mapped[int | None]
    transport_mode: Mapped[str | None] = mapped_column(String(16))
    # A settlement site where there is one, else the place in words.
    origin_site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    origin: Mapped[str] = mapped_column(String(200), default="")
    destination_site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    destination: Mapped[str] = mapped_column(String(200), default="")
    # A convoy crossing several checkpoints is one movement per crossing, joined by its id.
    convoy: Mapped[str | None] = mapped_column(String(64), index=True)
    escort: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    classification: Mapped[str] = mapped_column(String(16), default="parties")
    restricted_to: Mapped[list[Any]] = mapped_column(default=list)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_delegation: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Exchange(Logged, Base):
    """A transfer of detainees or bodies between two parties through an intermediary."""

    __tablename__ = "exchanges"
    __table_args__ = (
        CheckConstraint(in_values("kind", EXCHANGE_KINDS), name="kind"),
        CheckConstraint(in_values("status", EXCHANGE_STATUSES), name="status"),
        CheckConstraint(in_values("classification", CLASSIFICATIONS), name="classification"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    # Party codes of the two sides and of the intermediary (for example the ICRC).
    side_a: Mapped[str] = mapped_column(String(32))
    side_b: Mapped[str] = mapped_column(String(32))
    intermediary: Mapped[str | None] = mapped_column(String(32))
    planned_on: Mapped[date | None] = mapped_column(Date)
    handed_over_on: Mapped[date | None] = mapped_column(Date)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    place: Mapped[str] = mapped_column(String(200), default="")
    # Counts actually handed over: {"a_to_b": {"detainees": n, "bodies": n}, "b_to_a": {...}}.
    handed_over: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="lists_pending")
    # Each side's confirmation of the handover: {party code: {"by", "at", "note", "differences"}}.
    confirmations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    classification: Mapped[str] = mapped_column(String(16), default="parties")
    restricted_to: Mapped[list[Any]] = mapped_column(default=list)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_delegation: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExchangeList(Logged, Base):
    """One side's list: whom it hands over and whom it expects back, with personal identifiers.

    Always restricted to the two sides and the intermediary; the log keeps digests of the identifiers only.
    """

    __tablename__ = "exchange_lists"
    __table_args__ = (
        UniqueConstraint("exchange_id", "side"),
        CheckConstraint(in_values("classification", CLASSIFICATIONS), name="classification"),
        CheckConstraint(
            "hands_over_detainees >= 0 AND hands_over_bodies >= 0 AND receives_detainees >= 0 AND receives_bodies >= 0",
            name="non_negative",
        ),
    )
    __log_redact__ = frozenset({"hands_over_ids", "receives_ids"})

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    exchange_id: Mapped[int] = mapped_column(ForeignKey("exchanges.id"), index=True)
    side: Mapped[str] = mapped_column(String(32))
    hands_over_detainees: Mapped[int] = mapped_column(default=0)
    hands_over_bodies: Mapped[int] = mapped_column(default=0)
    receives_detainees: Mapped[int] = mapped_column(default=0)
    receives_bodies: Mapped[int] = mapped_column(default=0)
    hands_over_ids: Mapped[list[Any]] = mapped_column(default=list)
    receives_ids: Mapped[list[Any]] = mapped_column(default=list)
    classification: Mapped[str] = mapped_column(String(16), default="restricted")
    restricted_to: Mapped[list[Any]] = mapped_column(default=list)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_delegation: Mapped[str | None] = mapped_column(String(32))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
