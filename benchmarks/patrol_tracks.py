"""Import of a 100,000-point GPX track and its deviation from the plan: time and memory (issue 20, part 9).

Target: the import (read, check, pack, store in the evidence store, insert, log) and the deviation of the track from
its planned route together under 2 seconds, with memory flat in the track's length (a streamed reader: what is
held per point is the 32 bytes it is packed into, not a tree of the document).

Runs, on a fresh SQLite database in a temporary directory:
  * the whole path of `truce patrol import-gpx` and `GET .../deviations`, in process: `uploads.import_gpx` on the
    file, the commit, then `service.deviations`; best and median of 3;
  * the same under tracemalloc for N/4, N/2 and N points: the peak of Python allocations, and per point;
  * baselines: expat scanning the same file with no handlers (the ceiling of any streamed reader), and gpxpy 1.6
    (`gpxpy.parse`, the usual library, whole document in memory) when it is installed.

    .venv/bin/python benchmarks/patrol_tracks.py [--points 100000]
"""

from __future__ import annotations

import argparse
import pyexpat
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from truce import limits, schema
from truce.db import Database, connect
from truce.incidents.derive import geod
from truce.missions import service as missions_service
from truce.missions.models import Mission
from truce.missions.schemas import MissionIn
from truce.patrols import service, uploads
from truce.patrols.schemas import PatrolIn
from truce.policy import Actor

TARGET_S = 2.0
START = datetime(2020, 11, 20, 6, 0, tzinfo=UTC)
LON, LAT, HEADING = 46.40, 39.55, 80.0


def route(km: float) -> list[list[float]]:
    """A planned route with a vertex every kilometre."""
    coordinates = [[LON, LAT]]
    lon, lat, heading = LON, LAT, HEADING
    for _ in range(int(km)):
        lon, lat, back = geod().fwd(lon, lat, heading, 1000.0)
        heading = (back + 180.0) % 360.0
        coordinates.append([lon, lat])
    return coordinates


def gpx_file(points: int, path: Path) -> None:
    """A track of `points` points, one a second at 5 m/s along the route, 2 km off it for 20 minutes midway."""
    lon0, lat0 = LON, LAT
    step = 5.0
    leave, back = points // 2, points // 2 + 1200
    with path.open("w") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="bench" '
                  'xmlns="http://www.topografix.com/GPX/1/1"><trk><name>bench</name><trkseg>\n')  # fmt: skip
        lons, lats, _ = geod().fwd([lon0] * points, [lat0] * points, [HEADING] * points,
                                 [i * step for i in range(points)])  # fmt: skip
        for i in range(points):
            lon, lat = lons[i], lats[i]
            if leave <= i < back:
                lon, lat, _ = geod().fwd(lon, lat, HEADING + 90.0, 2000.0)
            moment = (START + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
            out.write(f'<trkpt lat="{lat:.7f}" lon="{lon:.7f}"><ele>1200.0</ele><time>{moment}</time></trkpt>\n')
        out.write("</trkseg></trk></gpx>\n")


def setup(directory: Path, points: int) -> tuple[Database, Mission, int]:
    db = connect(f"sqlite:///{directory / 'bench.db'}")
    schema.upgrade(db.engine)
    with db.session() as session:
        mission = missions_service.create(
            session, MissionIn(slug="bench-patrols", name="Benchmark"), actor=Actor.system()
        )
    return db, mission, new_patrol(db, mission, points)


def new_patrol(db: Database, mission: Mission, points: int) -> int:
    """A patrol planned along the whole route, so that each run compares one track with it."""
    with db.session() as session:
        km = points * 5.0 / 1000.0 + 2
        body = PatrolIn.model_validate({
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": route(km)},
            "properties": {"name": "Long patrol", "planned_start": START.isoformat(),
                           "planned_end": (START + timedelta(seconds=points)).isoformat()},
        })  # fmt: skip
        patrol = service.create(session, mission, body, actor=Actor.system(mission.id))
        session.flush()
        return patrol.id


def import_and_compare(db: Database, mission: Mission, patrol_id: int, path: Path, data_dir: Path) -> dict[str, Any]:
    actor = Actor.system(mission.id)
    cpu = time.process_time()
    started = time.perf_counter()
    with db.session() as session, path.open("rb") as handle:
        uploads.import_gpx(session, mission, patrol_id, handle, path.name, evidence=data_dir,
                           limit=1024 * limits.MB, actor=actor)  # fmt: skip
    imported = time.perf_counter()
    with db.session() as session:
        _, compared = service.deviations(session, mission, patrol_id, actor=actor)
        found = compared[-1][1]
    return {"segments": len(found.segments), "segment": found.segments[0] if found.segments else None,
            "import_s": imported - started, "deviations_s": time.perf_counter() - imported,
            "cpu_s": time.process_time() - cpu,
            "tracks": len(compared)}  # fmt: skip


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def expat_scan(path: Path) -> None:
    parser = pyexpat.ParserCreate()
    with path.open("rb") as handle:
        parser.ParseFile(handle)


def gpxpy_parse(path: Path) -> int:
    import gpxpy  # type: ignore[import-untyped]  # optional: the comparison runs only when it is installed

    with path.open() as handle:
        parsed = gpxpy.parse(handle)
    return sum(len(s.points) for t in parsed.tracks for s in t.segments)


def peak(work: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure_memory(directory: Path, count: int) -> tuple[int, int]:
    """The peak of Python allocations while a track of `count` points is imported and compared; the file's size."""
    directory.mkdir()
    path = directory / "track.gpx"
    gpx_file(count, path)
    db, mission, patrol_id = setup(directory, count)
    try:
        return peak(lambda: import_and_compare(db, mission, patrol_id, path, directory / "data")), path.stat().st_size
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--no-memory", action="store_true", help="skip the memory runs (for A/B rounds)")
    args = parser.parse_args()
    n = args.points
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = root / "track.gpx"
        gpx_file(n, path)
        size_mb = path.stat().st_size / 1e6
        print(f"track: {n:,} points, GPX file {size_mb:.1f} MB")
        db, mission, patrol_id = setup(root, n)
        runs = []
        cpu: list[float] = []
        result: dict[str, Any] = {}
        for run in range(3):
            patrol = patrol_id if run == 0 else new_patrol(db, mission, n)
            seconds, result = timed(lambda: import_and_compare(db, mission, patrol, path, root / "data"))  # noqa: B023
            runs.append(seconds)
            cpu.append(result["cpu_s"])
        segment = result["segment"]
        # On a shared machine the processor time of this process is the steadier figure; wall time waits for others.
        print(f"processor time of this process: best {min(cpu):.3f} s, median {statistics.median(cpu):.3f} s")
        print(f"  of which, last run: import {result['import_s']:.3f} s, deviations {result['deviations_s']:.3f} s "
              f"({result['tracks']} track)")  # fmt: skip
        print(f"import + deviations: best {min(runs):.3f} s, median {statistics.median(runs):.3f} s "
              f"({min(runs) / TARGET_S:.0%} of the {TARGET_S:.0f} s target)")  # fmt: skip
        print(f"  deviation found: {result['segments']} segment, {segment.distance_km:.3f} km off the route, "
              f"{segment.duration_min:.2f} min (built: 2.000 km, 20.00 min)")  # fmt: skip
        scan, _ = timed(lambda: expat_scan(path))
        print(f"baseline, expat scanning the file with no handlers: {scan:.3f} s (import + deviations "
              f"{min(runs) / scan:.1f}x)")  # fmt: skip
        try:
            gpxpy_s, count = timed(lambda: gpxpy_parse(path))
            gpxpy_peak = peak(lambda: gpxpy_parse(path))
            print(f"baseline, gpxpy.parse alone: {gpxpy_s:.3f} s for {count:,} points, peak {gpxpy_peak / 1e6:.0f} MB "
                  f"({gpxpy_peak / n:.0f} bytes a point)")  # fmt: skip
        except ImportError:
            print("baseline, gpxpy: not installed (pip install gpxpy to compare)")
        db.dispose()
        if args.no_memory:
            return
        for share in (4, 2, 1):
            count = n // share
            used, file_bytes = measure_memory(root / f"m{count}", count)
            print(f"memory: {count:>7,} points, peak {used / 1e6:6.1f} MB of Python allocations, "
                  f"{used / count:5.0f} bytes a point (packed: 32; GPX file: {file_bytes / count:.0f})")  # fmt: skip


if __name__ == "__main__":
    main()
