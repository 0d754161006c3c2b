"""Where a phone's submission spends its CPU, on SQLite and on PostgreSQL side by side (issue 24, part 1).

What it measures: for each backend, a real `truce serve` (one process) holding the demo mission receives the
phones' benchmark load (openrosa_submissions.py: C phones at once, each submission an incident report with a
distinct ~100 KB JPEG, device token over HTTP Basic). After a warm-up, py-spy samples every thread of the server
while N submissions are sent, without idle samples, so the samples are where the server's CPU went. Each sample
is put in one bucket by its innermost frame that a rule knows (the driver before SQLAlchemy before Truce, so a
sample inside psycopg called by the ORM counts as the driver). Printed per backend: submissions per second, the
server's CPU milliseconds per submission (user + system, from /proc), the buckets as shares and as milliseconds
per submission, the innermost Truce functions, and on PostgreSQL the database's own CPU per submission (its
backends serving this database) and its transactions per submission (pg_stat_database).

The baseline is the SQLite path: issue 24 asks that Truce's own CPU per submission on PostgreSQL be at most
1.2x it; the ratio is printed. py-spy (PyPI, a benchmark-only tool) must be installed and allowed to read the
server's memory (root, or ptrace permitted).

The database named by --pg (or $TRUCE_BENCH_DATABASE_URL) is WIPED: give it one of its own.

    .venv/bin/python benchmarks/phone_profile.py --pg URL [--n 1000] [--clients 16] [--rate 250] [--gil] [--keep DIR]

py-spy counts a thread as busy while psycopg waits for PostgreSQL's answer (its wait runs in compiled code that
py-spy does not know as idle), so by default the driver's buckets hold waiting as well as work. `--gil` samples only
the thread holding the interpreter lock: the Python work each bucket costs, without the waits or the kernel's
share (fsync, sockets), which the CPU milliseconds from /proc do include.
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import create_engine, text

from many_workers import wipe
from openrosa_submissions import SLUG, add_device, cpu_seconds, over_http, submissions
from serve_startup import free_port, load_demo, server_environment, stop, truce_command

# (bucket, substrings of a frame's file); the innermost frame that matches one decides a sample's bucket.
RULES: list[tuple[str, tuple[str, ...]]] = [
    ("database driver (psycopg, sqlite3)", ("/psycopg/", "/psycopg_binary/", "sqlite3/", "truce/driver.py")),
    ("password and token checks", ("/argon2/", "/itsdangerous/")),
    ("SQLAlchemy ORM (unit of work, loading)", ("sqlalchemy/orm/",)),
    ("SQLAlchemy Core (compile, execute, pool)", ("sqlalchemy/",)),
    ("photo: EXIF and sniffing (Pillow)", ("/PIL/",)),
    ("XML parsing", ("/lxml/", "/defusedxml/", "xml/etree")),
    ("multipart parsing", ("/multipart/", "python_multipart")),
    ("geometry (Shapely, pyproj)", ("/shapely/", "/pyproj/")),
    ("validation (pydantic)", ("/pydantic/", "pydantic_core")),
    ("evidence store (hash, write, fsync)", ("truce/evidence/",)),
    ("the log (journal, append, tree)", ("truce/ledger/",)),
    ("derivation (zones, sites, lines)", ("truce/incidents/derive", "truce/places/")),
    ("events (outbox, CAP rules)", ("truce/events/",)),
    ("OpenRosa intake and writer", ("truce/openrosa/",)),
    ("incidents service", ("truce/incidents/",)),
    ("other Truce code", ("truce/",)),
    ("thread-pool hop and loop (anyio, asyncio, threading)", ("/anyio/", "asyncio/", "threading.py", "concurrent/")),
    ("HTTP server (uvicorn, h11, httptools)", ("/uvicorn/", "/h11/", "/httptools/")),
    ("ASGI framework (starlette, FastAPI)", ("/starlette/", "/fastapi/")),
]
OTHER = "other (interpreter, logging, std library)"


@dataclass
class Profile:
    samples: int = 0
    buckets: collections.Counter[str] = field(default_factory=collections.Counter)
    truce_functions: collections.Counter[str] = field(default_factory=collections.Counter)


def bucket_of(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, needles in RULES:
            if any(needle in frame for needle in needles):
                return name
    return OTHER


def read_profile(path: Path) -> Profile:
    """py-spy's raw (collapsed) output: `frame;frame;... count`, outermost first."""
    profile = Profile()
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        profile.samples += count
        profile.buckets[bucket_of(frames)] += count
        inner = next((f for f in reversed(frames) if "truce/" in f and "site-packages/truce" not in f), None)
        if inner is not None:
            profile.truce_functions[inner.split(" (")[0] + " " + inner.rsplit("truce/", 1)[1].rstrip(")")] += count
    return profile


def postgres_cpu(url: str, database: str) -> tuple[float, int]:
    """CPU seconds of the PostgreSQL backends serving `database`, and its transactions so far."""
    engine = create_engine(url)
    with engine.connect() as connection:
        pids = connection.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"), {"d": database}
        ).scalars()
        seconds = sum(sum(cpu_seconds(pid)) for pid in pids if Path(f"/proc/{pid}").exists())
        xacts = connection.execute(
            text("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = :d"), {"d": database}
        ).scalar_one()
    engine.dispose()
    return seconds, int(xacts)


@dataclass
class Run:
    backend: str
    per_s: float
    cpu_ms: float
    pg_cpu_ms: float | None
    xacts: float | None
    profile: Profile


@dataclass
class Served:
    """One `truce serve` on the demo, warmed up, and the submissions still to send it."""

    server: subprocess.Popen[bytes]
    base: str
    auth: tuple[str, str]
    work: list[tuple[bytes, str, bytes]]
    directory: Path


@contextmanager
def served(
    backend: str, url: str, args: argparse.Namespace, prefix: str, source: str | None = None
) -> Iterator[Served]:
    """A server on `backend` (PostgreSQL's database at `url` WIPED first; `source` ahead on PYTHONPATH), its phone
    registered and `args.warmup` submissions sent; stopped on leaving."""
    env = {**server_environment(), "TRUCE_PASSWORD_HASHING": "fast"}
    if source:
        env["PYTHONPATH"] = source
    if backend == "postgresql":
        wipe(url)
        env["TRUCE_DATABASE_URL"] = url
    with tempfile.TemporaryDirectory(prefix=prefix) as directory:
        data_dir = Path(directory) / "data"
        load_demo(data_dir, env)
        auth = add_device(data_dir, env)
        port, log = free_port(), Path(directory) / "serve.log"
        command = [truce_command(), "serve", "--data-dir", str(data_dir), "--port", str(port)]
        with log.open("wb") as output:
            server = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(server, base, log)
            with httpx.Client(base_url=base, auth=auth, headers={"X-OpenRosa-Version": "1.0"}) as client:
                listing = client.get(f"/openrosa/{SLUG}/formList").text
            version = listing.split("<version>", 1)[1].split("</version>", 1)[0]
            work = submissions(args.warmup + args.n, f"truce-{SLUG}-incident", version)
            over_http(base, auth, work[: args.warmup], args.clients)
            yield Served(server, base, auth, work[args.warmup :], Path(directory))
        finally:
            stop(server)


def one_run(backend: str, url: str, args: argparse.Namespace) -> Run:
    with served(backend, url, args, "truce-phone-profile-") as run:
        return measured(backend, url, run.server, run.base, run.auth, run.work, args, run.directory)


def measured(backend: str, url: str, server: subprocess.Popen[bytes], base: str, auth: tuple[str, str],
             work: list[tuple[bytes, str, bytes]], args: argparse.Namespace, directory: Path) -> Run:  # fmt: skip
    database = url.rsplit("/", 1)[1].split("?")[0] if backend == "postgresql" else ""
    pg_before = postgres_cpu(url, database) if backend == "postgresql" else None
    raw = directory / "profile.txt"
    spy = subprocess.Popen(
        [
            py_spy(),
            "record",
            "--pid",
            str(server.pid),
            "--rate",
            str(args.rate),
            "--format",
            "raw",
            "--output",
            str(raw),
            "--nonblocking",
            *(["--gil"] if args.gil else []),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(1.0)  # py-spy attaches
    user, system = cpu_seconds(server.pid)
    figures = over_http(base, auth, work, args.clients)
    user_after, system_after = cpu_seconds(server.pid)
    spy.send_signal(signal.SIGINT)
    _, errors = spy.communicate(timeout=60)
    if not raw.exists():
        raise SystemExit(f"py-spy wrote no profile: {errors.decode(errors='replace')}")
    count = len(work)
    cpu_ms = (user_after - user + system_after - system) / count * 1000
    pg_cpu_ms = xacts = None
    if pg_before is not None:
        seconds, transactions = postgres_cpu(url, database)
        pg_cpu_ms = (seconds - pg_before[0]) / count * 1000
        xacts = (transactions - pg_before[1]) / count
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        shutil.copy(raw, args.keep / f"profile-{backend}.txt")
    return Run(backend, figures["per_s"], cpu_ms, pg_cpu_ms, xacts, read_profile(raw))


def wait_until_up(server: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if server.poll() is not None:
            break
        time.sleep(0.3)
    raise SystemExit(f"the server did not start:\n{log.read_text()}")


def py_spy() -> str:
    found = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if found is None:
        raise SystemExit("phone_profile needs py-spy: .venv/bin/pip install py-spy")
    return found


def report(runs: list[Run]) -> None:
    for run in runs:
        print(f"\n{run.backend}: {run.per_s:.0f} submissions/s, Truce's CPU {run.cpu_ms:.2f} ms per submission", end="")
        if run.pg_cpu_ms is not None:
            print(f", PostgreSQL's {run.pg_cpu_ms:.2f} ms, {run.xacts:.2f} transactions per submission", end="")
        print(f" ({run.profile.samples} samples)")
        for name, count in run.profile.buckets.most_common():
            share = count / run.profile.samples
            print(f"  {share:6.1%}  {share * run.cpu_ms:5.2f} ms  {name}")
        print("  innermost Truce functions:")
        for name, count in run.profile.truce_functions.most_common(12):
            print(f"  {count / run.profile.samples:6.1%}  {name}")
    by_backend = {run.backend: run for run in runs}
    if {"sqlite", "postgresql"} <= by_backend.keys():
        ratio = by_backend["postgresql"].cpu_ms / by_backend["sqlite"].cpu_ms
        print(f"\nTruce's CPU per submission, PostgreSQL / SQLite: {ratio:.2f} (issue 24's target: at most 1.20)")
        print("bucket                                         SQLite ms  PostgreSQL ms")
        names = [name for name, _ in RULES] + [OTHER]
        for name in names:
            cells = []
            for backend in ("sqlite", "postgresql"):
                run = by_backend[backend]
                cells.append(run.profile.buckets[name] / max(run.profile.samples, 1) * run.cpu_ms)
            if any(cells):
                print(f"{name[:46]:46} {cells[0]:9.2f}  {cells[1]:13.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=os.environ.get("TRUCE_BENCH_DATABASE_URL", ""), help="PostGIS URL (WIPED)")
    parser.add_argument("--n", type=int, default=1000, help="submissions sampled per backend")
    parser.add_argument("--warmup", type=int, default=64)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--gil", action="store_true", help="sample only the thread holding the GIL (py-spy --gil)")
    parser.add_argument("--keep", type=Path, help="keep py-spy's raw profiles in this directory")
    args = parser.parse_args()
    if "postgresql" in args.backends and not args.pg:
        raise SystemExit("phone_profile: PostgreSQL needs --pg URL or TRUCE_BENCH_DATABASE_URL (it is wiped)")
    print(f"phone_profile: {args.n} submissions per backend, {args.clients} phones, load {os.getloadavg()}")
    report([one_run(backend, args.pg, args) for backend in args.backends])
    print(f"load average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
