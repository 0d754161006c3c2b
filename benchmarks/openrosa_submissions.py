"""OpenRosa submissions per second, each an incident report with a 100 KB photo, on SQLite with one worker.

What it measures: a real `truce serve` process (one Uvicorn worker, SQLite in a temporary data directory holding
the demo mission) receives N submissions shaped as ODK Collect sends them: one HEAD, then for each instance a
multipart POST with the `xml_submission_file` part and a distinct ~100 KB JPEG named by its file name. Each becomes
an incident (validation, zone derivation, log entry), an evidence record in the content-addressed store (hashed,
fsynced, EXIF read) with its custody link, and the submission's own log entry. C phones send at once (16 by
default; a mission's fleet uploads in parallel), from client threads over keep-alive HTTP connections on the same
machine, so they share the two cores with the server; the figure is wall time from the first POST to the last
answer. It also prints the server's CPU time per submission, user and system, and the client's share of a core.
A device is registered with `truce device add`, so the requests authenticate with a device token (HTTP Basic),
as phones do.

Baseline: the target of issue 8, 200 submissions/s (ratio printed). For scale, `--in-process` also sends the
same kind of submissions one at a time through an in-process ASGI client (no sockets, no HTTP parsing).

    .venv/bin/python benchmarks/openrosa_submissions.py [--n 2000] [--clients 16] [--in-process]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import queue
import re
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx2 as httpx
from PIL import Image

from serve_startup import free_port, load_demo, pss_mb, rss_mb, server_environment, truce_command, wait_for_health

TARGET_PER_S = 200
PHOTO_SIDE = 330  # a noise JPEG this size at quality 90 is about 100 KB
SLUG = "nk-2020"
INSTANCE = (
    '<data xmlns="http://www.w3.org/2002/xforms" id="{form}" version="{version}">'
    "<start>2020-11-20T10:00:00.000+04:00</start><end>2020-11-20T10:05:00.000+04:00</end>"
    "<observed>2020-11-20T10:{minute:02d}:00.000+04:00</observed><time_precision>minute</time_precision>"
    "<incident_type>explosion</incident_type><subtype>mortar</subtype><source>post</source><means>heard</means>"
    "<placed_by>gps</placed_by><location>{lat:.5f} {lon:.5f} 1200 5</location><observer_site/><bearing_deg/>"
    "<distance_km/><counts><events/><impacts>3</impacts><airbursts/><outgoing/><undetermined/></counts>"
    "<casualties><killed_civilian/><killed_combatant/><killed_unknown/><injured_civilian/><injured_combatant/>"
    "<injured_unknown/></casualties><narrative>Impacts north of the post.</narrative>"
    "<classification>mission</classification><photo>{photo}</photo><audio/><video/>"
    "<meta><instanceID>uuid:{uuid}</instanceID></meta></data>"
)


def photos(count: int) -> list[bytes]:
    """Distinct noise JPEGs of about 100 KB each, so every submission stores a new file."""
    made = []
    for _ in range(count):
        buffer = io.BytesIO()
        Image.frombytes("RGB", (PHOTO_SIDE, PHOTO_SIDE), os.urandom(PHOTO_SIDE**2 * 3)).save(buffer, "JPEG", quality=90)
        made.append(buffer.getvalue())
    return made


def submissions(count: int, form: str, version: str) -> list[tuple[bytes, str, bytes]]:
    """Instances with their photos, spread over the demo area."""
    result = []
    for index, photo in enumerate(photos(count)):
        name = f"{uuid.uuid4().hex}.jpg"
        xml = INSTANCE.format(form=form, version=version, minute=index % 60, lat=39.75 + (index % 97) * 0.002,
                              lon=46.6 + (index % 89) * 0.003, photo=name, uuid=uuid.uuid4())  # fmt: skip
        result.append((xml.encode(), name, photo))
    return result


def add_device(data_dir: Path, env: dict[str, str]) -> tuple[str, str]:
    command = [truce_command(), "device", "add", "bench-phone", "--mission", SLUG, "--delegation", "ru",
               "--data-dir", str(data_dir)]  # fmt: skip
    printed = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    username = re.search(r"username: (\S+)", printed)
    token = re.search(r"token:\s+(\S+)", printed)
    if username is None or token is None:
        raise SystemExit(f"`truce device add` printed no username or token:\n{printed}")
    return username.group(1), token.group(1)


def cpu_seconds(pid: int) -> tuple[float, float]:
    """User and system CPU time a process has used, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def post(client: httpx.Client, work: tuple[bytes, str, bytes]) -> int:
    xml, name, photo = work
    files = [("xml_submission_file", ("submission.xml", xml, "text/xml")), (name, (name, photo, "image/jpeg"))]
    return client.post(f"/openrosa/{SLUG}/submission", files=files).status_code


def over_http(base: str, auth: tuple[str, str], work: list[tuple[bytes, str, bytes]], clients: int) -> dict[str, float]:
    headers = {"X-OpenRosa-Version": "1.0"}
    with httpx.Client(base_url=base, auth=auth, headers=headers, timeout=120) as probe:
        head = probe.head(f"/openrosa/{SLUG}/submission")
        assert head.status_code == 204, head.text
    pending: queue.Queue[tuple[bytes, str, bytes]] = queue.Queue()
    for item in work:
        pending.put(item)
    latencies: list[float] = []
    statuses: list[int] = []

    def sender() -> None:
        with httpx.Client(base_url=base, auth=auth, headers=headers, timeout=120) as client:
            while True:
                try:
                    item = pending.get_nowait()
                except queue.Empty:
                    return
                began = time.perf_counter()
                statuses.append(post(client, item))
                latencies.append(time.perf_counter() - began)

    threads = [threading.Thread(target=sender) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    failed = [s for s in statuses if s != 201]
    assert not failed, f"{len(failed)} submissions failed, e.g. status {failed[0]}"
    latencies.sort()
    return {"per_s": len(work) / elapsed, "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000, "seconds": elapsed}  # fmt: skip


def in_process(data_dir: Path, auth: tuple[str, str], work: list[tuple[bytes, str, bytes]]) -> float:
    from truce.app import create_app
    from truce.config import Settings

    app = create_app(Settings(data_dir=data_dir))

    async def run() -> float:
        transport = httpx.ASGITransport(app=app)
        headers = {"X-OpenRosa-Version": "1.0"}
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", auth=auth, headers=headers) as c:
            began = time.perf_counter()
            for xml, name, photo in work:
                files = [("xml_submission_file", ("s.xml", xml, "text/xml")), (name, (name, photo, "image/jpeg"))]
                answer = await c.post(f"/openrosa/{SLUG}/submission", files=files)
                assert answer.status_code == 201, answer.text
            return len(work) / (time.perf_counter() - began)

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="submissions to send")
    parser.add_argument(
        "--clients",
        type=int,
        default=16,
        help="phones sending at once: client threads, each with a keep-alive connection",
    )
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--in-process", action="store_true", help="also measure through an in-process ASGI client")
    args = parser.parse_args()
    env = server_environment()
    with tempfile.TemporaryDirectory(prefix="truce-openrosa-bench-") as directory:
        data_dir = Path(directory) / "data"
        load_demo(data_dir, env)
        auth = add_device(data_dir, env)
        form, port = f"truce-{SLUG}-incident", free_port()
        log = Path(directory) / "serve.log"
        with log.open("wb") as output:
            server = subprocess.Popen([truce_command(), "serve", "--data-dir", str(data_dir), "--port", str(port)],
                                      env=env, stdout=output, stderr=subprocess.STDOUT)  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for_health(server, f"{base}/healthz", log)
            with httpx.Client(base_url=base, auth=auth, headers={"X-OpenRosa-Version": "1.0"}) as client:
                listing = client.get(f"/openrosa/{SLUG}/formList").text
            version = re.search(rf"<formID>{form}</formID><name>[^<]*</name><version>(\w+)</version>", listing)
            assert version, listing
            print(f"preparing {args.warmup + args.n} submissions with distinct ~100 KB JPEGs ...", flush=True)
            work = submissions(args.warmup + args.n, form, version.group(1))
            print(f"photo size: {statistics.mean(len(p) for _, _, p in work) / 1024:.0f} KB on average")
            over_http(base, auth, work[: args.warmup], args.clients)
            cpu_before, client_before = cpu_seconds(server.pid), time.process_time()
            figures = over_http(base, auth, work[args.warmup :], args.clients)
            client_cpu = (time.process_time() - client_before) / figures["seconds"]
            user, system = (
                (after - before) * 1000 / args.n
                for after, before in zip(cpu_seconds(server.pid), cpu_before, strict=True)
            )
            cpu_ms = user + system
            rss, pss = rss_mb(server.pid), pss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
        print(f"uvicorn, 1 worker, SQLite, {args.clients} client threads over HTTP, {args.n} submissions:")
        print(f"  {figures['per_s']:.0f} submissions/s ({figures['seconds']:.1f} s); latency p50 "
              f"{figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms; server RSS after {rss:.0f} MB, "
              f"PSS {pss:.0f} MB")  # fmt: skip
        print(f"  server CPU {cpu_ms:.1f} ms per submission ({user:.1f} user, {system:.1f} system), "
              f"so at most {1000 / cpu_ms:.0f}/s on one core; the client used {client_cpu:.2f} of a core "
              f"(ratio {1000 / cpu_ms / TARGET_PER_S:.2f}); load average now {os.getloadavg()[0]:.1f}")  # fmt: skip
        print(f"  ratio to the target of {TARGET_PER_S}/s: {figures['per_s'] / TARGET_PER_S:.2f}")
        if args.in_process:
            more = submissions(args.n, form, version.group(1))
            rate = in_process(data_dir, auth, more)
            print(f"in-process ASGI client, one at a time, {args.n} submissions: {rate:.0f} submissions/s "
                  f"(ratio {rate / TARGET_PER_S:.2f})")  # fmt: skip


if __name__ == "__main__":
    main()
