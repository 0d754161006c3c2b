"""Mission, Party, Delegation and Deployment tables."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column, validates

from truce.db import Base, utcnow
from truce.errors import Invalid, Message
from truce.ledger.models import Logged
from truce.missions.schemas import DELEGATION_CODE

PARTY_KINDS = ("side", "guarantor", "mediator", "agency", "observer")


class Mission(Logged, Base):
    __tablename__ = "missions"
    # Not the mission's content: a hint for the log's listeners, left out of the log (see `events_out`).
    __log_skip__ = frozenset({"events_out"})

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # The name in each of the mission's languages ({"en": ..., "ru": ...}); `name` is the first language's.
    names: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    # The languages the mission works in, first the one its records are written in.
    languages: Mapped[list[Any]] = mapped_column(default=lambda: ["en"], server_default='["en"]')
    description: Mapped[str] = mapped_column(Text, default="")
    # Name and description in other languages (migration 0018): {"ru": {"name": ..., "description": ...}}.
    translations: Mapped[dict[str, Any] | None]
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    # An example or demonstration, not a real mission: the pages say so.
    illustrative: Mapped[bool] = mapped_column(default=False, server_default=false())
    # A public mission shows its public records to people who are not logged in.
    public: Mapped[bool] = mapped_column(default=False)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    # The classification a new record gets when its author gives none.
    default_classification: Mapped[str] = mapped_column(String(16), default="mission", server_default="mission")
    # Subtypes the mission adds to Truce's taxonomy, each mapped to an ACLED event type:
    # [{"type", "subtype", "acled_event_type", "acled_sub_event_type", "labels": {lang: text}}].
    taxonomy: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    # Verification quorum: how many distinct delegations must confirm, and which ones must be among them.
    quorum_delegations: Mapped[int] = mapped_column(default=2)
    quorum_required: Mapped[list[Any]] = mapped_column(default=list)
    # Whether a delegation's verifiers may verify what its own members filed.
    allow_self_verification: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Two incidents of one type this close in space and time are flagged as likely duplicates.
    duplicate_km: Mapped[float] = mapped_column(default=2.0, server_default="2.0")
    duplicate_minutes: Mapped[int] = mapped_column(default=60, server_default="60")
    ceiling_personnel: Mapped[int | None]
    ceiling_armoured_vehicles: Mapped[int | None]
    ceiling_other_vehicles: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Whether the mission ever had a webhook subscription or a CAP rule (migration 0020): until it has, the
    # events' listeners skip it without a statement (`truce.events.outbox.sends_events`). Never set back.
    events_out: Mapped[bool] = mapped_column(default=False, server_default=false())


class Party(Logged, Base):
    __tablename__ = "parties"
    __table_args__ = (
        UniqueConstraint("mission_id", "code"),
        CheckConstraint("kind IN ('side','guarantor','mediator','agency','observer')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    translations: Mapped[dict[str, Any] | None]


class Delegation(Logged, Base):
    __tablename__ = "delegations"
    __table_args__ = (UniqueConstraint("mission_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    translations: Mapped[dict[str, Any] | None]

    @validates("code")
    def _safe_code(self, _key: str, code: str) -> str:
        # Checked on the row itself, so that no way of making a delegation (API, loader, CLI) can skip it.
        if not re.fullmatch(DELEGATION_CODE, code):
            raise Invalid(
                Message(
                    "%(code)r is not a delegation code: a lower-case letter, then letters, digits or hyphens", code=code
                ),
                "code",
            )
        return code


class Deployment(Logged, Base):
    """Personnel and vehicles at a site, or mission-wide when `site_id` is empty, on one date."""

    __tablename__ = "deployments"
    __table_args__ = (
        UniqueConstraint("mission_id", "site_id", "on_date"),
        CheckConstraint("personnel >= 0 AND armoured_vehicles >= 0 AND other_vehicles >= 0", name="non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    on_date: Mapped[date] = mapped_column(Date)
    personnel: Mapped[int] = mapped_column(default=0)
    armoured_vehicles: Mapped[int] = mapped_column(default=0)
    other_vehicles: Mapped[int] = mapped_column(default=0)
    note: Mapped[str] = mapped_column(Text, default="")
