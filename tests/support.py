"""Small helpers shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx2 as httpx
import pytest

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


def truce(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
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
    """This process's environment without Truce settings, plus the test secret and `extra`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("TRUCE_")}
    return {**base, "TRUCE_SECRET_KEY": TEST_SECRET, "COLUMNS": "200", **(extra or {})}


def assert_clean_error(result: subprocess.CompletedProcess[str], *phrases: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("error:")
    for phrase in phrases:
        assert phrase in result.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_health(server: subprocess.Popen[bytes], port: int) -> httpx.Response:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
        except httpx.TransportError:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            time.sleep(0.05)
    pytest.fail("truce serve did not answer /healthz in time")
