"""The map page with 10,000 incidents in view: time until it is interactive in headless Chromium.

What it measures (issue 5): the demo mission (nk-2020) plus N extra incidents (default 10,000)
bulk-inserted with Core executemany inside the demo's view (the line of contact and the corridor),
served by a real `truce serve` on a free port; Debian's Chromium, driven by Playwright, logs in as
monitor-ru and opens /m/nk-2020/map REPEAT times in a fresh tab. "Interactive" is the time from
navigation start to the moment the page's script has drawn every incident (clustered, shaped by
status) and the next frame has been painted (`window.truceMapReadyAt`, performance.now()). After
that the script clicks zoom-in and times how long the map takes to answer (its `zoomstart` and the
next frame); "interactive" is the sum. The end of the zoom animation (which includes Leaflet's 250 ms
transition and drawing the markers of the new level) is printed too.

Baseline: the same page with no incident in view (`?since=2030-01-01`): places, legend and scripts
only; the ratio shows what the incidents cost. Target: interactive <= 1500 ms at p50.

    .venv/bin/python benchmarks/map_page.py [--n 10000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx
from playwright.sync_api import Page, sync_playwright
from sqlalchemy import insert, select

from truce.db import connect
from truce.incidents.models import Incident
from truce.incidents.taxonomy import STATUSES, TAXONOMY
from truce.missions.models import Mission

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
TARGET_MS = 1500.0
LAST_MARKS: dict[str, int] = {}  # the performance marks of the latest load
STEPS = ["truce:places-drawn", "truce:incidents-fetched", "truce:markers-made", "ready"]
SEED = 20201110
VIEW = (46.35, 39.5, 47.2, 40.3)  # lon/lat box the demo's map opens on
SECRET = secrets.token_urlsafe(48)  # a throw-away server


def add_incidents(data_dir: Path, n: int) -> None:
    db = connect(f"sqlite:///{(data_dir / 'truce.db').resolve()}")
    rng = random.Random(SEED)
    kinds = [(kind, sub) for kind, subs in TAXONOMY.items() for sub in subs]
    first = datetime(2020, 11, 10, tzinfo=UTC)
    with db.engine.begin() as connection:
        mission_id = connection.execute(select(Mission.id).where(Mission.slug == "nk-2020")).scalar_one()
        rows: list[dict[str, Any]] = []
        for number in range(n):
            lon, lat = round(rng.uniform(VIEW[0], VIEW[2]), 5), round(rng.uniform(VIEW[1], VIEW[3]), 5)
            kind, sub = rng.choice(kinds)
            rows.append({
                "mission_id": mission_id, "type": kind, "subtype": sub,
                "start": first + timedelta(seconds=rng.randrange(51 * 86400)), "time_precision": "minute",
                "geometry": f'{{"type":"Point","coordinates":[{lon},{lat}]}}', "lon": lon, "lat": lat,
                "min_lon": lon, "min_lat": lat, "max_lon": lon, "max_lat": lat, "source": "post",
                "counts": {}, "casualties": {}, "alleged_actors": [], "narrative": f"Benchmark incident {number}",
                "classification": "mission", "restricted_to": [], "status": rng.choice(STATUSES),
                "author_delegation": "ru", "reported_at": first, "in_corridor": False,
            })  # fmt: skip
        connection.execute(insert(Incident.__table__), rows)  # type: ignore[arg-type]
    db.dispose()


def serve(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {"TRUCE_SECRET_KEY": SECRET, "PATH": "/usr/bin:/bin"}
    process = subprocess.Popen(
        [sys.executable, "-m", "truce", "serve", "--data-dir", str(data_dir), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("truce serve did not start")


def one_load(page: Page, url: str) -> tuple[float, float, float, int]:
    """Milliseconds until drawn, until a click is answered, until the zoom ends, and the incidents drawn."""
    page.goto(url)
    ready = page.locator("body[data-map-ready]")
    ready.wait_for(state="attached", timeout=60_000)
    interactive = float(page.evaluate("window.truceMapReadyAt"))
    marks = page.evaluate(
        "() => Object.fromEntries(performance.getEntriesByType('mark').map(m => [m.name, Math.round(m.startTime)]))"
    )
    LAST_MARKS.clear()
    LAST_MARKS.update({**marks, "ready": round(interactive)})
    drawn = int(ready.get_attribute("data-map-ready") or "-1")
    answered, zoom = page.evaluate(
        """() => new Promise(resolve => {
            const map = window.truceMap, t0 = performance.now();
            let answered = 0;
            map.once('zoomstart', () => requestAnimationFrame(() => { answered = performance.now() - t0; }));
            map.once('zoomend', () => requestAnimationFrame(() => resolve([answered, performance.now() - t0])));
            document.querySelector('.leaflet-control-zoom-in').click();
        })"""
    )
    return interactive, float(answered), float(zoom), drawn


Runs = tuple[list[float], list[float], list[float], int, list[dict[str, int]]]


def measure(browser: Any, base: str, query: str, repeat: int) -> Runs:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.goto(f"{base}/login?next=/")
    page.get_by_label("User name").fill("monitor-ru")
    page.get_by_label("Password").fill("truce-demo")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/m/nk-2020/")
    one_load(page, f"{base}/m/nk-2020/map{query}")  # warm the server's and the browser's caches
    marks: list[dict[str, int]] = []
    readies: list[float] = []
    answers: list[float] = []
    zooms: list[float] = []
    drawn = 0
    for _ in range(repeat):
        fresh = context.new_page()
        ready, answered, zoom, drawn = one_load(fresh, f"{base}/m/nk-2020/map{query}")
        readies.append(ready)
        answers.append(answered)
        zooms.append(zoom)
        marks.append(dict(LAST_MARKS))
        fresh.close()
    context.close()
    return readies, answers, zooms, drawn, marks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        data_dir = Path(directory)
        env = {"TRUCE_SECRET_KEY": SECRET, "PATH": "/usr/bin:/bin"}
        loaded = subprocess.run(
            [sys.executable, "-m", "truce", "demo", "--no-serve", "--data-dir", str(data_dir)],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if loaded.returncode != 0:
            raise SystemExit(loaded.stderr)
        add_incidents(data_dir, args.n)
        sock_port = _free_port()
        server = serve(data_dir, sock_port)
        try:
            with sync_playwright() as driver:
                browser = driver.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
                base = f"http://127.0.0.1:{sock_port}"
                full = measure(browser, base, "", args.repeat)
                empty = measure(browser, base, "?since=2030-01-01", args.repeat)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    report(full, empty)


def report(full: Runs, empty: Runs) -> None:
    (ready, answered, zoom, drawn, marks), (base_ready, base_answered, _, _, _) = full, empty
    interactive = [r + a for r, a in zip(ready, answered, strict=True)]
    baseline = [r + a for r, a in zip(base_ready, base_answered, strict=True)]
    print(f"incidents drawn: {drawn:,} (demo + generated, all in view)")
    print(f"{'':<34}{'p50':>9}{'max':>9}")
    for label, values in (
        ("drawn (navigation start ->)", ready),
        ("a click answered (zoomstart)", answered),
        ("interactive = drawn + answered", interactive),
        ("the zoom animation ends", zoom),
        ("baseline: no incidents", baseline),
    ):
        print(f"{label:<34}{statistics.median(values):>7.0f}ms{max(values):>7.0f}ms")
    steps = ", ".join(f"{n.removeprefix('truce:')} {statistics.median(m.get(n, 0) for m in marks):.0f}" for n in STEPS)
    print(f"breakdown (p50, ms since navigation start): {steps}")
    p50 = statistics.median(interactive)
    print(f"ratio to baseline: {p50 / statistics.median(baseline):.2f}x")
    print(f"target <= {TARGET_MS:.0f} ms (interactive, p50): {'met' if p50 <= TARGET_MS else 'MISSED'}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


if __name__ == "__main__":
    main()
