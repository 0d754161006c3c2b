"""Provision, ProvisionStatus and DeadlineExtension tables: what the agreement obliges, by when, and how far it got."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from truce.db import Base, utcnow
from truce.ledger.models import Logged
from truce.places.models import in_values
from truce.policy import CLASSIFICATIONS

# Provision types of the Peace Accords Matrix (Kroc Institute) that a ceasefire agreement typically holds.
PAM_CATEGORIES = (
    "Cease Fire",
    "Withdrawal of Troops",
    "Verification/Monitoring Mechanism",
    "UN or other Peacekeeping Force",
    "Prisoner Release",
    "Refugees",
    "Internally Displaced Persons",
    "Boundary Demarcation",
    "Detailed Implementation Timeline",
    "Economic and Social Development",
)
# The Peace Accords Matrix implementation scale.
LEVELS = {0: "not initiated", 1: "minimal", 2: "intermediate", 3: "full"}
LINK_KINDS = ("incidents", "movements", "exchanges", "claims")


class Provision(Logged, Base):
    """One obligation of the agreement; `deadline` moves with extensions, `original_deadline` never does."""

    __tablename__ = "provisions"
    __table_args__ = (
        UniqueConstraint("mission_id", "number"),
        CheckConstraint("level BETWEEN 0 AND 3", name="level"),
        CheckConstraint(in_values("classification", CLASSIFICATIONS), name="classification"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    number: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(64))
    # Codes of the parties that owe the obligation.
    responsible: Mapped[list[Any]] = mapped_column(default=list)
    original_deadline: Mapped[date | None] = mapped_column(Date)
    deadline: Mapped[date | None] = mapped_column(Date)
    # The latest assessment (by its date) on the 0-3 scale, kept here so lists need no second query.
    level: Mapped[int] = mapped_column(default=0)
    level_as_of: Mapped[date | None] = mapped_column(Date)
    # Ids of the records that bear on the provision: {"incidents": [..], "movements": [..], ...}.
    links: Mapped[dict[str, Any]] = mapped_column(default=dict)
    classification: Mapped[str] = mapped_column(String(16), default="mission")
    restricted_to: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProvisionStatus(Logged, Base):
    """One delegation's assessment of a provision on a date; a later view is a new row, never an edit."""

    __tablename__ = "provision_statuses"
    __table_args__ = (
        CheckConstraint("level BETWEEN 0 AND 3", name="level"),
        CheckConstraint(in_values("classification", CLASSIFICATIONS), name="classification"),
        Index("ix_provision_statuses_provision_as_of", "provision_id", "as_of"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    provision_id: Mapped[int] = mapped_column(ForeignKey("provisions.id"))
    level: Mapped[int]
    as_of: Mapped[date] = mapped_column(Date)
    delegation: Mapped[str | None] = mapped_column(String(32))
    assessor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    # SHA-256 of the evidence files the assessment rests on.
    evidence: Mapped[list[Any]] = mapped_column(default=list)
    # Copied from the provision, so that the record and its log entries are read by the same people.
    classification: Mapped[str] = mapped_column(String(16), default="mission")
    restricted_to: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeadlineExtension(Logged, Base):
    """A deadline moved later; the provision's original deadline stays as it was agreed."""

    __tablename__ = "deadline_extensions"
    __table_args__ = (CheckConstraint(in_values("classification", CLASSIFICATIONS), name="classification"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    provision_id: Mapped[int] = mapped_column(ForeignKey("provisions.id"), index=True)
    previous_deadline: Mapped[date] = mapped_column(Date)
    new_deadline: Mapped[date] = mapped_column(Date)
    decided_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    delegation: Mapped[str | None] = mapped_column(String(32))
    classification: Mapped[str] = mapped_column(String(16), default="mission")
    restricted_to: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
