"""`truce backup` and `truce restore` of a large mission, and `truce export` from a read replica (issue 23, part 6).

What it measures: the demo mission and N more incidents (default 1,000,000) filed by its monitor through
`incidents.service.create_many`, 5,000 a transaction, so that every one is logged and the restore's whole-record
verification has the real work to do. Then, as an operator
runs them, each as a child process: `truce backup --out DIR` (wall time, size of DIR), and `truce restore DIR`
into an empty data directory (and, on PostgreSQL, an empty database): wall time including the verification.
With --replica, `truce export nk-2020 --format acled` is timed twice over the same database: reading the
primary, and with TRUCE_REPLICA_URL naming the replica (the replica's WAL must reach it: the script waits).

With --bulk the N incidents are inserted with Core `executemany` (export_acled.py's generator, derived columns
filled plausibly) and each gets its `incident.create` log entry built as the journal builds it (`ledger.store.body`
of the row read back, appended with `ledger.store.append`, 5,000 a transaction): the same database and log the
service would leave, made in minutes instead of hours, so that the restore's verification has every row to check.

On SQLite it runs in a temporary directory. --pg and --pg-restore name two PostGIS databases that are WIPED.

    .venv/bin/python benchmarks/backup_restore.py [--n 1000000] [--bulk] [--pg URL --pg-restore URL2 [--replica URL3]]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from many_workers import wipe
from serve_startup import server_environment, truce_command

BATCH = 5000


def load(data_dir: Path, count: int, env: dict[str, str], bulk: bool = False) -> float:
    """The demo and `count` more incidents, every one logged; in a child process so that its memory goes with it."""
    began = time.perf_counter()
    command = [sys.executable, __file__, "--load", str(data_dir), str(count), *(["--bulk"] if bulk else [])]
    subprocess.run(command, env=env, check=True)
    return time.perf_counter() - began


def bulk_load_here(data_dir: Path, count: int) -> None:
    """The demo, then `count` incidents inserted in bulk, each with the log entry the service would have written."""
    from sqlalchemy import insert, select

    from export_acled import INCIDENTS, incident_rows
    from truce.config import Settings
    from truce.console import open_database
    from truce.demo import loader
    from truce.incidents.models import Incident
    from truce.ledger import store as log_store
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
    rows = incident_rows(mission_id, site_ids, count, random.Random(20201110))
    began, done = time.perf_counter(), 0
    while batch := [row for _, row in zip(range(BATCH), rows, strict=False)]:
        with db.session() as session:
            mission = missions_service.get_by_slug(session, "nk-2020")
            assert mission is not None
            actor = users_service.actor_for(session, users_service.get_by_name(session, "monitor-ru"), mission)
            for row in batch:
                row["author_id"] = actor.user_id
            ids = session.scalars(insert(INCIDENTS).returning(INCIDENTS.c.id), batch).all()
            filed = session.scalars(select(Incident).where(Incident.id.in_(ids)).order_by(Incident.id)).all()
            bodies = [log_store.body(actor, "incident.create", incident, False, ()) for incident in filed]
            log_store.append(session, bodies, None)
            session.expunge_all()
        done += len(batch)
        if done % 100_000 < BATCH:
            print(f"  {done:,} incidents logged, {done / (time.perf_counter() - began):.0f}/s", flush=True)
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


def timed(*args: str, env: dict[str, str]) -> float:
    began = time.perf_counter()
    finished = subprocess.run([truce_command(), *args], env=env, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        raise SystemExit(f"truce {' '.join(args)} failed:\n{finished.stdout}{finished.stderr}")
    return time.perf_counter() - began


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
        print(f"{name}: loaded {count:,} incidents in {loading:.0f} s", flush=True)
        backup = timed("backup", "--out", str(root / "backup"), "--data-dir", str(root / "data"), env=env)
        print(f"{name}: backup {backup:.1f} s, {size_mb(root / 'backup'):.0f} MB "
              f"(data directory {size_mb(root / 'data'):.0f} MB)", flush=True)  # fmt: skip
        restore = timed("restore", str(root / "backup"), "--data-dir", str(root / "restored"), env=restore_env)
        print(f"{name}: restore with whole-record verification {restore:.1f} s", flush=True)
        if replica:
            wait_for_replay(env["TRUCE_DATABASE_URL"], replica)
            out = str(root / "export.csv")
            args = ("export", "nk-2020", "--format", "acled", "--out", out, "--data-dir", str(root / "data"))
            primary = timed(*args, env=env)
            from_replica = timed(*args, env={**env, "TRUCE_REPLICA_URL": replica})
            print(f"{name}: ACLED export {primary:.1f} s from the primary, {from_replica:.1f} s from the replica "
                  f"(x{primary / from_replica:.2f})", flush=True)  # fmt: skip


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
    print(f"{os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.2f}", flush=True)
    if not args.skip_sqlite:
        one_backend("sqlite", args.n, env, env, "", args.bulk)
    if args.pg and args.pg_restore:
        wipe(args.pg)
        wipe(args.pg_restore)
        replica = make_url(args.replica).render_as_string(hide_password=False) if args.replica else ""
        one_backend("postgresql", args.n, {**env, "TRUCE_DATABASE_URL": args.pg},
                    {**env, "TRUCE_DATABASE_URL": args.pg_restore}, replica, args.bulk)  # fmt: skip
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
