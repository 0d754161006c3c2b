"""Sites in a bounding box: the places service against raw SQL on the same spatial index.

What it measures: the latency of `places_service.list_places(..., bbox=box)` for sites -- what
`GET /api/v1/missions/{slug}/sites?bbox=...` runs, minus HTTP and GeoJSON -- over 100,000 points
spread uniformly over 3 x 2 degrees, for random 0.2-degree boxes.

Baseline (DESIGN.md section 10, "the same query in raw SQL on the same index"): the equivalent
SELECT sent straight through the DB-API cursor, returning plain tuples.
  SQLite:  sites_rtree CROSS JOIN sites, the R*Tree driving the join, exact checks on the row;
  PostGIS: geom && ST_MakeEnvelope(...) on the GiST index, exact checks on the row.
A third line replays the exact SQL the service emits through the same raw cursor, which splits
the service's overhead into "query plan" (service SQL, raw vs baseline) and "ORM objects"
(service vs service SQL, raw).

Runs on SQLite always, and on PostGIS when `--pg URL` or TRUCE_BENCH_DATABASE_URL is given.
The PostGIS database at that URL is wiped (schema public dropped and recreated): give it a
database of its own.

    .venv/bin/python benchmarks/sites_bbox.py [--sites 100000] [--queries 500] [--pg URL]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, insert, text

from truce import geo, schema
from truce.db import Database, connect
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.missions.schemas import DelegationIn, MissionIn, PartyIn
from truce.places import service as places_service
from truce.places.models import Site
from truce.policy import Actor

SEED = 20201110
EXTENT = geo.BBox(min_lon=45.5, min_lat=39.0, max_lon=48.5, max_lat=41.0)
BOX_SIZE = 0.2
WARM_UP = 50
INSERT_BATCH = 10_000
MISSION_SLUG = "bench-sites"
SITES = cast(Table, Site.__table__)
SITE_COLUMNS = ", ".join(f"s.{column.name}" for column in SITES.columns)


@dataclass
class Timing:
    """Latencies of one way of running the queries, and the rows each returned."""

    label: str
    seconds: list[float]
    rows: list[int]
    full_collections: int

    def percentile_ms(self, p: int) -> float:
        return statistics.quantiles(self.seconds, n=100, method="inclusive")[p - 1] * 1000

    @property
    def mean_rows(self) -> float:
        return statistics.fmean(self.rows)


# --- setting up ------------------------------------------------------------------------------


def sqlite_database(directory: Path) -> Database:
    """A new SQLite file in `directory`."""
    return connect(f"sqlite:///{directory / 'truce.db'}")


def postgis_database(url: str) -> Database:
    """The PostGIS database at `url`, emptied: schema public dropped and recreated."""
    db = connect(url)
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    return db


def create_mission(db: Database) -> Mission:
    """A mission with one party and one delegation, made through the services as the CLI would."""
    with db.session() as session:
        spec = MissionIn(slug=MISSION_SLUG, name="Benchmark: sites in a bounding box", public=True)
        mission = missions_service.create(session, spec, actor=Actor.system())
        actor = Actor.system(mission.id)
        missions_service.create_party(
            session, mission, PartyIn(code="obs", name="Observers", kind="observer"), actor=actor
        )
        delegation = DelegationIn(code="obs", name="Observer delegation", party="obs")
        missions_service.create_delegation(session, mission, delegation, actor=actor)
    return mission


def site_rows(mission_id: int, count: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    """`count` public posts, uniformly spread over EXTENT."""
    for number in range(count):
        lon = round(rng.uniform(EXTENT.min_lon, EXTENT.max_lon), 6)
        lat = round(rng.uniform(EXTENT.min_lat, EXTENT.max_lat), 6)
        yield {
            "mission_id": mission_id,
            "name": f"Post {number:06d}",
            "classification": "public",
            "restricted_to": [],
            "geometry": json.dumps({"type": "Point", "coordinates": [lon, lat]}, separators=(",", ":")),
            "min_lon": lon,
            "min_lat": lat,
            "max_lon": lon,
            "max_lat": lat,
            "valid_from": None,
            "valid_until": None,
            "note": "",
            "kind": "post",
            "code": f"P-{number:06d}",
            "alt_names": [],
            "status": "active",
            "operated_by_id": None,
        }


def bulk_insert_sites(db: Database, mission_id: int, count: int, rng: random.Random) -> float:
    """Insert the sites with bare Core executemany (the triggers or generated column index them); rows/s."""
    rows = list(site_rows(mission_id, count, rng))
    started = time.perf_counter()
    with db.engine.begin() as connection:
        for start in range(0, count, INSERT_BATCH):
            connection.execute(insert(SITES), rows[start : start + INSERT_BATCH])
    elapsed = time.perf_counter() - started
    if not db.is_sqlite:
        # Autovacuum would analyse the table soon after such a load; Truce never runs ANALYZE on SQLite.
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE sites"))
    return count / elapsed


def random_boxes(count: int, rng: random.Random) -> list[geo.BBox]:
    """Boxes of BOX_SIZE degrees lying wholly inside EXTENT."""
    boxes = []
    for _ in range(count):
        lon = rng.uniform(EXTENT.min_lon, EXTENT.max_lon - BOX_SIZE)
        lat = rng.uniform(EXTENT.min_lat, EXTENT.max_lat - BOX_SIZE)
        boxes.append(geo.BBox(lon, lat, lon + BOX_SIZE, lat + BOX_SIZE))
    return boxes


# --- the three ways of asking ------------------------------------------------------------------


def service_query(db: Database, mission: Mission) -> Callable[[geo.BBox], int]:
    """The places service, in a read session of its own per query, as one API request has."""

    def run(box: geo.BBox) -> int:
        with db.session(write=False) as session:
            actor = Actor.system(mission.id)
            return len(places_service.list_places(session, Site, mission, actor=actor, bbox=box))

    return run


def baseline_sql(dialect: str) -> str:
    """The hand-written query on the spatial index, in the driver's parameter style."""
    exact = "s.max_lon >= {0} AND s.min_lon <= {0} AND s.max_lat >= {0} AND s.min_lat <= {0}"
    tail = "AND s.mission_id = {0} ORDER BY s.id LIMIT {1}"
    if dialect == "sqlite":
        index = (
            f"SELECT {SITE_COLUMNS} FROM sites_rtree r CROSS JOIN sites s ON s.id = r.id "
            "WHERE r.max_lon >= ? AND r.min_lon <= ? AND r.max_lat >= ? AND r.min_lat <= ?"
        )
        return f"{index} AND {exact.format('?')} {tail.format('?', places_service.MAX_PAGE)}"
    index = f"SELECT {SITE_COLUMNS} FROM sites s WHERE s.geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)"
    return f"{index} AND {exact.format('%s')} {tail.format('%s', places_service.MAX_PAGE)}"


def baseline_params(dialect: str, box: geo.BBox, mission_id: int) -> tuple[Any, ...]:
    exact = (box.min_lon, box.max_lon, box.min_lat, box.max_lat)
    if dialect == "sqlite":
        return (*exact, *exact, mission_id)
    return (*box.as_list(), *exact, mission_id)


@contextmanager
def raw_cursor(db: Database) -> Iterator[Any]:
    """One DB-API cursor on a connection of the pool, rolled back afterwards."""
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        yield cursor
        cursor.close()
    finally:
        connection.rollback()
        connection.close()


def captured_service_sql(db: Database, mission: Mission, boxes: Sequence[geo.BBox]) -> list[tuple[str, Any]]:
    """The statement and parameters the service sends for each box, as the driver received them."""
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if "FROM sites" in statement:
            seen.append((statement, parameters))

    with db.listening("before_cursor_execute", capture):
        run = service_query(db, mission)
        for box in boxes:
            run(box)
    return seen


@contextmanager
def counting_full_collections() -> Iterator[list[int]]:
    """Count the garbage collector's full (generation 2) passes, the usual cause of a long tail."""
    seen: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            seen.append(1)

    gc.callbacks.append(note)
    try:
        yield seen
    finally:
        gc.callbacks.remove(note)


def time_calls(label: str, calls: Sequence[Callable[[], int]]) -> Timing:
    """Run each call once, timing it; the first WARM_UP calls are run twice, the first time untimed."""
    for call in calls[:WARM_UP]:
        call()
    seconds, rows = [], []
    with counting_full_collections() as full:
        for call in calls:
            started = time.perf_counter()
            count = call()
            seconds.append(time.perf_counter() - started)
            rows.append(count)
    return Timing(label, seconds, rows, len(full))


def measure(db: Database, mission: Mission, boxes: Sequence[geo.BBox]) -> list[Timing]:
    """Time the service, the baseline, and the service's own SQL through the raw cursor."""
    dialect = db.engine.dialect.name
    run_service = service_query(db, mission)
    service = time_calls("service (ORM objects)", [partial(run_service, box) for box in boxes])
    replays = captured_service_sql(db, mission, boxes)
    sql = baseline_sql(dialect)
    with raw_cursor(db) as cursor:

        def fetch(statement: str, parameters: Any) -> int:
            cursor.execute(statement, parameters)
            return len(cursor.fetchall())

        raw = time_calls(
            "raw SQL on the index (baseline)",
            [partial(fetch, sql, baseline_params(dialect, box, mission.id)) for box in boxes],
        )
        replay = time_calls(
            "service's SQL, raw cursor", [partial(fetch, statement, parameters) for statement, parameters in replays]
        )
    if not service.rows == raw.rows == replay.rows:
        raise AssertionError("the service and the raw query disagree on the rows in some box")
    return [service, raw, replay]


# --- reporting -------------------------------------------------------------------------------


def query_plan(db: Database, mission: Mission, box: geo.BBox) -> list[str]:
    """How the backend runs the service's statement for one box."""
    statement, parameters = captured_service_sql(db, mission, [box])[0]
    prefix = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN "
    with raw_cursor(db) as cursor:
        cursor.execute(prefix + statement, parameters)
        return [str(row[-1] if db.is_sqlite else row[0]) for row in cursor.fetchall()]


def report(backend: str, timings: list[Timing], plan: list[str]) -> None:
    service, raw = timings[0], timings[1]
    print(
        f"\n{backend}: {len(service.seconds)} boxes of {BOX_SIZE} degrees, {raw.mean_rows:.0f} rows per box on average"
    )
    print(f"  {'':34} {'p50 ms':>8} {'p99 ms':>8} {'full GCs':>9}")
    for timing in timings:
        p50, p99 = timing.percentile_ms(50), timing.percentile_ms(99)
        print(f"  {timing.label:34} {p50:8.2f} {p99:8.2f} {timing.full_collections:9d}")
    p50 = service.percentile_ms(50) / raw.percentile_ms(50)
    p99 = service.percentile_ms(99) / raw.percentile_ms(99)
    print(f"  ratio service/raw: p50 {p50:.1f}x, p99 {p99:.1f}x")
    print("  plan of the service's statement:")
    for line in plan:
        print(f"    {line}")


def run_backend(backend: str, db: Database, args: argparse.Namespace) -> None:
    rng = random.Random(SEED)
    try:
        schema.upgrade(db.engine)
        mission = create_mission(db)
        rate = bulk_insert_sites(db, mission.id, args.sites, rng)
        print(f"\n{backend}: {args.sites:,} sites inserted at {rate:,.0f} rows/s (Core executemany, index included)")
        boxes = random_boxes(args.queries, rng)
        report(backend, measure(db, mission, boxes), query_plan(db, mission, boxes[0]))
    finally:
        db.dispose()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=100_000, help="sites to insert (default 100000)")
    parser.add_argument("--queries", type=int, default=500, help="timed boxes per way of asking (default 500)")
    parser.add_argument(
        "--pg",
        default=os.environ.get("TRUCE_BENCH_DATABASE_URL", ""),
        help="PostGIS URL to benchmark too; that database is WIPED (default: $TRUCE_BENCH_DATABASE_URL)",
    )
    args = parser.parse_args()
    if args.queries < 2 or args.sites < 1:
        parser.error("--queries must be at least 2 and --sites at least 1")
    return args


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="truce-bench-") as directory:
        run_backend("SQLite", sqlite_database(Path(directory)), args)
    if args.pg:
        run_backend("PostGIS", postgis_database(args.pg), args)
    else:
        print("\nPostGIS: skipped (pass --pg URL or set TRUCE_BENCH_DATABASE_URL)")


if __name__ == "__main__":
    main()
