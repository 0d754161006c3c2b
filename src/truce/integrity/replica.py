"""A delegation's replica: a verifying mirror of the log's tiles and entries, its witness, and a split-view alarm.

It mirrors the log as C2SP tlog-tiles into its own SQLite file (`replica_store`): the level-0 hash tiles, the entry
bundles it may read (the entries API for the rest, each checked against its tile), and the upper tiles, which it
builds from the verified leaves and compares with the server's. A chunk of whole tiles is verified before it is
kept: each entry against its leaf hash, and the chunk's prefix against the server's signed checkpoint by a
consistency proof it checks itself. Tiles are fetched in a thread pool two chunks ahead of the one being checked.
Its state (size, root, compact range) is written after each chunk, so after `kill -9` it resumes from the last
verified index and fetches nothing verified again. It serves its copy read-only: its entries, the tiles of the
size it verified, that checkpoint, and the checkpoints it cosigned.

It tells its peers the latest server checkpoint it verified and reads theirs. Two checkpoints signed by the server
key that cannot both be true (same size, other roots; or a larger one that its own leaves, or the server's
consistency proof, do not extend) raise a split-view alarm: both signed notes are kept, `status` says `split_view`,
and its witness refuses to cosign anything again.
"""

from __future__ import annotations

import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx2 as httpx
from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from truce.errors import NotFound
from truce.integrity import audit as party
from truce.integrity import mirror
from truce.integrity.replica_store import Store
from truce.integrity.witness import PATH as WITNESS_PATH
from truce.integrity.witness import Witness
from truce.ledger import merkle, note, tiles

# Whole tiles, so that a resumed catch-up starts on a tile boundary and fetches no tile it verified.
CHUNK = 64 * tiles.WIDTH
AHEAD = 2  # chunks fetched while one is checked
FETCHERS = 6
STATE = "replica.state"
DATABASE = "replica.sqlite"
KEY = "replica.key"
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}


class Replica:
    """One delegation's copy of the log, in `data_dir`."""

    def __init__(self, data_dir: Path, server: note.Verifier, signer: note.Signer) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir, self.server = data_dir, server
        self.state_path = data_dir / STATE
        self.store = Store(data_dir / DATABASE)
        self.witness = Witness(data_dir / "witness", signer)
        self.witness.trust(server.to_text())
        # Peer checkpoints found consistent with what was verified: not compared again (a root costs a full read).
        self.agreed: set[str] = set()

    # --- catching up ---------------------------------------------------------------------------

    def state(self) -> party.State:
        return party.load_state(self.state_path, self.server)

    def sync(self, client: party.HttpClient) -> int:
        """Verify and keep every new entry and tile, a chunk at a time; the size verified now."""
        current = party.fetch_checkpoint(client, self.server)
        state = self.state()
        if current.checkpoint.size < state.size or (
            current.checkpoint.size == state.size and current.checkpoint.root_hash != state.root
        ):
            self.alarm("split_view", "the server's checkpoint does not extend what this replica verified",
                       state.checkpoint, current.text)  # fmt: skip
            return 0
        if current.checkpoint.size == state.size:
            return state.size
        pool = ThreadPoolExecutor(FETCHERS, thread_name_prefix="replica-fetch")
        try:
            queued: deque[tuple[int, int, list[Future[mirror.Piece]]]] = deque()
            for start, end in _chunks(state.size, current.checkpoint.size):
                queued.append((start, end, mirror.submit(pool, client, start, end)))
                if len(queued) > AHEAD:
                    state = self._chunk(client, state, queued.popleft(), current)
            while queued:
                state = self._chunk(client, state, queued.popleft(), current)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        self._compare_tiles(client, state.size, state.size, partial=True)
        return state.size

    def _chunk(
        self,
        client: party.HttpClient,
        state: party.State,
        fetching: tuple[int, int, list[Future[mirror.Piece]]],
        current: party.Signed,
    ) -> party.State:
        start, end, futures = fetching
        pieces = [future.result() for future in futures]
        tree = state.range()
        for piece in pieces:
            mirror.check(piece)
            tree.extend(mirror.split(piece.leaves))
        size, root = current.checkpoint.size, current.checkpoint.root_hash
        if end < size:
            proof = [bytes.fromhex(h) for h in _consistency(client, end, size)]
            verified = merkle.verify_consistency(end, size, tree.root(), root, proof)
        else:
            verified = tree.root() == root
        if not verified:
            raise party.AuditError(f"entries {start}-{end - 1} are not what the checkpoint of {size} entries signed")
        # Entries first, then the state: a kill between the two leaves entries the next run overwrites.
        self.store.keep(pieces, start, end)
        self._compare_tiles(client, start, end, partial=False)
        verified_state = party.State(tree.size, tree.root(), tree.border_hashes(), current.text)
        party.save_state(self.state_path, verified_state, self.server)
        return verified_state

    def _compare_tiles(self, client: party.HttpClient, start: int, end: int, partial: bool) -> None:
        """The server's upper tiles that [start, end) completes (and, with `partial`, those of the size `end`)
        must be the ones built from the verified leaves."""
        for level in range(1, tiles.MAX_LEVEL + 1):
            span = tiles.WIDTH ** (level + 1)  # leaves under one full tile of this level
            if end < tiles.WIDTH**level:
                return
            wanted = [tiles.Tile(level, n) for n in range(start // span, end // span)]
            width = tiles.hashes_at(end, level) % tiles.WIDTH
            if partial and width:
                wanted.append(tiles.Tile(level, end // span, width))
            connection = self.store.connect()
            try:
                for tile in wanted:
                    served = mirror.get_bytes(client, mirror.tile_path(level, tile.index, tile.width))
                    if served != self.store.hashes(connection, level, tile.index * tiles.WIDTH, tile.width):
                        raise party.AuditError(f"the server's {tile.path()} is not the one its signed entries build")
            finally:
                connection.close()

    def root_at(self, size: int) -> bytes:
        """The root of the first `size` entries this replica verified, from its own hashes."""
        return self.store.root_at(size)

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
        self.store.alarm(kind, reason, first, second)

    def alarms(self) -> list[dict[str, Any]]:
        return self.store.alarms()

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


def _chunks(start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) cut at multiples of CHUNK."""
    cuts = []
    while start < end:
        stop = min(end, (start // CHUNK + 1) * CHUNK)
        cuts.append((start, stop))
        start = stop
    return cuts


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
        connection = replica.store.connect()
        try:
            rows = connection.execute(
                "SELECT idx, leaf, data FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx", (start, end)
            ).fetchall()
        finally:
            connection.close()
        return [{"index": i, "leaf_hash": bytes(leaf).hex(), **({"data": d} if d else {})} for i, leaf, d in rows]

    @served.get(mirror.PREFIX + "/checkpoint")
    def tiles_checkpoint() -> Response:
        return Response(replica.state().checkpoint, media_type="text/plain", headers={"Cache-Control": "no-cache"})

    @served.get(mirror.PREFIX + "/tile/{path:path}")
    def tile(path: str) -> Response:
        try:
            found = replica.store.tile(tiles.parse(path), replica.state().size)
        except NotFound as exc:
            return Response(f"{exc}\n", status_code=404, media_type="text/plain")
        if found is None:
            return Response("this replica may not read every entry of this bundle\n", status_code=403)
        return Response(found, media_type="application/octet-stream", headers=IMMUTABLE)

    @served.get("/api/v1/replica/cosigned")
    def cosigned() -> list[str]:
        return replica.witness.cosigned()

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
    # One client for the peers: each of httpx's module calls builds a client and reads the CA bundle again.
    with httpx.Client(timeout=10) as to_peers:
        while not stop.is_set():
            try:
                replica.sync(client)
            except party.AuditError as exc:
                replica.alarm("audit", str(exc)[:500], replica.state().checkpoint, str(exc)[:500])
            except (httpx.HTTPError, mirror.Unavailable):
                pass  # the server is unreachable for now: nothing is proved either way; try again next round
            for peer in peers:
                try:
                    text = to_peers.get(peer.rstrip("/") + "/api/v1/replica/checkpoint").text
                except httpx.HTTPError:
                    continue
                if text:
                    replica.compare(client, text)
            stop.wait(interval)
