"""The daily situation report (PDF with map and charts) of a mission holding 1,000,000 incidents.

What it measures (issue 7; DESIGN.md section 10, "daily report ... <= 5 s"): the time of
`reports.service.daily_document(session, mission, day, "pdf")` -- what `truce report daily` runs,
minus storing and logging the result -- split into its phases: building the context (the aggregate
SQL: counts per zone and type over seven days, the day's incidents, newly confirmed, returns,
provisions, map layers), drawing the map and trend chart and rendering the HTML, and laying out the
PDF with WeasyPrint.

The data: the nk-2020 demo (its zones, line of contact, corridor, 23 posts, returns and provisions)
loaded into a temporary SQLite file, plus N incidents (default 1,000,000) bulk-inserted with Core
executemany, spread uniformly over five years from 10 November 2020 (the mandate's term), so about
550 a day, over the demo's area, each with its zone derived by a vectorised point-in-polygon test.
Statuses follow the demo's mix. The report is of a day in the middle of the period.

There is no baseline besides the target: 5 s for the whole document.

    .venv/bin/python benchmarks/daily_report.py [--n 1000000] [--repeat 3] [--date 2023-05-14] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import numpy as np
import shapely
from sqlalchemy import Table, func, insert, select

from truce import schema
from truce.db import Database, connect
from truce.demo import loader
from truce.incidents.models import Incident
from truce.incidents.taxonomy import TAXONOMY
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.places.models import Area
from truce.reports import build, render

SEED = 20201110
FIRST = datetime(2020, 11, 10, tzinfo=UTC)
YEARS_DAYS = 5 * 365 + 1
EXTENT = (46.3, 39.5, 47.3, 40.35)
STATUSES = [("confirmed", 40), ("disputed", 10), ("not_confirmed", 10), ("inconclusive", 5), ("reported", 35)]
INSERT_BATCH = 20_000
TARGET_S = 5.0
INCIDENTS = cast(Table, Incident.__table__)


def load_demo(directory: Path) -> tuple[Database, Mission]:
    db = connect(f"sqlite:///{directory / 'truce.db'}")
    schema.upgrade(db.engine)
    with db.session() as session:
        loader.load(session, evidence_root=directory)
        mission = missions_service.get_by_slug(session, "nk-2020")
        assert mission is not None
    return db, mission


def zones(db: Database, mission: Mission) -> list[tuple[int, str | None, Any]]:
    """The mission's zones of control as prepared shapely polygons, with who controls them."""
    with db.session(write=False) as session:
        areas = session.execute(
            select(Area).where(Area.mission_id == mission.id, Area.kind == "zone_of_control")
        ).scalars()
        found = []
        for area in areas:
            polygon = shapely.from_geojson(area.geometry)
            shapely.prepare(polygon)
            found.append((area.id, str(area.controlled_by_id), polygon))
    return found


def incident_rows(mission_id: int, count: int, rng: random.Random, areas: list[Any]) -> Iterator[dict[str, Any]]:
    kinds = [(kind, subtype) for kind, subtypes in TAXONOMY.items() for subtype in subtypes]
    statuses = [s for s, _ in STATUSES]
    weights = [w for _, w in STATUSES]
    for start in range(0, count, INSERT_BATCH):
        n = min(INSERT_BATCH, count - start)
        lons = np.round(np.array([rng.uniform(EXTENT[0], EXTENT[2]) for _ in range(n)]), 5)
        lats = np.round(np.array([rng.uniform(EXTENT[1], EXTENT[3]) for _ in range(n)]), 5)
        zone_of = np.full(n, -1)
        for area_id, _party, polygon in areas:
            inside = shapely.contains_xy(polygon, lons, lats)
            zone_of[(zone_of < 0) & inside] = area_id
        for i in range(n):
            kind, subtype = rng.choice(kinds)
            lon, lat = float(lons[i]), float(lats[i])
            yield {
                "mission_id": mission_id, "type": kind, "subtype": subtype,
                "start": FIRST + timedelta(seconds=rng.randrange(YEARS_DAYS * 86400)), "end": None,
                "time_precision": "minute", "geometry": f'{{"type":"Point","coordinates":[{lon!r},{lat!r}]}}',
                "lon": lon, "lat": lat, "min_lon": lon, "min_lat": lat, "max_lon": lon, "max_lat": lat,
                "geo_precision": 1, "observer_site_id": None, "bearing_deg": None, "distance_km": None,
                "source": "post", "means": "seen", "counts": {"events": 1},
                "casualties": {"injured": {"civilian": 1}} if kind == "civilian_harm" else {},
                "alleged_actors": [], "narrative": f"Benchmark incident {start + i}.",
                "classification": "mission", "restricted_to": [],
                "status": rng.choices(statuses, weights)[0], "author_id": None, "author_delegation": "ru",
                "reported_at": FIRST, "external_id": None,
                "zone_id": int(zone_of[i]) if zone_of[i] >= 0 else None, "controlled_by": None,
                "nearest_site_id": None, "nearest_site_km": None, "line_of_contact_km": None,
                "in_corridor": False, "merged_into_id": None,
            }  # fmt: skip


def bulk_insert(db: Database, mission: Mission, count: int, areas: list[Any]) -> float:
    rows = incident_rows(mission.id, count, random.Random(SEED), areas)
    started = time.perf_counter()
    with db.engine.begin() as connection:
        while batch := [row for _, row in zip(range(INSERT_BATCH), rows, strict=False)]:
            connection.execute(insert(INCIDENTS), batch)
    return time.perf_counter() - started


def one_report(db: Database, mission: Mission, day: date) -> tuple[dict[str, tuple[float, float]], int, int]:
    """(wall, CPU) seconds per phase, the day's incidents, and the PDF's size."""
    marks: list[tuple[float, float]] = []

    def mark() -> None:
        marks.append((time.perf_counter(), time.process_time()))

    with db.session(write=False) as session:
        mission = session.merge(mission)
        mark()
        context = build.daily(session, mission, day)
        mark()
        html = render.daily_html(context, raster=True)
        mark()
        pdf = render.pdf(html)
        mark()
    names = ["context (SQL)", "charts (PNG) + HTML", "PDF (WeasyPrint)"]
    phases = {name: (b[0] - a[0], b[1] - a[1]) for name, a, b in zip(names, marks[:-1], marks[1:], strict=True)}
    phases["total"] = (marks[-1][0] - marks[0][0], marks[-1][1] - marks[0][1])
    return phases, len(context.incidents), len(pdf)


def prepare(directory: Path, count: int) -> tuple[Database, Mission]:
    """The demo plus `count` incidents in `directory`, made once: a database already there is reused."""
    if (directory / "truce.db").exists():
        db = connect(f"sqlite:///{directory / 'truce.db'}")
        with db.session(write=False) as session:
            mission = missions_service.get_by_slug(session, "nk-2020")
            assert mission is not None
        print(f"reusing the database in {directory}")
        return db, mission
    started = time.perf_counter()
    db, mission = load_demo(directory)
    print(f"demo mission loaded in {time.perf_counter() - started:.1f} s")
    seconds = bulk_insert(db, mission, count, zones(db, mission))
    print(f"{count:,} incidents inserted in {seconds:.1f} s ({count / seconds:,.0f} rows/s)")
    return db, mission


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="incidents to insert (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=3, help="reports to time (default 3; median shown)")
    parser.add_argument("--date", type=date.fromisoformat, default=date(2023, 5, 14), help="the report's day")
    parser.add_argument("--keep", type=Path, help="build the data in (or reuse it from) this directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="truce-bench-report-") as scratch:
        directory = args.keep or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        db, mission = prepare(directory, args.n)
        with db.session(write=False) as session:
            total = session.execute(select(func.count()).select_from(INCIDENTS)).scalar_one()
        print(f"{total:,} incidents in the database")
        one_report(db, mission, args.date)  # warm-up: imports, font discovery, first queries
        runs = [one_report(db, mission, args.date) for _ in range(args.repeat)]
        db.dispose()
    _, incidents, size = runs[0]
    print(f"\ndaily report of {args.date.isoformat()}: {incidents:,} incidents that day, PDF {size / 1024:,.0f} KiB")
    # CPU seconds are shown beside wall time: on a shared machine the wall clock also counts waiting for a core.
    print(f"{'phase':<20} {'wall s':>7} {'min':>6} {'max':>6} {'CPU s':>6}")
    for phase in runs[0][0]:
        wall = [r[0][phase][0] for r in runs]
        cpu = [r[0][phase][1] for r in runs]
        median = statistics.median
        print(f"{phase:<20} {median(wall):7.2f} {min(wall):6.2f} {max(wall):6.2f} {median(cpu):6.2f}")
    median_total = statistics.median(r[0]["total"][0] for r in runs)
    median_cpu = statistics.median(r[0]["total"][1] for r in runs)
    verdict = "meets" if median_total <= TARGET_S else "MISSES"
    print(
        f"\ntotal {median_total:.2f} s wall = {median_total / TARGET_S:.2f} x the {TARGET_S:.0f} s target: {verdict} it"
    )
    print(f"total {median_cpu:.2f} s CPU = {median_cpu / TARGET_S:.2f} x the target")
    print(f"load average during the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
