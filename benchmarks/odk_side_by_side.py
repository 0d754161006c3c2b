"""Truce on PostgreSQL against ODK Central's backend, side by side, in alternating rounds (issue 24, part 3).

What it measures: the same client drives both servers with the phones' load of openrosa_submissions.py: per run,
2,000 submissions (after 400 to warm up), each an incident report with a distinct ~100 KB noise JPEG, sent by P
phones at once (8, then 16), each phone a client thread on a keep-alive connection, every answer 201. Each stack
runs N server processes (2 by default) on one PostgreSQL database: N `truce serve` processes, or N ODK Central
node processes (`node lib/bin/run-server.js`), each on its own port; phone i sends to process i mod N, as a
load balancer that keeps a phone on one server would. Truce's phones log in with a device token (HTTP Basic),
ODK's with an App User's key in the URL (`/v1/key/TOKEN/...`), each stack's cheapest phone log-in.

The warm-up is 400 because ODK Central's node processes need a few hundred requests before V8 has optimised
their code: with 50, as this script had until session 17, ODK's first run of a sitting (8 phones) measured 89/s
where its processes, warm, take 125/s; Truce's rate was the same with either (BENCHMARKS.md, session 17).

Rounds alternate which stack goes first (round 1: Truce then ODK; round 2: ODK then Truce; ...), so both see the
same load from the machine's other users. Neither database is emptied between rounds: both grow as a mission's
would, and each run prints each database's size (ODK keeps photos in its `blobs` table; Truce in its data
directory by default, whose size is printed beside its database's). Printed per run: submissions per second,
p50/p99 latency, CPU milliseconds per submission of the whole stack (the server processes' user + system time
from /proc, plus the PostgreSQL backends serving that stack's database, found in pg_stat_activity; PostgreSQL's
shared background processes, the WAL writer and checkpointer, are counted for neither), read once ODK Central's
worker has processed the run's submission events (two jobs per submission, after the 201: counted in ODK's run,
not slowing the next one), the client's own CPU per submission (its threads' user + system time, which includes
the kernel's work of sending 100 KB over loopback; it shares the machine's two cores with the stack), the
transactions per submission that the stack's database ended during the run (pg_stat_database; for Truce the
inverse of its batches' size, for ODK Central its worker's jobs included), the stack's memory (the proportional
set size, PSS, of the server processes and their PostgreSQL backends, so shared buffers are not counted once per
backend), the database sizes and the load average.

Not part of CI: ODK Central is set up by hand, from its source, outside this repository (none of its code is
committed here). As done on 2026-12-06 (central-backend at 4f5943d1, Node 20.20, npm 11, PostgreSQL 15), twice:

    # the source: the `fetch` tool's copy of github:getodk/central-backend, or `git clone` it
    git --git-dir=/work/.mirror/getodk+central-backend/repo --work-tree=/work/odk checkout HEAD -- .
    cd /work/odk && npm ci --omit=dev --engine-strict=false     # it asks for Node 24; Node 20 runs it
    psql -h 127.0.0.1 -U postgres -c "CREATE USER odk_phones3 WITH PASSWORD 'odk_phones3'" \\
         -c "CREATE DATABASE odk_central WITH OWNER=odk_phones3 ENCODING=UTF8"
    psql -h 127.0.0.1 -U postgres -d odk_central -c "CREATE EXTENSION CITEXT" \\
         -c "CREATE EXTENSION pg_trgm" -c "CREATE EXTENSION pgrowlocks"
    # config/local.json: {"default": {"database": {"host": "127.0.0.1", "user": "odk_phones3",
    #   "password": "odk_phones3", "database": "odk_central"}, "server": {"port": 18650}}}
    node lib/bin/run-migrations.js
    node lib/bin/run-server.js &                                # only to set up; this script starts its own
    echo PASSWORD | node lib/bin/cli.js -u bench@example.org user-create   # a strong one: ODK refuses weak ones
    node lib/bin/cli.js -u bench@example.org user-promote
    B=http://127.0.0.1:18650/v1                                 # then, with jq or by eye:
    curl -X POST $B/sessions -H 'Content-Type: application/json' \\
         -d '{"email": "bench@example.org", "password": "PASSWORD"}'           # its "token" is SESSION
    curl -X POST $B/projects -H "Authorization: Bearer SESSION" -H 'Content-Type: application/json' \\
         -d '{"name": "nk-2020"}'                                               # project 1
    .venv/bin/python benchmarks/odk_side_by_side.py --print-form | curl -X POST "$B/projects/1/forms?publish=true" \\
         -H "Authorization: Bearer SESSION" -H 'Content-Type: application/xml' --data-binary @-
    curl -X POST $B/projects/1/app-users -H "Authorization: Bearer SESSION" -H 'Content-Type: application/json' \\
         -d '{"displayName": "bench-phone"}'              # its "id" is ACTOR_ID; its "token" is the key, KEY
    curl -X POST $B/projects/1/forms/truce-nk-2020-incident/assignments/app-user/ACTOR_ID \\
         -H "Authorization: Bearer SESSION"
    kill %1                                                     # stop that server
    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE odk_central_template WITH TEMPLATE odk_central"

The form's publication event fails in ODK's worker queue (it asks Enketo, which is not running): harmless. ODK's
database is never emptied by this script, so before each measurement copy it afresh from the template, as Truce's
is wiped (DROP DATABASE odk_central; CREATE DATABASE odk_central WITH TEMPLATE odk_central_template OWNER
odk_phones3). Then, with Truce's ports from the low end of TRUCE_BENCH_PORTS (or --ports) and ODK's from
--odk-ports (default: Truce's + 20):

    TRUCE_BENCH_PORTS=18660-18679 .venv/bin/python benchmarks/odk_side_by_side.py --pg TRUCE_URL \\
        --odk-dir /work/odk --odk-key 'KEY' --odk-pg postgresql+psycopg://postgres@127.0.0.1:5432/odk_central \\
        --odk-ports 18650 [--rounds 3] [--phones 8 16] [--n 2000]

The database named by --pg is WIPED first: give it one of its own. ODK's is only read (its size, its backends).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
from sqlalchemy import create_engine, text

from many_workers import wipe
from openrosa_submissions import INSTANCE, SLUG, add_device, cpu_seconds, photos
from serve_startup import load_demo, server_environment, stop, truce_command

FORM = f"truce-{SLUG}-incident"
HEADERS = {"X-OpenRosa-Version": "1.0"}
# How long PostgreSQL's backends may take to report their transactions to pg_stat_database (PGSTAT_MIN_INTERVAL).
STATS_LAG_S = 1.5
# ODK Central's worker (lib/worker/worker.js) processes each submission's audit event after the 201: the events of
# submissions it has not yet processed, and would still retry.
ODK_PENDING = "SELECT count(*) FROM audits WHERE processed IS NULL AND failures < 5 AND action LIKE 'submission.%'"
# The XForm given to ODK Central: the fields of the instance this benchmark sends (openrosa_submissions.INSTANCE),
# typed as Truce's form types them where ODK checks (dates, numbers, the point); the photo, audio, video binary.
ODK_FORM = """\
<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml" \
xmlns:jr="http://openrosa.org/javarosa" xmlns:odk="http://www.opendatakit.org/xforms">
<h:head>
<h:title>Incident report</h:title>
<model odk:xforms-version="1.0.0">
<instance>
<data id="truce-nk-2020-incident" version="1">
<start/><end/><observed/><time_precision/><incident_type/><subtype/><source/><means/>
<placed_by/><location/><observer_site/><bearing_deg/><distance_km/>
<counts><events/><impacts/><airbursts/><outgoing/><undetermined/></counts>
<casualties><killed_civilian/><killed_combatant/><killed_unknown/><injured_civilian/><injured_combatant/><injured_unknown/></casualties>
<narrative/><classification/><photo/><audio/><video/>
<meta><instanceID/></meta>
</data>
</instance>
<bind nodeset="/data/start" type="dateTime" jr:preload="timestamp" jr:preloadParams="start"/>
<bind nodeset="/data/end" type="dateTime" jr:preload="timestamp" jr:preloadParams="end"/>
<bind nodeset="/data/observed" type="dateTime" required="true()"/>
<bind nodeset="/data/time_precision" type="string"/>
<bind nodeset="/data/incident_type" type="string" required="true()"/>
<bind nodeset="/data/subtype" type="string"/>
<bind nodeset="/data/source" type="string"/>
<bind nodeset="/data/means" type="string"/>
<bind nodeset="/data/placed_by" type="string"/>
<bind nodeset="/data/location" type="geopoint"/>
<bind nodeset="/data/observer_site" type="string"/>
<bind nodeset="/data/bearing_deg" type="int"/>
<bind nodeset="/data/distance_km" type="decimal"/>
<bind nodeset="/data/counts/events" type="int"/>
<bind nodeset="/data/counts/impacts" type="int"/>
<bind nodeset="/data/counts/airbursts" type="int"/>
<bind nodeset="/data/counts/outgoing" type="int"/>
<bind nodeset="/data/counts/undetermined" type="int"/>
<bind nodeset="/data/casualties/killed_civilian" type="int"/>
<bind nodeset="/data/casualties/killed_combatant" type="int"/>
<bind nodeset="/data/casualties/killed_unknown" type="int"/>
<bind nodeset="/data/casualties/injured_civilian" type="int"/>
<bind nodeset="/data/casualties/injured_combatant" type="int"/>
<bind nodeset="/data/casualties/injured_unknown" type="int"/>
<bind nodeset="/data/narrative" type="string"/>
<bind nodeset="/data/classification" type="string"/>
<bind nodeset="/data/photo" type="binary"/>
<bind nodeset="/data/audio" type="binary"/>
<bind nodeset="/data/video" type="binary"/>
<bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>
</model>
</h:head>
<h:body>
<input ref="/data/observed"><label>Observed</label></input>
<input ref="/data/time_precision"><label>Time precision</label></input>
<input ref="/data/incident_type"><label>Type</label></input>
<input ref="/data/subtype"><label>Subtype</label></input>
<input ref="/data/source"><label>Source</label></input>
<input ref="/data/means"><label>Means</label></input>
<input ref="/data/placed_by"><label>Placed by</label></input>
<input ref="/data/location"><label>Location</label></input>
<input ref="/data/observer_site"><label>Observer site</label></input>
<input ref="/data/bearing_deg"><label>Bearing</label></input>
<input ref="/data/distance_km"><label>Distance</label></input>
<group ref="/data/counts"><label>Counts</label>
<input ref="/data/counts/events"><label>Events</label></input>
<input ref="/data/counts/impacts"><label>Impacts</label></input>
<input ref="/data/counts/airbursts"><label>Airbursts</label></input>
<input ref="/data/counts/outgoing"><label>Outgoing</label></input>
<input ref="/data/counts/undetermined"><label>Undetermined</label></input>
</group>
<group ref="/data/casualties"><label>Casualties</label>
<input ref="/data/casualties/killed_civilian"><label>Killed civilian</label></input>
<input ref="/data/casualties/killed_combatant"><label>Killed combatant</label></input>
<input ref="/data/casualties/killed_unknown"><label>Killed unknown</label></input>
<input ref="/data/casualties/injured_civilian"><label>Injured civilian</label></input>
<input ref="/data/casualties/injured_combatant"><label>Injured combatant</label></input>
<input ref="/data/casualties/injured_unknown"><label>Injured unknown</label></input>
</group>
<input ref="/data/narrative"><label>Narrative</label></input>
<input ref="/data/classification"><label>Classification</label></input>
<upload ref="/data/photo" mediatype="image/*"><label>Photo</label></upload>
<upload ref="/data/audio" mediatype="audio/*"><label>Audio</label></upload>
<upload ref="/data/video" mediatype="video/*"><label>Video</label></upload>
</h:body>
</h:html>
"""


@dataclass
class Stack:
    """One side: its server processes, where each listens, how a phone logs in, and its database."""

    name: str
    servers: list[subprocess.Popen[bytes]]
    submit_urls: list[str]
    auth: tuple[str, str] | None
    version: str
    database_url: str
    files_dir: Path | None = None
    # SQL counting the work the stack still owes its submissions after answering 201 (ODK Central's worker jobs).
    pending_sql: str | None = None


@dataclass
class Figures:
    per_s: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float
    server_ms: float
    pg_ms: float
    pss_mb: float
    db_mb: float
    files_mb: float
    client_ms: float
    xacts: float


def work(count: int, version: str) -> list[tuple[bytes, str, bytes]]:
    """Instances with distinct photos (fresh ones every run: both stores keep a photo once by its hash)."""
    result = []
    for index, photo in enumerate(photos(count)):
        name = f"{os.urandom(8).hex()}.jpg"
        xml = INSTANCE.format(form=FORM, version=version, minute=index % 60, lat=39.75 + (index % 97) * 0.002,
                              lon=46.6 + (index % 89) * 0.003, photo=name, uuid=_uuid())  # fmt: skip
        result.append((xml.encode(), name, photo))
    return result


def _uuid() -> str:
    raw = os.urandom(16).hex()
    return f"{raw[:8]}-{raw[8:12]}-4{raw[13:16]}-a{raw[17:20]}-{raw[20:]}"


def send(stack: Stack, items: list[tuple[bytes, str, bytes]], phones: int) -> tuple[float, list[float]]:
    """Seconds for `phones` client threads to send every item (phone i to server i mod N), and each latency."""
    pending: queue.Queue[tuple[bytes, str, bytes]] = queue.Queue()
    for item in items:
        pending.put(item)
    latencies: list[float] = []
    refused: list[str] = []

    def phone(number: int) -> None:
        url = stack.submit_urls[number % len(stack.submit_urls)]
        with httpx.Client(auth=stack.auth, headers=HEADERS, timeout=300) as client:
            while True:
                try:
                    xml, name, photo = pending.get_nowait()
                except queue.Empty:
                    return
                files = [
                    ("xml_submission_file", ("submission.xml", xml, "text/xml")),
                    (name, (name, photo, "image/jpeg")),
                ]
                began = time.perf_counter()
                answer = client.post(url, files=files)
                latencies.append(time.perf_counter() - began)
                if answer.status_code != 201:
                    refused.append(f"{answer.status_code} {answer.text[:200]}")

    threads = [threading.Thread(target=phone, args=(n,)) for n in range(phones)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if refused:
        raise SystemExit(f"{stack.name}: {len(refused)} submissions not answered 201, e.g. {refused[0]}")
    return time.perf_counter() - began, latencies


def column(url: str, sql: str) -> list[Any]:
    """The first column of the rows `sql` gives, on a connection of its own to the database of `url`."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql)).scalars())
    finally:
        engine.dispose()


def backends(url: str) -> list[int]:
    """The PostgreSQL backends serving the database of `url` (this query's own left out)."""
    sql = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    return [int(pid) for pid in column(url, sql)]


def transactions(url: str) -> int:
    """The transactions the database of `url` has ended so far, once its backends have reported them.

    A busy backend reports its counts at most once a second, and one gone idle within a second more: so wait.
    """
    time.sleep(STATS_LAG_S)
    sql = "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
    return int(column(url, sql)[0])


def database_mb(url: str) -> float:
    return int(column(url, "SELECT pg_database_size(current_database())")[0]) / 2**20


def cpu_of(pids: list[int]) -> dict[int, float]:
    seconds = {}
    for pid in pids:
        try:
            seconds[pid] = sum(cpu_seconds(pid))
        except (FileNotFoundError, ProcessLookupError):
            continue
    return seconds


def pss_mb(pids: list[int]) -> float:
    """Proportional set size of these processes: shared pages divided among the processes sharing them."""
    total = 0
    for pid in pids:
        try:
            lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        total += next((int(line.split()[1]) for line in lines if line.startswith("Pss:")), 0)
    return total / 1024


def tree_mb(path: Path | None) -> float:
    if path is None or not path.exists():
        return 0.0
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def one_run(stack: Stack, phones: int, count: int, warmup: int) -> Figures:
    items = work(warmup + count, stack.version)
    send(stack, items[:warmup], phones)
    servers = [server.pid for server in stack.servers]
    ended = transactions(stack.database_url)
    before = cpu_of(servers + backends(stack.database_url))
    client_before = time.process_time()
    seconds, latencies = send(stack, items[warmup:], phones)
    client_s = time.process_time() - client_before
    settle(stack)
    after = cpu_of(servers + backends(stack.database_url))
    ended = transactions(stack.database_url) - ended
    # A backend that started during the run counts from zero; one that ended is lost (the pools keep theirs).
    server_s = sum(after.get(pid, 0.0) - before.get(pid, 0.0) for pid in servers)
    pg_s = sum(after[pid] - before.get(pid, 0.0) for pid in after if pid not in servers)
    latencies.sort()
    return Figures(
        per_s=count / seconds,
        p50_ms=statistics.median(latencies) * 1000,
        p99_ms=latencies[int(len(latencies) * 0.99) - 1] * 1000,
        cpu_ms=(server_s + pg_s) / count * 1000,
        server_ms=server_s / count * 1000,
        pg_ms=pg_s / count * 1000,
        pss_mb=pss_mb(servers + backends(stack.database_url)),
        db_mb=database_mb(stack.database_url),
        files_mb=tree_mb(stack.files_dir),
        client_ms=client_s / count * 1000,
        xacts=ended / count,
    )


def settle(stack: Stack, limit_s: float = 300.0) -> None:
    """Wait until the stack has done the work its submissions left queued, so that its CPU is counted in its own
    run and not in the next one's (ODK Central runs two worker jobs per submission after the 201)."""
    if stack.pending_sql is None:
        return
    engine = create_engine(stack.database_url)
    try:
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                if not connection.execute(text(stack.pending_sql)).scalar():
                    return
            time.sleep(0.2)
        raise SystemExit(f"{stack.name}: its queued work did not finish within {limit_s:.0f} s")
    finally:
        engine.dispose()


@contextmanager
def truce_stack(url: str, processes: int, first_port: int, directory: Path) -> Iterator[Stack]:
    env = {**server_environment(), "TRUCE_DATABASE_URL": url}
    wipe(url)
    data_dir = directory / "truce-data"
    load_demo(data_dir, env)
    auth = add_device(data_dir, env)
    servers: list[subprocess.Popen[bytes]] = []
    try:
        for index in range(processes):
            port, log = first_port + index, directory / f"truce-{index}.log"
            command = [truce_command(), "serve", "--data-dir", str(data_dir), "--port", str(port)]
            with log.open("wb") as output:
                servers.append(subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT))
            wait_until(lambda port=port: _answers(f"http://127.0.0.1:{port}/healthz", 200), servers[-1], log)
        base = f"http://127.0.0.1:{first_port}"
        listing = httpx.get(f"{base}/openrosa/{SLUG}/formList", auth=auth, headers=HEADERS).text
        version = re.search(rf"<formID>{FORM}</formID><name>[^<]*</name><version>(\w+)</version>", listing)
        assert version, listing
        urls = [f"http://127.0.0.1:{first_port + i}/openrosa/{SLUG}/submission" for i in range(processes)]
        yield Stack("Truce", servers, urls, auth, version.group(1), url, data_dir)
    finally:
        for server in servers:
            stop(server)


@contextmanager
def odk_stack(odk_dir: Path, key: str, project: int, url: str, processes: int, first_port: int,
              directory: Path) -> Iterator[Stack]:  # fmt: skip
    servers: list[subprocess.Popen[bytes]] = []
    try:
        for index in range(processes):
            port, log = first_port + index, directory / f"odk-{index}.log"
            env = {**os.environ, "NODE_CONFIG": json.dumps({"default": {"server": {"port": port}}})}
            with log.open("wb") as output:
                servers.append(subprocess.Popen(["node", "lib/bin/run-server.js"], cwd=odk_dir, env=env, stdout=output,
                                                stderr=subprocess.STDOUT))  # fmt: skip
            probe = f"http://127.0.0.1:{port}/v1/key/{key}/projects/{project}/submission"
            wait_until(lambda probe=probe: _answers(probe, 204, "HEAD"), servers[-1], log)
        urls = [
            f"http://127.0.0.1:{first_port + i}/v1/key/{key}/projects/{project}/submission" for i in range(processes)
        ]
        yield Stack("ODK Central", servers, urls, None, "1", url, pending_sql=ODK_PENDING)
    finally:
        for server in servers:
            stop(server)


def _answers(url: str, status: int, method: str = "GET") -> bool:
    try:
        return httpx.request(method, url, headers=HEADERS, timeout=5).status_code == status
    except httpx.TransportError:
        return False


def wait_until(ready: Callable[[], bool], server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 300  # a loaded machine
    while time.monotonic() < deadline:
        if ready():
            return
        if server.poll() is not None:
            break
        time.sleep(0.5)
    raise SystemExit(f"a server did not start:\n{log.read_text()[-2000:]}")


def print_run(round_number: int, stack: Stack, phones: int, figures: Figures) -> None:
    files = f" + {figures.files_mb:.0f} MB of files" if stack.files_dir is not None else ""
    print(
        f"round {round_number} {stack.name:11} {phones:2} phones: {figures.per_s:6.1f}/s, "
        f"p50 {figures.p50_ms:5.0f} ms, p99 {figures.p99_ms:5.0f} ms; CPU {figures.cpu_ms:5.1f} ms per submission "
        f"(servers {figures.server_ms:4.1f}, PostgreSQL {figures.pg_ms:4.1f}; "
        f"the client {figures.client_ms:4.1f}); {figures.xacts:.2f} transactions per submission; "
        f"memory {figures.pss_mb:4.0f} MB PSS; database {figures.db_mb:5.0f} MB"
        f"{files}; load {' '.join(f'{x:.1f}' for x in os.getloadavg())}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=os.environ.get("TRUCE_BENCH_DATABASE_URL", ""), help="Truce's (WIPED)")
    parser.add_argument("--odk-dir", type=Path, help="central-backend's work tree, set up as the header says")
    parser.add_argument("--odk-key", help="the App User's key (token)")
    parser.add_argument("--odk-project", type=int, default=1)
    parser.add_argument("--odk-pg", help="ODK Central's database, as a SQLAlchemy URL (read only)")
    parser.add_argument("--processes", type=int, default=2, help="server processes per stack")
    parser.add_argument("--phones", type=int, nargs="+", default=[8, 16])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=400, help="submissions sent before each run's clock starts")
    bench_ports = os.environ.get("TRUCE_BENCH_PORTS", "")  # LOW-HIGH: Truce's servers listen from LOW
    parser.add_argument("--ports", type=int, default=int(bench_ports.split("-")[0]) if bench_ports else 18610,
                        help="Truce's first port (the low end of TRUCE_BENCH_PORTS if set)")  # fmt: skip
    parser.add_argument("--odk-ports", type=int, help="ODK's first port (default: --ports + 20)")
    parser.add_argument("--print-form", action="store_true", help="print the XForm to give ODK Central, and stop")
    args = parser.parse_args()
    if args.print_form:
        print(ODK_FORM, end="")
        return
    if not (args.pg and args.odk_dir and args.odk_key and args.odk_pg):
        raise SystemExit("odk_side_by_side needs --pg, --odk-dir, --odk-key and --odk-pg (see its header)")
    print(f"odk_side_by_side: {args.n} submissions per run, {args.processes} processes each; uptime: "
          f"{subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}", flush=True)  # fmt: skip
    odk_ports = args.ports + 20 if args.odk_ports is None else args.odk_ports
    with tempfile.TemporaryDirectory(prefix="truce-odk-side-by-side-") as name:
        directory = Path(name)
        with (
            truce_stack(args.pg, args.processes, args.ports, directory) as truce,
            odk_stack(
                args.odk_dir, args.odk_key, args.odk_project, args.odk_pg, args.processes, odk_ports, directory
            ) as odk,  # fmt: skip
        ):
            results: dict[tuple[str, int], list[Figures]] = {}
            for round_number in range(1, args.rounds + 1):
                order = [truce, odk] if round_number % 2 else [odk, truce]
                for phones in args.phones:
                    for stack in order:
                        figures = one_run(stack, phones, args.n, args.warmup)
                        results.setdefault((stack.name, phones), []).append(figures)
                        print_run(round_number, stack, phones, figures)
            for phones in args.phones:
                mine, theirs = results[("Truce", phones)], results[("ODK Central", phones)]
                rates = [a.per_s / b.per_s for a, b in zip(mine, theirs, strict=True)]
                cpu = [a.cpu_ms / b.cpu_ms for a, b in zip(mine, theirs, strict=True)]
                memory = [a.pss_mb / b.pss_mb for a, b in zip(mine, theirs, strict=True)]
                print(f"{phones} phones, Truce / ODK Central per round: submissions/s "
                      f"{', '.join(f'{r:.2f}' for r in rates)} (median {statistics.median(rates):.2f}); CPU per "
                      f"submission {', '.join(f'{c:.2f}' for c in cpu)}; memory "
                      f"{', '.join(f'{m:.2f}' for m in memory)}")  # fmt: skip
    print(f"uptime at the end: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")


if __name__ == "__main__":
    main()
