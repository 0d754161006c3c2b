"""`truce backup` and `truce restore` of a large mission, and `truce export` from a read replica (issue 23, part 6).

What it measures: the demo mission and N more incidents (default 1,000,000) filed by its monitor through
`incidents.service.create_many`, 5,000 a transaction, so that every one is logged and the restore's whole-record
verification has the real work to do. Then, as an operator
runs them, each as a child process: `truce backup --out DIR` (wall time, size of DIR), and `truce restore DIR`
into an empty data directory (and, on PostgreSQL, an empty database): wall time including the verification.
With --replica, `truce export nk-2020 --format acled --as analyst-ru` (every incident) is timed twice over the
same database: reading the primary, and with TRUCE_REPLICA_URL naming the replica (the replica's WAL must reach
it: the script waits). Each command runs under a small helper process that reports its peak RSS and CPU seconds
(its own tools', pg_dump's and pg_restore's included; the database server's not).

With --bulk the N incidents are built in Python (export_acled.py's generator, derived columns filled plausibly),
each with its `incident.create` log entry built as the journal builds it (`ledger.store.body` of the record,
`ledger.store.entry_rows` for the entries and the subtrees they complete), and sent 10,000 a transaction: with
COPY on PostgreSQL, executemany on SQLite. The same database and log the service would leave, made in minutes
instead of hours, so that the restore's verification has every row to check.

On SQLite it runs in a temporary directory. --pg and --pg-restore name two PostGIS databases that are WIPED.

    .venv/bin/python benchmarks/backup_restore.py [--n 1000000] [--bulk] [--pg URL --pg-restore URL2 [--replica URL3]]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, create_engine, make_url, text

from many_workers import wipe
from serve_startup import server_environment, truce_command

BATCH = 5000
# Incidents a transaction in the bulk load: rows built in Python and sent at once.
BULK_BATCH = 10_000


def load(data_dir: Path, count: int, env: dict[str, str], bulk: bool = False) -> float:
    """The demo and `count` more incidents, every one logged; in a child process so that its memory goes with it."""
    began = time.perf_counter()
    command = [sys.executable, __file__, "--load", str(data_dir), str(count), *(["--bulk"] if bulk else [])]
    subprocess.run(command, env=env, check=True)
    return time.perf_counter() - began


def bulk_load_here(data_dir: Path, count: int) -> None:
    """The demo, then `count` incidents inserted in bulk, each with the log entry the service would have written.

    Each batch is built in Python: the rows (export_acled.py's generator) with ids taken from the table's
    sequence, the `incident.create` entry of each (`ledger.store.body` of the record, as the journal snapshots
    it) and the entries' rows and completed subtrees (`ledger.store.entry_rows`, what `append` stores). On
    PostgreSQL the three tables are sent with COPY; on SQLite with executemany (the R*Tree triggers need rows).
    """
    from sqlalchemy import func, insert, select, update

    from export_acled import INCIDENTS, incident_rows
    from truce.config import Settings
    from truce.console import open_database
    from truce.demo import loader
    from truce.incidents.models import Incident
    from truce.ledger import store as log_store
    from truce.ledger.canonical import canonical_json
    from truce.ledger.models import LogEntry, LogHead, LogNode
    from truce.missions import service as missions_service
    from truce.places.models import Site
    from truce.users import service as users_service

    settings = Settings(data_dir=data_dir)
    db = open_database(settings, migrate=True)
    with db.session() as session:
        loader.load(session, evidence_root=settings.data_dir)
    with db.session(write=False) as session:
        mission = missions_service.get_by_slug(session, "nk-2020")
        assert mission is not None
        mission_id = mission.id
        site_ids = list(session.scalars(select(Site.id).where(Site.mission_id == mission_id)))
        actor = users_service.actor_for(session, users_service.get_by_name(session, "monitor-ru"), mission)
    postgres = db.engine.dialect.name == "postgresql"
    columns = [column.name for column in INCIDENTS.columns]
    json_columns = {"counts", "casualties", "alleged_actors", "restricted_to"}
    heads = cast(Table, LogHead.__table__)
    quoted = db.engine.dialect.identifier_preparer.quote  # `end` and `time` are words of SQL
    rows = incident_rows(mission_id, site_ids, count, random.Random(20201110))
    began, cpu_began, done = time.perf_counter(), time.process_time(), 0
    while batch := [row for _, row in zip(range(BULK_BATCH), rows, strict=False)]:
        with db.session() as session:
            connection = session.connection()
            if postgres:
                ids = list(
                    connection.execute(
                        text("SELECT nextval(pg_get_serial_sequence('incidents', 'id')) FROM generate_series(1, :n)"),
                        {"n": len(batch)},
                    ).scalars()
                )
            else:
                first = (connection.execute(select(func.max(Incident.id))).scalar() or 0) + 1
                ids = list(range(first, first + len(batch)))
            for number, row in zip(ids, batch, strict=True):
                row["id"], row["author_id"] = number, actor.user_id
                row["device_time"] = row["device_clock_offset_s"] = None
            bodies = [log_store.body(actor, "incident.create", Incident(**row), False, ()) for row in batch]
            size, border = connection.execute(
                select(heads.c.size, heads.c.border).where(heads.c.id == log_store.HEAD_ID).with_for_update()
            ).one()
            entries, nodes, tree = log_store.entry_rows(bodies, (size, [bytes.fromhex(h) for h in border]))
            if postgres:
                raw: Any = connection.connection.dbapi_connection
                with raw.cursor() as cursor:
                    json_at = [column in json_columns for column in columns]
                    with cursor.copy(f"COPY incidents ({', '.join(map(quoted, columns))}) FROM STDIN") as copy:
                        for row in batch:
                            values = zip([row[column] for column in columns], json_at, strict=True)
                            copy.write_row([canonical_json(value) if as_json else value for value, as_json in values])
                    entry_columns = list(entries[0])
                    with cursor.copy(f"COPY log_entries ({', '.join(map(quoted, entry_columns))}) FROM STDIN") as copy:
                        for entry in entries:
                            copy.write_row([entry[column] for column in entry_columns])
                    with cursor.copy("COPY log_nodes (level, idx, hash) FROM STDIN") as copy:
                        for node in nodes:
                            copy.write_row((node["level"], node["idx"], node["hash"]))
            else:
                connection.execute(insert(INCIDENTS), batch)
                connection.execute(insert(cast(Table, LogEntry.__table__)), entries)
                connection.execute(insert(cast(Table, LogNode.__table__)), nodes)
            connection.execute(
                update(heads)
                .where(heads.c.id == log_store.HEAD_ID)
                .values(size=tree.size, border=[h.hex() for h in tree.border_hashes()])
            )
        done += len(batch)
        if done % 100_000 < BULK_BATCH or done == count:
            elapsed = time.perf_counter() - began
            cpu = time.process_time() - cpu_began
            print(f"  {done:,} incidents logged, {done / elapsed:,.0f}/s (this process's CPU {cpu:.1f} s "
                  f"of {elapsed:.1f} s)", flush=True)  # fmt: skip
    db.dispose()


def load_here(data_dir: Path, count: int) -> None:
    """The demo, then `count` incidents filed by its monitor through the service, BATCH per transaction."""
    from incident_ingest import features
    from truce.config import Settings
    from truce.console import open_database
    from truce.demo import loader
    from truce.incidents import service as incidents_service
    from truce.missions import service as missions_service
    from truce.users import service as users_service

    settings = Settings(data_dir=data_dir)
    db = open_database(settings, migrate=True)
    with db.session() as session:
        loader.load(session, evidence_root=settings.data_dir)
    rng = random.Random(20201110)
    for start in range(0, count, BATCH):
        with db.session() as session:
            mission = missions_service.get_by_slug(session, "nk-2020")
            assert mission is not None
            actor = users_service.actor_for(session, users_service.get_by_name(session, "monitor-ru"), mission)
            batch = features(min(BATCH, count - start), rng)
            _, errors = incidents_service.create_many(session, mission, batch, actor=actor)
            assert not errors, errors[:3]
    db.dispose()


def size_mb(directory: Path) -> float:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file()) / 1024 / 1024


def wait_for_replay(primary: str, replica: str) -> None:
    engine = create_engine(primary)
    with engine.connect() as connection:
        position = connection.execute(text("SELECT CAST(pg_current_wal_lsn() AS text)")).scalar_one()
    engine.dispose()
    engine = create_engine(replica)
    query = text("SELECT pg_last_wal_replay_lsn() >= CAST(:p AS pg_lsn)")
    with engine.connect() as connection:
        while not connection.execute(query, {"p": position}).scalar_one():
            time.sleep(0.5)
    engine.dispose()


def one_backend(
    name: str, count: int, env: dict[str, str], restore_env: dict[str, str], replica: str, bulk: bool
) -> None:
    with tempfile.TemporaryDirectory(prefix="truce-backup-bench-") as directory:
        root = Path(directory)
        loading = load(root / "data", count, env, bulk)
        print(f"{name}: loaded {count:,} incidents in {loading:.0f} s ({count / loading:,.0f}/s with the demo "
              f"and start-up); {load_averages()}", flush=True)  # fmt: skip
        backed_up = ("backup", "--out", str(root / "backup"), "--data-dir", str(root / "data"))
        backup, cpu, rss, _ = measured(*backed_up, env=env)
        print(f"{name}: backup {backup:.1f} s (CPU of truce and its tools {cpu:.1f} s, peak RSS {rss / 2**20:.0f} MB), "
              f"{size_mb(root / 'backup'):.0f} MB (data directory {size_mb(root / 'data'):.0f} MB); "
              f"{load_averages()}", flush=True)  # fmt: skip
        restored = ("restore", str(root / "backup"), "--data-dir", str(root / "restored"))
        restore, cpu, rss, _ = measured(*restored, env=restore_env)
        print(f"{name}: restore with whole-record verification {restore:.1f} s (CPU of truce and its tools "
              f"{cpu:.1f} s, peak RSS {rss / 2**20:.0f} MB); {load_averages()}", flush=True)  # fmt: skip
        if replica:
            wait_for_replay(env["TRUCE_DATABASE_URL"], replica)
            out = str(root / "export.csv")
            # As the analyst: every incident of the mission (the public view would leave out a tenth).
            args = ("export", "nk-2020", "--format", "acled", "--as", "analyst-ru", "--out", out,
                    "--data-dir", str(root / "data"))  # fmt: skip
            for where, export_env in (("the primary", env), ("the replica", {**env, "TRUCE_REPLICA_URL": replica})):
                wall, cpu, rss, rows = measured(*args, env=export_env)
                print(f"{name}: ACLED export of {rows:,} incidents reading {where}: {wall:.1f} s, "
                      f"{rows / wall:,.0f} rows/s, CPU {cpu:.1f} s, peak RSS {rss / 2**20:.0f} MB; "
                      f"{load_averages()}", flush=True)  # fmt: skip


# Linux counts the pages a child had before exec in its peak RSS, so the command is started by a small helper
# process rather than by this one (as in export_acled.py); it prints the command's peak RSS (KiB) and CPU seconds.
SPAWNER = (
    "import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
    "sys.stderr.write(done.stdout + done.stderr); usage = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "print(usage.ru_maxrss, usage.ru_utime + usage.ru_stime); sys.exit(done.returncode)"
)


def measured(*args: str, env: dict[str, str]) -> tuple[float, float, int, int]:
    """`truce ARGS` in a child: wall seconds, CPU seconds, peak RSS in bytes, and the incidents it says it exported."""
    began = time.perf_counter()
    finished = subprocess.run([sys.executable, "-c", SPAWNER, truce_command(), *args], env=env, capture_output=True,
                              text=True, check=False)  # fmt: skip
    wall = time.perf_counter() - began
    if finished.returncode != 0:
        raise SystemExit(f"truce {' '.join(args)} failed:\n{finished.stderr}")
    exported = re.search(r"exported ([0-9,]+) incidents", finished.stderr)
    rss_kib, cpu = finished.stdout.split()
    return wall, float(cpu), int(rss_kib) * 1024, int(exported.group(1).replace(",", "")) if exported else 0


def load_averages() -> str:
    return "load average " + " ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000, help="incidents")
    parser.add_argument("--pg", default="", help="PostGIS URL to back up from (WIPED)")
    parser.add_argument("--pg-restore", default="", help="PostGIS URL to restore into (WIPED)")
    parser.add_argument("--replica", default="", help="a streaming replica's URL of --pg's database")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--bulk", action="store_true", help="insert the incidents in bulk, each with its log entry")
    parser.add_argument("--load", nargs=2, metavar=("DIR", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        (bulk_load_here if args.bulk else load_here)(Path(args.load[0]), int(args.load[1]))
        return
    env = {**server_environment(), "TRUCE_PASSWORD_HASHING": "fast"}
    print(f"{os.cpu_count()} cores; before: {load_averages()}", flush=True)
    if not args.skip_sqlite:
        one_backend("sqlite", args.n, env, env, "", args.bulk)
    if args.pg and args.pg_restore:
        wipe(args.pg)
        wipe(args.pg_restore)
        replica = make_url(args.replica).render_as_string(hide_password=False) if args.replica else ""
        one_backend("postgresql", args.n, {**env, "TRUCE_DATABASE_URL": args.pg},
                    {**env, "TRUCE_DATABASE_URL": args.pg_restore}, replica, args.bulk)  # fmt: skip
    print(f"after: {load_averages()}")


if __name__ == "__main__":
    main()
