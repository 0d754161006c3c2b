"""The outbox: each log entry a subscription matches becomes an event row in the entry's own transaction.

`on_entries` is the listener `truce.events` registers with `ledger.service.listen` when the package is imported
(every table is imported through `truce.models`, so the app, the CLI and the tests all have it): an event exists
exactly when its entry committed, and its body is fixed here, once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Row, Table, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from truce import policy
from truce.db import utcnow
from truce.events import queue
from truce.events.models import AlertRule, Event, Subscription
from truce.ledger import service as ledger
from truce.missions.models import Mission
from truce.policy import Actor

SUBSCRIPTIONS = cast(Table, Subscription.__table__)
EVENTS = cast(Table, Event.__table__)
MISSIONS = cast(Table, Mission.__table__)


def sends_events(session: Session, mission_ids: Iterable[int]) -> set[int]:
    """Those of the missions that ever had a subscription or a CAP rule (`Mission.events_out`).

    Read from the missions the session holds already (the request that wrote the entries loaded its mission, the
    phones' writer merges it), so that a mission sending nothing costs the log's listeners no statement at all.
    """
    with session.no_autoflush:
        found = {mission_id: session.get(Mission, mission_id) for mission_id in set(mission_ids)}
    return {mission_id for mission_id, mission in found.items() if mission is not None and mission.events_out}


def mark_sending(session: Session, mission: Mission) -> None:
    """Note that `mission` sends events from now on (a subscription or a rule is being made).

    A Core UPDATE, not an ORM change: the flag is a hint for the listeners, left out of the log (`__log_skip__`),
    so the mission's row does not count as a logged record changed without an entry. It is never set back: a
    mission whose subscriptions all ended pays one SELECT per batch of entries, never a lost event.
    """
    if mission.events_out:
        return
    session.execute(update(MISSIONS).where(MISSIONS.c.id == mission.id).values(events_out=True))
    set_committed_value(mission, "events_out", True)


def subscriber(subscription: Any) -> Actor:
    """Who a subscription receives as: its owner's role and delegation in its mission."""
    return Actor(
        username=None,
        role=subscription.role,
        user_id=subscription.user_id,
        mission_id=subscription.mission_id,
        delegation_code=subscription.delegation_code,
    )


def message_id(log_index: int, subscription_id: int) -> str:
    """Standard Webhooks' `webhook-id` of an entry sent to a subscription: the same at every attempt and replay."""
    return f"msg_log{log_index}_sub{subscription_id}"


def entity_of(entry: Mapping[str, Any]) -> dict[str, Any] | None:
    """The record as the entry recorded it (None for a deletion)."""
    entity: dict[str, Any] | None = json.loads(entry["data"]).get("entity")
    return entity


def matches(subscription: Any, entry: Mapping[str, Any], entity: dict[str, Any] | None) -> bool:
    """Whether `subscription` is sent `entry`: its kinds and filters, and what its owner may read."""
    action = str(entry["action"])
    kinds = subscription.kinds or []
    if kinds and action not in kinds and action.split(".", 1)[0] + ".*" not in kinds:
        return False
    for field, wanted in (("zone_id", subscription.zone_ids), ("type", subscription.types)):
        if wanted and (entity is None or entity.get(field) not in wanted):
            return False
    if subscription.statuses and (entity is None or entity.get("status") not in subscription.statuses):
        return False
    return policy.receives_entry(subscriber(subscription), str(entry["entity_type"]), entity)


def body(entry: Mapping[str, Any], entity: dict[str, Any] | None) -> str:
    """The event's JSON body: the entry's index, leaf hash and exact text (its leaf hash can be checked)."""
    time = entry["time"]
    document = {
        "type": entry["action"],
        "timestamp": time.isoformat() if hasattr(time, "isoformat") else str(time),
        "data": {
            "log_index": int(entry["idx"]),
            "leaf_hash": bytes(entry["leaf_hash"]).hex(),
            "mission_id": entry["mission_id"],
            "entity_type": entry["entity_type"],
            "entity_id": entry["entity_id"],
            "entity": entity,
            "entry": entry["data"],
        },
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_row(subscription: Any, entry: Mapping[str, Any], entity: dict[str, Any] | None) -> dict[str, Any]:
    now = utcnow()
    return {
        "subscription_id": subscription.id,
        "log_index": int(entry["idx"]),
        "message_id": message_id(int(entry["idx"]), subscription.id),
        "event_type": str(entry["action"])[:64],
        "body": body(entry, entity),
        "state": "pending",
        "attempts": 0,
        "due_since": now,
        "next_attempt_at": now,
        "queued": False,
        "created_at": now,
    }


def active_subscriptions(session: Session, mission_ids: Iterable[int]) -> list[Row[Any]]:
    """The active subscriptions of the missions: read once per transaction (until it writes a subscription)."""
    wanted = tuple(sorted(set(mission_ids)))
    query = select(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.mission_id.in_(wanted), SUBSCRIPTIONS.c.active.is_(True))

    def read() -> list[Row[Any]]:
        with session.no_autoflush:
            return list(session.execute(query))

    return ledger.cached(session, ("events.subscriptions", wanted), read, depends_on=(Subscription, AlertRule))


def on_entries(session: Session, entries: Sequence[dict[str, Any]]) -> None:
    """The ledger's listener: an event row for each entry and each subscription it matches, in this transaction."""
    missions = sends_events(session, {e["mission_id"] for e in entries if e["mission_id"] is not None})
    if not missions:
        return
    subscriptions = active_subscriptions(session, missions)
    if not subscriptions:
        return
    rows: list[dict[str, Any]] = []
    for entry in entries:
        mine = [s for s in subscriptions if s.mission_id == entry["mission_id"]]
        if not mine:
            continue
        entity = entity_of(entry)
        rows += [event_row(s, entry, entity) for s in mine if matches(s, entry, entity)]
    store(session, rows)


def store(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert event rows and put a job on the queue for each receiver (PostgreSQL); their ids."""
    if not rows:
        return []
    with session.no_autoflush:
        queued = queue.has_queue(session)
        rows = [{**row, "queued": queued} for row in rows]
        ids = [int(i) for i in session.execute(insert(EVENTS).returning(EVENTS.c.id), rows).scalars()]
    queue.enqueue(session, {int(row["subscription_id"]) for row in rows})
    return ids
