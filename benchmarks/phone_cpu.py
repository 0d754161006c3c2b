"""A phone's submission in CPU seconds, SQLite and PostgreSQL in alternating rounds, without a profiler (issue 24).

phone_profile.py says where the CPU goes, but py-spy's sampling costs the server some of it and one run per
backend leaves the ratio at the mercy of the load of the moment. This script only reads the server's
/proc/PID/stat (user and system time apart, every thread included) around N submissions after a warm-up, the
same load as phone_profile.py (C phones at once, each submission an incident with a distinct ~100 KB JPEG), and
alternates the backends, round after round, so that both see the same load from the machine's other work. The
load average is printed with every run.

With `--base SRC` it also runs a second tree's code (`PYTHONPATH=SRC` ahead of this tree's installed package) in
the same alternation, for a before/after comparison within one sitting: variants x backends per round, each
round starting with a different one. On PostgreSQL the database's own backends' CPU and its transactions per
submission are printed too.

The database named by --pg (or $TRUCE_BENCH_DATABASE_URL) is WIPED: give it one of its own.

    .venv/bin/python benchmarks/phone_cpu.py --pg URL [--rounds 3] [--n 400] [--clients 16] [--base /path/src]
        [--also-pg LABEL=URL]  (this tree on PostgreSQL at another URL too: a Unix socket, say)
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import make_url

from openrosa_submissions import cpu_seconds, over_http
from phone_profile import postgres_cpu, served


@dataclass
class Run:
    variant: str
    backend: str
    per_s: float
    user_ms: float
    system_ms: float
    pg_cpu_ms: float | None
    xacts: float | None
    load: float

    @property
    def cpu_ms(self) -> float:
        return self.user_ms + self.system_ms


def one_run(variant: str, source: str | None, backend: str, url: str, args: argparse.Namespace) -> Run:
    with served(backend, url, args, "truce-phone-cpu-", source) as run:
        server = run.server
        database = (make_url(url).database or "") if backend == "postgresql" else ""
        pg_before = postgres_cpu(url, database) if backend == "postgresql" else None
        traced = Path(args.strace) / f"{variant}-{backend}-{os.getpid()}.txt" if args.strace else None
        tracer = strace(server.pid, traced) if traced else None
        user, system = cpu_seconds(server.pid)
        figures = over_http(run.base, run.auth, run.work, args.clients)
        user_after, system_after = cpu_seconds(server.pid)
        if tracer is not None:
            tracer.send_signal(signal.SIGINT)
            tracer.wait(timeout=60)
        pg_cpu_ms = xacts = None
        if pg_before is not None:
            seconds, transactions = postgres_cpu(url, database)
            pg_cpu_ms = (seconds - pg_before[0]) / args.n * 1000
            xacts = (transactions - pg_before[1]) / args.n
        return Run(
            variant,
            backend,
            figures["per_s"],
            (user_after - user) / args.n * 1000,
            (system_after - system) / args.n * 1000,
            pg_cpu_ms,
            xacts,
            os.getloadavg()[0],
        )


def strace(pid: int, output: Path) -> subprocess.Popen[bytes]:
    """`strace -c -f` on the server (all its threads): system calls counted and timed, not the CPU figures' run."""
    output.parent.mkdir(parents=True, exist_ok=True)
    tracer = subprocess.Popen(["strace", "-c", "-f", "-p", str(pid), "-o", str(output)], stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # strace attaches to every thread
    return tracer


def line(run: Run) -> str:
    text = (
        f"{run.variant:6} {run.backend:10} {run.per_s:5.1f}/s  CPU {run.cpu_ms:5.2f} ms "
        f"(user {run.user_ms:5.2f}, system {run.system_ms:5.2f})"
    )
    if run.pg_cpu_ms is not None:
        text += f"  PostgreSQL's {run.pg_cpu_ms:4.2f} ms, {run.xacts:.2f} transactions"
    return text + f"  load {run.load:.1f}"


def summary(runs: list[Run]) -> None:
    print("\nmedians per submission (ms):")
    variants = list(dict.fromkeys(run.variant for run in runs))
    for variant in variants:
        cells = {}
        for backend in ("sqlite", "postgresql"):
            mine = [run for run in runs if run.variant == variant and run.backend == backend]
            if mine:
                cells[backend] = statistics.median(run.cpu_ms for run in mine)
                user = statistics.median(run.user_ms for run in mine)
                system = statistics.median(run.system_ms for run in mine)
                print(f"  {variant:6} {backend:10} CPU {cells[backend]:5.2f} (user {user:5.2f}, system {system:5.2f})")
        if len(cells) == 2:
            ratio = cells["postgresql"] / cells["sqlite"]
            print(f"  {variant:6} PostgreSQL / SQLite: {ratio:.2f} (target: at most 1.20)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=os.environ.get("TRUCE_BENCH_DATABASE_URL", ""), help="PostGIS URL (WIPED)")
    parser.add_argument("--n", type=int, default=400, help="submissions measured per run")
    parser.add_argument("--warmup", type=int, default=64)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--base", default="", help="another tree's src/ to run as 'before' in the same rounds")
    parser.add_argument(
        "--also-pg", action="append", default=[], metavar="LABEL=URL", help="this tree on PostgreSQL at another URL"
    )
    parser.add_argument("--strace", default="", help="a directory for `strace -c -f` of each run (slows the server)")
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    if "postgresql" in args.backends and not args.pg:
        raise SystemExit("phone_cpu: PostgreSQL needs --pg URL or TRUCE_BENCH_DATABASE_URL (it is wiped)")
    variants: list[tuple[str, str | None]] = [("after", None)]
    if args.base:
        variants.insert(0, ("before", args.base))
    # (variant, its source, backend, the database URL on PostgreSQL)
    order = [(variant, source, backend, args.pg) for variant, source in variants for backend in args.backends]
    for also in args.also_pg:
        label, _, url = also.partition("=")
        order.append((label, None, "postgresql", url))
    print(f"phone_cpu: {args.n} submissions per run, {args.clients} phones, load {os.getloadavg()}", flush=True)
    runs = []
    for round_ in range(args.rounds):
        shift = round_ % len(order)  # each round starts with a different variant and backend
        for variant, source, backend, url in order[shift:] + order[:shift]:
            run = one_run(variant, source, backend, url, args)
            runs.append(run)
            print(f"round {round_ + 1}: {line(run)}", flush=True)
    summary(runs)
    print(f"load average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
