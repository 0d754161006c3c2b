"""Phones' submissions and API ingest with 1, 2 and 4 worker processes on PostgreSQL (issue 23, part 6).

What it measures: for each worker count, a fresh PostGIS database holding the demo mission, served by
`truce serve --workers N` (N = 1: plain `truce serve`, the baseline). 16 phones send OpenRosa submissions
(each an incident report with a distinct ~100 KB JPEG, device token over HTTP Basic), then 16 API clients file
incidents as GeoJSON with bearer tokens; both over keep-alive connections from this machine, so the clients
share the cores with the server. Printed: submissions and incidents per second, the ratio to one process, and
the resident memory of each server process (the `--workers` parent and its workers).

The database named by --pg (or $TRUCE_BENCH_DATABASE_URL) is WIPED: give it one of its own.

    .venv/bin/python benchmarks/many_workers.py --pg URL [--n 600] [--api 600] [--workers 1 2 4]
"""

from __future__ import annotations

import argparse
import os
import queue
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import create_engine, text

from openrosa_submissions import SLUG, add_device, over_http, submissions
from serve_startup import free_port, load_demo, rss_mb, server_environment, stop, truce_command

CLIENTS = 16
STARTUP_S = 600
INCIDENT = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [46.80, 39.90]},
    "properties": {
        "type": "explosion",
        "subtype": "mortar",
        "start": "2020-11-20T14:30:00+04:00",
        "source": "post",
        "means": "seen_and_heard",
        "narrative": "Impacts near the post.",
    },
}


def wipe(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    engine.dispose()


def api_ingest(base: str, count: int) -> float:
    """Incidents per second from CLIENTS API clients, each with its own bearer token and connection."""
    token = httpx.post(f"{base}/api/v1/auth/token", data={"username": "monitor-ru", "password": "truce-demo"})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    pending: queue.Queue[int] = queue.Queue()
    for index in range(count):
        pending.put(index)
    failed: list[int] = []

    def client() -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=120) as session:
            while True:
                try:
                    pending.get_nowait()
                except queue.Empty:
                    return
                status = session.post(f"/api/v1/missions/{SLUG}/incidents", json=INCIDENT).status_code
                if status != 201:
                    failed.append(status)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    assert not failed, f"{len(failed)} incidents failed, e.g. status {failed[0]}"
    return count / elapsed


def processes(parent: int) -> list[int]:
    """The server's processes: the parent, and the Uvicorn workers it started."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    workers = [int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    return [parent, *workers]


@dataclass
class Figures:
    phones: float
    p99_ms: float
    api: float
    rss: list[float]


def one_run(url: str, workers: int, args: argparse.Namespace) -> Figures:
    wipe(url)
    env = {**server_environment(), "TRUCE_DATABASE_URL": url, "TRUCE_PASSWORD_HASHING": "fast"}
    with tempfile.TemporaryDirectory(prefix="truce-workers-bench-") as directory:
        data_dir = Path(directory) / "data"
        load_demo(data_dir, env)
        auth = add_device(data_dir, env)
        port, log = free_port(), Path(directory) / "serve.log"
        command = [truce_command(), "serve", "--data-dir", str(data_dir), "--port", str(port)]
        if workers > 1:
            command += ["--workers", str(workers)]
        with log.open("wb") as output:
            server = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            # Four processes importing at once on a loaded 2-core machine took over serve_startup's 60 s.
            deadline = time.monotonic() + STARTUP_S
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start:\n{log.read_text()}")
                time.sleep(0.5)
            while len(processes(server.pid)) < workers + (1 if workers > 1 else 0):
                time.sleep(0.2)
            with httpx.Client(base_url=base, auth=auth, headers={"X-OpenRosa-Version": "1.0"}) as client:
                listing = client.get(f"/openrosa/{SLUG}/formList").text
            version = listing.split("<version>", 1)[1].split("</version>", 1)[0]
            work = submissions(args.warmup + args.n, f"truce-{SLUG}-incident", version)
            over_http(base, auth, work[: args.warmup], CLIENTS)
            phones = over_http(base, auth, work[args.warmup :], CLIENTS)
            api = api_ingest(base, args.api)
            memory = [rss_mb(pid) for pid in processes(server.pid)]
        finally:
            stop(server)
    return Figures(phones["per_s"], phones["p99_ms"], api, memory)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=os.environ.get("TRUCE_BENCH_DATABASE_URL", ""), help="PostGIS URL (WIPED)")
    parser.add_argument("--n", type=int, default=600, help="submissions to time")
    parser.add_argument("--warmup", type=int, default=32)
    parser.add_argument("--api", type=int, default=600, help="incidents to file through the API")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    if not args.pg:
        print("many_workers: skipped, needs PostgreSQL (--pg URL or TRUCE_BENCH_DATABASE_URL)")
        return
    print(f"{os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.2f}")
    baseline: dict[str, float] = {}
    for workers in args.workers:
        figures = one_run(args.pg, workers, args)
        phones, api = figures.phones, figures.api
        baseline.setdefault("phones", phones)
        baseline.setdefault("api", api)
        rss = ", ".join(f"{mb:.0f}" for mb in figures.rss)
        print(
            f"workers {workers}: phones {phones:6.1f} submissions/s (x{phones / baseline['phones']:.2f}, "
            f"p99 {figures.p99_ms:.0f} ms); API {api:6.1f} incidents/s (x{api / baseline['api']:.2f}); "
            f"RSS per process MB: {rss}",
            flush=True,
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
