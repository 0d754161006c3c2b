"""A delegation's replica: a verifying mirror of the log, its witness, and a split-view alarm shared with peers.

It copies every entry its account may read (leaf hashes only for the others) into its own SQLite file, verifying
each chunk before it keeps it: each entry against its leaf hash, and the chunk's prefix against the server's signed
checkpoint by a consistency proof it checks itself. Its state (size, root, compact range) is written after each
chunk, so after `kill -9` it resumes from the last verified index and fetches nothing verified again.

It tells its peers the latest server checkpoint it verified and reads theirs. Two checkpoints signed by the server
key that cannot both be true (same size, other roots; or a larger one that its own leaves, or the server's
consistency proof, do not extend) raise a split-view alarm: both signed notes are kept, `status` says `split_view`,
and its witness refuses to cosign anything again.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx
from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from truce.integrity import audit as party
from truce.integrity.witness import PATH as WITNESS_PATH
from truce.integrity.witness import Witness
from truce.ledger import merkle, note

CHUNK = 10_000
STATE = "replica.state"
DATABASE = "replica.sqlite"
KEY = "replica.key"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL, data TEXT);
CREATE TABLE IF NOT EXISTS alarms (id INTEGER PRIMARY KEY, at REAL NOT NULL, kind TEXT NOT NULL,
                                   reason TEXT NOT NULL, first TEXT NOT NULL, second TEXT NOT NULL);
"""


class Replica:
    """One delegation's copy of the log, in `data_dir`."""

    def __init__(self, data_dir: Path, server: note.Verifier, signer: note.Signer) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir, self.server = data_dir, server
        self.state_path = data_dir / STATE
        self.path = data_dir / DATABASE
        with self._connect() as connection:
            connection.executescript(_SCHEMA)
        connection.close()
        self.witness = Witness(data_dir / "witness", signer)
        self.witness.trust(server.to_text())
        # Peer checkpoints found consistent with what was verified: not compared again (a root costs a full read).
        self.agreed: set[str] = set()

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=30)
        connection.execute("PRAGMA journal_mode=WAL")
        return connection

    # --- catching up ---------------------------------------------------------------------------

    def state(self) -> party.State:
        return party.load_state(self.state_path, self.server)

    def sync(self, client: party.HttpClient) -> int:
        """Verify and keep every new entry, a chunk at a time; the size verified now."""
        current = party.fetch_checkpoint(client, self.server)
        state = self.state()
        if current.checkpoint.size < state.size or (
            current.checkpoint.size == state.size and current.checkpoint.root_hash != state.root
        ):
            self.alarm("split_view", "the server's checkpoint does not extend what this replica verified",
                       state.checkpoint, current.text)  # fmt: skip
            return 0
        while state.size < current.checkpoint.size:
            end = min(current.checkpoint.size, state.size + CHUNK)
            state = self._chunk(client, state, end, current)
        return state.size

    def _chunk(self, client: party.HttpClient, state: party.State, end: int, current: party.Signed) -> party.State:
        tree, leaves = state.range(), bytearray()
        result = party.Result(current, current, state)
        rows: list[tuple[int, bytes, str | None]] = []
        start = state.size
        for page in range(start, end, party.ENTRIES_PAGE):
            stop = min(end, page + party.ENTRIES_PAGE)
            answer = client.get("/api/v1/log/entries", params={"start": page, "end": stop})
            if answer.status_code != 200:
                raise party.AuditError(f"the server answered {answer.status_code} for entries {page}-{stop - 1}")
            served = {e["index"]: e for e in answer.json() if isinstance(e, dict)}
            problems: list[str] = []
            for index in range(page, stop):
                leaf = party._checked_leaf(index, served.get(index), result, problems)
                if problems:
                    raise party.AuditError(*problems)
                tree.append(leaf)
                leaves += leaf
                rows.append((index, leaf, served[index].get("data")))
        size, root = current.checkpoint.size, current.checkpoint.root_hash
        if end < size:
            proof = [bytes.fromhex(h) for h in _consistency(client, end, size)]
            verified = merkle.verify_consistency(end, size, tree.root(), root, proof)
        else:
            verified = tree.root() == root
        if not verified:
            raise party.AuditError(f"entries {start}-{end - 1} are not what the checkpoint of {size} entries signed")
        connection = self._connect()
        with connection:
            connection.executemany("INSERT OR REPLACE INTO entries (idx, leaf, data) VALUES (?, ?, ?)", rows)
        connection.close()
        # Entries first, then the state: a kill between the two leaves entries the next run overwrites.
        verified_state = party.State(tree.size, tree.root(), tree.border_hashes(), current.text)
        party.save_state(self.state_path, verified_state, self.server)
        return verified_state

    def root_at(self, size: int) -> bytes:
        """The root of the first `size` entries this replica verified, from its own leaves."""
        connection = self._connect()
        try:
            leaves = [
                bytes(row[0])
                for row in connection.execute("SELECT leaf FROM entries WHERE idx < ? ORDER BY idx", (size,))
            ]
        finally:
            connection.close()
        tree = merkle.CompactRange()
        tree.extend(leaves)
        return tree.root()

    # --- peers and alarms -----------------------------------------------------------------------

    def compare(self, client: party.HttpClient | None, peer_text: str) -> None:
        """Compare a checkpoint a peer verified with what this replica verified; alarm when both cannot be true."""
        try:
            peer = party.open_checkpoint(peer_text, self.server, "the peer's checkpoint").checkpoint
        except party.AuditError:
            return  # not the server's signature: it proves nothing either way
        state = self.state()
        if state.size == 0 or peer_text in self.agreed:
            return
        if peer.size <= state.size:
            if self.root_at(peer.size) != peer.root_hash:
                self.alarm("split_view", f"two roots signed for size {peer.size}", state.checkpoint, peer_text)
            else:
                self.agreed.add(peer_text)
            return
        if client is None:
            return
        try:
            proof = [bytes.fromhex(h) for h in _consistency(client, state.size, peer.size)]
        except party.AuditError:
            self.alarm(
                "split_view", f"no consistency proof from {state.size} to {peer.size}", state.checkpoint, peer_text
            )
            return
        if not merkle.verify_consistency(state.size, peer.size, state.root, peer.root_hash, proof):
            self.alarm(
                "split_view", f"the checkpoint of {peer.size} does not extend {state.size}", state.checkpoint, peer_text
            )

    def alarm(self, kind: str, reason: str, first: str, second: str) -> None:
        connection = self._connect()
        with connection:
            known = connection.execute(
                "SELECT 1 FROM alarms WHERE first = ? AND second = ?", (first, second)
            ).fetchone()
            if known is None:
                connection.execute(
                    "INSERT INTO alarms (at, kind, reason, first, second) VALUES (?, ?, ?, ?, ?)",
                    (time.time(), kind, reason, first, second),
                )
        connection.close()

    def alarms(self) -> list[dict[str, Any]]:
        connection = self._connect()
        try:
            rows = connection.execute("SELECT at, kind, reason, first, second FROM alarms ORDER BY id").fetchall()
        finally:
            connection.close()
        return [{"at": at, "kind": kind, "reason": reason, "first": a, "second": b} for at, kind, reason, a, b in rows]

    def status(self) -> dict[str, Any]:
        state = self.state()
        alarms = self.alarms()
        split = any(a["kind"] == "split_view" for a in alarms)
        return {
            "status": "split_view" if split else ("audit_failed" if alarms else "ok"),
            "size": state.size,
            "root": state.root.hex(),
            "checkpoint": state.checkpoint,
            "alarms": alarms,
        }


def _consistency(client: party.HttpClient, first: int, second: int) -> list[str]:
    answer = client.get("/api/v1/log/proof/consistency", params={"first": first, "second": second})
    if answer.status_code != 200:
        raise party.AuditError(f"no consistency proof {first}-{second} ({answer.status_code})")
    return list(answer.json()["hashes"])


def app(replica: Replica) -> FastAPI:
    """The replica's own read-only service: status, its verified checkpoint, its entries, and its witness."""
    served = FastAPI(title="Truce replica", docs_url=None, redoc_url=None, openapi_url=None)

    @served.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @served.get("/api/v1/replica/status")
    def status() -> dict[str, Any]:
        return replica.status()

    @served.get("/api/v1/replica/checkpoint")
    def checkpoint() -> Response:
        return Response(replica.state().checkpoint, media_type="text/plain")

    @served.get("/api/v1/log/entries")
    def entries(start: int = 0, end: int | None = None) -> list[dict[str, Any]]:
        end = start + party.ENTRIES_PAGE if end is None else min(end, start + party.ENTRIES_PAGE)
        connection = replica._connect()
        try:
            rows = connection.execute(
                "SELECT idx, leaf, data FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx", (start, end)
            ).fetchall()
        finally:
            connection.close()
        return [{"index": i, "leaf_hash": bytes(leaf).hex(), **({"data": d} if d else {})} for i, leaf, d in rows]

    @served.post(WITNESS_PATH)
    async def add_checkpoint(request: Request) -> Response:
        if any(a["kind"] == "split_view" for a in replica.alarms()):
            return Response(
                "split view alarm: this replica cosigns nothing until its operator looks\n", status_code=403
            )
        body = await request.body()
        answer = await run_in_threadpool(replica.witness.add_checkpoint, body)
        return Response(answer.body, status_code=answer.status, headers={"Content-Type": answer.content_type})

    return served


def run(replica: Replica, client: httpx.Client, peers: list[str], stop: threading.Event, interval: float = 2.0) -> None:
    """Catch up, then every `interval` seconds: sync, and compare checkpoints with every peer."""
    while not stop.is_set():
        try:
            replica.sync(client)
        except party.AuditError as exc:
            replica.alarm("audit", str(exc)[:500], replica.state().checkpoint, str(exc)[:500])
        except httpx.HTTPError:
            pass  # the server is unreachable for now: nothing is proved either way; try again next round
        for peer in peers:
            try:
                text = httpx.get(peer.rstrip("/") + "/api/v1/replica/checkpoint", timeout=10).text
            except httpx.HTTPError:
                continue
            if text:
                replica.compare(client, text)
        stop.wait(interval)
