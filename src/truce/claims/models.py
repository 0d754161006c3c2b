"""The Claim table."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from truce.db import Base, utcnow
from truce.ledger.models import Logged
from truce.places.models import in_values
from truce.policy import CLASSIFICATIONS

CLAIM_STATUSES = ("unverified", "corroborated", "contradicted")
QUALIFIERS = ("exactly", "about", "over", "at least", "up to")
CLAIM_LINK_KINDS = ("provisions", "movements", "incidents", "exchanges")


class Claim(Logged, Base):
    """A statement by a party, an official or a medium: who said what, when, with which numbers."""

    __tablename__ = "claims"
    __table_args__ = (
        CheckConstraint(in_values("status", CLAIM_STATUSES), name="status"),
        CheckConstraint(in_values("classification", CLASSIFICATIONS), name="classification"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    speaker: Mapped[str] = mapped_column(String(200))
    # The speaker's party, by code, where there is one; otherwise (or besides) in words.
    affiliation: Mapped[str | None] = mapped_column(String(32), index=True)
    affiliation_text: Mapped[str] = mapped_column(String(200), default="")
    said_on: Mapped[date] = mapped_column(Date)
    source_title: Mapped[str] = mapped_column(String(300))
    source_url: Mapped[str] = mapped_column(String(2000), default="")
    # The claim in our words, never a quotation passed off as fact.
    summary: Mapped[str] = mapped_column(Text)
    # Numbers it states: [{"value": 7000, "counts": "returnees", "as_of": "2020-11-21", ...}].
    numbers: Mapped[list[Any]] = mapped_column(default=list)
    links: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="unverified", index=True)
    status_note: Mapped[str] = mapped_column(Text, default="")
    status_evidence: Mapped[list[Any]] = mapped_column(default=list)
    status_by: Mapped[str | None] = mapped_column(String(32))
    status_on: Mapped[date | None] = mapped_column(Date)
    classification: Mapped[str] = mapped_column(String(16), default="mission")
    restricted_to: Mapped[list[Any]] = mapped_column(default=list)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_delegation: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
