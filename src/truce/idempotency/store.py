"""Claim, find and complete Idempotency-Keys in the database (several server processes share them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from truce.db import Database, utcnow
from truce.errors import Conflict
from truce.idempotency.models import IdempotencyKey
from truce.ledger.canonical import entity_id, entity_type
from truce.ledger.journal import journal

# An answer longer than this is kept as its status alone (a created record's JSON is a few KB).
MAX_ANSWER_BYTES = 64 * 1024
# Keys are forgotten after this many days: longer than a device may stay offline (Settings.offline_days).
RETENTION_DAYS = 30
BUSY = "a request with this Idempotency-Key is still being carried out; try again in a moment"


@dataclass
class Claim:
    """A POST with an Idempotency-Key not seen before, on its way to the route that will carry it out."""

    principal: str
    key: str
    fingerprint: str
    device_time: datetime | None
    received_at: datetime = field(default_factory=utcnow)
    # The device's clock when it sent (X-Device-Clock) minus received_at, in seconds.
    clock_offset_s: int | None = None
    # Set once the row is in the request's transaction: the route wrote through a session that holds it.
    claimed: bool = False


@dataclass(frozen=True)
class Seen:
    """A key already used: its fingerprint, and the answer once known."""

    fingerprint: str
    received_at: datetime
    status: int | None
    media_type: str | None
    answer: bytes | None
    committed_at: datetime | None = None
    record_type: str | None = None
    record_id: str | None = None

    def unanswered(self) -> bool:
        """True when the request's record committed but its answer is not kept (yet, or ever: its process died).

        A key row is visible to others only once its transaction committed, and `note` marks it in that same
        transaction, so the record exists: a retry may be answered with it at once. A request still in flight
        has no visible row; its retry meets it on the key's primary key instead (`claim`: 409).
        """
        return self.status is None and self.committed_at is not None


def find(db: Database, principal: str, key: str) -> Seen | None:
    """The key as the sender used it before, or None."""
    with db.session(write=False) as session:
        row = session.get(IdempotencyKey, (principal, key))
        if row is None:
            return None
        return Seen(
            row.fingerprint,
            row.received_at,
            row.status,
            row.media_type,
            row.answer,
            row.committed_at,
            row.record_type,
            row.record_id,
        )


def claim(session: Session, claim: Claim, *, retention_days: int = RETENTION_DAYS) -> None:
    """Insert the key in the request's own transaction: it commits with the record, or not at all."""
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.received_at < utcnow() - timedelta(retention_days)))
    row = IdempotencyKey(
        principal=claim.principal,
        key=claim.key,
        fingerprint=claim.fingerprint,
        received_at=claim.received_at,
        device_time=claim.device_time,
    )
    try:
        # A savepoint: on PostgreSQL a second request with the key waits here for the first to commit, then fails.
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        error = Conflict(BUSY)
        error.retry_after = 1
        raise error from None
    claim.claimed = True


def note(session: Session, claim: Claim) -> None:
    """Name, in the request's own transaction, the first record it logged and the moment it commits.

    Called when the route has returned, just before the commit: if the process dies before `finish` stores the
    answer, a retry still finds which record the key made (`Seen.lost`).
    """
    entries = journal(session).entries
    record_type = record_id = None
    if entries:
        first = entries[0]
        if first.body is not None:
            record_type, record_id = str(first.body["entity_type"]), str(first.body["entity_id"])
        elif first.record is not None:
            session.flush()
            record_type, record_id = entity_type(first.record), entity_id(first.record)
    session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.principal == claim.principal, IdempotencyKey.key == claim.key)
        .values(committed_at=utcnow(), record_type=record_type, record_id=record_id)
    )


def finish(db: Database, claim: Claim, status: int, media_type: str | None, answer: bytes) -> None:
    """Keep the answer the route gave, so that a repeat gets the same one."""
    kept = answer if len(answer) <= MAX_ANSWER_BYTES else None
    with db.session(write=True) as session:
        session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.principal == claim.principal, IdempotencyKey.key == claim.key)
            .where(IdempotencyKey.status.is_(None))
            .values(status=status, media_type=media_type, answer=kept)
        )
