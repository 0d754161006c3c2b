"""Incident ingest through the HTTP API, against bare Core inserts of the same rows.

What it measures (issue 4; DESIGN.md section 10): incidents filed through the JSON API in this
process -- FastAPI's TestClient, one worker, a real bearer token from POST /api/v1/auth/token for
the demo monitor -- each with request validation, zone derivation and its log append:
  * single: one POST /api/v1/missions/nk-2020/incidents per incident (N, default 3,000);
  * batch:  POST /api/v1/missions/nk-2020/incidents/batch with 500 features a request (another N).
Incidents are random points in the demo area (lon 46.3-47.2, lat 39.5-40.3), types and subtypes
from truce.incidents.taxonomy.TAXONOMY, start times in Nov-Dec 2020 with UTC offsets.

Baseline (DESIGN.md section 10, "the same rows inserted with bare SQLAlchemy Core", the ceiling):
the rows the single POSTs stored, every column as stored, read back and inserted into a fresh demo
database with `insert(Incident.__table__)` executemany in one transaction. Two lines for scale:
the same Core insert with one transaction per row (what a commit costs), and GET /healthz through
the same TestClient (the floor of one request through the client and the app).

With --profile, a further pass of single POSTs runs under cProfile in every thread the client
starts (the routes run in worker threads), and the functions of Truce taking the most time are
listed with file:line. The database is SQLite in a temporary directory; the target (1,000/s) is
set for SQLite.

    .venv/bin/python benchmarks/incident_ingest.py [--n 3000] [--batch-size 500] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import secrets
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, cast

from fastapi.testclient import TestClient
from sqlalchemy import Table, insert, select

from truce import schema
from truce.app import create_app
from truce.config import Settings
from truce.db import Database, connect
from truce.demo import loader
from truce.incidents.models import Incident
from truce.incidents.taxonomy import CASUALTY_GROUPS, MEANS, SOURCES, TAXONOMY

SEED = 20201110
MISSION_SLUG = "nk-2020"
AUTHOR = "monitor-ru"
URL = f"/api/v1/missions/{MISSION_SLUG}/incidents"
AREA = (46.3, 39.5, 47.2, 40.3)  # min_lon, min_lat, max_lon, max_lat of the demo area
FIRST_DAY = datetime(2020, 11, 10, tzinfo=UTC)
DAYS = 52  # 10 November to 31 December 2020
TARGET_PER_SECOND = 1_000
INCIDENTS = cast(Table, Incident.__table__)
PROFILE_TOP = 25


# --- the incidents ---------------------------------------------------------------------------------


def features(count: int, rng: random.Random) -> list[dict[str, Any]]:
    """`count` GeoJSON incidents as a monitor would file them, inside the demo area."""
    types = list(TAXONOMY)
    sources = [s for s in SOURCES if s != "party"]
    result = []
    for number in range(count):
        kind = rng.choice(types)
        zone = timezone(timedelta(hours=rng.choice((0, 3, 4))))
        start = FIRST_DAY + timedelta(seconds=rng.randrange(DAYS * 86400))
        properties: dict[str, Any] = {
            "type": kind,
            "subtype": rng.choice(list(TAXONOMY[kind])),
            "start": start.astimezone(zone).isoformat(),
            "time_precision": rng.choice(("minute", "minute", "minute", "hour")),
            "source": rng.choice(sources),
            "means": rng.choice((None, *MEANS)),
            "narrative": f"Report {number}: "
            + rng.choice(("heard from the post", "seen by the patrol", "reported by the village head"))
            + ", direction "
            + rng.choice(("north", "north-east", "east", "south-east", "south", "west")),
            "geo_precision": rng.choice((1, 1, 2, 3)),
        }
        if rng.random() < 0.3:
            properties["end"] = (start + timedelta(minutes=rng.randint(1, 90))).astimezone(zone).isoformat()
        if kind in ("fire", "explosion"):
            properties["counts"] = {"events": rng.randint(1, 5), "impacts": rng.randint(0, 20)}
        if kind == "civilian_harm":
            group = rng.choice(CASUALTY_GROUPS)
            properties["casualties"] = {"injured": {group: rng.randint(1, 3)}}
        if rng.random() < 0.4:
            properties["alleged_actors"] = [{"party": rng.choice(("am", "az")), "actor": ""}]
        if rng.random() < 0.1:
            properties["classification"] = "restricted"
            properties["restricted_to"] = ["ru", "tr"]
        lon = round(rng.uniform(AREA[0], AREA[2]), 6)
        lat = round(rng.uniform(AREA[1], AREA[3]), 6)
        result.append(
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": properties}
        )
    return result


# --- setting up ------------------------------------------------------------------------------------


def demo_database(directory: Path) -> Database:
    """A new SQLite file in `directory`, migrated, with the demo mission loaded."""
    directory.mkdir(parents=True, exist_ok=True)
    db = connect(f"sqlite:///{directory / 'truce.db'}")
    schema.upgrade(db.engine)
    with db.session() as session:
        loader.load(session)
    return db


@contextmanager
def api_client(db: Database, data_dir: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The app on `db`, its TestClient, and a monitor's bearer-token headers."""
    settings = Settings(data_dir=data_dir, secret_key=secrets.token_hex(24), database_url=None)
    app = create_app(settings, db)
    with TestClient(app) as client:
        answer = client.post("/api/v1/auth/token", data={"username": AUTHOR, "password": loader.DEMO_PASSWORD})
        if answer.status_code != 200:
            raise RuntimeError(f"cannot log in as {AUTHOR}: {answer.status_code} {answer.text}")
        yield client, {"Authorization": f"Bearer {answer.json()['access_token']}"}


# --- the ways of filing ----------------------------------------------------------------------------


@dataclass
class Spent:
    """Wall-clock seconds, and CPU seconds of this process (every thread): less disturbed by other work."""

    wall: float = 0.0
    cpu: float = 0.0


@contextmanager
def clock() -> Iterator[Spent]:
    spent = Spent()
    wall, cpu = time.perf_counter(), time.process_time()
    yield spent
    spent.wall, spent.cpu = time.perf_counter() - wall, time.process_time() - cpu


def post_single(client: TestClient, headers: dict[str, str], items: Sequence[dict[str, Any]]) -> Spent:
    """POST each feature on its own; time spent on all of them."""
    with clock() as spent:
        for feature in items:
            answer = client.post(URL, json=feature, headers=headers)
            if answer.status_code != 201:
                raise RuntimeError(f"POST {URL} answered {answer.status_code}: {answer.text[:500]}")
    return spent


def post_batches(client: TestClient, headers: dict[str, str], items: Sequence[dict[str, Any]], size: int) -> Spent:
    """POST the features `size` at a time to the batch endpoint; time spent on all of them."""
    with clock() as spent:
        for start in range(0, len(items), size):
            chunk = list(items[start : start + size])
            answer = client.post(f"{URL}/batch", json={"type": "FeatureCollection", "features": chunk}, headers=headers)
            body = answer.json() if answer.status_code == 201 else {}
            if answer.status_code != 201 or body.get("errors") or len(body.get("created", ())) != len(chunk):
                raise RuntimeError(f"POST {URL}/batch answered {answer.status_code}: {answer.text[:500]}")
    return spent


def health_checks(client: TestClient, count: int) -> Spent:
    """GET /healthz `count` times; time spent on all of them."""
    with clock() as spent:
        for _ in range(count):
            if client.get("/healthz").status_code != 200:
                raise RuntimeError("/healthz did not answer 200")
    return spent


def stored_rows(db: Database, after_id: int, count: int) -> list[dict[str, Any]]:
    """Every column of the `count` incidents stored after id `after_id`, without the id."""
    columns = [c for c in INCIDENTS.columns if c.name != "id"]
    query = select(*columns).where(INCIDENTS.c.id > after_id).order_by(INCIDENTS.c.id).limit(count)
    with db.engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


def core_executemany(db: Database, rows: Sequence[dict[str, Any]]) -> Spent:
    """Insert the rows with Core executemany in one transaction; time spent."""
    with clock() as spent, db.engine.begin() as connection:
        connection.execute(insert(INCIDENTS), list(rows))
    return spent


def core_row_by_row(db: Database, rows: Sequence[dict[str, Any]]) -> Spent:
    """Insert the rows with Core, one transaction per row; time spent."""
    with clock() as spent:
        for row in rows:
            with db.engine.begin() as connection:
                connection.execute(insert(INCIDENTS), row)
    return spent


def max_incident_id(db: Database) -> int:
    with db.engine.connect() as connection:
        return int(connection.execute(select(INCIDENTS.c.id).order_by(INCIDENTS.c.id.desc()).limit(1)).scalar() or 0)


# --- profiling -------------------------------------------------------------------------------------


@contextmanager
def profiling_every_thread() -> Iterator[list[cProfile.Profile]]:
    """cProfile in this thread and in every thread started inside (the TestClient's and the routes')."""
    profiles: list[cProfile.Profile] = []

    def start_in_thread(*_: Any) -> None:
        profile = cProfile.Profile()
        profiles.append(profile)
        profile.enable()

    main = cProfile.Profile()
    profiles.append(main)
    threading.setprofile(start_in_thread)
    main.enable()
    try:
        yield profiles
    finally:
        main.disable()
        threading.setprofile(None)


def profile_single_posts(root: Path, items: Sequence[dict[str, Any]]) -> pstats.Stats:
    """Single POSTs under cProfile in every thread, on a new demo database (its loading not profiled)."""
    db = demo_database(root / "profile")
    try:
        with profiling_every_thread() as profiles, api_client(db, root / "profile") as (client, headers):
            post_single(client, headers, items)
    finally:
        db.dispose()
    stats = pstats.Stats(profiles[0])
    for profile in profiles[1:]:
        stats.add(profile)
    return stats


def where(key: tuple[str, int, str]) -> str:
    filename, line, function = key
    for marker in ("/src/truce/", "/site-packages/"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            filename = f"truce/{filename}" if marker == "/src/truce/" else filename
            break
    return f"{filename}:{line} {function}"


WAITING = ("<method 'acquire' of '_thread.lock' objects>", "<method 'poll' of 'select.epoll' objects>")


def report_profile(stats: pstats.Stats, count: int) -> None:
    """The functions of Truce with the most cumulative time per incident, then the top self times."""
    table = cast(dict[tuple[str, int, str], tuple[int, int, float, float, Any]], stats.stats)  # type: ignore[attr-defined]
    waiting = sum(entry[2] for key, entry in table.items() if key[2] in WAITING)
    busy = sum(entry[2] for entry in table.values()) - waiting
    ours = [(key, entry) for key, entry in table.items() if "/src/truce/" in key[0]]
    print(f"\n  profile of {count:,} single POSTs: cProfile in every thread, times per incident")
    print(
        f"  CPU time under cProfile {busy / count * 1000:.2f} ms (cProfile slows the code down); "
        f"threads waiting on each other, not counted: {waiting / count * 1000:.2f} ms"
    )
    print(f"  {'cumulative ms':>14} {'calls each':>10}  Truce function (ms under cProfile)")
    for key, entry in sorted(ours, key=lambda item: item[1][3], reverse=True)[:PROFILE_TOP]:
        print(f"  {entry[3] / count * 1000:14.3f} {entry[1] / count:10.1f}  {where(key)}")
    print(f"\n  {'self ms':>14} {'of CPU':>10}  any function")
    own = [(key, entry) for key, entry in table.items() if key[2] not in WAITING]
    for key, entry in sorted(own, key=lambda item: item[1][2], reverse=True)[:PROFILE_TOP]:
        print(f"  {entry[2] / count * 1000:14.3f} {entry[2] / busy:10.1%}  {where(key)}")


# --- running ---------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> None:
    rng = random.Random(SEED)
    singles = features(args.n, rng)
    batched = features(args.n, rng)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="truce-bench-ingest-") as directory:
        root = Path(directory)
        db = demo_database(root / "api")
        try:
            with api_client(db, root / "api") as (client, headers):
                # A few requests first, so that imports, caches and the map index are warm.
                post_single(client, headers, features(20, random.Random(SEED + 1)))
                health = health_checks(client, args.n)
                before = max_incident_id(db)
                single = post_single(client, headers, singles)
                rows = stored_rows(db, before, args.n)
                batch = post_batches(client, headers, batched, args.batch_size)
        finally:
            db.dispose()
        with tempfile.TemporaryDirectory(dir=root) as fresh:
            core_db = demo_database(Path(fresh))
            try:
                ceiling = core_executemany(core_db, rows)
            finally:
                core_db.dispose()
        with tempfile.TemporaryDirectory(dir=root) as fresh:
            core_db = demo_database(Path(fresh))
            try:
                row_by_row = core_row_by_row(core_db, rows)
            finally:
                core_db.dispose()
        n = args.n
        print(f"\nIncident ingest on SQLite: {n:,} incidents each way, one worker, in-process TestClient")
        print(f"  load average before and after: {load_before:.1f}, {os.getloadavg()[0]:.1f}")
        print(f"  {'':54} {'incidents/s':>11} {'ms each':>8} {'CPU ms':>7} {'of ceiling':>10} {'of target':>9}")
        lines = [
            ("API, one POST per incident", single),
            (f"API, batch endpoint, {args.batch_size} per request", batch),
            ("Core insert() executemany, one transaction (ceiling)", ceiling),
            ("Core insert(), one transaction per row", row_by_row),
            ("for scale: GET /healthz through the same client", health),
        ]
        for label, spent in lines:
            rate = n / spent.wall
            print(
                f"  {label:54} {rate:11,.0f} {spent.wall / n * 1000:8.3f} {spent.cpu / n * 1000:7.3f} "
                f"{ceiling.wall / spent.wall:10.2%} {rate / TARGET_PER_SECOND:9.2f}"
            )
        print(f"  target: {TARGET_PER_SECOND:,} incidents/s through the API on SQLite")
        if args.profile:
            count = min(n, 1000)
            stats = profile_single_posts(root, features(count, random.Random(SEED + 2)))
            report_profile(stats, count)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3_000, help="incidents per way of filing (default 3000)")
    parser.add_argument("--batch-size", type=int, default=500, help="features per batch request (default 500)")
    parser.add_argument("--profile", action="store_true", help="profile up to 1,000 more single POSTs")
    args = parser.parse_args()
    if args.n < 1 or not 1 <= args.batch_size <= 10_000:
        parser.error("--n must be at least 1 and --batch-size within 1..10000")
    return args


def main() -> None:
    run(parse_args())


if __name__ == "__main__":
    main()
