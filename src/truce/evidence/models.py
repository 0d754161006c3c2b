"""Evidence files attached to incidents, stored once by their SHA-256, each file's chain of custody, and the tables
of the PostgreSQL evidence store: files as lists of content-addressed chunks (evidence/database.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
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


class EvidenceChunk(Base):
    """At most one chunk (1 MiB) of some stored files, kept once under its own SHA-256.

    Storage, not a mission record: the file a chunk belongs to is named in the log by its hash (evidence.add).
    """

    __tablename__ = "evidence_chunks"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class EvidenceBlob(Base):
    """One stored file, by its SHA-256: its size and when it arrived; its bytes are its chunks in order."""

    __tablename__ = "evidence_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)


class EvidenceBlobChunk(Base):
    """The chunk at position `seq` of a stored file; every chunk but the last is exactly the store's chunk size."""

    __tablename__ = "evidence_blob_chunks"

    blob_sha256: Mapped[str] = mapped_column(
        String(64), ForeignKey("evidence_blobs.sha256", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    chunk_sha256: Mapped[str] = mapped_column(String(64), ForeignKey("evidence_chunks.sha256"), index=True)
