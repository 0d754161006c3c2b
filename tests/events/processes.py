"""Real processes for the delivery tests: a loopback receiver and `truce worker`, and how to wait for them."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from databases import demo_database
from forkserver import Child, popen
from support import TEST_SECRET, clean_env, free_port
from truce.app import create_app
from truce.config import Settings
from truce.demo import incidents as demo_incidents
from truce.demo import loader

RECEIVER = Path(__file__).with_name("receiver.py")


def demo_data_dir(backend: str, root: Path, name: str, incidents: int = demo_incidents.COUNT) -> Path:
    """A data directory of the test's own whose database (SQLite inside it, or PostGIS) holds the demo, its URL kept
    in the directory for the processes the test starts."""
    directory = root / "data"
    directory.mkdir()
    db = demo_database(backend, directory, name=name, incidents=incidents)
    (directory / "database_url").write_text(db.engine.url.render_as_string(hide_password=False))
    db.dispose()
    return directory


def database_url(data_dir: Path) -> str:
    return (data_dir / "database_url").read_text()


@contextmanager
def api_client(data_dir: Path) -> Iterator[TestClient]:
    """The app on the data directory's database, in process (the worker beside it is a real process)."""
    app = create_app(Settings(data_dir=data_dir, secret_key=TEST_SECRET, database_url=database_url(data_dir)))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    app.state.db.dispose()


def token(api: TestClient, username: str) -> dict[str, str]:
    answer = api.post("/api/v1/auth/token", data={"username": username, "password": loader.DEMO_PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


# Retries come quickly in tests: 0.3 s, 0.6 s, 1.2 s...
FAST = {"TRUCE_WEBHOOK_BACKOFF_S": "0.3", "TRUCE_WEBHOOK_POLL_S": "0.05", "TRUCE_WEBHOOK_TIMEOUT_S": "3"}


@contextmanager
def receiver(log: Path, secret: str, behaviour: str, arg: str = "", *, port: int | None = None) -> Iterator[str]:
    """A receiver process on loopback (on `port`, or a free one); yields its URL."""
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, str(RECEIVER), str(port), str(log), secret, behaviour, arg],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    with process:
        try:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "ready"
            yield f"http://127.0.0.1:{port}/hook"
        finally:
            process.kill()


@dataclass
class Worker:
    """A `truce worker` process and the file its output goes to (a pipe left unread could fill and block it)."""

    process: Child
    output: Path


def start_worker(data_dir: Path | None, output: Path, extra: dict[str, str] | None = None) -> Worker:
    """`python -m truce worker` in a process of its own; without `data_dir`, in the output's directory, whose
    `truce-data` it then uses (not the checkout's, which other tests' processes may be using)."""
    args = [sys.executable, "-m", "truce", "worker"] + (["--data-dir", str(data_dir)] if data_dir else [])
    env = clean_env({**FAST, **(extra or {})})
    with output.open("ab") as sink:
        process = popen(args, env=env, stdout=sink, stderr=sink, cwd=output.parent)
    return Worker(process, output)


def stop(worker: Worker) -> str:
    """Stop a worker politely (SIGTERM); what it printed."""
    process = worker.process
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    return worker.output.read_text(encoding="utf-8", errors="replace")


def received(log: Path) -> list[dict[str, Any]]:
    """What the receiver wrote: one dict per request, with `body` as bytes."""
    if not log.exists():
        return []
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    for line in lines:
        line["body"] = base64.b64decode(line["body"])
    return lines


def wait_until(what: Callable[[], Any], timeout: float = 60, message: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting: {message}")
