"""A replica mirrors the log's tiles, survives kill -9 mid-way through catch-up, and fetches nothing it verified again.

Real processes on loopback: the primary (`truce serve`, on SQLite or on PostGIS) and `truce replica` in its own
data directory. Between them a counting proxy records every request the primary receives from the replica, and
holds every tile beyond the second chunk, so that the replica is killed (SIGKILL) with exactly one chunk
verified. After the restart, no tile, bundle or page of entries below that index is asked for again; the end
state is the whole log, and the replica's own tiles rebuild the root the server signed.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from forkserver import Child, popen
from integrity import biglog
from integrity.primaries import primary
from support import TIMEOUT, clean_env, free_port, loopback, truce, wait_for_health
from truce.integrity import mirror
from truce.integrity.replica import CHUNK, STATE
from truce.ledger import merkle, note, tiles

HELD_FROM = CHUNK + 8 * tiles.WIDTH  # the proxy holds every tile from here: the second chunk cannot complete


class Proxy(ThreadingHTTPServer):
    """Forwards to the primary and records each request's path and query; holds tiles from `held_from` on, and
    flips one byte of the answer to the path `tamper` (counted in `tampered`)."""

    daemon_threads = True

    def __init__(self, port: int, primary: str) -> None:
        super().__init__(("127.0.0.1", port), _Forward)
        self.primary = primary
        self.seen: list[str] = []
        self.held_from: int | None = HELD_FROM
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.tamper: str | None = None
        self.tampered = 0


class _Forward(BaseHTTPRequestHandler):
    server: Proxy

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        self._forward("GET")

    def do_POST(self) -> None:
        self._forward("POST")

    def _forward(self, method: str) -> None:
        with self.server.lock:
            self.server.seen.append(self.path)
        held = self.server.held_from
        if held is not None and any(first >= held for first, _ in _entries_asked([self.path])):
            self.server.release.wait(TIMEOUT)
            self.send_response(503)
            self.end_headers()
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() in {"authorization", "content-type"}}
        answer = loopback.request(method, self.server.primary + self.path, content=body, headers=headers, timeout=60)
        content = answer.content
        if self.path == self.server.tamper and answer.status_code == 200:
            content = flipped(content)
            with self.server.lock:
                self.server.tampered += 1
        self.send_response(answer.status_code)
        self.send_header("Content-Type", answer.headers.get("content-type", "application/octet-stream"))
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)


def flipped(content: bytes) -> bytes:
    """`content` with one bit of its 100th byte flipped: a hash in the middle of a tile is wrong."""
    wrong = bytearray(content)
    wrong[100] ^= 1
    return bytes(wrong)


def _entries_asked(paths: list[str]) -> list[tuple[int, int]]:
    """The ranges of entries (or their leaf hashes) that requests asked for: level-0 tiles, bundles, entry pages."""
    ranges = []
    for path in paths:
        parts = urlsplit(path)
        if parts.path == "/api/v1/log/entries":
            query = parse_qs(parts.query)
            ranges.append((int(query["start"][0]), int(query["end"][0])))
        elif parts.path.startswith(mirror.PREFIX + "/tile/"):
            tile = tiles.parse(parts.path.removeprefix(mirror.PREFIX + "/tile/"))
            if tile.level in (None, 0):
                ranges.append((tile.index * tiles.WIDTH, tile.index * tiles.WIDTH + tile.width))
    return ranges


@contextmanager
def proxying(primary: str) -> Iterator[Proxy]:
    proxy = Proxy(free_port(), primary)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.release.set()
        proxy.shutdown()
        proxy.server_close()


@contextmanager
def process(command: list[str], port: int, env: dict[str, str]) -> Iterator[Child]:
    started = popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=clean_env(env))
    try:
        wait_for_health(started, port)
        yield started
    finally:
        if started.poll() is None:
            started.terminate()
            started.wait(timeout=TIMEOUT)
        if started.stderr is not None:
            started.stderr.close()


@pytest.fixture
def big_primary(backend: str, demo_data_dir: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A data directory whose log holds the demo's entries and three chunks and a half of readable notes."""
    data = tmp_path / "primary"
    url, env = primary(backend, demo_data_dir, data, "replica_tiles")
    biglog.extend(url, 3 * CHUNK + CHUNK // 2)
    return data, env


def _size(state: Path) -> int:
    try:
        return int(json.loads(state.read_text())["size"])
    except (OSError, ValueError, KeyError):
        return 0


def test_a_replica_killed_during_catch_up_resumes_without_fetching_what_it_verified(
    big_primary: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    data, env = big_primary
    key = truce("log", "key", "--data-dir", str(data), env=env).stdout.strip()
    server_port, own = free_port(), free_port()
    serve = [sys.executable, "-m", "truce", "serve", "--data-dir", str(data), "--port", str(server_port)]
    replica_dir = tmp_path / "replica"
    with process(serve, server_port, env), proxying(f"http://127.0.0.1:{server_port}") as proxy:
        command = [sys.executable, "-m", "truce", "replica", "--server", f"http://127.0.0.1:{proxy.server_port}",
                   "--server-key", key, "--user", "verifier-ru", "--data-dir", str(replica_dir),
                   "--port", str(own)]  # fmt: skip
        login = {"TRUCE_PASSWORD": "truce-demo"}
        with process(command, own, login) as first:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and _size(replica_dir / STATE) < CHUNK:
                time.sleep(0.2)
            time.sleep(1)  # let it ask for the held tiles of the next chunks
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=TIMEOUT)
        verified = _size(replica_dir / STATE)
        assert verified == CHUNK  # the proxy held the second chunk: killed with exactly one chunk verified
        before = list(proxy.seen)
        assert any(start >= verified for start, _ in _entries_asked(before))  # it was fetching beyond it
        proxy.held_from = None
        proxy.release.set()
        with proxy.lock:
            proxy.seen.clear()
        with process(command, own, login):
            total = _wait_for_size(own)
            after = list(proxy.seen)
            status = loopback.get(f"http://127.0.0.1:{own}/api/v1/replica/status").json()
            _assert_tiles_rebuild_the_signed_root(f"http://127.0.0.1:{own}", key, total)
            _assert_same_tiles(f"http://127.0.0.1:{own}", f"http://127.0.0.1:{server_port}", total)
    assert status["status"] == "ok", status
    asked = _entries_asked(after)
    assert asked, after
    assert min(start for start, _ in asked) == verified, sorted(asked)[:5]  # nothing verified fetched again
    # The rest was asked for once, tile by tile (a hash tile and its bundle ask for the same range).
    covered = sorted(set(asked))
    assert all(a[1] == b[0] for a, b in itertools.pairwise(covered)), covered
    assert covered[-1][1] == total
    assert len(asked) <= 2 * len(covered)
    # Bundles served the notes; the demo's first tiles (with records verifier-ru may not read) came as pages.
    assert any("/tile/entries/" in path for path in after)


def _wait_for_size(port: int) -> int:
    """Wait for the replica to catch up with the primary's log; its size then."""
    deadline = time.monotonic() + 300
    status: dict[str, object] = {}
    while time.monotonic() < deadline:
        status = loopback.get(f"http://127.0.0.1:{port}/api/v1/replica/status").json()
        if status["status"] != "ok":
            break
        if int(status["size"]) >= 3 * CHUNK + CHUNK // 2:  # type: ignore[call-overload]
            return int(status["size"])  # type: ignore[call-overload]
        time.sleep(0.3)
    pytest.fail(f"the replica did not catch up: {status}")


def _assert_tiles_rebuild_the_signed_root(replica: str, key: str, size: int) -> None:
    """Only the replica's URLs and the pinned key: its checkpoint and its level-0 tiles give the signed root."""
    text = loopback.get(f"{replica}{mirror.PREFIX}/checkpoint").text
    body, _ = note.open_note(text, [note.Verifier.from_text(key)])
    checkpoint = note.Checkpoint.parse(body)
    assert checkpoint.size == size
    tree = merkle.CompactRange()
    for index in range(-(-size // tiles.WIDTH)):
        width = min(tiles.WIDTH, size - index * tiles.WIDTH)
        answer = loopback.get(f"{replica}{mirror.tile_path(0, index, width)}")
        assert answer.status_code == 200, answer.text
        tree.extend(mirror.split(answer.content))
    assert tree.root() == checkpoint.root_hash


def _assert_same_tiles(replica: str, primary: str, size: int) -> None:
    """The replica's upper tiles and a bundle are byte for byte the server's."""
    token = loopback.post(f"{primary}/api/v1/auth/token", data={"username": "admin", "password": "truce-demo"})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    width = tiles.hashes_at(size, 1)
    last = size // tiles.WIDTH - 1
    for path in (mirror.tile_path(1, 0, width), mirror.tile_path(None, last, tiles.WIDTH)):
        mine = loopback.get(f"{replica}{path}")
        theirs = loopback.get(f"{primary}{path}", headers=headers)
        assert mine.status_code == theirs.status_code == 200, (path, mine.text)
        assert mine.content == theirs.content


@pytest.fixture
def bigger_primary(backend: str, demo_data_dir: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A log of four chunks and a half: its fourth chunk completes the first full level-1 tile (65,536 leaves)."""
    data = tmp_path / "primary"
    url, env = primary(backend, demo_data_dir, data, "replica_upper")
    biglog.extend(url, 4 * CHUNK + CHUNK // 2)
    return data, env


def test_a_wrong_upper_tile_is_refused_named_and_never_served(
    bigger_primary: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """The server (here the proxy in front of it) serves the full level-1 tile with one byte flipped: the replica
    does not take the chunk that completes it as verified, names the tile in its alarm, and never serves the
    server's bytes; once the server answers true again, its own tile is the one the entries build."""
    data, env = bigger_primary
    key = truce("log", "key", "--data-dir", str(data), env=env).stdout.strip()
    server_port, own = free_port(), free_port()
    serve = [sys.executable, "-m", "truce", "serve", "--data-dir", str(data), "--port", str(server_port)]
    upper = mirror.tile_path(1, 0, tiles.WIDTH)
    with process(serve, server_port, env), proxying(f"http://127.0.0.1:{server_port}") as proxy:
        proxy.held_from = None
        proxy.tamper = upper
        command = [sys.executable, "-m", "truce", "replica", "--server", f"http://127.0.0.1:{proxy.server_port}",
                   "--server-key", key, "--user", "verifier-ru", "--data-dir", str(tmp_path / "replica"),
                   "--port", str(own)]  # fmt: skip
        with process(command, own, {"TRUCE_PASSWORD": "truce-demo"}):
            replica = f"http://127.0.0.1:{own}"
            refused = _wait_for_status(own, lambda status: status["status"] != "ok")
            assert proxy.tampered >= 1
            assert refused["status"] == "audit_failed", refused
            (alarm,) = refused["alarms"]
            assert alarm["reason"] == "the server's tile/1/000 is not the one its signed entries build", alarm
            # The chunk that completes the tile is not verified, so nothing above it is served.
            assert refused["size"] == 3 * CHUNK
            assert loopback.get(f"{replica}{upper}").status_code == 404
            proxy.tamper = None
            caught_up = _wait_for_status(own, lambda status: int(status["size"]) >= 4 * CHUNK + CHUNK // 2)
            mine = loopback.get(f"{replica}{upper}")
            token = loopback.post(
                f"http://127.0.0.1:{server_port}/api/v1/auth/token",
                data={"username": "admin", "password": "truce-demo"},
            )
            theirs = loopback.get(
                f"http://127.0.0.1:{server_port}{upper}",
                headers={"Authorization": f"Bearer {token.json()['access_token']}"},
            )
    assert mine.status_code == theirs.status_code == 200, mine.text
    assert mine.content == theirs.content != flipped(theirs.content)
    # The alarm stays for the operator to read, and names the tile once however often the server lied.
    assert caught_up["status"] == "audit_failed"
    assert [a["reason"] for a in caught_up["alarms"]] == [alarm["reason"]]


def _wait_for_status(port: int, reached: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The replica's status once `reached` says so."""
    deadline = time.monotonic() + 300
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        status = loopback.get(f"http://127.0.0.1:{port}/api/v1/replica/status").json()
        if reached(status):
            return status
        time.sleep(0.3)
    pytest.fail(f"the replica did not get there: {status}")
