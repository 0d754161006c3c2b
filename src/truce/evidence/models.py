"""The tables of the PostgreSQL evidence store: files as lists of content-addressed chunks (evidence/database.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from truce.db import Base, utcnow


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
