"""Cost of the tamper-evident log: per write, `truce log verify` at 1,000,000 entries, and proofs.

What it measures (issue 3; DESIGN.md sections 4 and 10), in three parts:

1. Per write. N incidents (default 5,000) filed through `incidents.service.create`, one
   `db.session()` transaction each as the API has, on a fresh SQLite demo database; once as
   shipped and once with `truce.ledger.service.append` replaced by a no-op inside this process
   (the commit-time guard against unlogged writes, if the package has one, is switched off for
   that run too, or it would refuse every commit). Baseline: the no-op run. Target: with/without
   at most 1.3. Features are validated into `IncidentIn` before the clock starts, so the ratio is
   that of the service and its transaction alone (the strictest reading).
2. Verification. A fresh SQLite database filled with E canonical-JSON entries (default 100,000
   so that a default run stays short; BENCHMARKS.md has `--entries 1000000`) of about 300 bytes by
   Core executemany, with their leaf hashes (`merkle.leaf_hash`), every
   stored subtree hash (`merkle.CompactRange.append`), the log head and one signed checkpoint.
   Entries are of entity type "bench", which no logged table has, so the table-row comparison has
   nothing to do. Then `truce.ledger.verify.verify(session, key, ())` end to end, its phases one
   by one, and the whole `truce log verify --data-dir DIR` command in a subprocess. Baseline:
   `hashlib.sha256` over the same entry bytes in memory. Target: verify at 50% of raw or better.
3. Proofs. 1,000 random inclusion proofs and 1,000 random consistency proofs at E entries through
   `ledger.service.inclusion` / `consistency`, each in its own read session as one API request
   has; p50 and p99. Target: 5 ms. On SQLite (the database of part 2), and on PostGIS when
   `--pg URL` or TRUCE_BENCH_DATABASE_URL is given; there the entries go in with COPY, and the
   end-to-end `verify` is timed too. The PostGIS database at that URL is wiped (schema public
   dropped and recreated): give it a database of its own.

    .venv/bin/python benchmarks/ledger_costs.py [--incidents 5000] [--rounds 2] [--entries 100000]
        [--proofs 1000] [--skip-writes] [--skip-cli] [--pg URL]
"""

from __future__ import annotations

import argparse
import builtins
import gc
import hashlib
import json
import os
import random
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
from sqlalchemy.engine import Result
from sqlalchemy.orm import Session

from truce import schema
from truce.db import Database, connect
from truce.demo import loader
from truce.incidents import derive
from truce.incidents import service as incidents_service
from truce.incidents.schemas import IncidentIn
from truce.incidents.taxonomy import SOURCES, TAXONOMY
from truce.ledger import keys, merkle, note
from truce.ledger import service as ledger
from truce.ledger import verify as verify_module
from truce.ledger.canonical import canonical_json
from truce.ledger.models import LogEntry, LogHead, LogNode
from truce.missions import service as missions_service
from truce.missions.models import Mission
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


# --- a work-around, only if the package still needs it -------------------------------------------


def _dict_of_rows(rows: Any = (), **extra: Any) -> dict[Any, Any]:
    """`dict()` that accepts a SQLAlchemy Result: `dict(result)` fails, because Result has .keys()."""
    return builtins.dict(rows.all() if isinstance(rows, Result) else rows, **extra)


def work_around_dict_of_result(session: Session, mission: Mission) -> list[str]:
    """Patch `dict` inside the modules whose `dict(session.execute(...).tuples())` raises; their names.

    `dict(result)` sees `Result.keys()` and indexes the result by column name, so it raises
    TypeError ("... object is not subscriptable"). Nothing is patched when the package is fixed.
    """
    patched = []
    probes: list[tuple[Any, Callable[[], object]]] = [
        (derive, lambda: derive.map_index(session, mission)),
        (incidents_service, lambda: incidents_service.site_names(session, mission)),
    ]
    for module, probe in probes:
        try:
            probe()
        except TypeError as exc:
            if "not subscriptable" not in str(exc):
                raise
            module.dict = _dict_of_rows
            patched.append(module.__name__)
    return patched


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


def author(db: Database) -> tuple[Actor, list[str]]:
    """The demo monitor as the API sees them in nk-2020, and the modules patched to make filing work."""
    with db.session() as session:
        mission = missions_service.get_by_slug(session, MISSION_SLUG)
        user = users_service.get_by_name(session, AUTHOR)
        if mission is None or user is None:
            raise RuntimeError("the demo mission or its monitor is missing")
        patched = work_around_dict_of_result(session, mission)
        return users_service.actor_for(session, user, mission), patched


def _noop_append(session: Session, actor: Actor, action: str, record: Any, **_: Any) -> None:
    """What `ledger.append` is replaced with for the run without the log: nothing at all."""


def guard_listeners() -> list[tuple[str, Callable[..., Any]]]:
    """The Session listeners the ledger installs to refuse unlogged writes at commit, if any."""
    found = []
    for name, function in (
        ("after_flush", getattr(ledger, "_remember_changes", None)),
        ("before_commit", getattr(ledger, "_refuse_unlogged", None)),
    ):
        if function is not None and event.contains(Session, name, function):
            found.append((name, function))
    return found


@contextmanager
def ledger_patched(*, append: bool, guard: bool) -> Iterator[None]:
    """Inside: `ledger.append` as shipped or a no-op, and the unlogged-write guard on or off."""
    original = ledger.append
    removed = [] if guard else guard_listeners()
    for name, function in removed:
        event.remove(Session, name, function)
    if not append:
        ledger.append = _noop_append  # type: ignore[assignment]
    try:
        yield
    finally:
        ledger.append = original  # type: ignore[assignment]
        for name, function in removed:
            event.listen(Session, name, function)


def file_incidents(directory: Path, features: Sequence[dict[str, Any]], *, append: bool, guard: bool) -> float:
    """File every feature through the service, one transaction each, on a new demo database; per second."""
    db = demo_database(directory)
    try:
        actor, _ = author(db)
        incidents = [IncidentIn.model_validate(f) for f in features]
        with ledger_patched(append=append, guard=guard):
            started = time.perf_counter()
            for data in incidents:
                with db.session() as session:
                    mission = missions_service.get_by_slug(session, MISSION_SLUG)
                    assert mission is not None
                    incidents_service.create(session, mission, data, actor=actor)
            elapsed = time.perf_counter() - started
        with db.session(write=False) as session:
            logged = ledger.size(session)
        print(f"    {len(incidents):,} incidents filed in {elapsed:.1f} s; the log holds {logged:,} entries")
        return len(incidents) / elapsed
    finally:
        db.dispose()


def measure_writes(root: Path, count: int, rounds: int, rng: random.Random) -> None:
    print(f"\n1. Cost of the log per write: {count:,} incidents, one transaction each, SQLite, {rounds} rounds")
    with tempfile.TemporaryDirectory(dir=root) as probe:
        _, patched = author(demo_database(Path(probe)))
    if patched:
        print(f"  NOTE: worked around `dict(session.execute(...))` raising TypeError in {', '.join(patched)}")
    features = incident_features(count, rng)
    runs = [("with the log (as shipped)", True, True), ("ledger.append a no-op (baseline)", False, False)]
    if guard_listeners():
        runs.insert(1, ("with the log, commit guard off", True, False))
    rates: dict[str, list[float]] = {label: [] for label, _, _ in runs}
    for round_number in range(rounds):
        # Alternate the order, so that neither variant always runs on a warmer (or busier) machine.
        for label, append, guard in runs if round_number % 2 == 0 else runs[::-1]:
            print(f"  round {round_number + 1}, {label}:")
            directory = root / f"writes-{round_number}-{len(rates[label])}-{append}-{guard}"
            rates[label].append(file_incidents(directory, features, append=append, guard=guard))
    best = {label: max(values) for label, values in rates.items()}
    baseline = best[runs[-1][0]]
    print(f"\n  {'best of the rounds':36} {'incidents/s':>12} {'ms each':>8} {'ratio':>6}   all rounds, incidents/s")
    for label, rate in best.items():
        spread = ", ".join(f"{r:,.0f}" for r in rates[label])
        print(f"  {label:36} {rate:12,.0f} {1000 / rate:8.2f} {baseline / rate:6.2f}   {spread}")
    shipped = best[runs[0][0]]
    per_write = 1000 / shipped - 1000 / baseline
    ratio = baseline / shipped
    print(
        f"  the log costs {per_write:.2f} ms per write; "
        f"with/without = {ratio:.2f} (target at most {TARGET_WRITE_RATIO})"
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


def raw_sha256(blobs: Sequence[bytes], runs: int = 3) -> float:
    """Seconds for hashlib.sha256 over every entry's bytes, in memory (the baseline); best of `runs`."""
    sha256 = hashlib.sha256
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        for blob in blobs:
            sha256(blob).digest()
        best = min(best, time.perf_counter() - started)
    return best


def time_verify(db: Database, signer: note.Signer, size: int) -> float:
    """Seconds for `verify(session, key, ())` end to end; fails loudly unless the log is intact."""
    gc.collect()
    started = time.perf_counter()
    with db.session(write=False) as session:
        report = verify_module.verify(session, signer.verifier(), ())
    elapsed = time.perf_counter() - started
    if not report.intact or report.entries != size or report.checkpoints != 1:
        raise AssertionError(f"verify did not find the generated log intact: {report}")
    return elapsed


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
        timed(
            "head and checkpoint checked",
            lambda: (
                verify_module._check_head(session, tree, report),
                verify_module._check_checkpoints(session, tree, signer.verifier(), report),
            ),
        )
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


def sketch_of_faster_verify(db: Database) -> tuple[float, int]:
    """Seconds for the checks of the two heavy phases done the proposed way, and problems found.

    A sketch, not a replacement: for an intact log it checks what `_check_entries` and
    `_check_nodes` check (order, leaf hash, claimed index, every stored subtree hash), but it reads
    through the Core connection (plain rows) instead of the ORM session, and compares each level of
    stored subtree hashes as one byte string. It only counts problems, where verify names them.
    """
    sha256 = hashlib.sha256
    claimed_index = verify_module._claimed_index
    gc.collect()
    started = time.perf_counter()
    problems = 0
    with db.session(write=False) as session:
        connection = session.connection()
        leaves = bytearray()
        entries = select(LogEntry.idx, LogEntry.data, LogEntry.leaf_hash).order_by(LogEntry.idx)
        rows = connection.execute(entries.execution_options(yield_per=verify_module.BATCH))
        for expected, (idx, data, stored) in enumerate(rows):
            leaf = sha256(b"\x00" + data.encode("utf-8")).digest()
            if idx != expected or leaf != stored or claimed_index(data) != idx:
                problems += 1
            leaves += leaf
        tree = verify_module.Levels(leaves)
        for level in range(1, len(tree.levels)):
            hashes = select(LogNode.hash).where(LogNode.level == level).order_by(LogNode.idx)
            stored_level = b"".join(connection.execute(hashes).scalars())
            if stored_level != tree.levels[level]:
                problems += 1
        beyond = select(LogNode.level, LogNode.idx).where(LogNode.level >= len(tree.levels))
        problems += len(connection.execute(beyond).all())
    return time.perf_counter() - started, problems


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


def time_cli(data_dir: Path) -> tuple[float, str]:
    """Seconds for `truce log verify --data-dir DIR` in a subprocess, and its last line of output."""
    env = {k: v for k, v in os.environ.items() if k not in ("TRUCE_DATABASE_URL", "TRUCE_DATA_DIR")}
    command = [truce_command(), "log", "verify", "--data-dir", str(data_dir)]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    output = (done.stdout + done.stderr).strip()
    if done.returncode != 0 or "intact" not in output:
        raise AssertionError(f"`truce log verify` failed ({done.returncode}):\n{output}")
    return elapsed, output.splitlines()[-1]


def measure_verify(db: Database, data_dir: Path, log: Log, signer: note.Signer, *, cli: bool) -> None:
    size, megabytes = log.size, log.data_bytes / 1e6
    print(
        f"\n2. `truce log verify` over {size:,} entries "
        f"({megabytes:,.0f} MB of entry data, {megabytes * 1e6 / size:.0f} bytes each), SQLite"
    )
    raw = raw_sha256(log.blobs)
    end_to_end = time_verify(db, signer, size)
    rows = [
        ("hashlib.sha256 over the entries in memory (baseline)", raw),
        ("verify(session, key, ()) end to end", end_to_end),
    ]
    if cli:
        cli_seconds, last_line = time_cli(data_dir)
        rows.append(("`truce log verify --data-dir` (whole command)", cli_seconds))
    print(f"  {'':56} {'seconds':>8} {'entries/s':>11} {'MB/s':>7} {'of raw':>7}")
    for label, seconds in rows:
        share = raw / seconds
        print(f"  {label:56} {seconds:8.2f} {size / seconds:11,.0f} {megabytes / seconds:7.1f} {share:7.1%}")
    sketch, problems = sketch_of_faster_verify(db)
    if problems:
        raise AssertionError(f"the sketch of a faster verify found {problems} problems in an intact log")
    label = "sketch: Core reads, nodes compared level by level"
    print(f"  {label:56} {sketch:8.2f} {size / sketch:11,.0f} {megabytes / sketch:7.1f} {raw / sketch:7.1%}")
    if cli:
        print(f"  the command said: {last_line}")
    print(f"  target: verify at {TARGET_VERIFY_SHARE:.0%} of raw SHA-256 or better; measured {raw / end_to_end:.1%}")
    print("  phases, run one by one:")
    try:
        phases = time_phases(db, signer)
    except AttributeError as exc:
        print(f"    not available: the verify module changed ({exc})")
        return
    for label, seconds in phases:
        print(f"    {label:62} {seconds:7.2f} s")


# --- part 3: proofs -------------------------------------------------------------------------------


def time_proofs(db: Database, size: int, count: int, rng: random.Random) -> list[Latencies]:
    """Random inclusion and consistency proofs against the full tree, one read session each."""

    def inclusion(index: int) -> dict[str, Any]:
        with db.session(write=False) as session:
            return ledger.inclusion(session, index, size)

    def consistency(first: int) -> dict[str, Any]:
        with db.session(write=False) as session:
            return ledger.consistency(session, first, size)

    results = []
    for label, call, pick in (
        ("inclusion", inclusion, lambda: rng.randrange(size)),
        ("consistency", consistency, lambda: rng.randrange(1, size)),
    ):
        arguments = [pick() for _ in range(count)]
        for argument in arguments[:WARM_UP]:
            call(argument)
        seconds = []
        answers = []
        for argument in arguments:
            started = time.perf_counter()
            answers.append(call(argument))
            seconds.append(time.perf_counter() - started)
        check_proofs(label, answers[:20])
        results.append(Latencies(label, seconds))
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

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        with db.session(write=False) as session:
            ledger.inclusion(session, size // 3, size)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
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
    timings = time_proofs(db, size, count, rng)
    with proposed_node_query():
        proposed = time_proofs(db, size, count, rng)
    for timing in proposed:
        timing.label += ", OR query (proposed)"
    print(f"  {'':40} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'target':>7}")
    for timing in timings + proposed:
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
        signer = sign_checkpoint(db, data_dir)
        measure_verify(db, data_dir, log, signer, cli=not args.skip_cli)
        report_proofs("SQLite", db, log.size, args.proofs, rng)
    finally:
        db.dispose()


def run_postgis_log(url: str, root: Path, log: Log, args: argparse.Namespace, rng: random.Random) -> None:
    db = postgis_database(url)
    try:
        schema.upgrade(db.engine)
        seconds = fill_with_copy(db, log)
        rows = log.size + len(log.nodes)
        print(
            f"\nPostGIS: {log.size:,} entries and {len(log.nodes):,} subtree hashes inserted in {seconds:.1f} s "
            f"({rows / seconds:,.0f} rows/s, COPY)"
        )
        data_dir = root / "pg-key"
        data_dir.mkdir()
        signer = sign_checkpoint(db, data_dir)
        raw = raw_sha256(log.blobs)
        end_to_end = time_verify(db, signer, log.size)
        print(
            f"  verify(session, key, ()) end to end: {end_to_end:.2f} s, {log.size / end_to_end:,.0f} entries/s, "
            f"{raw / end_to_end:.1%} of raw SHA-256"
        )
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
    parser.add_argument("--rounds", type=int, default=2, help="rounds of part 1, each variant once a round (default 2)")
    parser.add_argument("--proofs", type=int, default=1_000, help="timed proofs of each kind (default 1000)")
    parser.add_argument("--skip-writes", action="store_true", help="skip part 1")
    parser.add_argument("--skip-cli", action="store_true", help="do not time the `truce log verify` command")
    parser.add_argument(
        "--pg",
        default=os.environ.get("TRUCE_BENCH_DATABASE_URL", ""),
        help="PostGIS URL for part 3 too; that database is WIPED (default: $TRUCE_BENCH_DATABASE_URL)",
    )
    args = parser.parse_args()
    if args.incidents < 1 or args.rounds < 1 or args.entries < 2 or args.proofs < 2:
        parser.error("--incidents and --rounds must be at least 1, --entries and --proofs at least 2")
    return args


def main() -> None:
    args = parse_args()
    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory(prefix="truce-bench-ledger-") as directory:
        root = Path(directory)
        if not args.skip_writes:
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
