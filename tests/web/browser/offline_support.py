"""What the offline browser tests share: a restartable server, a browser profile that outlives its contexts,
the incident form filled as a monitor would, and the server's view of what arrived."""

from __future__ import annotations

import hashlib
import io
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image
from playwright.sync_api import Page, expect

from forkserver import Child, popen
from support import clean_env, free_port, loopback, wait_for_health
from web.browser.driving import PASSWORD

FORM = "/m/nk-2020/incidents/new"
SLUG = "nk-2020"


@dataclass
class LiveServer:
    """`truce serve` over a data directory, stopped and started again at will (a deployment)."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    process: Child | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, **settings: str) -> None:
        env = clean_env({f"TRUCE_{k.upper()}": v for k, v in settings.items()})
        command = [sys.executable, "-m", "truce", "serve", "--data-dir", str(self.data_dir), "--port", str(self.port)]
        self.process = popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_health(self.process, self.port)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


def photo(seed: int, side: int = 24) -> bytes:
    """A small PNG whose bytes differ for every seed."""
    image = Image.new("RGB", (side, side), (seed % 256, (seed // 256) % 256, 99))
    image.putpixel((0, 0), (seed % 7, seed % 11, seed % 13))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def log_in(page: Page, url: str, username: str = "monitor-ru", next_path: str = FORM) -> None:
    page.goto(f"{url}/login?next={next_path}")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    outbox_ready(page)


def outbox_ready(page: Page) -> None:
    page.locator("body[data-outbox-ready]").wait_for(state="attached")


def fill_incident(page: Page, narrative: str, files: list[tuple[str, bytes]], *, subtype: str = "mortar") -> None:
    """Fill the incident form as a monitor would, with `files` picked as evidence, and file it."""
    page.select_option("#f-type", "explosion")
    page.select_option("#f-subtype", subtype)
    page.fill("#f-date", "2020-11-21")
    page.fill("#f-time", "14:30")
    page.select_option("#f-source", "post")
    page.fill("#f-narrative", narrative)
    page.fill("#f-lat", "39.82")
    page.fill("#f-lon", "46.75")
    page.set_input_files("#f-evidence", [{"name": n, "mimeType": "image/png", "buffer": b} for n, b in files])
    items = page.locator("#outbox-list li")
    before = items.count()
    page.get_by_role("button", name="File the incident").click()
    expect(items).to_have_count(before + 1, timeout=15_000)


def outbox_counts(page: Page) -> dict[str, int]:
    root = page.locator("#outbox")
    return {k: int(root.get_attribute(f"data-{k}") or "0") for k in ("waiting", "held", "sent")}


def wait_until(page: Page, check: Callable[[], bool], *, seconds: float = 90) -> None:
    """Poll `check` (the page's clock, not a sleep), failing after `seconds`."""
    for _ in range(int(seconds * 4)):
        if check():
            return
        page.wait_for_timeout(250)
    raise AssertionError("the condition did not come true in time")


def stored(data_dir: Path, prefix: str) -> int:
    """Incidents in the (stopped) server's database whose narrative starts with `prefix`."""
    with closing(sqlite3.connect(data_dir / "truce.db")) as db:
        row = db.execute("SELECT count(*) FROM incidents WHERE narrative LIKE ?", (prefix + "%",)).fetchone()
        return int(row[0])


def token(url: str, username: str = "monitor-ru") -> dict[str, str]:
    answer = loopback.post(f"{url}/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def arrived(url: str, prefix: str) -> list[dict[str, Any]]:
    """The incidents whose narrative starts with `prefix`, each with its evidence list."""
    headers = token(url)
    features = loopback.get(f"{url}/api/v1/missions/{SLUG}/incidents", params={"limit": 10000}, headers=headers,
                         timeout=60).json()["features"]  # fmt: skip
    found = [f for f in features if str(f["properties"].get("narrative", "")).startswith(prefix)]
    for feature in found:
        evidence = loopback.get(f"{url}/api/v1/missions/{SLUG}/incidents/{feature['id']}/evidence", headers=headers)
        feature["evidence"] = evidence.json()
    return found
