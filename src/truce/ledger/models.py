"""Tables of the log: entries, stored subtree hashes, the head, checkpoints and cosignatures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from truce.db import Base, utcnow


class Logged:
    """Declares a model whose rows the log must account for: every write needs an entry before commit.

    `class Incident(Logged, Base)`; the guard in `ledger/service.py` reads this, never a list of tables.
    """


class LogEntry(Base):
    """One write. `data` is the exact UTF-8 text whose RFC 9162 leaf hash is `leaf_hash`."""

    __tablename__ = "log_entries"
    __table_args__ = (Index("ix_log_entries_entity", "entity_type", "entity_id", "idx"),)

    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    time: Mapped[datetime]
    mission_id: Mapped[int | None] = mapped_column(ForeignKey("missions.id"), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    delegation: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    data: Mapped[str] = mapped_column(Text)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LogNode(Base):
    """The hash of a complete, aligned subtree of two or more leaves: leaves [idx*2^level, (idx+1)*2^level)."""

    __tablename__ = "log_nodes"

    level: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LogHead(Base):
    """The single row that serialises appends and holds the tree's right border."""

    __tablename__ = "log_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    # Hex hashes of the complete subtrees on the right border, largest first.
    border: Mapped[list[Any]] = mapped_column(default=list)


class Checkpoint(Base):
    """A signed note committing to the tree at one size."""

    __tablename__ = "log_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, index=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Cosignature(Base):
    """A delegation's C2SP tlog-cosignature line over a stored checkpoint."""

    __tablename__ = "log_cosignatures"
    __table_args__ = (UniqueConstraint("checkpoint_id", "key_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("log_checkpoints.id"), index=True)
    key_name: Mapped[str] = mapped_column(String(200))
    signature_line: Mapped[str] = mapped_column(Text)
    cosigned_at: Mapped[datetime]


class Witness(Logged, Base):
    """A delegation's cosigning key: Truce holds only the public half."""

    __tablename__ = "log_witnesses"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_name: Mapped[str] = mapped_column(String(200), unique=True)
    vkey: Mapped[str] = mapped_column(Text)
    delegation: Mapped[str] = mapped_column(String(200), default="")
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Where its C2SP tlog-witness listens (the prefix before /api/v1/log/witness/add-checkpoint); None: it cosigns
    # by itself with `truce log cosign`.
    url: Mapped[str | None] = mapped_column(String(500))


class WitnessPolicy(Logged, Base):
    """A mission's C2SP tlog-policy: which witnesses, how many of which group, make a checkpoint witnessed."""

    __tablename__ = "log_witness_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), unique=True)
    text: Mapped[str] = mapped_column(Text)
    set_at: Mapped[datetime] = mapped_column(default=utcnow)
