"""Deliveries, one receiver at a time: a job takes a batch of the receiver's due events, posts each, records all.

The same job is run on both backends: procrastinate runs it on PostgreSQL (queue.py), `truce worker`'s own loop
on SQLite (worker.py). A batch is claimed with a lease: its events' `next_attempt_at` moves past the time the
batch can take (each POST is bounded by the timeout), so no other job takes them meanwhile, and a job whose worker
died gives them back when the lease runs out. Each event is still one POST with its own `webhook-id` and the body
fixed at enqueue; each attempt is logged. A second run after a worker died sends the same id and body.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

import httpx2 as httpx
from sqlalchemy import Table, bindparam, func, insert, select, update

from truce.db import Database, utcnow
from truce.events import queue, signing, subscriptions
from truce.events.models import Attempt, Event, Subscription
from truce.events.settings import DeliverySettings

log = logging.getLogger("truce.events")
EVENTS = cast(Table, Event.__table__)
SUBSCRIPTIONS = cast(Table, Subscription.__table__)
ATTEMPTS = cast(Table, Attempt.__table__)


@dataclass(frozen=True)
class Outcome:
    """What one POST came to."""

    status: int | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class Deliverer:
    """What each job needs: the database, the server's secret (to unseal), settings, an HTTP client per receiver."""

    db: Database
    server_secret: str
    settings: DeliverySettings
    # One client per receiver, kept between jobs: its connections stay open (keep-alive) from one batch to the next.
    clients: dict[int, httpx.Client] = field(default_factory=dict)
    # The receivers with a job running in this process: one at a time each, so a slow receiver holds one slot.
    in_hand: set[int] = field(default_factory=set)
    guard: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, db: Database, server_secret: str, settings: DeliverySettings) -> Deliverer:
        return cls(db=db, server_secret=server_secret, settings=settings)

    def close(self) -> None:
        with self.guard:
            clients, self.clients = list(self.clients.values()), {}
        for client in clients:
            client.close()

    def run(self, subscription_id: int) -> str:
        """Deliver the receiver's due events, batch after batch, for at most `job_s`; how many were tried."""
        if not self._take(subscription_id):
            return "busy"  # the job in hand takes these events, or its follow-up does
        tried = 0
        try:
            ends = time.monotonic() + self.settings.job_s
            while time.monotonic() < ends:
                receiver = self._receiver(subscription_id)
                if receiver is None:
                    return "ended"  # an ended subscription's events wait unsent, and no job follows up

                batch = self._claim(subscription_id)
                if not batch:
                    break
                self._record(batch, self._post_all(receiver, batch))
                tried += len(batch)
        finally:
            self._give(subscription_id)
        self._follow_up(subscription_id)
        return f"{tried} tried"

    def _take(self, subscription_id: int) -> bool:
        with self.guard:
            if subscription_id in self.in_hand:
                return False
            self.in_hand.add(subscription_id)
            return True

    def _give(self, subscription_id: int) -> None:
        with self.guard:
            self.in_hand.discard(subscription_id)

    def _receiver(self, subscription_id: int) -> Any:
        with self.db.session(write=False) as session:
            row = session.execute(select(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.id == subscription_id)).one_or_none()
        return row if row is not None and row.active else None

    def lease(self, size: int) -> timedelta:
        """How long a batch of `size` may take: its rounds of POSTs, each bounded by the timeout, and a margin."""
        rounds = math.ceil(size / self.settings.per_receiver)
        return timedelta(seconds=rounds * self.settings.timeout_s + self.settings.lease_margin_s)

    def _claim(self, subscription_id: int) -> list[Any]:
        """Take up to `batch` due events of the receiver, oldest first, under a lease; skip any another job holds."""
        now = utcnow()
        with self.db.session() as session:
            due = (
                select(EVENTS.c.id)
                .where(EVENTS.c.subscription_id == subscription_id, EVENTS.c.state == "pending",
                       EVENTS.c.next_attempt_at <= now)
                .order_by(EVENTS.c.next_attempt_at, EVENTS.c.id)
                .limit(self.settings.batch)
                .with_for_update(skip_locked=True)
            )  # fmt: skip
            claim = (
                update(EVENTS)
                .where(EVENTS.c.id.in_(due.scalar_subquery()))
                .values(next_attempt_at=now + self.lease(self.settings.batch))
                .returning(EVENTS.c.id, EVENTS.c.message_id, EVENTS.c.body, EVENTS.c.attempts, EVENTS.c.due_since)
            )
            rows = list(session.execute(claim))
            if rows and len(rows) < self.settings.batch:
                # A smaller batch has a shorter lease: a dead worker's events come back sooner.
                session.execute(
                    update(EVENTS)
                    .where(EVENTS.c.id.in_([r.id for r in rows]))
                    .values(next_attempt_at=now + self.lease(len(rows)))
                )
        return sorted(rows, key=lambda r: r.id)

    def _client(self, subscription_id: int) -> httpx.Client:
        with self.guard:
            client = self.clients.get(subscription_id)
            if client is None:
                per = self.settings.per_receiver
                limits = httpx.Limits(max_connections=per, max_keepalive_connections=per)
                # No redirects: a receiver that points elsewhere has not received the event.
                client = httpx.Client(follow_redirects=False, limits=limits, trust_env=False)
                self.clients[subscription_id] = client
            return client

    def _post_all(self, receiver: Any, batch: Sequence[Any]) -> list[Outcome]:
        """POST each event of the batch, `per_receiver` at once, on the receiver's own connections."""
        secrets = subscriptions.secrets(receiver, self.server_secret)
        client = self._client(int(receiver.id))

        def post(event: Any) -> Outcome:
            return self._post(client, receiver.url, secrets, event)

        width = min(self.settings.per_receiver, len(batch))
        if width == 1:
            return [post(event) for event in batch]
        with ThreadPoolExecutor(width, thread_name_prefix=f"truce-receiver-{receiver.id}") as pool:
            return list(pool.map(post, batch))

    def _post(self, client: httpx.Client, url: str, secrets: list[str], event: Any) -> Outcome:
        body = event.body.encode("utf-8")
        headers = signing.headers(secrets, event.message_id, int(time.time()), body)
        timeout = self.settings.timeout_s
        started = time.monotonic()
        deadline = started + timeout
        try:
            with client.stream("POST", url, content=body, headers=headers, timeout=timeout) as answer:
                read = 0
                # Read a little of the answer, never all of it: a huge or endless body stops here.
                for chunk in answer.iter_raw():
                    read += len(chunk)
                    if read >= self.settings.max_response_bytes or time.monotonic() > deadline:
                        break
                status = answer.status_code
        except httpx.HTTPError as exc:
            return Outcome(None, f"{type(exc).__name__}: {exc}"[:500], _ms_since(started))
        if 300 <= status < 400:
            error = "redirect not followed: the receiver must answer 2xx at the subscribed address"
        else:
            error = "" if 200 <= status < 300 else f"the receiver answered {status}"
        return Outcome(status, error, _ms_since(started))

    def _record(self, batch: Sequence[Any], outcomes: Sequence[Outcome]) -> None:
        """Every outcome of a batch in one transaction: the events' states, and one attempt row each."""
        now = utcnow()
        attempts: list[dict[str, Any]] = []
        retries: list[dict[str, Any]] = []
        delivered = [event.id for event, outcome in zip(batch, outcomes, strict=True) if outcome.ok]
        with self.db.session() as session:
            recorded: set[int] = set()
            if delivered:
                recorded = set(
                    session.execute(
                        update(EVENTS)
                        .where(EVENTS.c.id.in_(delivered), EVENTS.c.state == "pending")
                        .values(state="delivered", delivered_at=now, attempts=EVENTS.c.attempts + 1)
                        .returning(EVENTS.c.id)
                    ).scalars()
                )
            for event, outcome in zip(batch, outcomes, strict=True):
                if outcome.ok and event.id not in recorded:
                    continue  # delivered meanwhile by a job whose lease had run out: this attempt is not its effect
                number = event.attempts + 1
                attempts.append({
                    "event_id": event.id, "number": number, "at": now, "duration_ms": outcome.duration_ms,
                    "status_code": outcome.status, "outcome": "delivered" if outcome.ok else "failed",
                    "error": outcome.error,
                })  # fmt: skip
                if not outcome.ok:
                    retries.append(self._retry(event, number, now, outcome.error))
            if retries:
                session.execute(
                    update(EVENTS)
                    .where(EVENTS.c.id == bindparam("b_id"), EVENTS.c.state == "pending")
                    .values(attempts=bindparam("b_attempts"), state=bindparam("b_state"),
                            next_attempt_at=bindparam("b_next"))
                    .execution_options(synchronize_session=False),
                    retries,
                )  # fmt: skip
            if attempts:
                session.execute(insert(ATTEMPTS), attempts)

    def _retry(self, event: Any, number: int, now: datetime, error: str) -> dict[str, Any]:
        """A failed event's next state: due again after the backoff, or dead once the retry window has passed."""
        settings = self.settings
        delay = min(settings.backoff_s * 2 ** (number - 1), settings.max_backoff_s)
        retry_at = now + timedelta(seconds=delay)
        state = "pending"
        if retry_at > event.due_since + timedelta(hours=settings.window_h):
            state = "dead"
            log.warning("event %s is dead after %s attempts: %s", event.message_id, number, error)
        return {"b_id": event.id, "b_attempts": number, "b_state": state, "b_next": retry_at}

    def _follow_up(self, subscription_id: int) -> None:
        """PostgreSQL: a job at the time the receiver's next event falls due (a retry, a lease, a batch left)."""
        if self.db.is_sqlite:
            return  # SQLite's loop looks for due events itself
        with self.db.session() as session:
            earliest = session.execute(
                select(func.min(EVENTS.c.next_attempt_at)).where(
                    EVENTS.c.subscription_id == subscription_id, EVENTS.c.state == "pending"
                )
            ).scalar()
            if earliest is not None:
                queue.enqueue_later(session, subscription_id, earliest)


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def due_receivers(db: Database, limit: int, busy: set[int]) -> list[int]:
    """The receivers (subscription ids) that have an event due now, those with the oldest first."""
    with db.session(write=False) as session:
        rows = session.execute(
            select(EVENTS.c.subscription_id, func.min(EVENTS.c.next_attempt_at).label("oldest"))
            .join(SUBSCRIPTIONS, SUBSCRIPTIONS.c.id == EVENTS.c.subscription_id)
            .where(EVENTS.c.state == "pending", EVENTS.c.next_attempt_at <= utcnow(), SUBSCRIPTIONS.c.active.is_(True))
            .group_by(EVENTS.c.subscription_id)
            .order_by("oldest")
            .limit(limit + len(busy))
        ).all()
    return [int(s) for s, _ in rows if s not in busy][:limit]


def sweep(db: Database) -> int:
    """PostgreSQL: a job for each receiver with pending events, at the earliest's time (a job already waiting for
    an earlier time stays); run when a worker starts and now and then, so no event waits on a job that is gone."""
    with db.session() as session:
        if not queue.has_queue(session):
            return 0
        rows = session.execute(
            select(EVENTS.c.subscription_id, func.min(EVENTS.c.next_attempt_at))
            .join(SUBSCRIPTIONS, SUBSCRIPTIONS.c.id == EVENTS.c.subscription_id)
            .where(EVENTS.c.state == "pending", SUBSCRIPTIONS.c.active.is_(True))
            .group_by(EVENTS.c.subscription_id)
        ).all()
        for subscription_id, earliest in rows:
            queue.enqueue_later(session, int(subscription_id), earliest)
        session.execute(
            update(EVENTS).where(EVENTS.c.state == "pending", EVENTS.c.queued.is_(False)).values(queued=True)
        )
        return len(rows)
