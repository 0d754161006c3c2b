"""Device and Submission tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from truce.db import Base, utcnow
from truce.ledger.models import Logged
from truce.places.models import in_values

RECORD_KINDS = ("incident", "movement", "patrol")


class Device(Logged, Base):
    """A phone allowed to submit to one mission, acting through its own account in one delegation."""

    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("mission_id", "name"),)
    # The log keeps a digest of the token's hash; the token itself is never stored.
    __log_redact__ = frozenset({"token_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    # The account the device acts as: a monitor of its delegation that cannot log in with a password.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The form ids the device may fetch and submit.
    forms: Mapped[list[Any]] = mapped_column(default=list)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class Submission(Logged, Base):
    """One instance received from a phone, keyed by form and instanceID, and the record it became."""

    __tablename__ = "submissions"
    __table_args__ = (
        # Retries of one submission race to insert this key; one wins, the others become duplicates.
        UniqueConstraint("mission_id", "form_id", "instance_id"),
        CheckConstraint(in_values("record_kind", RECORD_KINDS), name="record_kind"),
    )
    __log_redact__ = frozenset({"xml"})

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    form_id: Mapped[str] = mapped_column(String(64))
    form_version: Mapped[str] = mapped_column(String(64))
    instance_id: Mapped[str] = mapped_column(String(128))
    deprecated_id: Mapped[str | None] = mapped_column(String(128), index=True)
    xml_sha256: Mapped[str] = mapped_column(String(64))
    xml: Mapped[str] = mapped_column(Text)
    record_kind: Mapped[str] = mapped_column(String(16))
    # The incident(s) or movement(s) the instance became; a patrol without restrictions has none.
    record_ids: Mapped[list[Any]] = mapped_column(default=list)
    # A later edit (deprecatedID) that arrived first makes this one an older version, kept but not applied.
    superseded: Mapped[bool] = mapped_column(default=False)
    route: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # File name and SHA-256 of every attachment received so far.
    attachments: Mapped[list[Any]] = mapped_column(default=list)
    observed_at: Mapped[datetime | None]
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_delegation: Mapped[str | None] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class DigestNonceUse(Base):
    """A Digest nonce count already accepted (RFC 7616 replay protection), shared by every process on PostgreSQL.

    Authentication state, like login attempts: kept out of the tamper-evident log, pruned once the nonce expires.
    On SQLite the one serving process keeps them in memory instead (openrosa/nonce_counts.py).
    """

    __tablename__ = "digest_nonce_uses"

    # The nonce is base64 of 36 bytes (48 characters); the count 8 hexadecimal digits, kept lowercase.
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    nc: Mapped[str] = mapped_column(String(8), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
