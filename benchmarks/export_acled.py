"""Export of 1,000,000 incidents as ACLED-compatible CSV: throughput and memory, against raw SQL and csv.

What it measures (issue 7, "export of 1,000,000 incidents as ACLED CSV at 50,000 rows/s or more within
200 MB of memory"): `truce.interop.acled.write` -- the public view's query from
`incidents.service.query`, streamed with `yield_per`, each row turned into the 31 ACLED columns
(date in the mission's time zone, type mapping, actors, fatalities, formula escaping) and written with
csv -- over N incidents (default 1,000,000), 90% of them public. Three runs:

  * in process, to a file: rows/s of the export alone (the database is warm);
  * in process under tracemalloc: the peak of Python allocations during the export;
  * `truce export SLUG --format acled --out FILE` as a child process: wall time including start-up,
    and the child's peak RSS (getrusage RUSAGE_CHILDREN), which is what a person running it sees.

Baseline (the ceiling): the same columns selected through the DB-API cursor (sqlite3) and written by
csv.writer as they come, without any formatting or access filter beyond `classification = 'public'`.

The incidents are bulk-inserted with Core executemany (the R*Tree triggers keep the spatial index);
they are spread over the demo area and Nov-Dec 2020, with casualties, one or two alleged actors, a
narrative, and a nearest site among 20 sites created through the places service.

    .venv/bin/python benchmarks/export_acled.py [--n 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, insert

from truce import schema
from truce.db import Database, connect
from truce.incidents.models import Incident
from truce.incidents.taxonomy import SOURCES, TAXONOMY
from truce.interop import acled
from truce.interop.export import view_for
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.missions.schemas import DelegationIn, MissionIn, PartyIn
from truce.places import service as places_service
from truce.places.schemas import SiteIn
from truce.policy import Actor

SEED = 20201110
MISSION_SLUG = "bench-export"
AREA = (46.3, 39.5, 47.2, 40.3)  # min_lon, min_lat, max_lon, max_lat
FIRST = datetime(2020, 11, 10, tzinfo=UTC)
DAYS = 52
SITES = 20
INSERT_BATCH = 20_000
PUBLIC_SHARE = 0.9
TARGET_ROWS_PER_SECOND = 50_000
TARGET_MB = 200
INCIDENTS = cast(Table, Incident.__table__)
SIDES = {"am": "Armenian forces (alleged)", "az": "Azerbaijani armed forces (alleged)"}


# --- setting up ------------------------------------------------------------------------------


def create_mission(db: Database) -> tuple[Mission, list[int]]:
    """A public mission with two sides, a guarantor's delegation and SITES sites, through the services."""
    with db.session() as session:
        spec = MissionIn(
            slug=MISSION_SLUG, name="Benchmark: ACLED export", public=True, time_zone="Etc/GMT-4",
            starts_on=FIRST.date(),
        )  # fmt: skip
        mission = missions_service.create(session, spec, actor=Actor.system())
        actor = Actor.system(mission.id)
        for code, name, kind in (("am", "Republic of Armenia", "side"), ("az", "Republic of Azerbaijan", "side"),
                                 ("ru", "Russian Federation", "guarantor")):  # fmt: skip
            missions_service.create_party(session, mission, PartyIn(code=code, name=name, kind=kind), actor=actor)
        missions_service.create_delegation(
            session, mission, DelegationIn(code="ru", name="Peacekeepers", party="ru"), actor=actor
        )
        rng = random.Random(SEED)
        site_ids = []
        for number in range(SITES):
            lon, lat = rng.uniform(AREA[0], AREA[2]), rng.uniform(AREA[1], AREA[3])
            properties = {"name": f"Settlement {number}", "kind": "settlement", "classification": "public"}
            point = {"type": "Point", "coordinates": [lon, lat]}
            feature = {"type": "Feature", "geometry": point, "properties": properties}
            site = places_service.create_site(session, mission, SiteIn.model_validate(feature), actor=actor)
            site_ids.append(site.id)
    return mission, site_ids


def incident_rows(mission_id: int, site_ids: list[int], count: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    """`count` incidents as the table stores them, derived columns filled plausibly."""
    kinds = [(kind, subtype) for kind, subtypes in TAXONOMY.items() for subtype in subtypes]
    reported = FIRST + timedelta(days=DAYS)
    for number in range(count):
        lon = round(rng.uniform(AREA[0], AREA[2]), 6)
        lat = round(rng.uniform(AREA[1], AREA[3]), 6)
        kind, subtype = rng.choice(kinds)
        accused = rng.sample(sorted(SIDES), rng.randint(0, 2))
        yield {
            "mission_id": mission_id, "type": kind, "subtype": subtype,
            "start": FIRST + timedelta(seconds=rng.randrange(DAYS * 86400)), "end": None,
            "time_precision": rng.choice(("minute", "hour", "day", "week")),
            "geometry": f'{{"type":"Point","coordinates":[{lon!r},{lat!r}]}}',
            "lon": lon, "lat": lat, "min_lon": lon, "min_lat": lat, "max_lon": lon, "max_lat": lat,
            "geo_precision": rng.randint(1, 3), "observer_site_id": None, "bearing_deg": None, "distance_km": None,
            "source": rng.choice(SOURCES), "means": None, "counts": {"events": rng.randint(1, 20)},
            "casualties": {"killed": {"civilian": rng.randint(0, 2), "combatant": 0, "unknown": rng.randint(0, 1)},
                           "injured": {"civilian": rng.randint(0, 3), "combatant": 0, "unknown": 0}},
            "alleged_actors": [{"party": code, "actor": SIDES[code]} for code in accused],
            "narrative": f"Incident {number}: {subtype.replace('_', ' ')} reported near the line of contact.",
            "classification": "public" if rng.random() < PUBLIC_SHARE else "mission", "restricted_to": [],
            "status": rng.choice(("reported", "confirmed", "disputed")), "author_id": None,
            "author_delegation": "ru", "reported_at": reported, "external_id": None, "zone_id": None,
            "controlled_by": rng.choice(("am", "az")), "nearest_site_id": rng.choice(site_ids),
            "nearest_site_km": round(rng.uniform(0.1, 20), 2), "line_of_contact_km": round(rng.uniform(0, 30), 2),
            "in_corridor": False, "merged_into_id": None,
        }  # fmt: skip


def bulk_insert(db: Database, mission_id: int, site_ids: list[int], count: int) -> float:
    """Insert the incidents with bare Core executemany; rows/s."""
    rows = incident_rows(mission_id, site_ids, count, random.Random(SEED))
    started = time.perf_counter()
    with db.engine.begin() as connection:
        while batch := [row for _, row in zip(range(INSERT_BATCH), rows, strict=False)]:
            connection.execute(insert(INCIDENTS), batch)
    return count / (time.perf_counter() - started)


# --- the runs ----------------------------------------------------------------------------------


def export_in_process(db: Database, mission: Mission, path: Path) -> tuple[int, float]:
    """The ACLED export of the public view to `path`; rows written and seconds taken."""
    started = time.perf_counter()
    with db.session(write=False) as session, path.open("w", encoding="utf-8", newline="") as out:
        view = view_for(session, mission, Actor.anonymous(mission.id))
        written = acled.write(session, view, out, lambda _n: None)
    return written, time.perf_counter() - started


def export_traced(db: Database, mission: Mission) -> tuple[int, int]:
    """The same export to a sink that keeps nothing, under tracemalloc; rows and peak bytes."""

    class Sink(io.TextIOBase):
        def write(self, text: str) -> int:
            return len(text)

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        with db.session(write=False) as session:
            view = view_for(session, mission, Actor.anonymous(mission.id))
            written = acled.write(session, view, cast(Any, Sink()), lambda _n: None)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return written, peak


# Linux counts the pages a child had before exec (a copy of its parent's) in its peak RSS, so the export is
# started by a small helper process rather than by this one, which holds the whole insert's memory.
SPAWNER = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, capture_output=True); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def export_child(data_dir: Path, path: Path) -> tuple[float, int]:
    """`truce export` in a child process; wall seconds and the child's peak RSS in bytes."""
    command = [sys.executable, "-m", "truce", "export", MISSION_SLUG, "--format", "acled", "--out", str(path),
               "--data-dir", str(data_dir)]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUCE_")}
    started = time.perf_counter()
    spawned = subprocess.run([sys.executable, "-c", SPAWNER, *command], check=True, env=env, capture_output=True)
    elapsed = time.perf_counter() - started
    return elapsed, int(spawned.stdout) * 1024  # ru_maxrss is in KiB on Linux


def import_rss() -> int:
    """Peak RSS of a process that only imports the `truce` command, for scale; bytes."""
    probe = "import resource, truce.cli; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    spawned = subprocess.run([sys.executable, "-c", SPAWNER, sys.executable, "-c", probe], check=True,
                             capture_output=True)  # fmt: skip
    return int(spawned.stdout) * 1024


def baseline(db_path: Path, mission_id: int, path: Path) -> tuple[int, float]:
    """The same columns through sqlite3 and csv.writer, unformatted; rows and seconds."""
    import sqlite3

    columns = ", ".join(column.key for column in acled.SELECTED)
    sql = (
        f"SELECT {columns} FROM incidents WHERE mission_id = ? AND classification = 'public' "
        "AND status != 'retracted' AND merged_into_id IS NULL ORDER BY start DESC, id DESC"
    )
    started = time.perf_counter()
    connection = sqlite3.connect(db_path)
    written = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(acled.COLUMNS)
        cursor = connection.execute(sql, (mission_id,))
        while rows := cursor.fetchmany(2000):
            writer.writerows(rows)
            written += len(rows)
    connection.close()
    return written, time.perf_counter() - started


def plan(db_path: Path, db: Database, mission: Mission) -> list[str]:
    """SQLite's plan for the statement the export sends."""
    import sqlite3

    from truce.interop.export import selection

    with db.session(write=False) as session:
        view = view_for(session, mission, Actor.anonymous(mission.id))
        compiled = selection(view, acled.SELECTED, events_only=True).compile(
            db.engine, compile_kwargs={"literal_binds": True}
        )
    connection = sqlite3.connect(db_path)
    rows = connection.execute(f"EXPLAIN QUERY PLAN {compiled}").fetchall()
    connection.close()
    return [str(row[-1]) for row in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="incidents to insert (default 1000000)")
    parser.add_argument("--keep", type=Path, help="build the data directory here and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="truce-bench-") as scratch:
        data_dir = args.keep or Path(scratch)
        data_dir.mkdir(parents=True, exist_ok=True)
        db_path = data_dir / "truce.db"
        db = connect(f"sqlite:///{db_path}")
        try:
            schema.upgrade(db.engine)
            mission, site_ids = create_mission(db)
            rate = bulk_insert(db, mission.id, site_ids, args.n)
            print(f"SQLite: {args.n:,} incidents inserted at {rate:,.0f} rows/s (Core executemany, index included)")
            print("  plan of the export's statement:")
            for line in plan(db_path, db, mission):
                print(f"    {line}")
            out = Path(scratch) / "export.csv"
            base_rows, base_seconds = baseline(db_path, mission.id, out)
            written, seconds = export_in_process(db, mission, out)
            size_mb = out.stat().st_size / 1e6
            traced_rows, peak = export_traced(db, mission)
        finally:
            db.dispose()
        child_seconds, child_rss = export_child(data_dir, out)
    assert written == base_rows == traced_rows, (written, base_rows, traced_rows)
    print(f"  {written:,} public rows of {args.n:,} exported ({size_mb:,.0f} MB of CSV)")
    print(f"  {'':46} {'seconds':>8} {'rows/s':>10}")
    print(f"  {'acled.write, in process':46} {seconds:8.2f} {written / seconds:10,.0f}")
    print(f"  {'raw sqlite3 + csv.writer (baseline)':46} {base_seconds:8.2f} {base_rows / base_seconds:10,.0f}")
    print(f"  {'truce export --out (child, with start-up)':46} {child_seconds:8.2f} {written / child_seconds:10,.0f}")
    print(f"  ratio export/baseline: {seconds / base_seconds:.1f}x the time")
    print(f"  memory: tracemalloc peak {peak / 1e6:.1f} MB in process; child peak RSS {child_rss / 1e6:.0f} MB")
    print(f"  (a process that only imports truce.cli peaks at {import_rss() / 1e6:.0f} MB RSS)")
    print(f"  targets: >= {TARGET_ROWS_PER_SECOND:,} rows/s, <= {TARGET_MB} MB")


if __name__ == "__main__":
    main()
