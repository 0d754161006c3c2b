"""A PostgreSQL statement's CPU through psycopg's blocking driver and through its asynchronous one (issue 24).

Session 16 proposed running the phones' PostgreSQL batches on the event loop with psycopg's asynchronous
connection (SQLAlchemy's asyncio extension runs the batch's synchronous code in a greenlet, which gives the loop
back at every round trip), instead of in a worker thread that hands the interpreter lock to and from the loop at
each of its round trips. Session 17 built that and measured it side by side with ODK Central: the servers spent
more CPU per submission, not less. This script measures why, with nothing else running: the same statement run N
times through a SQLAlchemy `Session`, on an engine with the blocking driver, and on an async engine's
`sync_engine` inside `greenlet_spawn` on an event loop; the two alternate, round after round. Printed: the
process's CPU (user + system) and the wall time per statement, each way, and the ratio.

    .venv/bin/python benchmarks/driver_round_trip.py --pg postgresql+psycopg://USER@HOST:PORT/DB [--n 3000]
        [--rounds 3]

Nothing is written: the statement is `SELECT 1`, or with `--insert` an INSERT into a temporary table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import Session
from sqlalchemy.util import greenlet_spawn


@dataclass
class Figures:
    cpu_us: float
    wall_us: float


def cpu_seconds() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def statements(engine: Engine, n: int, insert: bool) -> Figures:
    """Run the statement `n` times after as many to warm up, in one transaction; CPU and wall time each."""
    with Session(engine) as session:
        if insert:
            session.execute(text("CREATE TEMPORARY TABLE IF NOT EXISTS rt (n integer, note text)"))
        statement = text("INSERT INTO rt VALUES (:n, 'a note')") if insert else text("SELECT 1")

        def run() -> None:
            for number in range(n):
                session.execute(statement, {"n": number} if insert else {})

        run()
        cpu, wall = cpu_seconds(), time.perf_counter()
        run()
        figures = Figures((cpu_seconds() - cpu) / n * 1e6, (time.perf_counter() - wall) / n * 1e6)
        session.rollback()
    return figures


def blocking(url: str, n: int, insert: bool) -> Figures:
    engine = create_engine(url)
    try:
        return statements(engine, n, insert)
    finally:
        engine.dispose()


def on_the_loop(url: str, n: int, insert: bool) -> Figures:
    async def measure() -> Figures:
        engine = create_async_engine(url)
        try:
            return await greenlet_spawn(statements, engine.sync_engine, n, insert)
        finally:
            await engine.dispose()

    return asyncio.run(measure())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=os.environ.get("TRUCE_BENCH_DATABASE_URL", ""), help="a PostgreSQL URL")
    parser.add_argument("--n", type=int, default=3000, help="statements measured per run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--insert", action="store_true", help="an INSERT into a temporary table, not SELECT 1")
    args = parser.parse_args()
    if not args.pg.startswith("postgresql"):
        raise SystemExit("driver_round_trip: give a PostgreSQL URL (--pg or TRUCE_BENCH_DATABASE_URL)")
    ways: dict[str, Callable[[str, int, bool], Figures]] = {"blocking": blocking, "async": on_the_loop}
    found: dict[str, list[Figures]] = {name: [] for name in ways}
    print(f"driver_round_trip: {args.n} statements per run, load {os.getloadavg()}")
    for number in range(1, args.rounds + 1):
        # Each round starts with the other way, so both see the same drift of the machine.
        order = list(ways) if number % 2 else list(reversed(ways))
        for name in order:
            figures = ways[name](args.pg, args.n, args.insert)
            found[name].append(figures)
            each = f"CPU {figures.cpu_us:6.1f} us, wall {figures.wall_us:6.1f} us per statement"
            print(f"round {number}: {name:8} {each}")
    cpu = {name: statistics.median(f.cpu_us for f in runs) for name, runs in found.items()}
    wall = {name: statistics.median(f.wall_us for f in runs) for name, runs in found.items()}
    for name in ways:
        print(f"median {name:8} CPU {cpu[name]:6.1f} us, wall {wall[name]:6.1f} us per statement")
    print(f"async / blocking: CPU {cpu['async'] / cpu['blocking']:.2f}, wall {wall['async'] / wall['blocking']:.2f}")


if __name__ == "__main__":
    main()
