"""Webhook subscriptions: made, listed, rotated, ended and replayed by their owners; their delivery log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from truce import policy
from truce.db import utcnow
from truce.errors import Forbidden, Invalid, NotFound, Unauthorized
from truce.events import outbox, queue, sealing
from truce.events.models import Attempt, Event, Subscription
from truce.events.schemas import (
    AttemptOut,
    DeliveryOut,
    ReplayOut,
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionOut,
)
from truce.ledger.models import LogEntry
from truce.missions.models import Mission
from truce.policy import Actor

# How long the previous secret keeps signing after a rotation: receivers swap theirs in that time.
ROTATION_OVERLAP = timedelta(hours=24)
# A replay sends at most this many events per call; the answer says where to go on.
MAX_REPLAY = 10_000
MAX_SUBSCRIPTIONS_PER_USER = 50
DELIVERY_PAGE = 200


def _require_keeper(actor: Actor) -> None:
    if not policy.keeps_webhooks(actor):
        if actor.is_public:
            raise Unauthorized("log in with an account of this mission to subscribe to its events")
        raise Forbidden("this account may not subscribe to the mission's events")


def view(subscription: Subscription) -> SubscriptionOut:
    return SubscriptionOut(
        id=subscription.id,
        url=subscription.url,
        description=subscription.description,
        kinds=list(subscription.kinds),
        zone_ids=list(subscription.zone_ids),
        types=list(subscription.types),
        statuses=list(subscription.statuses),
        role=subscription.role,
        delegation=subscription.delegation_code,
        active=subscription.active,
        created_at=subscription.created_at,
        previous_secret_until=subscription.previous_until,
    )


def create(
    session: Session, mission: Mission, body: SubscriptionIn, *, actor: Actor, server_secret: str
) -> SubscriptionCreated:
    """A subscription acting as `actor`; the answer carries its secret, shown this once."""
    _require_keeper(actor)
    owned = session.execute(
        select(Subscription.id).where(Subscription.user_id == actor.user_id, Subscription.active.is_(True))
    ).all()
    if len(owned) >= MAX_SUBSCRIPTIONS_PER_USER:
        raise Invalid(f"an account may keep at most {MAX_SUBSCRIPTIONS_PER_USER} subscriptions", "url")
    secret = sealing.new_secret()
    subscription = Subscription(
        mission_id=mission.id,
        user_id=actor.user_id,
        role=actor.role,
        delegation_code=actor.delegation_code,
        url=body.url,
        description=body.description,
        kinds=list(body.kinds),
        zone_ids=list(body.zone_ids),
        types=list(body.types),
        statuses=list(body.statuses),
        secret_sealed=sealing.seal(secret, server_secret),
        active=True,
        created_at=utcnow(),
    )
    session.add(subscription)
    session.flush()
    outbox.mark_sending(session, mission)
    return SubscriptionCreated(**view(subscription).model_dump(), secret=secret)


def list_for(session: Session, mission: Mission, *, actor: Actor) -> list[Subscription]:
    """The subscriptions `actor` manages in the mission: their own; an administrator sees every one."""
    _require_keeper(actor)
    query = select(Subscription).where(Subscription.mission_id == mission.id).order_by(Subscription.id)
    return [s for s in session.execute(query).scalars() if policy.manages_subscription(actor, s.user_id, mission.id)]


def get(session: Session, mission: Mission, subscription_id: int, *, actor: Actor) -> Subscription:
    """One subscription the actor manages; NotFound otherwise, as if it did not exist."""
    _require_keeper(actor)
    found = session.get(Subscription, subscription_id)
    if (
        found is None
        or found.mission_id != mission.id
        or not policy.manages_subscription(actor, found.user_id, mission.id)
    ):
        raise NotFound("subscription not found")
    return found


def rotate(
    session: Session, mission: Mission, subscription_id: int, *, actor: Actor, server_secret: str
) -> SubscriptionCreated:
    """A new secret, shown once; the old one signs too for `ROTATION_OVERLAP`, so receivers can switch."""
    subscription = get(session, mission, subscription_id, actor=actor)
    secret = sealing.new_secret()
    subscription.previous_sealed = subscription.secret_sealed
    subscription.previous_until = utcnow() + ROTATION_OVERLAP
    subscription.secret_sealed = sealing.seal(secret, server_secret)
    session.flush()
    return SubscriptionCreated(**view(subscription).model_dump(), secret=secret)


def end(session: Session, mission: Mission, subscription_id: int, *, actor: Actor) -> None:
    """Stop the subscription: no new events; pending ones are not sent."""
    subscription = get(session, mission, subscription_id, actor=actor)
    subscription.active = False
    session.execute(
        update(Event).where(Event.subscription_id == subscription.id, Event.state == "pending").values(state="dead")
    )
    session.flush()


def secrets(subscription: Any, server_secret: str) -> list[str]:
    """The secrets that sign a delivery now: the current one, and the previous one while a rotation lasts."""
    found = [sealing.unseal(subscription.secret_sealed, server_secret)]
    if subscription.previous_sealed and subscription.previous_until and subscription.previous_until > utcnow():
        found.append(sealing.unseal(subscription.previous_sealed, server_secret))
    return found


def replay(session: Session, mission: Mission, subscription_id: int, from_index: int, *, actor: Actor) -> ReplayOut:
    """Send again every entry from `from_index` on that the subscription matches, with the same ids and bodies.

    Events already made are due again (their 72-hour window restarts); entries from before the subscription
    existed get their events now, checked against what its owner may read as every other event is.
    """
    subscription = get(session, mission, subscription_id, actor=actor)
    if not subscription.active:
        raise Invalid("this subscription has ended; make a new one", "from_index")
    entries = session.execute(
        select(LogEntry)
        .where(LogEntry.mission_id == mission.id, LogEntry.idx >= from_index)
        .order_by(LogEntry.idx)
        .limit(MAX_REPLAY + 1)
    ).scalars()
    rows = list(entries)
    next_index = rows[MAX_REPLAY].idx if len(rows) > MAX_REPLAY else None
    rows = rows[:MAX_REPLAY]
    existing = {
        idx: event_id
        for idx, event_id in session.execute(
            select(Event.log_index, Event.id).where(
                Event.subscription_id == subscription.id, Event.log_index >= from_index
            )
        )
    }
    now = utcnow()
    again = [existing[e.idx] for e in rows if e.idx in existing]
    for chunk in _chunks(again, 500):
        session.execute(
            update(Event)
            .where(Event.id.in_(chunk))
            .values(state="pending", due_since=now, next_attempt_at=now, queued=queue.has_queue(session))
        )
    queue.enqueue(session, [subscription.id] if again else [])
    new_rows = []
    for entry in rows:
        if entry.idx in existing:
            continue
        columns = {
            c: getattr(entry, c)
            for c in ("idx", "time", "mission_id", "action", "entity_type", "entity_id", "data", "leaf_hash")
        }
        entity = outbox.entity_of(columns)
        if outbox.matches(subscription, columns, entity):
            new_rows.append(outbox.event_row(subscription, columns, entity))
    outbox.store(session, new_rows)
    return ReplayOut(events=len(again) + len(new_rows), next_index=next_index)


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def deliveries(
    session: Session, mission: Mission, subscription_id: int, *, actor: Actor, state: str | None = None
) -> list[DeliveryOut]:
    """The subscription's events, newest first, each with every attempt and its outcome."""
    subscription = get(session, mission, subscription_id, actor=actor)
    query = select(Event).where(Event.subscription_id == subscription.id)
    if state is not None:
        query = query.where(Event.state == state)
    events = list(session.execute(query.order_by(Event.log_index.desc()).limit(DELIVERY_PAGE)).scalars())
    attempts: dict[int, list[AttemptOut]] = {}
    if events:
        rows = session.execute(
            select(Attempt).where(Attempt.event_id.in_([e.id for e in events])).order_by(Attempt.number)
        ).scalars()
        for attempt in rows:
            attempts.setdefault(attempt.event_id, []).append(
                AttemptOut(
                    number=attempt.number,
                    at=attempt.at,
                    duration_ms=attempt.duration_ms,
                    status_code=attempt.status_code,
                    outcome="delivered" if attempt.outcome == "delivered" else "failed",
                    error=attempt.error,
                )
            )
    return [
        DeliveryOut(
            id=e.id,
            message_id=e.message_id,
            log_index=e.log_index,
            event_type=e.event_type,
            state=e.state,
            attempts=e.attempts,
            next_attempt_at=e.next_attempt_at if e.state == "pending" else None,
            delivered_at=e.delivered_at,
            attempt_log=attempts.get(e.id, []),
        )
        for e in events
    ]
