"""Incidents in a box and a month: the incidents service against raw SQL on the same spatial index.

What it measures (issue 4; DESIGN.md section 10, "map query"): the latency of
`incidents.service.list_incidents(session, mission, actor=Actor.system(mission.id), bbox=box,
since=t0, until=t0 + 30 days, limit=1000)` -- what GET /api/v1/missions/{slug}/incidents?bbox=...
&since=...&until=... runs, minus HTTP and GeoJSON -- over N incidents (default 1,000,000) spread
uniformly over 3 x 2 degrees (lon 45.5-48.5, lat 39-41) and two months (10 Nov 2020 - 9 Jan 2021),
for random 0.2-degree boxes and 30-day windows. The rows are bulk-inserted with Core
executemany; the SQLite R*Tree triggers or the PostGIS generated `geom` column keep the spatial
index; derived columns (zone, nearest site, ...) are NULL.

Baseline (DESIGN.md section 10, "the same query in raw SQL on the same index"): the equivalent
SELECT, same filters, same ORDER BY start DESC, id DESC and LIMIT, sent through the DB-API cursor:
  SQLite:  incidents_rtree CROSS JOIN incidents, the R*Tree driving, the time test on the row;
  PostGIS: geom && ST_MakeEnvelope(...) AND start >= ... AND start < ... .
A third line replays the exact SQL the service emits through the same raw cursor, which splits
the service's overhead into "query plan" and "turning rows into objects". The script prints the backend's plan
for the service's statement (EXPLAIN QUERY PLAN on SQLite). On SQLite it also times two
rewrites of the service's statement that keep the mission_id/start index out of the plan, and the
service again after ANALYZE (which Truce never runs), for comparison.

Targets: p50 <= 50 ms, p99 <= 200 ms, on SQLite and on PostGIS. Runs on SQLite always, and on
PostGIS when `--pg URL` or TRUCE_BENCH_DATABASE_URL is given. The PostGIS database at that URL is
wiped (schema public dropped and recreated): give it a database of its own.

    .venv/bin/python benchmarks/incidents_map_query.py [--n 1000000] [--queries 200] [--pg URL] [--skip-sqlite]
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, insert, text

from truce import geo, schema
from truce.db import Database, connect
from truce.incidents import service as incidents_service
from truce.incidents.models import Incident
from truce.incidents.query import IncidentQuery
from truce.incidents.taxonomy import SOURCES, TAXONOMY
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.missions.schemas import DelegationIn, MissionIn, PartyIn
from truce.policy import Actor

SEED = 20201110
EXTENT = geo.BBox(min_lon=45.5, min_lat=39.0, max_lon=48.5, max_lat=41.0)
FIRST = datetime(2020, 11, 10, tzinfo=UTC)
DAYS = 61
WINDOW = timedelta(days=30)
BOX_SIZE = 0.2
LIMIT = 1000
WARM_UP = 20
INSERT_BATCH = 20_000
MISSION_SLUG = "bench-incidents"
TARGET_P50_MS = 50.0
TARGET_P99_MS = 200.0
INCIDENTS = cast(Table, Incident.__table__)
COLUMNS = ", ".join(f"i.{column.name}" for column in INCIDENTS.columns)


@dataclass(frozen=True)
class Ask:
    """One map query: a box and a time window."""

    box: geo.BBox
    since: datetime
    until: datetime


@dataclass
class Timing:
    """Latencies of one way of running the queries, and the rows each returned."""

    label: str
    seconds: list[float]
    rows: list[int]
    full_collections: int
    # CPU seconds of this process per query: on SQLite that includes the database's own work, and it is
    # far less disturbed than wall-clock time when other work shares the machine.
    cpu: list[float] = field(default_factory=list)

    def cpu_percentile_ms(self, p: int) -> float:
        if len(self.cpu) < 2:
            return float("nan")
        return statistics.quantiles(self.cpu, n=100, method="inclusive")[p - 1] * 1000

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
        spec = MissionIn(slug=MISSION_SLUG, name="Benchmark: incidents on the map", public=True)
        mission = missions_service.create(session, spec, actor=Actor.system())
        actor = Actor.system(mission.id)
        missions_service.create_party(
            session, mission, PartyIn(code="obs", name="Observers", kind="observer"), actor=actor
        )
        delegation = DelegationIn(code="obs", name="Observer delegation", party="obs")
        missions_service.create_delegation(session, mission, delegation, actor=actor)
    return mission


def incident_rows(mission_id: int, count: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    """`count` point incidents, uniform over EXTENT and DAYS days; derived columns left NULL."""
    kinds = [(kind, subtype) for kind, subtypes in TAXONOMY.items() for subtype in subtypes]
    reported = FIRST + timedelta(days=DAYS)
    for number in range(count):
        lon = round(rng.uniform(EXTENT.min_lon, EXTENT.max_lon), 6)
        lat = round(rng.uniform(EXTENT.min_lat, EXTENT.max_lat), 6)
        kind, subtype = rng.choice(kinds)
        yield {
            "mission_id": mission_id,
            "type": kind,
            "subtype": subtype,
            "start": FIRST + timedelta(seconds=rng.randrange(DAYS * 86400)),
            "end": None,
            "time_precision": "minute",
            "geometry": f'{{"type":"Point","coordinates":[{lon!r},{lat!r}]}}',
            "lon": lon,
            "lat": lat,
            "min_lon": lon,
            "min_lat": lat,
            "max_lon": lon,
            "max_lat": lat,
            "geo_precision": 1,
            "observer_site_id": None,
            "bearing_deg": None,
            "distance_km": None,
            "source": rng.choice(SOURCES),
            "means": None,
            "counts": {},
            "casualties": {},
            "alleged_actors": [],
            "narrative": f"Incident {number}",
            "classification": "mission",
            "restricted_to": [],
            "status": "reported",
            "author_id": None,
            "author_delegation": "obs",
            "reported_at": reported,
            "external_id": None,
            "zone_id": None,
            "controlled_by": None,
            "nearest_site_id": None,
            "nearest_site_km": None,
            "line_of_contact_km": None,
            "in_corridor": False,
            "merged_into_id": None,
        }


def bulk_insert(db: Database, mission_id: int, count: int, rng: random.Random) -> float:
    """Insert the incidents with bare Core executemany (triggers or generated column index them); rows/s."""
    rows = incident_rows(mission_id, count, rng)
    started = time.perf_counter()
    with db.engine.begin() as connection:
        while batch := [row for _, row in zip(range(INSERT_BATCH), rows, strict=False)]:
            connection.execute(insert(INCIDENTS), batch)
    elapsed = time.perf_counter() - started
    if not db.is_sqlite:
        # Autovacuum would analyse the table soon after such a load; Truce never runs ANALYZE on SQLite.
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE incidents"))
    return count / elapsed


def random_asks(count: int, rng: random.Random) -> list[Ask]:
    """Boxes of BOX_SIZE degrees inside EXTENT, with 30-day windows inside the DAYS days."""
    asks = []
    for _ in range(count):
        lon = rng.uniform(EXTENT.min_lon, EXTENT.max_lon - BOX_SIZE)
        lat = rng.uniform(EXTENT.min_lat, EXTENT.max_lat - BOX_SIZE)
        since = FIRST + timedelta(seconds=rng.randrange((DAYS - WINDOW.days) * 86400))
        asks.append(Ask(geo.BBox(lon, lat, lon + BOX_SIZE, lat + BOX_SIZE), since, since + WINDOW))
    return asks


# --- the ways of asking ----------------------------------------------------------------------


def service_query(db: Database, mission: Mission) -> Callable[[Ask], int]:
    """The incidents service, in a read session of its own per query, as one API request has."""

    def run(ask: Ask) -> int:
        with db.session(write=False) as session:
            found = incidents_service.list_incidents(
                session,
                mission,
                IncidentQuery(bbox=ask.box, since=ask.since, until=ask.until),
                actor=Actor.system(mission.id),
                limit=LIMIT,
            )
            return len(found)

    return run


def api_query(db: Database, mission: Mission) -> Callable[[Ask], int]:
    """What GET .../incidents does short of HTTP: the service, the readable sites' names and the Features."""

    def run(ask: Ask) -> int:
        with db.session(write=False) as session:
            actor = Actor.system(mission.id)
            found = incidents_service.list_incidents(
                session,
                mission,
                IncidentQuery(bbox=ask.box, since=ask.since, until=ask.until),
                actor=actor,
                limit=LIMIT,
            )
            names = incidents_service.site_names(session, mission, actor)
            return len([incidents_service.feature(incident, site_names=names) for incident in found])

    return run


def baseline_sql(dialect: str) -> str:
    """The hand-written query on the spatial index, in the driver's parameter style."""
    exact = "i.max_lon >= {0} AND i.min_lon <= {0} AND i.max_lat >= {0} AND i.min_lat <= {0}"
    tail = "AND i.mission_id = {0} AND i.start >= {0} AND i.start < {0} ORDER BY i.start DESC, i.id DESC LIMIT {1}"
    if dialect == "sqlite":
        index = (
            f"SELECT {COLUMNS} FROM incidents_rtree r CROSS JOIN incidents i ON i.id = r.id "
            "WHERE r.max_lon >= ? AND r.min_lon <= ? AND r.max_lat >= ? AND r.min_lat <= ?"
        )
        return f"{index} AND {exact.format('?')} {tail.format('?', LIMIT)}"
    index = f"SELECT {COLUMNS} FROM incidents i WHERE i.geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)"
    return f"{index} AND {exact.format('%s')} {tail.format('%s', LIMIT)}"


def baseline_params(db: Database, ask: Ask, mission_id: int) -> tuple[Any, ...]:
    box = ask.box
    exact = (box.min_lon, box.max_lon, box.min_lat, box.max_lat)
    render = INCIDENTS.c.start.type.bind_processor(db.engine.dialect)
    since, until = (render(ask.since), render(ask.until)) if render else (ask.since, ask.until)
    if db.is_sqlite:
        return (*exact, *exact, mission_id, since, until)
    return (*box.as_list(), *exact, mission_id, since, until)


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


def captured_service_sql(db: Database, mission: Mission, asks: Sequence[Ask]) -> list[tuple[str, Any]]:
    """The statement and parameters the service sends for each query, as the driver received them."""
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        # Not the service's look at the R*Tree's size (FROM incidents_rtree): the page's own query.
        if re.search(r"FROM incidents\s", statement):
            seen.append((statement, parameters))

    # On every engine: on SQLite the service reads through the readers' own.
    with db.listening("before_cursor_execute", capture):
        run = service_query(db, mission)
        for ask in asks:
            run(ask)
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
    seconds, cpu, rows = [], [], []
    with counting_full_collections() as full:
        for call in calls:
            started, cpu_started = time.perf_counter(), time.process_time()
            count = call()
            seconds.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
            rows.append(count)
    return Timing(label, seconds, rows, len(full), cpu)


def sqlite_rewrites(statement: str) -> list[tuple[str, str]]:
    """The service's SQLite statement as it was before the R*Tree was made to drive (for comparison).

    Since 0008 the service writes unary `+` before every indexed column it compares (mission_id,
    start, status) when a box is given, so that the rowid list from the R*Tree is the only way in.
    Without the `+`, SQLite walks ix_incidents_mission_start newest first and tests every row against
    that list.
    """
    return [("service's SQL without the `+` (as before)", statement.replace("+ incidents.", "incidents."))]


def whole_map(db: Database, mission: Mission, asks: Sequence[Ask], count: int) -> list[Timing]:
    """The service for a box over the whole extent, and (SQLite) the same with the R*Tree forced to drive.

    For such a box the R*Tree yields every row, and sorting a month of them costs far more than walking
    the time index newest first; the service probes the R*Tree and picks the time index (list_incidents).
    """
    whole = [Ask(EXTENT, ask.since, ask.until) for ask in asks[:count]]
    run_service = service_query(db, mission)
    timings = [time_calls("service, box over the whole extent", [partial(run_service, ask) for ask in whole])]
    if db.is_sqlite:

        def forced(ask: Ask) -> int:
            with db.session(write=False) as session:
                where = IncidentQuery(bbox=ask.box, since=ask.since, until=ask.until)
                stmt = incidents_service.query(mission, Actor.system(mission.id), where, dialect="sqlite")
                return len(session.execute(stmt.limit(LIMIT)).scalars().all())

        # Two calls, untimed warm-up left out: each takes seconds.
        seconds = []
        for ask in whole[:2]:
            started = time.perf_counter()
            rows = forced(ask)
            seconds.append(time.perf_counter() - started)
        timings.append(Timing("same, R*Tree forced to drive (2 calls)", seconds, [rows, rows], 0))
    return timings


def after_analyze(db: Database, mission: Mission, asks: Sequence[Ask]) -> tuple[Timing, list[str]]:
    """The service again once ANALYZE has run (Truce never runs it on SQLite), and its plan then."""
    with db.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.commit()
    for engine in db.engines:
        engine.dispose()
    run_service = service_query(db, mission)
    timing = time_calls("service after ANALYZE", [partial(run_service, ask) for ask in asks])
    statement, parameters = captured_service_sql(db, mission, asks[:1])[0]
    return timing, plan_of(db, statement, parameters)


def measure(db: Database, mission: Mission, asks: Sequence[Ask]) -> tuple[list[Timing], list[tuple[str, str]]]:
    """Time the service, the baseline, the service's own SQL through the raw cursor and (SQLite) rewrites."""
    dialect = db.engine.dialect.name
    run_service = service_query(db, mission)
    service = time_calls("service", [partial(run_service, ask) for ask in asks])
    replays = captured_service_sql(db, mission, asks)
    sql = baseline_sql(dialect)
    rewrites = sqlite_rewrites(replays[0][0]) if db.is_sqlite else []
    run_api = api_query(db, mission)
    timings = [service, time_calls("service + GeoJSON Features (the API's work)", [partial(run_api, a) for a in asks])]
    with raw_cursor(db) as cursor:

        def fetch(statement: str, parameters: Any) -> int:
            cursor.execute(statement, parameters)
            return len(cursor.fetchall())

        timings.append(
            time_calls(
                "raw SQL on the index (baseline)",
                [partial(fetch, sql, baseline_params(db, ask, mission.id)) for ask in asks],
            )
        )
        timings.append(
            time_calls(
                "service's SQL, raw cursor", [partial(fetch, statement, params) for statement, params in replays]
            )
        )
        for label, rewritten in rewrites:
            calls = [partial(fetch, rewritten, params) for _, params in replays]
            timings.append(time_calls(label, calls))
    if any(timing.rows != service.rows for timing in timings):
        raise AssertionError("the service and the raw queries disagree on the rows of some query")
    return timings, rewrites


# --- reporting -------------------------------------------------------------------------------


def plan_of(db: Database, statement: str, parameters: Any) -> list[str]:
    """How the backend runs one statement."""
    prefix = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN "
    with raw_cursor(db) as cursor:
        cursor.execute(prefix + statement, parameters)
        return [str(row[-1] if db.is_sqlite else row[0]) for row in cursor.fetchall()]


def report(backend: str, db: Database, mission: Mission, asks: Sequence[Ask]) -> None:
    timings, rewrites = measure(db, mission, asks)
    service = timings[0]
    raw = next(timing for timing in timings if timing.label.startswith("raw SQL"))
    print(
        f"\n{backend}: {len(asks)} queries of a {BOX_SIZE}-degree box and {WINDOW.days} days, "
        f"limit {LIMIT}; {raw.mean_rows:.0f} rows returned on average"
    )
    print(f"  {'':44} {'p50 ms':>8} {'p99 ms':>8} {'full GCs':>9} {'CPU p50':>8} {'CPU p99':>8}")
    for timing in [*timings, *whole_map(db, mission, asks, 20)]:
        p50, p99 = timing.percentile_ms(50), timing.percentile_ms(99)
        cpu50, cpu99 = timing.cpu_percentile_ms(50), timing.cpu_percentile_ms(99)
        print(f"  {timing.label:44} {p50:8.2f} {p99:8.2f} {timing.full_collections:9d} {cpu50:8.2f} {cpu99:8.2f}")
    p50 = service.percentile_ms(50) / raw.percentile_ms(50)
    p99 = service.percentile_ms(99) / raw.percentile_ms(99)
    print(f"  ratio service/raw: p50 {p50:.1f}x, p99 {p99:.1f}x")
    print(f"  targets: p50 <= {TARGET_P50_MS:.0f} ms, p99 <= {TARGET_P99_MS:.0f} ms")
    statement, parameters = captured_service_sql(db, mission, asks[:1])[0]
    print("  the service's statement:")
    print("    " + " ".join(statement.split()).replace(COLUMNS.replace("i.", "incidents."), "..."))
    print("  its plan:")
    for line in plan_of(db, statement, parameters):
        print(f"    {line}")
    if db.is_sqlite:
        print("  plan of the baseline:")
        for line in plan_of(db, baseline_sql("sqlite"), baseline_params(db, asks[0], mission.id)):
            print(f"    {line}")
        for label, rewritten in rewrites:
            print(f"  plan of the {label}:")
            for line in plan_of(db, rewritten, parameters):
                print(f"    {line}")
        analysed, plan = after_analyze(db, mission, asks)
        p50, p99 = analysed.percentile_ms(50), analysed.percentile_ms(99)
        print(f"  {analysed.label}: p50 {p50:.2f} ms, p99 {p99:.2f} ms, {analysed.full_collections} full GCs; plan:")
        for line in plan:
            print(f"    {line}")


def run_backend(backend: str, db: Database, args: argparse.Namespace) -> None:
    rng = random.Random(SEED)
    try:
        schema.upgrade(db.engine)
        mission = create_mission(db)
        rate = bulk_insert(db, mission.id, args.n, rng)
        print(f"\n{backend}: {args.n:,} incidents inserted at {rate:,.0f} rows/s (Core executemany, index included)")
        load = os.getloadavg()[0]
        report(backend, db, mission, random_asks(args.queries, rng))
        print(f"  load average before and after the queries: {load:.1f}, {os.getloadavg()[0]:.1f}")
    finally:
        db.dispose()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="incidents to insert (default 1000000)")
    parser.add_argument("--queries", type=int, default=200, help="timed queries per way of asking (default 200)")
    parser.add_argument(
        "--pg",
        default=os.environ.get("TRUCE_BENCH_DATABASE_URL", ""),
        help="PostGIS URL to benchmark too; that database is WIPED (default: $TRUCE_BENCH_DATABASE_URL)",
    )
    parser.add_argument("--skip-sqlite", action="store_true", help="benchmark PostGIS only")
    args = parser.parse_args()
    if args.queries < 2 or args.n < 1:
        parser.error("--queries must be at least 2 and --n at least 1")
    return args


def main() -> None:
    args = parse_args()
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory(prefix="truce-bench-") as directory:
            run_backend("SQLite", sqlite_database(Path(directory)), args)
    if args.pg:
        run_backend("PostGIS", postgis_database(args.pg), args)
    else:
        print("\nPostGIS: skipped (pass --pg URL or set TRUCE_BENCH_DATABASE_URL)")


if __name__ == "__main__":
    main()
