"""Each hostile request of issue S (part 2) beside a normal request: time and peak Python memory, one run.

What it measures: in-process, through the ASGI app (httpx's ASGITransport, no network), on the nk-2020
demo in a temporary SQLite data directory, the wall-clock time of each request and the peak memory that
tracemalloc sees while it is served, in a separate send (the request bytes are built before measuring;
tracemalloc slows allocation, so times come from untraced sends). Each
hostile request is printed beside the normal request it imitates, with the ratio of their times.

Baseline: the normal request of the same route (a point incident, a month of returns, a small upload,
a page of parties). `--scale` shrinks the hostile sizes (1.0 = what the outside testers sent: a million
keys, a million vertices, 150 MB); the default 0.1 keeps a run short on a shared machine.

    .venv/bin/python benchmarks/hostile_requests.py [--scale 0.1] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx

from truce.app import create_app
from truce.config import Settings
from truce.db import connect
from truce.demo import loader
from truce.schema import upgrade

SECRET = "benchmark-secret-key-that-is-long-enough-0123456789"  # noqa: S105 - a throw-away test key
BASE = "/api/v1/missions/nk-2020"
CHUNK = 64 * 1024


@dataclass
class Request:
    """One request to send: built before the clock starts."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | Callable[[], AsyncIterator[bytes]] | None = None


@dataclass
class Figure:
    status: int
    seconds: float
    peak_mb: float
    answer_bytes: int


def incident(geometry: dict[str, Any] | None = None) -> dict[str, Any]:
    properties = {"type": "explosion", "subtype": "mortar", "start": "2020-11-20T10:00:00Z", "source": "party"}
    properties["means"] = "party_report"
    point = {"type": "Point", "coordinates": [46.75, 39.81]}
    return {"type": "Feature", "geometry": geometry or point, "properties": properties}


def as_json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def stream(size: int, head: bytes = b"") -> Callable[[], AsyncIterator[bytes]]:
    async def body() -> AsyncIterator[bytes]:
        yield head
        sent = len(head)
        while sent < size:
            sent += CHUNK
            yield b"\0" * CHUNK

    return body


async def measure(client: httpx.AsyncClient, request: Request, runs: int) -> Figure:
    """The median time of `runs` untraced sends, and the peak memory of one more under tracemalloc."""
    times = []
    for _ in range(runs):
        body = request.body() if callable(request.body) else request.body
        started = time.perf_counter()
        answer = await client.request(request.method, request.url, headers=request.headers, content=body)
        times.append(time.perf_counter() - started)
    # Traced apart: tracemalloc slows every allocation several times over.
    body = request.body() if callable(request.body) else request.body
    tracemalloc.start()
    await client.request(request.method, request.url, headers=request.headers, content=body)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return Figure(answer.status_code, statistics.median(times), peak / 1e6, len(answer.content))


def pairs(scale: float, token: str, liaison: str) -> list[tuple[str, Request, Request]]:
    """(name, normal request, hostile request) for each class of issue S."""
    keys = int(1_000_000 * scale)
    vertices = int(1_000_000 * scale)
    upload = int(150 * 1024 * 1024 * scale)
    me = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    them = {"Authorization": f"Bearer {liaison}", "Content-Type": "application/json"}
    anonymous = {"Content-Type": "application/json"}
    unknown = {**incident(), **{f"k{i}": 0 for i in range(keys)}}
    small_unknown = {**incident(), **{f"k{i}": 0 for i in range(min(keys, 60_000))}}
    ring = [[46 + (i % 1000) * 1e-4, 39 + (i // 1000) * 1e-4] for i in range(vertices)]
    polygon = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    within = {"type": "Polygon", "coordinates": [[*ring[:25_000], ring[0]]]}
    multipart = "multipart/form-data; boundary=xyz"
    part = b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\n'
    small_file = part + b"hello" + b"\r\n--xyz--\r\n"
    evidence = f"{BASE}/incidents/1/evidence"
    return [
        (
            "1. JSON of unknown keys, no login",
            Request("POST", f"{BASE}/incidents", them, as_json(incident())),
            Request("POST", f"{BASE}/incidents", anonymous, as_json(unknown)),
        ),
        (
            "1. JSON of 60,000 unknown keys, login",
            Request("POST", f"{BASE}/incidents", them, as_json(incident())),
            Request("POST", f"{BASE}/incidents", them, as_json(small_unknown)),
        ),
        (
            "2. returns from year 1 to 9999",
            Request("GET", f"{BASE}/movements/returns?since=2020-11-01&until=2020-11-30", me),
            Request("GET", f"{BASE}/movements/returns?since=0001-01-01&until=9999-12-30", me),
        ),
        (
            "2. returns until 9999-12-31",
            Request("GET", f"{BASE}/movements/returns", me),
            Request("GET", f"{BASE}/movements/returns?until=9999-12-31", me),
        ),
        (
            "3. multipart upload, no login",
            Request("POST", evidence, {**me, "Content-Type": multipart}, small_file),
            Request("POST", evidence, {"Content-Type": multipart, "Content-Length": str(upload)}, stream(upload, part)),
        ),
        (
            "3. multipart to /login",
            Request("POST", "/login", {"Content-Type": "application/x-www-form-urlencoded"}, b"username=x&password=y"),
            Request("POST", "/login", {"Content-Type": multipart}, stream(upload, part)),
        ),
        (
            "4. polygon of many vertices",
            Request("POST", f"{BASE}/incidents", them, as_json(incident())),
            Request("POST", f"{BASE}/incidents", them, as_json(incident(polygon))),
        ),
        (
            "4. polygon of 25,000 vertices",
            Request("POST", f"{BASE}/incidents", them, as_json(incident())),
            Request("POST", f"{BASE}/incidents", them, as_json(incident(within))),
        ),
        (
            "5. a list of everything",
            Request("GET", f"{BASE}/parties", me),
            Request("GET", f"{BASE}/parties?limit=100000000", me),
        ),
    ]


async def run(scale: float, runs: int, skip: tuple[str, ...] = ()) -> None:
    with tempfile.TemporaryDirectory() as directory:
        data = Path(directory)
        db = connect(f"sqlite:///{data / 'truce.db'}")
        upgrade(db.engine)
        with db.session() as session:
            loader.load(session)
        app = create_app(Settings(data_dir=data, secret_key=SECRET), db)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://truce.test", timeout=600) as client:
            tokens = {}
            for name in ("verifier-ru", "liaison-az"):
                answer = await client.post(
                    "/api/v1/auth/token", data={"username": name, "password": loader.DEMO_PASSWORD}
                )
                tokens[name] = answer.json()["access_token"]
            print(f"scale {scale} (1.0 = the testers' sizes), median of {runs} runs, SQLite, in-process")
            print(f"{'request':36} {'normal':>26} | {'hostile':>26} | time ratio")
            for name, normal, hostile in pairs(scale, tokens["verifier-ru"], tokens["liaison-az"]):
                if skip and name.startswith(skip):
                    continue
                n, h = await measure(client, normal, runs), await measure(client, hostile, runs)
                (ns, nt, nm), (hs, ht, hm) = (n.status, n.seconds, n.peak_mb), (h.status, h.seconds, h.peak_mb)
                print(
                    f"{name:36} {ns} {nt * 1000:9.1f} ms {nm:7.1f} MB | {hs} {ht * 1000:9.1f} ms {hm:7.1f} MB | "
                    f"{ht / nt:6.2f}"
                )
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1, help="share of the testers' sizes (default 0.1)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip", action="append", default=[], help="leave out requests whose name starts so")
    args = parser.parse_args()
    asyncio.run(run(args.scale, args.runs, tuple(args.skip)))


if __name__ == "__main__":
    main()
