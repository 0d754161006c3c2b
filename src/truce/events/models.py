"""Tables of events out: webhook subscriptions, the outbox of events, and each delivery attempt."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from truce.db import Base, utcnow

EVENT_STATES = ("pending", "delivered", "dead")


class Subscription(Base):
    """A receiver's URL and what it wants; it receives what its owner's role and delegation may read.

    Not a logged record: it holds a sealed secret, and it changes no record of the mission.
    """

    __tablename__ = "webhook_subscriptions"
    __table_args__ = (Index("ix_webhook_subscriptions_mission_active", "mission_id", "active"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The owner's standing when the subscription was made: what the API would show them decides what is sent.
    role: Mapped[str] = mapped_column(String(16))
    delegation_code: Mapped[str | None] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    # Log actions (`incident.create`) or families (`incident.*`); empty: every action.
    kinds: Mapped[list[Any]] = mapped_column(default=list)
    zone_ids: Mapped[list[Any]] = mapped_column(default=list)
    types: Mapped[list[Any]] = mapped_column(default=list)
    statuses: Mapped[list[Any]] = mapped_column(default=list)
    # The signing secret, sealed with a key derived from TRUCE_SECRET_KEY (sealing.py); shown once, in clear.
    secret_sealed: Mapped[str] = mapped_column(Text)
    # During a rotation the previous secret signs too, until `previous_until`.
    previous_sealed: Mapped[str | None] = mapped_column(Text)
    previous_until: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Event(Base):
    """One log entry for one subscription: its body is fixed here, at enqueue time, and never changes."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        UniqueConstraint("subscription_id", "log_index"),
        Index("ix_webhook_events_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id"))
    log_index: Mapped[int] = mapped_column(BigInteger)
    # Standard Webhooks' `webhook-id`: derived from the log index, the same at every attempt.
    message_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The first time the event became due: the 72-hour retry window counts from here (a replay restarts it).
    due_since: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    # PostgreSQL: a job for this event is on the queue (queue.py); SQLite's worker reads the due events instead.
    queued: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]


class Attempt(Base):
    """One try at delivering an event: when, how long, what the receiver answered or what went wrong."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_events.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    status_code: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))
    error: Mapped[str] = mapped_column(Text, default="")
