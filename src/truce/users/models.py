"""User, Membership, DigestSecret and LoginAttempt tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from truce.db import Base, utcnow
from truce.ledger.models import Logged


class User(Logged, Base):
    __tablename__ = "users"
    # The log keeps a digest of the hash, never the hash itself.
    __log_redact__ = frozenset({"password_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    # An operator runs the installation: creates missions and names their first administrators.
    operator: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Membership(Logged, Base):
    """A user's one role in one mission, within one delegation."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("user_id", "mission_id"),
        CheckConstraint("role IN ('admin','monitor','verifier','liaison','humanitarian','analyst')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    delegation_id: Mapped[int] = mapped_column(ForeignKey("delegations.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))


class DigestSecret(Base):
    """What checks an account's HTTP Digest logins: H(username:realm:password) per algorithm, kept only on request.

    Each value is as good as the password for Digest logins to this server, and a fast hash that a copy of the
    database lets anyone attack offline; so it exists only for accounts that asked for Digest, and it stays out of
    the tamper-evident log (authentication state, like web sessions), where even a digest of it would be kept and
    copied forever. Turning Digest on or off is logged against the user.
    """

    __tablename__ = "digest_secrets"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    md5: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str] = mapped_column(String(64))
    # A digest of the password hash it was made with: a password changed by any other path voids it.
    password_tag: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginAttempt(Base):
    """One password (or Digest answer) checked at a login: what the login limits count, shared by every process.

    Authentication state, like web sessions: kept out of the tamper-evident log, and pruned after `logins.KEEP`.
    `username` is the name as typed (unknown names count too), `address` the client's address (an IPv6 /64).
    """

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    # page, api, openrosa-basic or openrosa-digest
    channel: Mapped[str] = mapped_column(String(16))
    success: Mapped[bool]
