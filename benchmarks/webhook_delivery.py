"""Webhook deliveries on PostgreSQL: commit to delivery, p50/p95/max, with 2 `truce worker` processes and 3
loopback receivers (issue 22); then the same with one receiver failing half the time.

A producer commits log entries at a steady rate (`--rate` entries/s, `--per-tx` entries a transaction: a mission
record updated and logged with `ledger.record`); each entry matches 3 subscriptions, so each is 3 deliveries.
Every receiver (tests/events/receiver.py, its own process) checks each delivery with the `standardwebhooks`
library and writes its arrival time; latency = arrival of the first 2xx-answered request of a `webhook-id` minus
the commit of its entry. Also counted: events lost (never delivered) and duplicate deliveries of one id.

Baseline: the 5 s target of issue 22. The database at TRUCE_BENCH_DATABASE_URL (or --pg) is wiped. To compare
with an earlier version, run this script alternately with `PYTHONPATH=<that version's src>` (from `git archive
<commit> src`): the producer and the workers (which inherit the environment) then run that version.

    TRUCE_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/truce_bench \\
        .venv/bin/python benchmarks/webhook_delivery.py [--events 10000] [--rate 200] [--per-tx 10]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from truce import schema
from truce.config import Settings, resolve_secret
from truce.db import connect
from truce.demo import loader
from truce.events import subscriptions
from truce.events.models import Event
from truce.events.schemas import SubscriptionIn
from truce.ledger import service as ledger
from truce.missions import service as missions_service
from truce.policy import Actor
from truce.users import service as users_service

ROOT = Path(__file__).resolve().parent.parent
RECEIVER = ROOT / "tests" / "events" / "receiver.py"
SECRET = "bench-secret-key-that-is-long-enough-0123456789"  # noqa: S105 - a benchmark's throwaway key
MESSAGE = re.compile(r"^msg_log(\d+)_sub(\d+)$")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """A process's CPU time so far, user and system (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def prepare(url: str) -> None:
    db = connect(url)
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    schema.upgrade(db.engine)
    with db.session() as session:
        loader.load(session, incidents=0)
    db.dispose()


def scenario(
    url: str,
    events: int,
    rate: float,
    per_tx: int,
    behaviours: list[tuple[str, str]],
    work: Path,
) -> dict[str, Any]:
    prepare(url)
    db = connect(url)
    settings = Settings(data_dir=work / "data", secret_key=SECRET, database_url=url)
    receivers, logs, hooks = [], [], []
    with db.session() as session:
        mission = missions_service.get_by_slug(session, "nk-2020")
        assert mission is not None
        actor = users_service.actor_for(session, users_service.get_by_name(session, "verifier-ru"), mission)
        for _ in behaviours:
            port = free_port()
            body = SubscriptionIn(url=f"http://127.0.0.1:{port}/hook", kinds=["mission.*"])
            made = subscriptions.create(session, mission, body, actor=actor, server_secret=resolve_secret(settings))
            hooks.append((made.id, made.secret, port))
    for n, ((sub_id, secret, port), (behaviour, arg)) in enumerate(zip(hooks, behaviours, strict=True)):
        log = work / f"receiver{n}.jsonl"
        logs.append((sub_id, log))
        process = subprocess.Popen(
            [sys.executable, str(RECEIVER), str(port), str(log), secret, behaviour, arg],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        receivers.append(process)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUCE_")}
    env.update({"TRUCE_DATABASE_URL": url, "TRUCE_SECRET_KEY": SECRET, "TRUCE_DATA_DIR": str(work / "data")})
    workers = [
        subprocess.Popen([sys.executable, "-m", "truce", "worker"], env=env, stdout=subprocess.DEVNULL,
                         stderr=(work / f"worker{i}.txt").open("wb"))
        for i in range(2)
    ]  # fmt: skip
    # Wait until both workers run (procrastinate registers each one): on a loaded machine starting a Python
    # process takes tens of seconds, which a fixed pause counted as delivery latency.
    started_by = time.monotonic() + 180
    while time.monotonic() < started_by:
        with db.session(write=False) as session:
            running = session.execute(text("SELECT count(*) FROM procrastinate_workers")).scalar_one()
        if running >= len(workers):
            break
        time.sleep(0.5)
    print(f"  workers up after {180 - (started_by - time.monotonic()):.1f} s", flush=True)
    committed: dict[int, float] = {}
    started = time.monotonic()
    with db.session() as session:
        mission = missions_service.get_by_slug(session, "nk-2020")
    done = 0
    while done < events:
        batch = min(per_tx, events - done)
        with db.session() as session:
            record = session.merge(mission)
            for _ in range(batch):
                record.description = f"benchmark change {done}"
                ledger.record(session, Actor.system(), "mission.update", record)
                done += 1
            size_now = ledger.size(session)
        now = time.time()
        for idx in range(size_now - batch, size_now):
            committed[idx] = now
        pause = started + done / rate - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    produce_s = time.monotonic() - started
    expected = {(sub_id, idx) for sub_id, _ in logs for idx in committed}
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        with db.session(write=False) as session:
            pending = session.execute(
                select(func.count()).select_from(Event).where(Event.state == "pending")
            ).scalar_one()
        if pending == 0:
            break
        time.sleep(1)
    drain_s = time.monotonic() - started
    with db.session(write=False) as session:
        states = {
            (sub_id, state): count
            for sub_id, state, count in session.execute(
                select(Event.subscription_id, Event.state, func.count()).group_by(Event.subscription_id, Event.state)
            )
        }
    # The workers' own CPU (user + system), read before they stop: the load of the machine does not inflate it.
    worker_cpu_s = sum(cpu_seconds(process.pid) for process in workers)
    with db.session(write=False) as session:
        attempts = session.execute(text("SELECT count(*) FROM webhook_attempts")).scalar_one()
    for process in workers:
        process.terminate()
        process.wait(30)
    for process in receivers:
        process.kill()
        process.wait(10)
        if process.stdout:
            process.stdout.close()
    db.dispose()
    results: dict[str, Any] = {
        "produce_s": produce_s, "drain_s": drain_s, "receivers": [], "worker_cpu_s": worker_cpu_s,
        "attempts": attempts,
    }  # fmt: skip
    for (sub_id, log), (behaviour, arg) in zip(logs, behaviours, strict=True):
        firsts: dict[int, float] = {}
        successes: dict[int, int] = {}
        for line in log.read_text().splitlines():
            request = json.loads(line)
            match = MESSAGE.match(request["id"])
            assert match
            assert int(match.group(2)) == sub_id
            assert all(request["verified"])
            base64.b64decode(request["body"])
            idx = int(match.group(1))
            if request["ok"]:
                successes[idx] = successes.get(idx, 0) + 1
                firsts.setdefault(idx, request["at"])
        latencies = sorted(firsts[i] - committed[i] for i in firsts if i in committed)
        # Lost: an entry with no event at all; still pending (retrying) when the wait ended is not lost.
        made = sum(count for (s, _), count in states.items() if s == sub_id)
        lost = sum(1 for s, _ in expected if s == sub_id) - made
        results["receivers"].append({
            "behaviour": f"{behaviour} {arg}".strip(),
            "delivered": len(firsts),
            "lost": lost,
            "pending": states.get((sub_id, "pending"), 0),
            "dead": states.get((sub_id, "dead"), 0),
            "duplicates": sum(n - 1 for n in successes.values()),
            "p50": statistics.median(latencies) if latencies else None,
            "p95": latencies[int(0.95 * (len(latencies) - 1))] if latencies else None,
            "max": latencies[-1] if latencies else None,
        })  # fmt: skip
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=os.environ.get("TRUCE_BENCH_DATABASE_URL", ""))
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=200.0, help="log entries committed per second")
    parser.add_argument("--per-tx", type=int, default=10)
    parser.add_argument("--only", choices=["good", "failing"], help="run one scenario only")
    args = parser.parse_args()
    if not args.pg.startswith("postgresql"):
        sys.exit("set TRUCE_BENCH_DATABASE_URL or --pg to a PostgreSQL database of its own (it is wiped)")
    scenarios = {
        "3 good receivers": [("ok", ""), ("ok", ""), ("ok", "")],
        "one failing half the time": [("ok", ""), ("ok", ""), ("fail-random", "0.5")],
    }
    if args.only:
        scenarios = {k: v for k, v in scenarios.items() if ("good" in k) == (args.only == "good")}
    print(
        f"{args.events} entries x 3 subscriptions, {args.rate:.0f} entries/s"
        f" in transactions of {args.per_tx}, 2 workers"
    )
    for name, behaviours in scenarios.items():
        with tempfile.TemporaryDirectory(prefix="truce-bench-events-") as work:
            result = scenario(args.pg, args.events, args.rate, args.per_tx, behaviours, Path(work))
        print(
            f"\n{name}: produced in {result['produce_s']:.1f} s, all settled after {result['drain_s']:.1f} s,"
            f" load average {os.getloadavg()[0]:.1f}"
        )
        print(f"  uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
        cpu, attempts = result["worker_cpu_s"], result["attempts"]
        print(f"  workers' CPU {cpu:.1f} s for {attempts} attempts: {1000 * cpu / max(attempts, 1):.2f} ms an attempt")
        for r in result["receivers"]:
            ratio = f"{r['p95'] / 5.0:.2f} of the 5 s target" if r["p95"] is not None else "-"
            print(
                f"  {r['behaviour']:<18} delivered {r['delivered']:>6}  lost {r['lost']}  still retrying {r['pending']}"
                f"  dead {r['dead']}  duplicates {r['duplicates']}"
                f"  p50 {r['p50'] or 0:.3f} s  p95 {r['p95'] or 0:.3f} s ({ratio})  max {r['max'] or 0:.3f} s",
                flush=True,
            )


if __name__ == "__main__":
    main()
