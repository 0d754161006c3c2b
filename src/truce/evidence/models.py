"""Evidence files attached to incidents, stored once by their SHA-256, and each file's chain of custody."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from truce.db import Base, utcnow
from truce.incidents.models import Incident
from truce.ledger.models import Logged


class Evidence(Logged, Base):
    """A file attached to an incident, stored once by its SHA-256."""

    __tablename__ = "evidence"
    __table_args__ = (UniqueConstraint("incident_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(200), default="")
    # EXIF time and position of photos, for verifiers only; never published.
    photo_metadata: Mapped[dict[str, Any]] = mapped_column(default=dict)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    delegation: Mapped[str | None] = mapped_column(String(32))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set with a new incident, so that both go in with one flush; read as `incident_id` elsewhere.
    incident: Mapped[Incident] = relationship(lazy="raise")


class Custody(Logged, Base):
    """One link in an evidence file's chain of custody: who uploaded or downloaded it, when, from where."""

    __tablename__ = "custody"

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    delegation: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set with a new evidence record, so that both go in with one flush; read as `evidence_id` elsewhere.
    evidence: Mapped[Evidence] = relationship(lazy="raise")
