"""The events' listeners on the write path: their cost per batch of log entries for a mission that sends nothing.

Every batch of log entries the journal stores reaches `truce.events.outbox.on_entries` and
`truce.events.cap.on_entries` (issue 22). Before `missions.events_out` they read the mission's active subscriptions
and CAP rules for every batch, even when there were none (two SELECTs); now a mission that never had either is
skipped from the mission the session holds. This calls both listeners with a batch of incident entries of the demo
mission (no subscriptions, no rules), each call in a transaction of its own that has loaded its mission, as a
write does. In alternating rounds, within one process:

- "as shipped": `events_out` false, the listeners send no statement;
- "baseline (as before)": the same mission with `events_out` set, so the listeners read the (empty)
  subscriptions and rules, as every mission's writes did before.

Prints microseconds per batch (median over the rounds) and their ratio. SQLite in a temporary directory, or
`--db URL`.

    .venv/bin/python benchmarks/events_listeners.py [--rounds 5] [--calls 2000] [--batch 10] [--db URL]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event, update

from truce import schema
from truce.db import Database, connect, utcnow
from truce.demo import loader
from truce.events import cap, outbox
from truce.missions import service as missions_service
from truce.missions.models import Mission


def entries(mission_id: int, batch: int) -> list[dict[str, Any]]:
    return [
        {
            "idx": 1_000_000 + n, "time": utcnow(), "mission_id": mission_id, "actor": "bench", "delegation": None,
            "action": "incident.update", "entity_type": "incidents", "entity_id": str(n + 1),
            "data": '{"entity": {"status": "reported", "type": "fire"}}', "leaf_hash": b"\0" * 32,
        }
        for n in range(batch)
    ]  # fmt: skip


def run(db: Database, calls: int, batch: int, sending: bool) -> tuple[float, float]:
    """Microseconds per call of both listeners, and statements per call."""
    with db.session() as session:
        session.execute(update(Mission).where(Mission.slug == "nk-2020").values(events_out=sending))
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(db.engine, "before_cursor_execute", count)
    spent = 0.0
    try:
        for _ in range(calls):
            with db.session() as session:
                mission = missions_service.get_by_slug(session, "nk-2020")
                assert mission is not None
                made = entries(mission.id, batch)
                before = statements
                started = time.perf_counter()
                outbox.on_entries(session, made)
                cap.on_entries(session, made)
                spent += time.perf_counter() - started
                assert statements - before == (2 if sending else 0)
                session.rollback()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return spent / calls * 1e6, 2.0 if sending else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--db", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="truce-bench-listeners-") as work:
        db = connect(args.db or f"sqlite:///{Path(work) / 'bench.db'}")
        schema.upgrade(db.engine)
        with db.session() as session:
            loader.load(session, incidents=0)
        shipped: list[float] = []
        baseline: list[float] = []
        for round_number in range(1, args.rounds + 1):
            for sending, into in ((False, shipped), (True, baseline)):
                micros, per_call = run(db, args.calls, args.batch, sending)
                into.append(micros)
                label = "baseline (as before)" if sending else "as shipped"
                print(f"round {round_number} {label:<21} {micros:8.1f} µs per batch, {per_call:.0f} statements")
        db.dispose()
    after, before = statistics.median(shipped), statistics.median(baseline)
    print(f"\nmedian: as shipped {after:.1f} µs, baseline {before:.1f} µs per batch of {args.batch} entries;")
    print(f"as shipped / baseline = {after / before:.3f}; saved {before - after:.1f} µs per batch")


if __name__ == "__main__":
    main()
