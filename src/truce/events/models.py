"""Tables of events out: webhook subscriptions, the outbox of events, and each delivery attempt."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from truce.db import Base, utcnow
from truce.ledger.models import Logged

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


class AlertRule(Logged, Base):
    """A verifier's rule for CAP alerts: a confirmed public incident of these types within `within_km` of an area."""

    __tablename__ = "cap_alert_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # Incident types (`explosion`); empty: every type.
    types: Mapped[list[Any]] = mapped_column(default=list)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    within_km: Mapped[float] = mapped_column(Float, default=0.0)
    severity: Mapped[str] = mapped_column(String(16), default="Severe")
    created_by: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Alert(Base):
    """One CAP 1.2 message a rule produced from a log entry: its XML fixed when it was made."""

    __tablename__ = "cap_alerts"
    __table_args__ = (Index("ix_cap_alerts_rule_incident", "rule_id", "incident_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("cap_alert_rules.id"))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    log_index: Mapped[int] = mapped_column(BigInteger)
    identifier: Mapped[str] = mapped_column(String(200), unique=True)
    msg_type: Mapped[str] = mapped_column(String(8))
    sent: Mapped[datetime]
    xml: Mapped[str] = mapped_column(Text)
