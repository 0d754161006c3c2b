"""Cost of the tamper-evident log: per write, `truce log verify` at 1,000,000 entries, and proofs.

What it measures (issue 3; DESIGN.md sections 4 and 10), in three parts:

1. Per write. N incidents (default 5,000) filed through `incidents.service.create`, one
   `db.session()` transaction each as the API has, each run on a fresh SQLite demo database:
   as shipped, and with `truce.ledger.service.record` replaced by a no-op inside this process
   (the baseline). The commit-time guard against unlogged writes (the ledger's Session listeners)
   is switched off for the no-op run, or it would refuse every commit; a third run, the log with
   the guard off, prices the guard alone. Features are validated into `IncidentIn` before the
   clock starts, so the ratio is that of the service and its transaction alone (the strictest
   reading). Each variant runs once per round, in alternating order; the best round counts. With
   `--turns N` the variants instead take turns of N incidents each in one process, each on its own
   database, and their CPU times are summed: on a shared machine this meets the load changes alike.
   Target: with/without at most 1.3.
2. Verification. A fresh SQLite database filled with E canonical-JSON entries of about 300 bytes
   (default E = 100,000 so that a default run stays short; BENCHMARKS.md has
   `--entries 1000000`), with their leaf hashes (`merkle.leaf_hash`), every stored subtree hash
   (`merkle.CompactRange.append`), the log head and one signed checkpoint. Rows go in with
   Core's `Connection.exec_driver_sql` executemany, values rendered by the columns' own bind
   processors. Entries are of entity type "bench", which no logged table has, so the table-row
   comparison has nothing to do. Then `truce.integrity.verify.verify(session, key, ())` end to end,
   its phases one by one (with bare reads of the same rows for comparison), and the whole
   `truce log verify --data-dir DIR` command in a subprocess. Baseline: `hashlib.sha256` over the
   same entry bytes in memory, one call per entry (best of three); for scale, one stream over the
   same bytes, the RFC 9162 tree in memory, and a bare read of the rows.
   Target: verify at 50% of the raw rate or better.
3. Proofs. 1,000 random inclusion proofs and 1,000 random consistency proofs against the full
   tree of E entries through `ledger.service.inclusion` / `consistency` (which read stored nodes
   through `StoredNodes`), each in its own read session as one API request has; p50 and p99.
   Each proof is also asked with `StoredNodes.nodes` replaced, in this process, by the query
   proposed in the report (an OR of `level = ? AND idx IN (...)` terms), right after or before
   the shipped one, so both meet the same load; the plans of both are printed.
   Target: 5 ms. On SQLite (the database of part 2), and on PostGIS when `--pg URL` or
   TRUCE_BENCH_DATABASE_URL is given; there the same entries go in with COPY, and `verify` end
   to end is timed too. The PostGIS database at that URL is wiped (schema public dropped and
   recreated): give it a database of its own.

    .venv/bin/python benchmarks/ledger_costs.py [--incidents 5000] [--rounds 1 | --turns 50] [--entries 100000]
        [--proofs 1000] [--skip-writes] [--skip-cli] [--pg URL]
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, and_, event, insert, or_, select, text
from sqlalchemy.orm import Session

from truce import schema
from truce.db import Database, connect
from truce.demo import loader
from truce.incidents import service as incidents_service
from truce.incidents.schemas import IncidentIn
from truce.incidents.taxonomy import SOURCES, TAXONOMY
from truce.integrity import verify as verify_module
from truce.ledger import journal, keys, merkle, note
from truce.ledger import service as ledger
from truce.ledger.canonical import canonical_json
from truce.ledger.models import LogEntry, LogHead, LogNode
from truce.missions import service as missions_service
from truce.policy import Actor
from truce.users import service as users_service

SEED = 20201110
MISSION_SLUG = "nk-2020"
AUTHOR = "monitor-ru"
AREA = (46.3, 39.5, 47.2, 40.3)  # lon/lat of the demo mission's area: min_lon, min_lat, max_lon, max_lat
FIRST_DAY = datetime(2020, 11, 10, tzinfo=UTC)
INSERT_BATCH = 50_000
WARM_UP = 50
TARGET_WRITE_RATIO = 1.3
TARGET_VERIFY_SHARE = 0.5
TARGET_PROOF_MS = 5.0
ENTRIES = cast(Table, LogEntry.__table__)
NODES = cast(Table, LogNode.__table__)
HEAD = cast(Table, LogHead.__table__)
ENTRY_COLUMNS = ("idx", "time", "mission_id", "actor", "delegation", "action", "entity_type", "entity_id", "data")
LOG_ORIGIN = "truce.local/bench"


@dataclass
class Latencies:
    """Seconds per call of one kind of proof."""

    label: str
    seconds: list[float]

    def percentile_ms(self, p: int) -> float:
        return statistics.quantiles(self.seconds, n=100, method="inclusive")[p - 1] * 1000


# --- part 1: the cost of logging per write --------------------------------------------------------


def incident_features(count: int, rng: random.Random) -> list[dict[str, Any]]:
    """`count` GeoJSON incidents inside the demo area, spread over Nov-Dec 2020 with local offsets."""
    types = list(TAXONOMY)
    sources = [s for s in SOURCES if s != "party"]
    features = []
    for number in range(count):
        kind = rng.choice(types)
        zone = timezone(timedelta(hours=rng.choice((0, 3, 4))))
        start = (FIRST_DAY + timedelta(seconds=rng.randrange(52 * 86400))).astimezone(zone).isoformat()
        properties: dict[str, Any] = {
            "type": kind,
            "subtype": rng.choice(list(TAXONOMY[kind])),
            "start": start,
            "source": rng.choice(sources),
            "narrative": f"Benchmark report {number}: observed from the post, direction north-east.",
        }
        if kind == "explosion":
            properties["counts"] = {"impacts": rng.randint(1, 12)}
        lon = round(rng.uniform(AREA[0], AREA[2]), 6)
        lat = round(rng.uniform(AREA[1], AREA[3]), 6)
        features.append(
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": properties}
        )
    return features


def demo_database(directory: Path) -> Database:
    """A new SQLite file in `directory`, migrated, with the demo mission loaded."""
    directory.mkdir(parents=True, exist_ok=True)
    db = connect(f"sqlite:///{directory / 'truce.db'}")
    schema.upgrade(db.engine)
    with db.session() as session:
        loader.load(session)
    return db


def author(db: Database) -> Actor:
    """The demo monitor as the API sees them in nk-2020."""
    with db.session() as session:
        mission = missions_service.get_by_slug(session, MISSION_SLUG)
        user = users_service.get_by_name(session, AUTHOR)
        if mission is None or user is None:
            raise RuntimeError("the demo mission or its monitor is missing")
        return users_service.actor_for(session, user, mission)


def _noop_record(session: Session, actor: Actor, action: str, record: Any, **_: Any) -> None:
    """What `ledger.record` is replaced with for the run without the log: nothing but the flush it does."""
    if session.autoflush:
        session.flush()


def guard_listeners() -> list[tuple[str, Callable[..., Any]]]:
    """The Session listeners the journal installs to refuse unlogged writes at commit."""
    found = []
    for name, function in (("after_flush", journal._remember_changes), ("before_commit", journal._guard)):
        if event.contains(Session, name, function):
            found.append((name, function))
    return found


@contextmanager
def ledger_patched(*, append: bool, guard: bool) -> Iterator[None]:
    """Inside: `ledger.record` as shipped or a no-op, and the unlogged-write guard on or off."""
    original = ledger.record
    removed = [] if guard else guard_listeners()
    for name, function in removed:
        event.remove(Session, name, function)
    if not append:
        ledger.record = _noop_record  # type: ignore[assignment]
    try:
        yield
    finally:
        ledger.record = original
        for name, function in removed:
            event.listen(Session, name, function)


def file_incidents(
    directory: Path, features: Sequence[dict[str, Any]], *, append: bool, guard: bool
) -> tuple[float, float]:
    """File every feature through the service, one transaction each, on a new demo database.

    Returns incidents per second of wall-clock time and per second of this process's CPU time;
    the second is less disturbed when other work shares the machine.
    """
    db = demo_database(directory)
    try:
        actor = author(db)
        incidents = [IncidentIn.model_validate(f) for f in features]
        with ledger_patched(append=append, guard=guard):
            started, cpu_started = time.perf_counter(), time.process_time()
            for data in incidents:
                with db.session() as session:
                    mission = missions_service.get_by_slug(session, MISSION_SLUG)
                    assert mission is not None
                    incidents_service.create(session, mission, data, actor=actor)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        with db.session(write=False) as session:
            logged = ledger.size(session)
        print(
            f"    {len(incidents):,} incidents filed in {elapsed:.1f} s ({cpu:.1f} s of CPU); "
            f"the log holds {logged:,} entries; load average {os.getloadavg()[0]:.1f}"
        )
        return len(incidents) / elapsed, len(incidents) / cpu
    finally:
        db.dispose()


def measure_writes(root: Path, count: int, rounds: int, rng: random.Random) -> None:
    print(f"\n1. Cost of the log per write: {count:,} incidents, one transaction each, SQLite, {rounds} rounds")
    features = incident_features(count, rng)
    runs = [("with the log (as shipped)", True, True), ("ledger.record a no-op (baseline)", False, False)]
    if guard_listeners():
        runs.insert(1, ("with the log, commit guard off", True, False))
    rates: dict[str, list[tuple[float, float]]] = {label: [] for label, _, _ in runs}
    for round_number in range(rounds):
        # Alternate the order, so that neither variant always runs on a warmer (or busier) machine.
        for label, append, guard in runs if round_number % 2 == 0 else runs[::-1]:
            print(f"  round {round_number + 1}, {label}:")
            directory = root / f"writes-{round_number}-{len(rates[label])}-{append}-{guard}"
            rates[label].append(file_incidents(directory, features, append=append, guard=guard))
    wall = {label: max(w for w, _ in values) for label, values in rates.items()}
    cpu = {label: max(c for _, c in values) for label, values in rates.items()}
    base_wall, base_cpu = wall[runs[-1][0]], cpu[runs[-1][0]]
    print(
        f"\n  {'best of the rounds':34} {'incidents/s':>11} {'ms each':>8} {'ratio':>6}"
        f" {'per CPU-s':>10} {'ratio':>6}   incidents/s in each round"
    )
    for label in rates:
        spread = ", ".join(f"{w:,.0f}" for w, _ in rates[label])
        print(
            f"  {label:34} {wall[label]:11,.0f} {1000 / wall[label]:8.2f} {base_wall / wall[label]:6.2f}"
            f" {cpu[label]:10,.0f} {base_cpu / cpu[label]:6.2f}   {spread}"
        )
    shipped = runs[0][0]
    per_write = 1000 / wall[shipped] - 1000 / base_wall
    print(
        f"  the log costs {per_write:.2f} ms per write; with/without = {base_wall / wall[shipped]:.2f} "
        f"(by CPU time {base_cpu / cpu[shipped]:.2f}); target at most {TARGET_WRITE_RATIO}"
    )


def measure_writes_interleaved(root: Path, count: int, block: int, rng: random.Random) -> None:
    """Part 1 with the variants taking turns in blocks of `block` incidents, each on its own database.

    On a shared machine the load changes within minutes, and with it the CPU time of the same work; runs of
    several seconds each then differ by more than the log costs. Short turns in one process meet the same load.
    """
    print(f"\n1. Cost of the log per write: {count:,} incidents per variant, in turns of {block}, SQLite")
    features = incident_features(count, rng)
    runs = [("with the log (as shipped)", True, True), ("ledger.record a no-op (baseline)", False, False)]
    if guard_listeners():
        runs.insert(1, ("with the log, commit guard off", True, False))
    databases = {label: demo_database(root / f"turns-{number}") for number, (label, _, _) in enumerate(runs)}
    try:
        actors = {label: author(db) for label, db in databases.items()}
        incidents = [IncidentIn.model_validate(f) for f in features]
        cpu = dict.fromkeys(databases, 0.0)
        for turn, start in enumerate(range(0, count, block)):
            order = runs[turn % len(runs) :] + runs[: turn % len(runs)]
            for label, append, guard in order:
                with ledger_patched(append=append, guard=guard):
                    started = time.process_time()
                    for data in incidents[start : start + block]:
                        with databases[label].session() as session:
                            mission = missions_service.get_by_slug(session, MISSION_SLUG)
                            assert mission is not None
                            incidents_service.create(session, mission, data, actor=actors[label])
                    cpu[label] += time.process_time() - started
    finally:
        for db in databases.values():
            db.dispose()
    base = cpu[runs[-1][0]]
    print(f"\n  {'each variant, in turns':34} {'CPU ms each':>11} {'ratio':>6}   load average {os.getloadavg()[0]:.1f}")
    for label, seconds in cpu.items():
        print(f"  {label:34} {seconds * 1000 / count:11.3f} {seconds / base:6.2f}")
    shipped = cpu[runs[0][0]]
    print(
        f"  the log costs {(shipped - base) * 1000 / count:.2f} ms of CPU per write; with/without by CPU time "
        f"{shipped / base:.2f}; target at most {TARGET_WRITE_RATIO}"
    )


# --- part 2: a log of E entries -------------------------------------------------------------------


@dataclass
class Log:
    """A generated log: rows for log_entries and log_nodes, the head's border and the entry bytes."""

    entries: list[tuple[Any, ...]]
    nodes: list[tuple[int, int, bytes]]
    border: list[str]
    blobs: list[bytes]

    @property
    def size(self) -> int:
        return len(self.entries)

    @property
    def data_bytes(self) -> int:
        return sum(len(b) for b in self.blobs)


ACTIONS = ("site.update", "incident.create", "incident.update", "verification.create", "area.update")
ACTORS = (("monitor-ru", "ru"), ("verifier-tr", "tr"), ("verifier-ru", "ru"), ("admin", "ru"), ("system", None))
ENTRY_TEMPLATE = (
    '{{"action":"{action}","actor":"{actor}","delegation":{delegation},'
    '"entity":{{"id":{entity},"lat":{lat!r},"lon":{lon!r},'
    '"name":"Post {entity:06d}","note":"{note}","status":"active"}},'
    '"entity_id":"{entity}","entity_type":"bench","evidence":[],"index":{index},"mission_id":null,'
    '"time":"{time}"}}'
)
NOTES = ("", "checked", "seen at dawn", "relieved by the next shift", "fence repaired on the north side")


def generate_log(size: int, rng: random.Random) -> Log:
    """`size` canonical-JSON entries (about 300 bytes), their leaf hashes and every stored subtree hash."""
    entries: list[tuple[Any, ...]] = []
    nodes: list[tuple[int, int, bytes]] = []
    blobs: list[bytes] = []
    tree = merkle.CompactRange()
    when = datetime(2020, 11, 10, tzinfo=UTC)
    leaf_hash = merkle.leaf_hash
    for index in range(size):
        when += timedelta(microseconds=rng.randrange(1, 2_000_000))
        actor, delegation = ACTORS[index % len(ACTORS)]
        action = ACTIONS[index % len(ACTIONS)]
        entity = rng.randrange(1, 200_000)
        data = ENTRY_TEMPLATE.format(
            action=action,
            actor=actor,
            delegation="null" if delegation is None else f'"{delegation}"',
            entity=entity,
            lat=round(rng.uniform(39.0, 41.0), 6),
            lon=round(rng.uniform(45.5, 48.5), 6),
            note=NOTES[entity % len(NOTES)],
            index=index,
            time=when.isoformat(),
        )
        raw = data.encode("utf-8")
        leaf = leaf_hash(raw)
        for level, node_index, node in tree.append(leaf)[1:]:
            nodes.append((level, node_index, node))
        entries.append((index, when, None, actor, delegation, action, "bench", str(entity), data, leaf))
        blobs.append(raw)
    for data in (entries[i][8] for i in range(min(size, 1000))):
        if canonical_json(json.loads(data)) != data:
            raise AssertionError(f"the template is not canonical JSON: {data}")
    return Log(entries, nodes, [node.hex() for _, _, node in tree.border()], blobs)


def fill_with_core(db: Database, log: Log) -> float:
    """Insert entries, nodes and head with Core executemany in one transaction; seconds taken.

    The rows go through `Connection.exec_driver_sql` as plain tuples, with `time` rendered first by
    the column type's own bind processor, so the stored values are exactly what the ORM writes but
    SQLAlchemy's per-row parameter processing (about 60% of the time of `insert()`) is skipped.
    """
    render_time = ENTRIES.c.time.type.bind_processor(db.engine.dialect)
    assert render_time is not None
    columns = (*ENTRY_COLUMNS, "leaf_hash")
    entry_sql = f"INSERT INTO log_entries ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    started = time.perf_counter()
    with db.engine.begin() as connection:
        for start in range(0, log.size, INSERT_BATCH):
            batch = [(row[0], render_time(row[1]), *row[2:]) for row in log.entries[start : start + INSERT_BATCH]]
            connection.exec_driver_sql(entry_sql, batch)
        for start in range(0, len(log.nodes), INSERT_BATCH):
            connection.exec_driver_sql(
                "INSERT INTO log_nodes (level, idx, hash) VALUES (?, ?, ?)", log.nodes[start : start + INSERT_BATCH]
            )
        connection.execute(insert(HEAD), [{"id": ledger.HEAD_ID, "size": log.size, "border": log.border}])
    return time.perf_counter() - started


def fill_with_copy(db: Database, log: Log) -> float:
    """Insert entries and nodes with PostgreSQL COPY (psycopg), the head with Core; seconds taken."""
    started = time.perf_counter()
    connection = db.engine.raw_connection()
    try:
        driver = connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor:
            columns = ", ".join((*ENTRY_COLUMNS, "leaf_hash"))
            with cursor.copy(f"COPY log_entries ({columns}) FROM STDIN") as copy:
                for row in log.entries:
                    copy.write_row(row)
            with cursor.copy("COPY log_nodes (level, idx, hash) FROM STDIN") as copy:
                for row in log.nodes:
                    copy.write_row(row)
        driver.commit()
    finally:
        connection.close()
    with db.engine.begin() as begun:
        begun.execute(insert(HEAD), [{"id": ledger.HEAD_ID, "size": log.size, "border": log.border}])
    with db.engine.connect() as plain:
        plain.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE log_entries, log_nodes"))
    return time.perf_counter() - started


def sign_checkpoint(db: Database, data_dir: Path) -> note.Signer:
    """The server key in `data_dir` (created) and a stored checkpoint of the whole log."""
    signer = keys.load_or_create(data_dir, LOG_ORIGIN)
    with db.session() as session:
        ledger.checkpoint(session, signer)
    return signer


Timed = tuple[float, float]  # wall-clock seconds, CPU seconds of the process that did the work


def best_of(work: Callable[[], Any], runs: int) -> Timed:
    """The least wall-clock and the least CPU time of `runs` calls of `work`."""
    wall = cpu = float("inf")
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        work()
        wall, cpu = min(wall, time.perf_counter() - started), min(cpu, time.process_time() - cpu_started)
    return wall, cpu


def hashing_floors(blobs: Sequence[bytes], runs: int = 3) -> list[tuple[str, Timed]]:
    """For scale: one SHA-256 stream over the same bytes, and the RFC 9162 tree built in memory.

    The stream is what "raw SHA-256 throughput" would mean for one long file; the baseline above
    makes one call per entry, as any log verifier must. The tree is the least hashing `verify` has to
    do: each entry's leaf hash (0x00 prefix) and every interior node hash, about twice the calls.
    """
    sha256 = hashlib.sha256

    def stream() -> None:
        digest = sha256()
        for blob in blobs:
            digest.update(blob)
        digest.digest()

    def tree() -> None:
        verify_module.Levels(bytearray(b"".join([sha256(b"\x00" + blob).digest() for blob in blobs])))

    return [
        ("  for scale: one SHA-256 stream over the same bytes", best_of(stream, runs)),
        ("  for scale: the RFC 9162 tree in memory (leaves + nodes)", best_of(tree, runs)),
    ]


def bare_read(db: Database) -> Timed:
    """Seconds to read every entry's bytes and leaf hash through the DB-API cursor, nothing else."""
    sql = verify_module._ENTRIES[db.engine.dialect.name]
    with raw_cursor(db) as cursor:

        def read() -> None:
            cursor.execute(sql)
            while cursor.fetchmany(verify_module.BATCH):
                pass

        return best_of(read, 1)


def raw_sha256(blobs: Sequence[bytes], runs: int = 3) -> Timed:
    """Seconds for hashlib.sha256 over every entry's bytes, in memory (the baseline); best of `runs`."""
    sha256 = hashlib.sha256

    def each() -> None:
        for blob in blobs:
            sha256(blob).digest()

    return best_of(each, runs)


VERIFY_IN_A_FRESH_PROCESS = """
import gc, json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
import ledger_costs
from truce.db import connect
from truce.integrity import verify
from truce.ledger import keys
db = connect(sys.argv[1])
key = keys.load(Path(sys.argv[2])).verifier()
seconds = {}
for way in ("shipped",):
    gc.collect()
    started, cpu_started = time.perf_counter(), time.process_time()
    with db.session(write=False) as session:
        report = verify.verify(session, key, ())
    problems = len(report.problems) + (report.checkpoints != 1)
    seconds[way] = (time.perf_counter() - started, time.process_time() - cpu_started)
    if problems:
        raise SystemExit(f"{way}: {problems} problems in an intact log")
print(json.dumps(seconds))
"""


def time_verify(url: str, key_dir: Path) -> dict[str, Timed]:
    """Seconds for verify(session, key, ()) in a new interpreter (start-up not counted).

    A new process is used so that the garbage collector has what a real `truce log verify` has to
    walk, not this benchmark's generated data. Fails loudly unless the log is intact.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("TRUCE_DATABASE_URL", "TRUCE_DATA_DIR")}
    command = [sys.executable, "-c", VERIFY_IN_A_FRESH_PROCESS, url, str(key_dir), str(Path(__file__).parent)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"verify in a fresh process failed:\n{done.stdout}{done.stderr}")
    seconds: dict[str, list[float]] = json.loads(done.stdout.strip().splitlines()[-1])
    return {way: (wall, cpu) for way, (wall, cpu) in seconds.items()}


def time_phases(db: Database, signer: note.Signer) -> list[tuple[str, float]]:
    """Seconds spent in each step `verify` takes, run one by one, plus bare reads for comparison."""
    phases: list[tuple[str, float]] = []
    with db.session(write=False) as session:
        report = verify_module.Report()

        def timed(label: str, work: Callable[[], Any]) -> Any:
            gc.collect()
            started = time.perf_counter()
            result = work()
            phases.append((label, time.perf_counter() - started))
            return result

        leaves = timed(
            "entries: read, hash, compare (_check_entries)", lambda: verify_module._check_entries(session, report, None)
        )
        tree = timed("tree levels rebuilt (Levels)", lambda: verify_module.Levels(leaves))
        timed("stored subtree hashes checked (_check_nodes)", lambda: verify_module._check_nodes(session, tree, report))

        def head_and_checkpoints() -> None:
            verify_module._check_head(session, tree, report)
            verify_module._check_checkpoints(session, tree, signer.verifier(), report)

        timed("head and checkpoint checked", head_and_checkpoints)
        if not report.intact:
            raise AssertionError(f"the phases found problems: {report.problems[:3]}")
        entries = select(LogEntry.idx, LogEntry.data, LogEntry.leaf_hash).order_by(LogEntry.idx)
        nodes = select(LogNode.level, LogNode.idx, LogNode.hash).order_by(LogNode.level, LogNode.idx)
        timed(
            "  for comparison: entries read through the session only",
            lambda: _drain(session.execute(entries.execution_options(yield_per=verify_module.BATCH))),
        )
        timed(
            "  for comparison: entries read through Core",
            lambda: _drain(session.connection().execute(entries.execution_options(yield_per=verify_module.BATCH))),
        )
        timed(
            "  for comparison: nodes read through the session only",
            lambda: _drain(session.execute(nodes.execution_options(yield_per=verify_module.BATCH))),
        )
    with raw_cursor(db) as cursor:

        def raw_entries() -> None:
            cursor.execute("SELECT idx, data, leaf_hash FROM log_entries ORDER BY idx")
            while cursor.fetchmany(verify_module.BATCH):
                pass

        timed("  for comparison: entries read through the DB-API cursor", raw_entries)
    return phases


def _drain(rows: Any) -> None:
    for _ in rows:
        pass


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


def truce_command() -> str:
    """The `truce` script installed beside this interpreter, else the one on PATH."""
    beside = Path(sys.executable).with_name("truce")
    if beside.exists():
        return str(beside)
    found = shutil.which("truce")
    if found is None:
        raise SystemExit("cannot find the `truce` command; run `make install` first")
    return found


def time_cli(data_dir: Path) -> tuple[Timed, str]:
    """Seconds for `truce log verify --data-dir DIR` in a subprocess, and its last line of output."""
    env = {k: v for k, v in os.environ.items() if k not in ("TRUCE_DATABASE_URL", "TRUCE_DATA_DIR")}
    command = [truce_command(), "log", "verify", "--data-dir", str(data_dir)]
    started, children = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    elapsed = (time.perf_counter() - started, cpu)
    output = (done.stdout + done.stderr).strip()
    if done.returncode != 0 or "intact" not in output:
        raise AssertionError(f"`truce log verify` failed ({done.returncode}):\n{output}")
    return elapsed, output.splitlines()[-1]


def measure_verify(db: Database, data_dir: Path, log: Log, *, cli: bool) -> None:
    size, megabytes = log.size, log.data_bytes / 1e6
    print(
        f"\n2. `truce log verify` over {size:,} entries "
        f"({megabytes:,.0f} MB of entry data, {megabytes * 1e6 / size:.0f} bytes each), SQLite"
    )
    print(f"  load average at the start: {os.getloadavg()[0]:.1f}")
    raw = raw_sha256(log.blobs)
    fresh = time_verify(str(db.engine.url), data_dir)
    rows = [
        ("hashlib.sha256 over the entries in memory (baseline)", raw),
        *hashing_floors(log.blobs),
        ("  bare DB-API read of the entries' bytes and leaf hashes", bare_read(db)),
        ("verify(session, key, ()) end to end", fresh["shipped"]),
    ]
    if cli:
        cli_seconds, last_line = time_cli(data_dir)
        rows.append(("`truce log verify --data-dir` (whole command)", cli_seconds))
    print_verify_rows(rows, raw, size, megabytes)
    if cli:
        print(f"  the command said: {last_line}")
    shipped = fresh["shipped"]
    print(
        f"  target: verify at {TARGET_VERIFY_SHARE:.0%} of raw SHA-256 or better; measured "
        f"{raw[0] / shipped[0]:.1%} by wall-clock time, {raw[1] / shipped[1]:.1%} by CPU time"
    )
    print("  phases of verify, run one by one in this process (generated data frozen out of the collector's way):")
    try:
        phases = time_phases(db, keys.load(data_dir))
    except AttributeError as exc:
        print(f"    not available: the verify module changed ({exc})")
        return
    for label, seconds in phases:
        print(f"    {label:62} {seconds:7.2f} s")


def print_verify_rows(rows: Sequence[tuple[str, Timed]], raw: Timed, size: int, megabytes: float) -> None:
    print(
        f"  {'in a new process, start-up not counted':58} {'seconds':>8} {'CPU s':>6} {'entries/s':>10} "
        f"{'MB/s':>6} {'of raw':>7} {'by CPU':>7}"
    )
    for label, (wall, cpu) in rows:
        print(
            f"  {label:58} {wall:8.2f} {cpu:6.2f} {size / wall:10,.0f} {megabytes / wall:6.1f} "
            f"{raw[0] / wall:7.1%} {raw[1] / cpu:7.1%}"
        )


# --- part 3: proofs -------------------------------------------------------------------------------


def time_proofs(db: Database, size: int, count: int, rng: random.Random) -> list[Latencies]:
    """Random inclusion and consistency proofs against the full tree, one read session each.

    Each proof is asked twice in a row, once with `StoredNodes.nodes` as shipped and once with the
    proposed query, so that both ways meet the same machine load; the order alternates.
    """

    def inclusion(index: int) -> dict[str, Any]:
        with db.session(write=False) as session:
            return ledger.inclusion(session, index, size)

    def consistency(first: int) -> dict[str, Any]:
        with db.session(write=False) as session:
            return ledger.consistency(session, first, size)

    kinds: list[tuple[str, Callable[[int], dict[str, Any]], Callable[[], int]]] = [
        ("inclusion", inclusion, lambda: rng.randrange(size)),
        ("consistency", consistency, lambda: rng.randrange(1, size)),
    ]
    shipped = ledger.StoredNodes.nodes
    ways = [("", shipped), (", OR query (proposed)", _nodes_by_or)]
    results = []
    try:
        for label, call, pick in kinds:
            arguments = [pick() for _ in range(count)]
            seconds: dict[str, list[float]] = {suffix: [] for suffix, _ in ways}
            warm_up = arguments[:WARM_UP]
            for number, argument in enumerate([*warm_up, *arguments]):
                for suffix, nodes in ways if number % 2 == 0 else ways[::-1]:
                    ledger.StoredNodes.nodes = nodes  # type: ignore[method-assign]
                    started = time.perf_counter()
                    answer = call(argument)
                    elapsed = time.perf_counter() - started
                    if number >= len(warm_up):
                        seconds[suffix].append(elapsed)
                    if number < len(warm_up) + 20:
                        check_proofs(label, [answer])
            results += [Latencies(label + suffix, seconds[suffix]) for suffix, _ in ways]
    finally:
        ledger.StoredNodes.nodes = shipped  # type: ignore[method-assign]
    return results


def check_proofs(kind: str, answers: Sequence[dict[str, Any]]) -> None:
    """Make sure the timed calls returned proofs that verify."""
    for answer in answers:
        if kind == "inclusion":
            ok = merkle.verify_inclusion(
                answer["index"],
                answer["size"],
                bytes.fromhex(answer["leaf_hash"]),
                [bytes.fromhex(h) for h in answer["hashes"]],
                bytes.fromhex(answer["root"]),
            )
        else:
            ok = merkle.verify_consistency(
                answer["first"],
                answer["second"],
                bytes.fromhex(answer["first_root"]),
                bytes.fromhex(answer["second_root"]),
                [bytes.fromhex(h) for h in answer["hashes"]],
            )
        if not ok:
            raise AssertionError(f"a {kind} proof did not verify: {answer}")


def proof_statements(db: Database, size: int) -> list[tuple[str, list[str]]]:
    """The SELECTs one inclusion proof sends, shortened, each with the backend's plan for it."""
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        seen.append((statement, parameters))

    with db.listening("before_cursor_execute", capture), db.session(write=False) as session:
        ledger.inclusion(session, size // 3, size)
    plans = []
    prefix = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN "
    with raw_cursor(db) as cursor:
        for statement, parameters in seen:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            short = " ".join(statement.split())
            cursor.execute(prefix + statement, parameters)
            plan = [str(row[-1] if db.is_sqlite else row[0]) for row in cursor.fetchall()]
            plans.append((short if len(short) < 110 else short[:107] + "...", plan))
    return plans


def print_plans(plans: Sequence[tuple[str, list[str]]]) -> None:
    for statement, plan in plans:
        print(f"    {statement}")
        for line in plan:
            print(f"        {line}")


def _nodes_by_or(self: ledger.StoredNodes, coords: Sequence[tuple[int, int]]) -> list[bytes]:
    """StoredNodes.nodes with `(level = ? AND idx IN (...)) OR ...` in place of `(level, idx) IN (...)`.

    SQLite (3.40) cannot search an index for a row-value IN list and scans log_nodes instead;
    an OR of per-level terms is searched on the primary key (MULTI-INDEX OR).
    """
    found: dict[tuple[int, int], bytes] = {}
    leaves = [index for level, index in coords if level == 0]
    by_level: dict[int, list[int]] = {}
    for level, index in coords:
        if level > 0:
            by_level.setdefault(level, []).append(index)
    if leaves:
        rows = self.session.execute(select(LogEntry.idx, LogEntry.leaf_hash).where(LogEntry.idx.in_(leaves)))
        found.update({(0, idx): leaf for idx, leaf in rows})
    if by_level:
        terms = [and_(LogNode.level == level, LogNode.idx.in_(indexes)) for level, indexes in by_level.items()]
        rows = self.session.execute(select(LogNode.level, LogNode.idx, LogNode.hash).where(or_(*terms)))
        found.update({(level, idx): node for level, idx, node in rows})
    missing = [c for c in coords if c not in found]
    if missing:
        raise LookupError(f"the log lacks subtree hashes {missing[:5]}")
    return [found[c] for c in coords]


@contextmanager
def proposed_node_query() -> Iterator[None]:
    """Inside: ledger.StoredNodes.nodes replaced by _nodes_by_or, in this process only."""
    original = ledger.StoredNodes.nodes
    ledger.StoredNodes.nodes = _nodes_by_or  # type: ignore[method-assign]
    try:
        yield
    finally:
        ledger.StoredNodes.nodes = original  # type: ignore[method-assign]


def report_proofs(backend: str, db: Database, size: int, count: int, rng: random.Random) -> None:
    print(f"\n3. Proofs at {size:,} entries, {backend}: {count:,} random proofs of each kind against the full tree")
    print(f"  load average at the start: {os.getloadavg()[0]:.1f}")
    timings = time_proofs(db, size, count, rng)
    print(f"  {'':40} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'target':>7}")
    for timing in timings:
        p50, p99, worst = timing.percentile_ms(50), timing.percentile_ms(99), max(timing.seconds) * 1000
        print(f"  {timing.label:40} {p50:7.2f} {p99:7.2f} {worst:7.2f} {TARGET_PROOF_MS:7.1f}")
    print("  statements of one inclusion proof as shipped, with their plans:")
    print_plans(proof_statements(db, size))
    print("  the node statement as proposed, with its plan:")
    with proposed_node_query():
        print_plans([p for p in proof_statements(db, size) if "FROM log_nodes" in p[0]][:1])


# --- running --------------------------------------------------------------------------------------


def postgis_database(url: str) -> Database:
    """The PostGIS database at `url`, emptied: schema public dropped and recreated."""
    db = connect(url)
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    return db


def run_sqlite_log(root: Path, log: Log, args: argparse.Namespace, rng: random.Random) -> None:
    data_dir = root / "log-data"
    data_dir.mkdir()
    db = connect(f"sqlite:///{data_dir / 'truce.db'}")
    try:
        schema.upgrade(db.engine)
        seconds = fill_with_core(db, log)
        rows = log.size + len(log.nodes)
        print(
            f"\nSQLite: {log.size:,} entries and {len(log.nodes):,} subtree hashes inserted in {seconds:.1f} s "
            f"({rows / seconds:,.0f} rows/s, Core executemany)"
        )
        sign_checkpoint(db, data_dir)
        measure_verify(db, data_dir, log, cli=not args.skip_cli)
        report_proofs("SQLite", db, log.size, args.proofs, rng)
    finally:
        db.dispose()


def run_postgis_log(url: str, root: Path, log: Log, args: argparse.Namespace, rng: random.Random) -> None:
    db = postgis_database(url)
    try:
        schema.upgrade(db.engine)
        seconds = fill_with_copy(db, log)
        count = log.size + len(log.nodes)
        print(
            f"\nPostGIS: {log.size:,} entries and {len(log.nodes):,} subtree hashes inserted in {seconds:.1f} s "
            f"({count / seconds:,.0f} rows/s, COPY)"
        )
        data_dir = root / "pg-key"
        data_dir.mkdir()
        sign_checkpoint(db, data_dir)
        raw = raw_sha256(log.blobs)
        fresh = time_verify(url, data_dir)
        print(f"  verify over {log.size:,} entries:")
        rows = [
            ("  bare DB-API read of the entries' bytes and leaf hashes", bare_read(db)),
            ("verify(session, key, ()) end to end", fresh["shipped"]),
        ]
        print_verify_rows(rows, raw, log.size, log.data_bytes / 1e6)
        report_proofs("PostGIS", db, log.size, args.proofs, rng)
    finally:
        db.dispose()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=5_000, help="incidents per run of part 1 (default 5000)")
    parser.add_argument(
        "--entries",
        type=int,
        default=100_000,
        help="log entries for parts 2 and 3 (default 100000; BENCHMARKS.md uses 1000000)",
    )
    parser.add_argument("--rounds", type=int, default=1, help="rounds of part 1, each variant once a round (default 1)")
    parser.add_argument(
        "--turns",
        type=int,
        default=0,
        metavar="N",
        help="part 1 with the variants taking turns of N incidents in one process, instead of rounds of runs",
    )
    parser.add_argument("--proofs", type=int, default=1_000, help="timed proofs of each kind (default 1000)")
    parser.add_argument("--skip-writes", action="store_true", help="skip part 1")
    parser.add_argument("--skip-cli", action="store_true", help="do not time the `truce log verify` command")
    parser.add_argument(
        "--pg",
        default=os.environ.get("TRUCE_BENCH_DATABASE_URL", ""),
        help="PostGIS URL for part 3 too; that database is WIPED (default: $TRUCE_BENCH_DATABASE_URL)",
    )
    args = parser.parse_args()
    if args.incidents < 1 or args.rounds < 1 or args.turns < 0 or args.entries < 2 or args.proofs < 2:
        parser.error("--incidents and --rounds must be at least 1, --entries and --proofs at least 2")
    return args


def main() -> None:
    args = parse_args()
    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory(prefix="truce-bench-ledger-") as directory:
        root = Path(directory)
        if not args.skip_writes and args.turns:
            measure_writes_interleaved(root, args.incidents, args.turns, rng)
        elif not args.skip_writes:
            measure_writes(root, args.incidents, args.rounds, rng)
        started = time.perf_counter()
        gc.disable()
        log = generate_log(args.entries, rng)
        gc.enable()
        # Keep the collector from walking millions of generated rows during the timings; the CLI has none.
        gc.collect()
        gc.freeze()
        print(f"\n{log.size:,} entries generated with their hashes in {time.perf_counter() - started:.1f} s")
        run_sqlite_log(root, log, args, rng)
        if args.pg:
            run_postgis_log(args.pg, root, log, args, rng)
        else:
            print("\nPostGIS: skipped (pass --pg URL or set TRUCE_BENCH_DATABASE_URL)")


if __name__ == "__main__":
    main()
