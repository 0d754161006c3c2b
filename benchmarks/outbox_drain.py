"""Draining a browser's outbox: N records, each with a 1 MB photo, from Debian's Chromium to a local server.

What it measures (issue 21, part 7): a monitor's Chromium (headless, Playwright, a profile on disk) holds N
incidents in its outbox (IndexedDB), each with one 1 MB file of incompressible bytes, queued while the server was
down; the server is started and the browser told it is online, and the clock runs from then until the outbox
shows all N sent (each record is one POST with its Idempotency-Key and one upload with the device's SHA-256).
It prints records/s, MB/s and the server's peak resident memory (VmHWM, and VmRSS sampled every 100 ms).

Baseline: the same N records and files sent by a plain Python client (httpx, one connection, no browser), in the
same order and the same two requests per record, to the same server: the ceiling for a sequential sender.

The server runs on SQLite in a temporary data directory (the demo mission), alone on this machine's loopback.

    .venv/bin/python benchmarks/outbox_drain.py [--records 500] [--mb 1]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx2 as httpx
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support import free_port

CHROMIUM = os.environ.get("TRUCE_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
PASSWORD = "truce-demo"  # noqa: S105 - the demo accounts' published password
SLUG = "nk-2020"
QUEUE = """async ([count, bytes, start]) => {
  const body = (n) => ({type: "Feature", geometry: {type: "Point", coordinates: [46.75, 39.82]},
    properties: {type: "explosion", subtype: "mortar", start: "2020-11-21T14:30:00+04:00", source: "post",
                 narrative: "bench #" + n, classification: "mission"}});
  for (let n = start; n < start + count; n++) {
    const data = new Uint8Array(bytes);
    for (let at = 0; at < bytes; at += 65536) {
      crypto.getRandomValues(data.subarray(at, Math.min(at + 65536, bytes)));
    }
    const file = new File([data], "photo-" + n + ".jpg", {type: "image/jpeg"});
    await TruceOutbox.queue("incident", "nk-2020", body(n), {}, [file]);
  }
  return (await TruceOutbox.all()).length;
}"""


class Server:
    """`truce serve` over a data directory, with its memory sampled while it runs."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.data_dir, self.env, self.port = data_dir, env, free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.peak_rss_kb = 0
        self._sampling = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [truce(), "serve", "--data-dir", str(self.data_dir), "--port", str(self.port)]
        self.process = subprocess.Popen(command, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        self.peak_rss_kb = 0
        self._sampling = True
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while self._sampling and self.process is not None and self.process.poll() is None:
            self.peak_rss_kb = max(self.peak_rss_kb, status_kb(self.process.pid, "VmRSS"))
            time.sleep(0.1)

    def high_water_mb(self) -> float:
        assert self.process is not None
        return status_kb(self.process.pid, "VmHWM") / 1024

    def stop(self) -> None:
        self._sampling = False
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def truce() -> str:
    beside = Path(sys.executable).with_name("truce")
    return str(beside) if beside.exists() else (shutil.which("truce") or "truce")


def browser_drain(server: Server, profile: Path, records: int, size: int) -> tuple[float, float, float]:
    """Seconds to drain the outbox, peak sampled RSS (MB) and VmHWM (MB) of the server meanwhile."""
    with sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=FLAGS, headless=True
        )
        context.set_default_timeout(60_000)
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(f"{server.url}/login?next=/m/{SLUG}/incidents/new")
        page.get_by_label("User name").fill("monitor-ru")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.locator("body[data-outbox-ready]").wait_for(state="attached")
        context.set_offline(True)
        server.stop()
        queued_at = time.perf_counter()
        for start in range(0, records, 25):
            page.evaluate(QUEUE, [min(25, records - start), size, start])
        print(f"  queued {records} records on the device in {time.perf_counter() - queued_at:.1f} s", flush=True)
        server.start()
        began = time.perf_counter()
        context.set_offline(False)
        root = page.locator("#outbox")
        deadline = began + 3600
        while (root.get_attribute("data-sent") or "0") != str(records):
            if time.perf_counter() > deadline:
                raise SystemExit("the outbox did not drain in an hour")
            page.wait_for_timeout(200)
        elapsed = time.perf_counter() - began
        held = root.get_attribute("data-held")
        context.close()
    if held != "0":
        raise SystemExit(f"{held} records were refused or in conflict")
    return elapsed, server.peak_rss_kb / 1024, server.high_water_mb()


def python_send(server: Server, records: int, size: int) -> tuple[float, float]:
    """The baseline: the same requests from httpx. Seconds, and the server's peak sampled RSS (MB)."""
    with httpx.Client(base_url=server.url, timeout=120) as client:
        token = client.post("/api/v1/auth/token", data={"username": "monitor-ru", "password": PASSWORD})
        auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        base = f"/api/v1/missions/{SLUG}/incidents"
        began = time.perf_counter()
        for n in range(records):
            key = str(uuid.uuid4())
            properties = {"type": "explosion", "subtype": "mortar", "start": "2020-11-21T14:30:00+04:00",
                          "source": "post", "narrative": f"python #{n}", "classification": "mission"}  # fmt: skip
            feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [46.75, 39.82]},
                       "properties": properties}  # fmt: skip
            created = client.post(base, json=feature, headers={**auth, "Idempotency-Key": key})
            assert created.status_code == 201, created.text
            data = os.urandom(size)
            digest = hashlib.sha256(data).hexdigest()
            upload = client.post(
                f"{base}/{created.json()['id']}/evidence",
                files={"file": (f"photo-{n}.jpg", data, "image/jpeg")},
                data={"sha256": digest},
                headers={**auth, "Idempotency-Key": f"{key}.{digest}"},
            )
            assert upload.status_code == 201, upload.text
        return time.perf_counter() - began, server.peak_rss_kb / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=500)
    parser.add_argument("--mb", type=float, default=1.0, help="megabytes of each record's photo")
    args = parser.parse_args()
    size = int(args.mb * 1024 * 1024)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUCE_")}
    # The test suite's password hashing: the benchmark's own throwaway accounts, never served to anyone.
    env.update(TRUCE_SECRET_KEY=secrets.token_hex(24), TRUCE_PASSWORD_HASHING="fast")  # noqa: S106
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = Path(scratch) / "data"
        subprocess.run([truce(), "demo", "--no-serve", "--data-dir", str(data_dir)], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        server = Server(data_dir, env)
        server.start()
        try:
            seconds, rss, hwm = browser_drain(server, Path(scratch) / "profile", args.records, size)
            base_seconds, base_rss = python_send(server, args.records, size)
        finally:
            server.stop()
    megabytes = args.records * size / 1024 / 1024
    rate, base_rate = args.records / seconds, args.records / base_seconds
    print(f"outbox drain, Chromium: {args.records} records with {args.mb:g} MB each in {seconds:.1f} s: "
          f"{rate:.1f} records/s, {megabytes / seconds:.1f} MB/s")  # fmt: skip
    print(f"  server memory while draining: peak VmRSS {rss:.0f} MB (sampled), VmHWM {hwm:.0f} MB")
    print(f"baseline, httpx: {base_seconds:.1f} s, {base_rate:.1f} records/s; peak VmRSS {base_rss:.0f} MB")
    print(f"ratio browser / baseline: {rate / base_rate:.2f}")


if __name__ == "__main__":
    main()
