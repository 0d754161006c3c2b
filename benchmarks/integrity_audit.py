"""A party's incremental audit of the newest entries of a big log, over loopback; and `verify` against raw SHA-256.

    .venv/bin/python benchmarks/integrity_audit.py [--entries 1000000] [--new 1000]

Builds a SQLite data directory with the demo mission and ENTRIES log entries (about 300 bytes each, readable by the
demo admin), signs a checkpoint at ENTRIES - NEW, serves it with `truce serve`'s app in a thread on loopback, and
times `truce.integrity.audit.audit` from a party state at that checkpoint: it fetches the new checkpoint (the
server rehashes the NEW entries before it signs), one page of NEW entries, checks each against its leaf hash and
the signed root. Then times `verify` over the whole log against `hashlib.sha256` over the same entry bytes.
Targets (issue 16): the audit of 1,000 new entries at 1,000,000 in at most 1 second; verify at 25% of the baseline.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import resource
import socket
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("TRUCE_PASSWORD_HASHING", "fast")

import httpx2 as httpx
import uvicorn

from truce import schema, serving
from truce.app import create_app
from truce.config import Settings
from truce.db import Database, connect
from truce.demo import loader
from truce.integrity import audit as party
from truce.integrity import verify as verifying
from truce.integrity.verify import verify
from truce.ledger import keys, merkle
from truce.ledger import service as ledger
from truce.ledger.models import LogHead
from truce.ledger.store import HEAD_ID
from truce.models import LOGGED

TEMPLATE = (
    '{{"action":"site.update","actor":"admin","delegation":"ru","entity":{{"id":{entity},"lat":{lat},"lon":{lon},'
    '"name":"Post {entity:06d}","note":"checked at dawn","status":"active"}},"entity_id":"{entity}",'
    '"entity_type":"bench","evidence":[],"index":{index},"mission_id":1,"time":"{time}"}}'
)
BATCH = 50_000


def build(directory: Path, total: int, new: int) -> tuple[Database, Settings]:
    """The demo mission, then bench entries up to `total`, with a stored checkpoint at `total - new`."""
    settings = Settings(data_dir=directory, secret_key="benchmark-secret-key-that-is-long-enough-0123456789")  # noqa: S106 - a throwaway
    db = connect(f"sqlite:///{directory / 'truce.db'}")
    schema.upgrade(db.engine)
    signer = keys.load_or_create(directory, "truce.bench/log")
    with db.session() as session:
        loader.load(session, incidents=50)
    with db.session(write=False) as session:
        start, border = ledger.size(session), session.get(LogHead, HEAD_ID)
        assert border is not None
        tree = merkle.CompactRange.from_border(start, [bytes.fromhex(h) for h in border.border])
    _extend(db, tree, total - new)
    with db.session() as session:
        ledger.checkpoint(session, signer)
    _extend(db, tree, total)
    return db, settings


def _extend(db: Database, tree: merkle.CompactRange, end: int) -> None:
    when = datetime(2021, 1, 1, tzinfo=UTC)
    sql = (
        "INSERT INTO log_entries (idx, time, mission_id, actor, delegation, action, entity_type, entity_id, data, "
        "leaf_hash) VALUES (?, ?, 1, 'admin', 'ru', 'site.update', 'bench', ?, ?, ?)"
    )
    with db.engine.begin() as connection:
        while tree.size < end:
            entries, nodes = [], []
            for index in range(tree.size, min(end, tree.size + BATCH)):
                entity = index % 200_000
                stamp = (when + timedelta(microseconds=index * 7919)).isoformat()
                data = TEMPLATE.format(entity=entity, lat=39.5 + index % 997 / 1000, lon=46.5, index=index, time=stamp)
                leaf = merkle.leaf_hash(data.encode())
                nodes += tree.append(leaf)[1:]
                entries.append((index, stamp.replace("T", " ").removesuffix("+00:00"), str(entity), data, leaf))
            connection.exec_driver_sql(sql, entries)
            connection.exec_driver_sql("INSERT INTO log_nodes (level, idx, hash) VALUES (?, ?, ?)", nodes)
        connection.exec_driver_sql(
            "UPDATE log_head SET size = ?, border = ?", (tree.size, _json([h.hex() for h in tree.border_hashes()]))
        )


def _json(value: list[str]) -> str:
    import json

    return json.dumps(value)


def _port(wanted: int) -> int:
    """`wanted`, or a free port the system picks when it is 0."""
    if wanted:
        return wanted
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(settings: Settings, db: Database, port: int = 0) -> tuple[str, uvicorn.Server]:
    port = _port(port)
    # The parser and loop every `truce` server runs (truce.serving), not whatever this environment holds.
    config = uvicorn.Config(create_app(settings, db), host="127.0.0.1", port=port, log_level="error",
                            http=serving.HTTP, loop=serving.LOOP)  # fmt: skip
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(f"{url}/healthz", timeout=1)
            return url, server
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError("the server did not start")


def time_audit(url: str, db: Database, settings: Settings) -> tuple[float, party.Result]:
    with db.session(write=False) as session:
        stored = ledger.latest_checkpoint(session)
        assert stored is not None
        tree = merkle.CompactRange.load(stored.size, ledger.StoredNodes(session))
    state = party.State(stored.size, tree.root(), tree.border_hashes(), stored.note)
    server = keys.load(settings.data_dir).verifier()
    token = httpx.post(f"{url}/api/v1/auth/token", data={"username": "admin", "password": loader.DEMO_PASSWORD})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        started = time.perf_counter()
        result = party.audit(client, server, stored.note, state)
        return time.perf_counter() - started, result


MODES = {
    "workers": "worker processes reading their own ranges (truce log verify)",
    "two": "leaves hashed in a second process (in a transaction)",
    "one": "one process",
}


def time_verify(db: Database, settings: Settings, mode: str) -> tuple[float, float, float, int, int]:
    """Seconds of verify: wall, CPU of this process, CPU of its worker processes; the entries and their bytes.

    `mode` (what verify does from 131,072 entries on a machine of two cores or more): `workers`, as `truce log
    verify` does on committed data, one worker per core reads and checks its own ranges on its own connection;
    `two`, as in a transaction, leaves hashed in a second process while this one reads; `one`, all in this process.
    """
    server = keys.load(settings.data_dir).verifier()
    verifying.PARALLEL_FROM = 1 << 62 if mode == "one" else 8 * verifying.HASHED_BATCH
    readers = db.engine.url.render_as_string(hide_password=False) if mode == "workers" else None
    with db.session(write=False) as session:
        gc.collect()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall, cpu = time.perf_counter(), time.process_time()
        report = verify(session, server, LOGGED, readers=readers)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        worker = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
        assert report.intact, report.problems[:5]
        size = sum(len(d) for (d,) in session.connection().exec_driver_sql("SELECT data FROM log_entries"))
    return wall, cpu, worker, report.entries, size


def raw_sha256(db: Database) -> float:
    """CPU seconds of one `hashlib.sha256` per entry over the same bytes, already in memory (the baseline)."""
    with db.engine.connect() as connection:
        blobs = [d.encode() for (d,) in connection.exec_driver_sql("SELECT data FROM log_entries")]
    sha256 = hashlib.sha256
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for blob in blobs:
            sha256(blob).digest()
        best = min(best, time.process_time() - started)
    return best


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_replica(url: str, settings: Settings, directory: Path, size: int, port: int = 0) -> dict[str, float]:
    """`truce replica` (its own process) verifying and keeping all `size` entries: seconds, CPU and peak RSS."""
    import subprocess
    import sys

    port = _port(port)
    key = keys.load(settings.data_dir).verifier_text()
    command = [sys.executable, "-m", "truce", "replica", "--server", url, "--server-key", key, "--user", "admin",
               "--data-dir", str(directory), "--port", str(port)]  # fmt: skip
    env = {**os.environ, "TRUCE_PASSWORD": loader.DEMO_PASSWORD}
    started, server_cpu = time.perf_counter(), time.process_time()
    with subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as process:
        try:
            while True:
                time.sleep(0.5)
                try:
                    status = httpx.get(f"http://127.0.0.1:{port}/api/v1/replica/status", timeout=30).json()
                except httpx.HTTPError:
                    continue
                if status["size"] >= size or status["status"] != "ok":
                    break
            found = {"seconds": time.perf_counter() - started, "cpu": _cpu_seconds(process.pid)}
            found["server_cpu"] = time.process_time() - server_cpu
            for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    found["peak_mb"] = int(line.split()[1]) / 1024
            assert status["status"] == "ok", status
        finally:
            process.terminate()
    return found


def uptime() -> str:
    return "load average " + " ".join(f"{load:.1f}" for load in os.getloadavg())


def open_or_build(directory: Path, total: int, new: int) -> tuple[Database, Settings, bool]:
    """The data directory built by an earlier run with `--data`, or a new one; whether it was built now."""
    if (directory / "truce.db").exists():
        settings = Settings(data_dir=directory, secret_key="benchmark-secret-key-that-is-long-enough-0123456789")  # noqa: S106 - a throwaway
        return connect(f"sqlite:///{directory / 'truce.db'}"), settings, False
    directory.mkdir(parents=True, exist_ok=True)
    started, cpu = time.perf_counter(), time.process_time()
    db, settings = build(directory, total, new)
    print(f"built a log of {total:,} entries in {time.perf_counter() - started:.1f} s "
          f"({time.process_time() - cpu:.1f} s CPU; {uptime()})", flush=True)  # fmt: skip
    return db, settings, True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--new", type=int, default=1000)
    parser.add_argument("--replica", action="store_true", help="also time a replica's catch-up of the whole log")
    parser.add_argument("--no-verify", action="store_true", help="skip verify and its baseline")
    parser.add_argument("--data", type=Path, help="build the log here once and reuse it (the audit runs on a new one)")
    parser.add_argument("--port", type=int, default=0, help="the server's port (the replica's is the next)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="truce-bench-audit-") as scratch:
        db, settings, built = open_or_build(args.data or Path(scratch) / "log", args.entries, args.new)
        url, server = serve(settings, db, args.port)
        if built:
            seconds, result = time_audit(url, db, settings)
            again, _ = time_audit(url, db, settings)
            print(
                f"incremental audit of {args.new:,} new entries at {args.entries:,}: {seconds:.3f} s "
                f"(the server signs the new checkpoint), {again:.3f} s again (checkpoint already signed); "
                f"{result.read:,} checked against their data, {result.hashes_only:,} by leaf hash; target <= 1 s "
                f"({uptime()})",
                flush=True,
            )
        if args.replica:
            found = time_replica(url, settings, Path(scratch) / "replica", args.entries, args.port and args.port + 1)
            print(
                f"replica catch-up of {args.entries:,} entries over loopback: {found['seconds']:.0f} s wall, "
                f"{found['cpu']:.1f} s CPU in the replica, {found['server_cpu']:.1f} s CPU in the server's process; "
                f"peak RSS of the replica {found.get('peak_mb', 0):.0f} MB; target <= 180 s ({uptime()})",
                flush=True,
            )
        server.should_exit = True
        if not args.no_verify:
            baseline = raw_sha256(db)
            print(f"raw hashlib.sha256 per entry: {baseline:.2f} s CPU ({uptime()})", flush=True)
            for mode, described in MODES.items():
                wall, cpu, worker, entries, size = time_verify(db, settings, mode)
                # With the ranges handed out in turn the workers share the work evenly: each has its share of it.
                workers = min(os.cpu_count() or 1, verifying.ranges.MAX_WORKERS) if mode == "workers" else 1
                critical = cpu + worker / workers if mode == "workers" else max(cpu, worker)
                print(
                    f"verify ({described}): {entries:,} entries, {size / 1e6:.0f} MB in {wall:.2f} s wall, "
                    f"{cpu:.2f} s CPU here + {worker:.2f} s CPU in {workers} worker process(es): "
                    f"{entries / wall:,.0f} entries/s by wall; baseline / wall {baseline / wall:.1%}, "
                    f"baseline / CPU of the critical path ({critical:.2f} s) {baseline / critical:.1%}, "
                    f"baseline / all CPU {baseline / (cpu + worker):.1%} (target 25%) ({uptime()})",
                    flush=True,
                )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of this process: {peak:.0f} MB; {uptime()}")
        db.dispose()


if __name__ == "__main__":
    main()
