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


def find(db: Database, principal: str, key: str) -> Seen | None:
    """The key as the sender used it before, or None."""
    with db.session(write=False) as session:
        row = session.get(IdempotencyKey, (principal, key))
        if row is None:
            return None
        return Seen(row.fingerprint, row.received_at, row.status, row.media_type, row.answer)


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
