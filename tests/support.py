"""Small helpers shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from typer.testing import CliRunner

Login = Callable[[str], dict[str, str]]
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
# Every demo account, and "public" for no login: the rows of every access matrix.
ACCOUNTS = [
    "admin", "monitor-ru", "verifier-ru", "verifier-tr", "liaison-am", "liaison-az", "humanitarian-unhcr",
    "analyst-ru", "public",
]  # fmt: skip
STAFF = {"admin", "monitor-ru", "verifier-ru", "verifier-tr", "analyst-ru"}


def point_feature(lon: float, lat: float, **properties: Any) -> dict[str, Any]:
    """A GeoJSON Point Feature."""
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": properties}


TIMEOUT = 60
# The tests' HTTP to their own servers on loopback. httpx's module functions (`httpx.get`...) build a client for
# each call, and with it an SSL context that reads the CA bundle: about 20 ms of CPU a call, paid by every poll of
# a starting server and every request a test's proxy forwards. This client is built once. It keeps no connection
# alive, as those functions kept none, so a server killed by a test leaves no pooled connection behind.
loopback = httpx.Client(limits=httpx.Limits(max_keepalive_connections=0), trust_env=False)
# A server's start-up (imports, migrations checked, keys read): on a machine shared by eight test suites it has
# taken over a minute. Waiting longer costs nothing when it is quick.
STARTUP_TIMEOUT = 180
# What every `truce` the tests run is given besides `extra`: the test secret, a wide terminal, and the
# test-only password hashing (argon2 at production cost made every demo load and log-in take ~0.1 s of CPU).
TEST_ENV = {"TRUCE_SECRET_KEY": TEST_SECRET, "TRUCE_PASSWORD_HASHING": "fast", "COLUMNS": "200"}


def truce(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`truce ARGS` run in this process by Typer's runner: what a person sees, without an interpreter's start-up.

    An exception that escapes the command lands on standard error as its traceback, as it would in a terminal.
    """
    from truce.cli import app

    unset: dict[str, str | None] = {name: None for name in os.environ if name.startswith("TRUCE_")}
    result = CliRunner().invoke(app, list(args), input=stdin, env={**unset, **TEST_ENV, **(env or {})})
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return subprocess.CompletedProcess(["truce", *args], result.exit_code, result.stdout, stderr)


def truce_process(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m truce ARGS` in a process of its own: the exit status and streams the operating system sees."""
    return subprocess.run(
        [sys.executable, "-m", "truce", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=clean_env(env),
        timeout=TIMEOUT,
        check=False,
    )


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without Truce settings, plus the test settings and `extra`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("TRUCE_")}
    return {**base, **TEST_ENV, **(extra or {})}


def copy_data_dir(source: Path, target: Path) -> Path:
    """A copy of a data directory that no process is writing to; the database through SQLite's backup."""
    shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("truce.db*"))
    copy_sqlite(source / "truce.db", target / "truce.db")
    return target


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database, whatever its write-ahead log still holds."""
    with sqlite3.connect(source) as original, sqlite3.connect(target) as copy:
        original.backup(copy)
    original.close()
    copy.close()


def assert_clean_error(result: subprocess.CompletedProcess[str], *phrases: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("error:")
    for phrase in phrases:
        assert phrase in result.stderr


def free_port() -> int:
    """A free port: the system's choice, or one of TRUCE_TEST_PORTS (`FIRST-LAST`) on a machine that asks.

    pytest-xdist's workers take turns through the range (worker n: FIRST+n, FIRST+n+workers, …), so none races
    another for a port, and a worker does not hand out the same one twice in a row.
    """
    ports = os.environ.get("TRUCE_TEST_PORTS", "")
    if not ports:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return int(probe.getsockname()[1])
    first, last = (int(end) for end in ports.split("-"))
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    mine = range(first + worker, last + 1, workers)
    for _ in mine:
        port = mine[next(_turn) % len(mine)]
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail(f"no free port for this worker in TRUCE_TEST_PORTS={ports}")


_turn = itertools.count()


def wait_for_health(server: subprocess.Popen[bytes], port: int) -> httpx.Response:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        try:
            return loopback.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
        except httpx.TransportError:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            time.sleep(0.05)
    pytest.fail("truce serve did not answer /healthz in time")
