"""One delivery attempt of one event: signed POST, bounded in time and in what is read, and its outcome stored.

The same function is the job on both backends: procrastinate runs it on PostgreSQL, `truce worker`'s own
loop on SQLite (worker.py). It is safe to run twice for one event: only a pending event is sent, and the
outcome is written under a row lock, so a second run after a worker died sends the same `webhook-id` and body.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

import httpx2 as httpx
from sqlalchemy import Table, insert, select

from truce.db import Database, utcnow
from truce.events import queue, signing, subscriptions
from truce.events.models import Attempt, Event, Subscription
from truce.events.settings import DeliverySettings

log = logging.getLogger("truce.events")
EVENTS = cast(Table, Event.__table__)
SUBSCRIPTIONS = cast(Table, Subscription.__table__)


@dataclass
class Deliverer:
    """What each delivery needs: the database, the server's secret (to unseal), settings and an HTTP client."""

    db: Database
    server_secret: str
    settings: DeliverySettings
    client: httpx.Client
    # Deliveries in hand per subscription: one slow receiver may hold at most `per_receiver` of them.
    in_hand: dict[int, int] = field(default_factory=dict)
    guard: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, db: Database, server_secret: str, settings: DeliverySettings) -> Deliverer:
        limits = httpx.Limits(max_connections=settings.concurrency * 2, max_keepalive_connections=settings.concurrency)
        # No redirects: a receiver that points elsewhere has not received the event.
        client = httpx.Client(follow_redirects=False, limits=limits, trust_env=False)
        return cls(db=db, server_secret=server_secret, settings=settings, client=client)

    def close(self) -> None:
        self.client.close()

    def deliver(self, event_id: int) -> str:
        """Try once to deliver the event; 'delivered', 'failed', 'dead' or 'skipped' (nothing to do)."""
        with self.db.session(write=False) as session:
            row = session.execute(
                select(EVENTS, SUBSCRIPTIONS.c.url, SUBSCRIPTIONS.c.active, SUBSCRIPTIONS.c.secret_sealed,
                       SUBSCRIPTIONS.c.previous_sealed, SUBSCRIPTIONS.c.previous_until)
                .join(SUBSCRIPTIONS, SUBSCRIPTIONS.c.id == EVENTS.c.subscription_id)
                .where(EVENTS.c.id == event_id)
            ).one_or_none()  # fmt: skip
        if row is None or row.state != "pending" or not row.active:
            return "skipped"
        if not self._take(row.subscription_id):
            self._later(event_id)
            return "busy"
        try:
            started = time.monotonic()
            status, error = self._post(row)
            duration_ms = int((time.monotonic() - started) * 1000)
            return self._record(event_id, status, error, duration_ms)
        finally:
            self._give(row.subscription_id)

    def _take(self, subscription_id: int) -> bool:
        with self.guard:
            if self.in_hand.get(subscription_id, 0) >= self.settings.per_receiver:
                return False
            self.in_hand[subscription_id] = self.in_hand.get(subscription_id, 0) + 1
            return True

    def _give(self, subscription_id: int) -> None:
        with self.guard:
            self.in_hand[subscription_id] -= 1

    def _later(self, event_id: int) -> None:
        """A job for an event whose receiver has enough in hand: again in a second (SQLite's loop just waits)."""
        if not self.db.is_sqlite:
            with self.db.session() as session:
                queue.enqueue(session, [event_id], at=utcnow() + timedelta(seconds=1))

    def _post(self, row: Any) -> tuple[int | None, str]:
        body = row.body.encode("utf-8")
        headers = signing.headers(
            subscriptions.secrets(row, self.server_secret), row.message_id, int(time.time()), body
        )
        timeout = self.settings.timeout_s
        deadline = time.monotonic() + timeout
        try:
            with self.client.stream("POST", row.url, content=body, headers=headers, timeout=timeout) as answer:
                read = 0
                # Read a little of the answer, never all of it: a huge or endless body stops here.
                for chunk in answer.iter_raw():
                    read += len(chunk)
                    if read >= self.settings.max_response_bytes or time.monotonic() > deadline:
                        break
                status = answer.status_code
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:500]
        if 300 <= status < 400:
            return status, "redirect not followed: the receiver must answer 2xx at the subscribed address"
        return status, "" if 200 <= status < 300 else f"the receiver answered {status}"

    def _record(self, event_id: int, status: int | None, error: str, duration_ms: int) -> str:
        ok = status is not None and 200 <= status < 300
        settings = self.settings
        with self.db.session() as session:
            query = select(Event).where(Event.id == event_id)
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update()
            event = session.execute(query).scalar_one()
            if event.state != "pending":
                return "skipped"
            now = utcnow()
            event.attempts += 1
            session.execute(
                insert(Attempt).values(
                    event_id=event.id, number=event.attempts, at=now, duration_ms=duration_ms,
                    status_code=status, outcome="delivered" if ok else "failed", error=error,
                )
            )  # fmt: skip
            if ok:
                event.state, event.delivered_at = "delivered", now
                return "delivered"
            delay = min(settings.backoff_s * 2 ** (event.attempts - 1), settings.max_backoff_s)
            retry_at = now + timedelta(seconds=delay)
            if retry_at > event.due_since + timedelta(hours=settings.window_h):
                event.state = "dead"
                log.warning("event %s is dead after %s attempts: %s", event.message_id, event.attempts, error)
                return "dead"
            event.next_attempt_at = retry_at
            session.flush()
            queue.enqueue(session, [event.id], at=retry_at)
            return "failed"


def due(db: Database, limit: int, busy: set[int], busy_receivers: dict[int, int], per_receiver: int) -> list[int]:
    """Events due now, oldest first, skipping those in hand and receivers with `per_receiver` in hand."""
    with db.session(write=False) as session:
        rows = session.execute(
            select(Event.id, Event.subscription_id)
            .where(Event.state == "pending", Event.next_attempt_at <= utcnow())
            .order_by(Event.next_attempt_at, Event.id)
            .limit(limit + len(busy) + 100)
        ).all()
    picked: list[int] = []
    counts = dict(busy_receivers)
    for event_id, subscription_id in rows:
        if event_id in busy or counts.get(subscription_id, 0) >= per_receiver:
            continue
        counts[subscription_id] = counts.get(subscription_id, 0) + 1
        picked.append(event_id)
        if len(picked) >= limit:
            break
    return picked


def unqueued(db: Database, limit: int = 1000) -> int:
    """PostgreSQL: put a job on the queue for each pending event that has none (made before the queue existed)."""
    with db.session() as session:
        ids = list(
            session.execute(
                select(Event.id).where(Event.state == "pending", Event.queued.is_(False)).limit(limit)
            ).scalars()
        )
        queue.enqueue(session, ids)
        return len(ids)
